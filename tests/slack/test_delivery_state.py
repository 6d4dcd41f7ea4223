"""Slack's delivery state: a rejected token pauses until auth.test works; `status` shows it."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from pathlib import Path

from prometheus_client import REGISTRY
from typer.testing import CliRunner

from monitor.cli import app
from monitor.clock import utcnow
from monitor.config import OutboxSettings, Settings, SlackSettings
from monitor.health import health_report
from monitor.slack.delivery import SlackDelivery
from monitor.slack.outbox import OutboxWorker
from monitor.store import Store
from monitor.store.keys import SLACK_DELIVERY_KEY
from tests import factories as f
from tests.fakes.slack import FakeSlack
from tests.slack.conftest import TOKEN


def make_worker(store: Store, slack: FakeSlack) -> OutboxWorker:
    delivery = SlackDelivery.from_token(TOKEN, base_url=slack.base_url, timeout=5)
    return OutboxWorker(store=store, delivery=delivery, settings=OutboxSettings(),
                        slack=SlackSettings(), rng=random.Random(7))


def status(cfg: Path) -> tuple[int, dict[str, object], str]:
    runner = CliRunner()
    as_json = runner.invoke(app, ["status", "--config", str(cfg), "--json"])
    text = runner.invoke(app, ["status", "--config", str(cfg)])
    return as_json.exit_code, json.loads(as_json.stdout), text.stdout


def next_probe(store: Store) -> datetime:
    state = store.kv_get(SLACK_DELIVERY_KEY)
    assert state is not None
    return datetime.fromisoformat(state["next_probe_at"])


def gauge(state: str) -> float | None:
    return REGISTRY.get_sample_value("brand_monitor_slack_delivery_state", {"state": state})


def test_pause__resumes_as_soon_as_auth_test_passes_and_status_shows_it(
        app_store: Store, slack: FakeSlack, cfg: Path) -> None:
    store = app_store
    store.save_batch("x", [f.item(), f.item()], None)
    slack.auth_error = "invalid_auth"
    worker = make_worker(store, slack)
    now = utcnow()
    assert worker.run_once(now=now).paused
    code, report, text = status(cfg)
    assert code == 1 and report["slack"]["state"] == "paused"  # type: ignore[index]
    assert any("Slack delivery paused" in p and "invalid_auth" in p
               for p in report["problems"])  # type: ignore[attr-defined]
    assert "slack delivery: paused since" in text
    assert gauge("paused") == 1 and gauge("ok") == 0

    first = next_probe(store)
    assert first - now <= timedelta(seconds=40)
    assert worker.run_once(now=first - timedelta(seconds=1)).paused  # not due: no call
    assert [m for m, _ in slack.calls].count("auth.test") == 0
    assert worker.run_once(now=first).paused  # still rejected: it backs off
    assert [m for m, _ in slack.calls].count("auth.test") == 1
    second = next_probe(store)
    assert second - first >= timedelta(seconds=40)

    slack.auth_error = None  # the operator fixed the token
    stats = worker.run_once(now=second)
    assert stats.paused is None and stats.sent == 2
    assert second - now < timedelta(minutes=3)  # not a fixed ten-minute pause
    code, report, text = status(cfg)
    assert report["slack"]["state"] == "ok"  # type: ignore[index]
    assert not any("Slack" in p for p in report["problems"])  # type: ignore[attr-defined]
    assert "slack delivery: ok" in text
    assert gauge("paused") == 0 and gauge("ok") == 1


def test_pause__a_restarted_worker_keeps_probing_where_the_last_left_off(
        app_store: Store, slack: FakeSlack) -> None:
    store = app_store
    store.save_batch("x", [f.item()], None)
    slack.auth_error = "token_revoked"
    now = utcnow()
    assert make_worker(store, slack).run_once(now=now).paused
    calls = len(slack.calls)
    again = make_worker(store, slack)  # a new process
    assert again.run_once(now=now + timedelta(seconds=1)).paused
    assert len(slack.calls) == calls  # it did not hammer Slack with the rejected token
    slack.auth_error = None
    assert again.run_once(now=next_probe(store)).sent == 1


def test_status__slack_failing_shows_with_its_last_error(app_store: Store, slack: FakeSlack,
                                                          cfg: Path) -> None:
    store = app_store
    store.save_batch("x", [f.item()], None)
    worker = make_worker(store, slack)
    slack.fail("chat.postMessage", status=503, times=3)
    now = utcnow()
    for _ in range(3):
        worker.run_once(now=now)
        now = store.outbox_row("post:1").next_attempt_at  # type: ignore[union-attr]
    _code, report, _text = status(cfg)
    slack_state = report["slack"]
    assert slack_state["state"] == "failing" and slack_state["failures"] == 3  # type: ignore[index]
    assert any("Slack delivery failing (3x" in p and "HTTP 503" in p
               for p in report["problems"])  # type: ignore[attr-defined]
    assert REGISTRY.get_sample_value("brand_monitor_slack_delivery_failures") == 3
    worker.run_once(now=now)
    _code, report, _text = status(cfg)
    assert report["slack"]["state"] == "ok"  # type: ignore[index]
    assert len(slack.posted(top_level=True)) == 1


def test_health_report__no_state_stored_reads_ok(tmp_path: Path) -> None:
    report = health_report(Settings(data_dir=tmp_path))
    assert report["slack"]["state"] == "ok"


def test_observe_outbox__a_status_with_no_rows_left_reads_zero() -> None:
    from monitor import metrics

    metrics.observe_outbox({"dead": 2, "sent": 1})
    metrics.observe_outbox({"sent": 3})  # the dead rows were retried and sent
    assert REGISTRY.get_sample_value("brand_monitor_outbox_backlog", {"status": "dead"}) == 0
    # sent rows are delivered, not a backlog (#18: the gauge used to count them)
    assert REGISTRY.get_sample_value("brand_monitor_outbox_backlog", {"status": "sent"}) is None
