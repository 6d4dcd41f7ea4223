"""Building components from settings: which delivery, which sources, and why not the others."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.app import build_connectors, build_delivery
from monitor.config import Secrets, load_settings
from monitor.errors import ConfigError
from monitor.slack.delivery import SlackDelivery, TerminalDelivery


def test_build_delivery__terminal_without_token_writes_uploads_under_data_dir(tmp_path: Path
                                                                               ) -> None:
    settings = load_settings(None, environ={}, overrides={"data_dir": str(tmp_path)})
    delivery = build_delivery(settings)
    assert isinstance(delivery, TerminalDelivery)
    assert delivery.files_dir == tmp_path / "uploads"  # digest charts land under data_dir


def test_build_delivery__slack_with_token_uses_the_configured_base_url(
        tmp_path: Path) -> None:
    settings = load_settings(None, environ={}, overrides={
        "data_dir": str(tmp_path), "slack": {"base_url": "http://127.0.0.1:9/api/"}})
    delivery = build_delivery(settings, Secrets({"SLACK_BOT_TOKEN": "xoxb-1"}))
    assert isinstance(delivery, SlackDelivery)
    assert delivery.client.base_url == "http://127.0.0.1:9/api/"


def test_build_connectors__missing_credentials_skip_the_source_with_the_reason(
        tmp_path: Path) -> None:
    settings = load_settings(None, environ={}, overrides={
        "sources": {"x": {"enabled": True}, "sample": {"enabled": True}}})
    enabled, skipped = build_connectors(settings, environ={})
    assert list(enabled) == ["sample"]
    assert "X_BEARER_TOKEN" in skipped["x"]
    assert skipped["reddit"] == "disabled in config"


def test_build_connectors__unknown_source_names_the_key() -> None:
    settings = load_settings(None, environ={}, overrides={"sources": {"tiktok": {"enabled": True}}})
    with pytest.raises(ConfigError) as err:
        build_connectors(settings, environ={})
    assert err.value.key == "sources.tiktok"


def test_build_connectors__bad_option_names_the_key() -> None:
    settings = load_settings(None, environ={}, overrides={
        "sources": {"reddit": {"enabled": True, "subreddits": "notalist"}}})
    with pytest.raises(ConfigError) as err:
        build_connectors(settings, environ={"REDDIT_CLIENT_ID": "a", "REDDIT_CLIENT_SECRET": "b"})
    assert err.value.key is not None and err.value.key.startswith("sources.reddit.subreddits")


def test_build_publishing__accounts_set_up_get_a_publisher_the_others_say_why(
        caplog: pytest.LogCaptureFixture) -> None:
    from monitor.replies.publishing import Reach, build_publishing

    settings = load_settings(None, environ={}, overrides={
        "replies": {"approval": [{"group": "S0LEADS001", "labels": ["complaint"]}]}})
    x_env = {"X_API_KEY": "k", "X_API_SECRET": "s", "X_ACCESS_TOKEN": "t",
             "X_ACCESS_TOKEN_SECRET": "ts"}
    with caplog.at_level("INFO"):
        pub = build_publishing(settings, environ=Secrets(x_env),
                               sources=["x", "trustpilot", "rss"])
    assert list(pub.publishers) == ["x"] and pub.reach("x") == Reach.READY
    assert pub.reach("trustpilot") == Reach.NOT_SET_UP
    assert "TRUSTPILOT_" in pub.not_set_up["trustpilot"]
    assert pub.reach("rss") == Reach.UNSUPPORTED and "rss" not in pub.not_set_up
    assert pub.approval_group(brand=None, label="complaint") == "S0LEADS001"
    assert "replies on trustpilot not enabled" in caplog.text
    pub.close()


def test_app_jobs__the_reply_worker_runs_as_a_job(tmp_path: Path) -> None:
    from monitor.app import App, app_jobs
    from monitor.replies import flow
    from monitor.replies.publishing import Publishing
    from monitor.replies.sender import ReplyWorker
    from monitor.store import Store
    from tests import factories as f
    from tests.fakes.publisher import MemoryPublisher

    settings = load_settings(None, environ={}, overrides={"data_dir": str(tmp_path)})
    store = Store.from_settings(settings)
    publisher = MemoryPublisher()
    publishing = Publishing({"x": publisher})
    app = App(settings=settings, secrets=Secrets(), store=store, rules=None,  # type: ignore
              classifier=None, pipeline=None, delivery=None, outbox=None,  # type: ignore
              publishing=publishing,
              replies=ReplyWorker(store=store, publishing=publishing, settings=settings.outbox))
    (case_id,) = store.save_batch("x", [f.item()], None)
    flow.request(store, case_id, actor="U0SAM0001", text="Sorry!", source="x",
                 approval_group=None)
    (job,) = [j for j in app_jobs(app) if j.name == "replies"]
    assert job.seconds == settings.outbox.interval
    job.func()
    assert [r.text for r in publisher.platform.replies] == ["Sorry!"]
    store.close()
