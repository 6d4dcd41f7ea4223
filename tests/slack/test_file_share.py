"""A file share (the weekly digest's chart) is a message with metadata: reconciled like posts."""

from __future__ import annotations

import base64
from datetime import timedelta

from monitor.clock import utcnow
from monitor.config import OutboxSettings, SlackSettings
from monitor.slack.delivery import SlackDelivery
from monitor.slack.outbox import OutboxWorker
from monitor.store import Store
from monitor.store.keys import OutboxKind
from tests.fakes.slack import FakeSlack
from tests.slack.conftest import TOKEN

KEY = "digest:2026-W47"
PNG = b"\x89PNG\r\n\x1a\n" + b"chart" * 100


def queue_digest(store: Store) -> None:
    store.enqueue(key=KEY, kind=OutboxKind.UPLOAD, channel="#marketing",
                  payload={"filename": "brand-mentions-2026-W47.png", "title": "Chart W47",
                           "initial_comment": "*Weekly* mentions & praise",
                           "content_b64": base64.b64encode(PNG).decode("ascii")})


def worker(store: Store, slack: FakeSlack, *, timeout: float = 5) -> OutboxWorker:
    delivery = SlackDelivery.from_token(TOKEN, base_url=slack.base_url, timeout=timeout)
    return OutboxWorker(store=store, delivery=delivery, settings=OutboxSettings(),
                        slack=SlackSettings())


def shared(slack: FakeSlack) -> list[dict[str, object]]:
    return [f for f in slack.files if f.get("channel")]


def test_file_share__is_a_message_with_the_key_that_links_the_file(store: Store,
                                                                  slack: FakeSlack) -> None:
    queue_digest(store)
    assert worker(store, slack).run_once().sent == 1
    (file,) = shared(slack)
    assert file["data"] == PNG and file["channel"] == "C0MARKET01"
    (msg,) = slack.by_key(KEY)
    assert msg is slack.shared_in(file)
    assert msg.text.startswith("*Weekly* mentions & praise\n")
    assert "|Chart W47>" in msg.text
    assert msg.raw["unfurl_links"] is False  # only our own file is previewed


def test_file_share__upload_interrupted_after_sharing_shares_once(store: Store,
                                                                 slack: FakeSlack) -> None:
    queue_digest(store)
    w = worker(store, slack, timeout=1)
    # Slack completes the upload, then its answer comes after the client gave up
    slack.fail("files.completeUploadExternal", delay=3.0, after=True)
    now = utcnow()
    assert w.run_once(now=now).retried == 1
    w.run_once(now=now + timedelta(hours=1))
    assert len(shared(slack)) == 1  # the first upload was never shared: nobody sees it
    assert len(slack.by_key(KEY)) == 1


def test_file_share__crash_after_the_message_is_reconciled_without_uploading_again(
        store: Store, slack: FakeSlack) -> None:
    queue_digest(store)
    w = worker(store, slack)
    slack.fail("chat.postMessage", after=True, drop=True)  # shared, then the connection drops
    now = utcnow()
    w.run_once(now=now)
    row = store.outbox_row(KEY)
    assert row is not None and row.status == "unknown" and row.payload["file_id"]
    stats = w.run_once(now=now + timedelta(hours=1))
    assert stats.reconciled == 1
    assert len(slack.by_key(KEY)) == 1
    assert len(slack.files) == 1  # uploaded once: the row kept the file id


def test_file_share__rate_limited_message_reuses_the_upload(store: Store, slack: FakeSlack
                                                          ) -> None:
    queue_digest(store)
    w = worker(store, slack)
    slack.fail("chat.postMessage", status=429, error="ratelimited",
               headers={"Retry-After": "1"})
    now = utcnow()
    w.run_once(now=now)
    assert store.outbox_row(KEY).status == "pending"  # type: ignore[union-attr]
    w.run_once(now=now + timedelta(seconds=2))
    assert len(slack.files) == 1 and len(shared(slack)) == 1
    assert len(slack.by_key(KEY)) == 1
