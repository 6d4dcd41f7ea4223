"""Slack fixtures: a store, the fake Slack Web API, the outbox and a signed-request bolt app."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk import WebClient

from monitor.config import OutboxSettings, Settings, SlackSettings
from monitor.slack.app import build_bolt_app
from monitor.slack.delivery import SlackDelivery
from monitor.slack.outbox import OutboxWorker
from monitor.store import Store
from tests import factories as f
from tests.fakes.bolt import TrackingExecutor
from tests.fakes.bolt import signed_request as _signed_request
from tests.fakes.server import FakeServer
from tests.fakes.slack import FakeSlack, Message

TOKEN = "xoxb-1111-2222-test-secret-token"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file migrated to head; each test gets a copy (migrating is the slow part)."""
    path = tmp_path_factory.mktemp("slack-db") / "template.sqlite"
    Store.from_url(f"sqlite:///{path}").close()
    return path


@pytest.fixture
def store(tmp_path: Path, migrated_db: Path) -> Iterator[Store]:
    path = tmp_path / "slack.sqlite"
    shutil.copyfile(migrated_db, path)
    s = Store.from_url(f"sqlite:///{path}", migrate_schema=False)
    yield s
    s.close()


@pytest.fixture
def slack(fake_server: FakeServer) -> FakeSlack:
    return FakeSlack(fake_server)


@pytest.fixture
def settings(slack: FakeSlack, tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, slack=SlackSettings(base_url=slack.base_url))


@pytest.fixture
def client(slack: FakeSlack) -> WebClient:
    return WebClient(token=TOKEN, base_url=slack.base_url, timeout=5)


@pytest.fixture
def worker(store: Store, client: WebClient, settings: Settings) -> OutboxWorker:
    return OutboxWorker(store=store, delivery=SlackDelivery(client), settings=OutboxSettings(),
                        slack=settings.slack)


@pytest.fixture
def executor() -> Iterator[TrackingExecutor]:
    ex = TrackingExecutor()
    yield ex
    ex.shutdown(wait=True)


@pytest.fixture
def bolt(store: Store, settings: Settings, client: WebClient, executor: TrackingExecutor
         ) -> App:
    return build_bolt_app(store=store, settings=settings, client=client,
                          signing_secret=SIGNING_SECRET, listener_executor=executor)


def post_case(store: Store, worker: OutboxWorker, slack: FakeSlack, **kw: Any
              ) -> tuple[int, Message]:
    """Store one triage item as the pipeline would, deliver it, return (case id, message)."""
    item = kw.pop("item", None) or f.item(**kw)
    (case_id,) = store.save_batch(item.mention.source, [item], None)
    worker.run_once()
    key = f"post:{case_id}"
    msg = next(m for m in slack.posted(top_level=True)
               if (m.metadata or {}).get("event_payload", {}).get("outbox_key") == key)
    return case_id, msg


def block_actions(msg: Message, action_id: str, *, user: str, value: str | None = None,
                  selected: str | None = None) -> dict[str, Any]:
    """A block_actions payload in the shape Slack sends for a click on `msg`."""
    block = next(b for b in msg.blocks if b.get("type") == "actions")
    element = next(e for e in block["elements"] if e["action_id"] == action_id)
    action: dict[str, Any] = {"action_id": action_id, "block_id": block["block_id"],
                              "type": element["type"], "action_ts": f"{time.time():.6f}"}
    if element["type"] == "button":
        action["value"] = value if value is not None else element["value"]
        action["text"] = element["text"]
    else:
        option = next(o for o in element["options"] if o["value"] == selected)
        action["selected_option"] = option
    return {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "name": user.lower(),
                 "team_id": "T0FAKE0001"},
        "api_app_id": "A0BRANDMON1",
        "token": "legacy-verification-token",
        "container": {"type": "message", "message_ts": msg.ts, "channel_id": msg.channel,
                      "is_ephemeral": False},
        "trigger_id": "1111.2222.abcdef",
        "team": {"id": "T0FAKE0001", "domain": "fake"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": msg.channel, "name": "social-care"},
        "message": {"type": "message", "user": "U0BOT00001", "ts": msg.ts, "text": msg.text,
                    "blocks": msg.blocks, "bot_id": "B0BOT00001"},
        "state": {"values": {}},
        "response_url": "https://hooks.slack.com/actions/T0FAKE0001/1/abc",
        "actions": [action],
    }


def signed_request(payload: dict[str, Any], *, secret: str = SIGNING_SECRET,
                   timestamp: int | None = None) -> tuple[str, dict[str, Any]]:
    """The form-encoded body and the headers Slack would send, signed with `secret`."""
    return _signed_request(payload, secret=secret, timestamp=timestamp)


def click(bolt: App, executor: TrackingExecutor, payload: dict[str, Any], **kw: Any
          ) -> BoltResponse:
    body, headers = signed_request(payload, **kw)
    resp = bolt.dispatch(BoltRequest(body=body, headers=headers))
    executor.drain()
    return resp


@pytest.fixture
def cfg(tmp_path: Path, slack: FakeSlack) -> Path:
    """A config file for the CLI and the daemon: data in the test's folder, the fake Slack."""
    path = tmp_path / "config.yaml"
    path.write_text(f"data_dir: {tmp_path / 'data'}\nslack:\n  base_url: {slack.base_url}\n")
    return path


@pytest.fixture
def app_store(cfg: Path) -> Iterator[Store]:
    """The store that config opens (what a `--config cfg` command or daemon writes)."""
    from monitor.config import load_settings

    s = Store.from_settings(load_settings(cfg))
    yield s
    s.close()
