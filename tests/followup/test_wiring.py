"""The composition root wires the watch: its job, its claim hook, and none when turned off."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.app import App, app_jobs, build_app
from monitor.config import FollowUpSettings, Secrets, load_settings
from monitor.followup.watch import build_watch
from monitor.replies.publishing import Publishing
from monitor.store import Store
from tests.factories import KeywordClassifier
from tests.fakes.publisher import MemoryPublisher

X_ENV = {"X_BEARER_TOKEN": "app-token", "X_API_KEY": "k", "X_API_SECRET": "s",
         "X_ACCESS_TOKEN": "t", "X_ACCESS_TOKEN_SECRET": "ts"}
RULES = "brands:\n  - id: parcelly\n    name: Parcelly\n    query: parcelly\n"


def test_build_watch__a_watcher_per_publisher_none_when_disabled_or_nothing_to_answer(
        tmp_path: Path) -> None:
    from connectors.replies.x import XPublisher

    store = Store.from_url(f"sqlite:///{tmp_path / 'w.sqlite'}")
    x = XPublisher.from_settings({}, environ=X_ENV)
    publishing = Publishing({"x": x, "memory": MemoryPublisher()})
    watch = build_watch(FollowUpSettings(), store=store, publishing=publishing,
                        classifier=KeywordClassifier())
    assert watch is not None and list(watch.watchers) == ["x"]  # no watcher for "memory"
    assert build_watch(FollowUpSettings(enabled=False), store=store, publishing=publishing,
                       classifier=KeywordClassifier()) is None
    assert build_watch(FollowUpSettings(), store=store, publishing=Publishing(),
                       classifier=KeywordClassifier()) is None
    app = App(settings=load_settings(None, environ={}, overrides={"data_dir": str(tmp_path)}),
              secrets=Secrets(), store=store, rules=None, classifier=None,  # type: ignore
              pipeline=None, delivery=None, outbox=None, follow_up=watch)  # type: ignore
    (job,) = [j for j in app_jobs(app) if j.name == "follow-up"]
    assert job.seconds == 900
    x.close()
    store.close()


@pytest.mark.slow
def test_build_app__the_pipeline_leaves_answers_to_the_watch_and_the_daemon_runs_it(
        tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "parcelly.yaml").write_text(RULES)
    settings = load_settings(None, environ={}, overrides={
        "data_dir": str(tmp_path / "data"), "rules_dir": str(tmp_path / "rules"),
        "sources": {"x": {"enabled": True, "base_url": "http://127.0.0.1:9"}},
        "replies": {"x": {"base_url": "http://127.0.0.1:9"}},
        "follow_up": {"interval": 120}})
    app = build_app(settings, secrets=Secrets(X_ENV))
    try:
        assert app.follow_up is not None and set(app.follow_up.watchers) == {"x"}
        assert app.pipeline.follow_ups == app.follow_up.claims
        assert app.follow_up.classifier is app.classifier  # the pipeline's own classifier
        (job,) = [j for j in app_jobs(app) if j.name == "follow-up"]
        assert job.seconds == 120
    finally:
        app.close()
