"""The daemon: isolated sources, backoff, rate limits, disabled sources, hot reload, SIGTERM."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time as _time
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from connectors.base import Connector
from connectors.options import SourceOptions
from monitor.app import App
from monitor.config import Secrets, load_settings
from monitor.daemon import Daemon
from monitor.errors import RateLimited, SourceAuthError, SourceError
from monitor.health import health_report
from monitor.models import Batch, SourceQuery
from monitor.pipeline import Pipeline
from monitor.replies.templates import TemplateSuggester
from monitor.rules.watcher import RulesWatcher
from monitor.slack.delivery import TerminalDelivery
from monitor.slack.outbox import OutboxWorker
from monitor.store import Store
from tests import factories as f
from tests.factories import KeywordClassifier

REAL_SLEEP = _time.sleep
REPO = Path(__file__).resolve().parents[1]
RULES = "brands:\n  - id: acme\n    name: Acme\n    query: acme\n"


class ScriptedConnector(Connector):
    """Plays back a script of results (a Batch or an exception) one per poll."""

    name = "scripted"

    def __init__(self, script: Sequence[Batch | Exception]) -> None:
        self.settings = SourceOptions(enabled=True, interval=60)
        self.script = list(script)
        self.polls: list[str | None] = []

    @classmethod
    def from_settings(cls, options: Mapping[str, Any], *, environ: Mapping[str, str] = os.environ
                      ) -> Connector:
        raise NotImplementedError("built directly by the tests")

    def poll(self, queries: Sequence[SourceQuery], cursor: str | None) -> Batch:
        self.polls.append(cursor)
        step = self.script.pop(0) if self.script else Batch(mentions=(), next_cursor=cursor)
        if isinstance(step, Exception):
            raise step
        return step


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    d = tmp_path / "rules"
    d.mkdir()
    (d / "acme.yaml").write_text(RULES)
    return d


@pytest.fixture
def make_app(tmp_path: Path, rules_dir: Path) -> Iterator[Any]:
    apps: list[App] = []

    def build(**connectors: Connector) -> App:
        settings = load_settings(None, environ={}, overrides={
            "data_dir": str(tmp_path / "data"), "rules_dir": str(rules_dir),
            "sources": {n: {"enabled": True, "interval": 60} for n in connectors}})
        store = Store.from_settings(settings)
        rules = RulesWatcher(rules_dir)
        pipeline = Pipeline(store=store, rules=rules.current, classifier=KeywordClassifier(),
                            suggester=TemplateSuggester(rules.current().reply_templates),
                            slack=settings.slack)
        delivery = TerminalDelivery(Console(file=io.StringIO(), width=100))
        app = App(settings=settings, secrets=Secrets(), store=store, rules=rules,
                  classifier=KeywordClassifier(), pipeline=pipeline, delivery=delivery,
                  outbox=OutboxWorker(store=store, delivery=delivery, settings=settings.outbox,
                                      slack=settings.slack),
                  connectors=dict(connectors))
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.close()


def daemon_for(app: App, *, clock: Clock) -> Daemon:
    """The daemon over the test's parts, without the parts' jobs and services."""
    return Daemon(connectors=app.connectors, pipeline=app.pipeline, rules=app.rules,
                  store=app.store, outbox=app.outbox, clock=clock)


def batch(*texts: str, cursor: str) -> Batch:
    return Batch(mentions=tuple(f.mention(t) for t in texts), next_cursor=cursor)


def test_poll_source__one_failing_source_does_not_stop_the_others(make_app: Any) -> None:
    good = ScriptedConnector([batch("acme broke", cursor="g1")])
    bad = ScriptedConnector([RuntimeError("library bug")])
    app = make_app(good=good, bad=bad)
    daemon = daemon_for(app, clock=Clock())
    results = daemon.run_once()
    assert [s.source for s in results] == ["good"]
    assert app.store.get_cursor("good") == "g1"
    states = {s.source: s for s in app.store.source_states()}
    assert states["bad"].failures == 1 and "library bug" in states["bad"].last_error


def test_poll_source__failures_back_off_exponentially_with_jitter(make_app: Any) -> None:
    conn = ScriptedConnector([SourceError("s", "HTTP 503")] * 3)
    clock = Clock()
    app = make_app(s=conn)
    daemon = daemon_for(app, clock=clock)
    waits = []
    for _ in range(3):
        assert daemon.poll_source("s") is None
        until = daemon._backoff_until["s"]
        waits.append((until - clock.now).total_seconds())
        assert daemon.poll_source("s") is None  # still backing off: no poll is made
        clock.now = until + timedelta(seconds=1)
    assert len(conn.polls) == 3
    assert 30 <= waits[0] <= 60 and 60 <= waits[1] <= 120 and 120 <= waits[2] <= 240


def test_poll_source__rate_limit_waits_exactly_as_asked(make_app: Any) -> None:
    conn = ScriptedConnector([RateLimited("s", 900), batch("acme ok", cursor="c1")])
    clock = Clock()
    app = make_app(s=conn)
    daemon = daemon_for(app, clock=clock)
    daemon.poll_source("s")
    assert daemon._backoff_until["s"] == clock.now + timedelta(seconds=900)
    clock.now += timedelta(seconds=901)
    stats = daemon.poll_source("s")
    assert stats is not None and stats.stored == 1


def test_poll_source__rejected_credentials_disable_the_source(make_app: Any, tmp_path: Path
                                                              ) -> None:
    conn = ScriptedConnector([SourceAuthError("s", "HTTP 401 credentials rejected")])
    app = make_app(s=conn)
    daemon = daemon_for(app, clock=Clock())
    daemon.poll_source("s")
    daemon.poll_source("s")
    assert len(conn.polls) == 1
    report = health_report(app.settings)
    assert not report["healthy"]
    assert any("s is disabled: s: HTTP 401" in p for p in report["problems"])


def test_poll_source__the_cursor_is_passed_back_next_time(make_app: Any) -> None:
    conn = ScriptedConnector([batch("acme a", cursor="c1"), batch("acme b", cursor="c2")])
    app = make_app(s=conn)
    daemon = daemon_for(app, clock=Clock())
    daemon.poll_source("s")
    daemon.poll_source("s")
    assert conn.polls == [None, "c1"]


def test_reload_rules__broken_edit_keeps_matching_with_the_last_good_set(
        make_app: Any, rules_dir: Path) -> None:
    conn = ScriptedConnector([batch("acme broke", cursor="c1")])
    app = make_app(s=conn)
    daemon = daemon_for(app, clock=Clock())
    daemon.reload_rules()
    (rules_dir / "acme.yaml").write_text(RULES + "    query: (acme OR\n")  # broken edit
    daemon.reload_rules()
    stats = daemon.poll_source("s")
    assert stats is not None and stats.matched == 1
    report = health_report(app.settings)
    assert report["rules"]["last_error"].startswith(str(rules_dir / "acme.yaml"))
    assert any(p.startswith("rules: keeping the last good set") for p in report["problems"])


@pytest.mark.slow
def test_run_forever__sigterm_finishes_and_exits_cleanly(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"data_dir: {tmp_path / 'data'}\nrules_dir: {REPO / 'rules'}\n"
                   "sources:\n  sample:\n    enabled: true\n    interval: 3600\n"
                   "outbox:\n  interval: 1\n")
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO), "HOME": str(tmp_path),
           "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "monitor", "run", "--config", str(cfg)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = _time.monotonic() + 120
        store = Store.from_url(f"sqlite:///{tmp_path / 'data' / 'brand-monitor.sqlite'}",
                               migrate_schema=False)
        while _time.monotonic() < deadline and proc.poll() is None:
            REAL_SLEEP(0.5)
            try:
                if any(s.source == "sample" and s.last_success_at
                       for s in store.source_states()):
                    break
            except Exception:  # the schema may not exist yet
                continue
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "received SIGTERM" in err and "stopped" in err
    assert store.count_mentions() > 0
    store.close()
