"""Socket Mode inside the daemon: started by its hook, a click over the websocket, stopped."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.config import Settings
from monitor.daemon import Daemon
from monitor.jobs import Service
from monitor.slack import socket as socket_mode
from monitor.slack.outbox import OutboxWorker
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


APP_TOKEN = "xapp-1-A0BRANDMON1-1-secret"


def service_for(store: Store, settings: Settings, *, app_token: str | None = APP_TOKEN
                ) -> Service | None:
    return socket_mode.socket_service(store=store, slack=settings.slack, bot_token=TOKEN,
                                      app_token=app_token)


def test_socket_service__without_app_token_is_none(store: Store, settings: Settings) -> None:
    assert service_for(store, settings, app_token=None) is None
    off = settings.model_copy(update={"slack": settings.slack.model_copy(
        update={"socket_mode": False})})
    assert service_for(store, off) is None
    assert service_for(store, settings) is not None


def test_socket_mode__click_over_the_websocket_claims_and_is_acked(
        store: Store, worker: OutboxWorker, slack: FakeSlack, settings: Settings,
        ws: FakeSocketMode, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time, "sleep", REAL_SLEEP)  # the websocket client's threads pace on it
    case_id, msg = post_case(store, worker, slack)
    service = service_for(store, settings)
    assert service is not None
    start, stop = service.start, service.stop
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
    rules = RulesWatcher(Path(__file__).resolve().parents[2] / "rules")

    def broken_service() -> None:
        raise RuntimeError("another service failed to start")

    service = service_for(store, settings)
    assert service is not None
    broken = Service("broken", broken_service, lambda: None)
    # a broken service must not keep Socket Mode from starting
    daemon = Daemon(connectors={}, pipeline=None, rules=rules,  # type: ignore[arg-type]
                    store=store, outbox=worker, services=[broken, service])

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
    slack.fail("apps.connections.open", error="not_allowed_token_type")
    service = service_for(store, settings, app_token="xoxb-not-an-app-token")
    assert service is not None
    service.start()  # logs, does not raise: delivery must go on
    assert "Socket Mode could not start (not_allowed_token_type)" in caplog.text
    assert "xoxb-not-an-app-token" not in caplog.text
    service.stop()  # stopping what never started is fine


def test_socket_mode__failed_connect_is_retried_with_backoff_and_shown_in_status(
        store: Store, settings: Settings, slack: FakeSlack, ws: FakeSocketMode,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from monitor.health import health_report
    from monitor.store.keys import SOCKET_STATUS_KEY

    monkeypatch.setattr(time, "sleep", REAL_SLEEP)
    settings = settings.model_copy(update={"database_url": str(store.engine.url)})
    slack.fail("apps.connections.open", error="internal_error", times=3)
    service = socket_mode.SocketModeService(store=store, slack=settings.slack, bot_token=TOKEN,
                                            app_token=APP_TOKEN, retry_base=0.2, retry_max=1)
    service.start()  # the first try fails: the daemon comes up anyway
    try:
        state = store.kv_get(SOCKET_STATUS_KEY)
        assert state is not None and state["state"] == "reconnecting"
        assert "internal_error" in state["error"] and state["failures"] == 1
        report = health_report(settings)
        assert any(p.startswith("Slack Socket Mode reconnecting") and "buttons do not answer"
                   in p for p in report["problems"]), report["problems"]
        assert ws.connected.wait(15), "never reconnected"  # no restart needed
        deadline = time.monotonic() + 10
        while (store.kv_get(SOCKET_STATUS_KEY) or {}).get("state") != "connected" \
                and time.monotonic() < deadline:
            REAL_SLEEP(0.05)
        assert store.kv_get(SOCKET_STATUS_KEY)["state"] == "connected"  # type: ignore[index]
        opened = [m for m, _ in slack.calls if m == "apps.connections.open"]
        assert len(opened) == 4  # three refusals, then the connection
        assert not any("Socket Mode" in p for p in health_report(settings)["problems"])
    finally:
        service.stop()
    assert store.kv_get(SOCKET_STATUS_KEY)["state"] == "stopped"  # type: ignore[index]
