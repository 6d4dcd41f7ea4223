"""Socket Mode inside the daemon: started by its hook, a click over the websocket, stopped."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from monitor.config import Settings
from monitor.daemon import Daemon
from monitor.outbox import OutboxWorker
from monitor.slack import socket as socket_mode
from monitor.store import Store
from tests.fakes.slack import FakeSlack
from tests.slack.conftest import TOKEN, block_actions, post_case
from tests.slack.socket_fake import FakeSocketMode

REAL_SLEEP = time.sleep  # captured at import, before the autouse fixture makes sleep instant


@pytest.fixture
def ws(slack: FakeSlack) -> Iterator[FakeSocketMode]:
    fake = FakeSocketMode()
    slack.socket_url = fake.url  # type: ignore[attr-defined]
    yield fake
    fake.close()


def daemon_for(store: Store, settings: Settings) -> Daemon:
    app = SimpleNamespace(store=store, settings=settings)
    return Daemon(app)  # type: ignore[arg-type]


def test_install__without_app_token_adds_no_service(store: Store, settings: Settings,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    daemon = daemon_for(store, settings)
    socket_mode.install(daemon)
    assert daemon.on_start == [] and daemon.on_stop == []
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1-A0BRANDMON1-1-secret")
    off = settings.model_copy(update={"slack": settings.slack.model_copy(
        update={"socket_mode": False})})
    disabled = daemon_for(store, off)
    socket_mode.install(disabled)
    assert disabled.on_start == []
    enabled = daemon_for(store, settings)
    socket_mode.install(enabled)
    assert len(enabled.on_start) == len(enabled.on_stop) == 1


def test_socket_mode__click_over_the_websocket_claims_and_is_acked(
        store: Store, worker: OutboxWorker, slack: FakeSlack, settings: Settings,
        ws: FakeSocketMode, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time, "sleep", REAL_SLEEP)  # the websocket client's threads pace on it
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1-A0BRANDMON1-1-secret")
    case_id, msg = post_case(store, worker, slack)
    daemon = daemon_for(store, settings)
    socket_mode.install(daemon)
    (start,), (stop,) = daemon.on_start, daemon.on_stop
    start()
    try:
        assert ws.connected.wait(10)
        opened = [p for m, p in slack.calls if m == "apps.connections.open"]
        assert len(opened) == 1
        started = time.perf_counter()
        ws.send({"envelope_id": "env-1", "type": "interactive", "accepts_response_payload": False,
                 "payload": block_actions(msg, "case_claim", user="U0SAM0001")})
        assert ws.wait_ack("env-1")
        print(f"\nsocket mode ack after {1000 * (time.perf_counter() - started):.1f} ms")
        deadline = time.monotonic() + 10
        while not msg.updates and time.monotonic() < deadline:
            REAL_SLEEP(0.02)
        assert store.get_case(case_id)[0].owner == "U0SAM0001"  # type: ignore[index]
        assert msg.updates and "Claimed by <@U0SAM0001>" in str(msg.blocks)
    finally:
        stop()
    assert ws.closed.wait(10)


def test_run_forever__starts_socket_mode_with_the_daemon_and_stops_it_with_it(
        store: Store, worker: OutboxWorker, settings: Settings, ws: FakeSocketMode,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from monitor.rules.watcher import RulesWatcher

    monkeypatch.setattr(time, "sleep", REAL_SLEEP)
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1-A0BRANDMON1-1-secret")
    rules = RulesWatcher(Path(__file__).resolve().parents[2] / "rules")
    app = SimpleNamespace(store=store, settings=settings, outbox=worker, connectors={},
                          rules=rules)
    daemon = Daemon(app)  # type: ignore[arg-type]

    def broken_service() -> None:
        raise RuntimeError("another service failed to start")

    daemon.on_start.append(broken_service)  # must not keep Socket Mode from starting
    socket_mode.install(daemon)

    def stop_when_connected() -> None:
        ws.connected.wait(10)
        daemon.stop()

    threading.Thread(target=stop_when_connected, daemon=True).start()
    daemon.run_forever()  # returns once stopped
    assert ws.connected.is_set()
    assert ws.closed.wait(10)  # the stop hook closed the websocket


def test_socket_mode__rejected_app_token_is_one_clear_error(
        store: Store, settings: Settings, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SLACK_APP_TOKEN", "xoxb-not-an-app-token")
    slack.fail("apps.connections.open", error="not_allowed_token_type")
    daemon = daemon_for(store, settings)
    socket_mode.install(daemon)
    daemon.on_start[0]()  # logs, does not raise: delivery must go on
    assert "Socket Mode could not start (not_allowed_token_type)" in caplog.text
    assert "xoxb-not-an-app-token" not in caplog.text
    daemon.on_stop[0]()  # stopping what never started is fine
