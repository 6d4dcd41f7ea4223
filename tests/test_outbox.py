"""Outbox delivery through the real WebClient against a fake Slack on loopback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time as _time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from slack_sdk import WebClient

from monitor.clock import utcnow
from monitor.config import OutboxSettings, SlackSettings
from monitor.slack.delivery import SlackDelivery
from monitor.slack.outbox import OutboxWorker
from monitor.store import Store
from tests import factories as f
from tests.fakes.server import FakeServer, Request, Response
from tests.fakes.slack import FakeSlack

TOKEN = "xoxb-test-secret-token"
REAL_SLEEP = _time.sleep  # captured before the autouse fixture makes sleep instant


@pytest.fixture
def slack(fake_server: FakeServer) -> FakeSlack:
    return FakeSlack(fake_server)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.from_url(f"sqlite:///{tmp_path / 'o.sqlite'}")
    yield s
    s.close()


def worker(store: Store, slack: FakeSlack) -> OutboxWorker:
    client = WebClient(token=TOKEN, base_url=slack.base_url, timeout=5)
    return OutboxWorker(store=store, delivery=SlackDelivery(client), settings=OutboxSettings(),
                        slack=SlackSettings())


def test_outbox__posts_case_with_metadata_key_and_no_unfurl(store: Store, slack: FakeSlack
                                                            ) -> None:
    (case_id,) = store.save_batch("x", [f.item(channel="#care-parcelly")], None)
    stats = worker(store, slack).run_once()
    assert stats.sent == 1  # the history reply is skipped: the author has no history
    (msg,) = slack.posted("C0PARCEL01")
    assert msg.metadata == {"event_type": "brand_monitor_item",
                            "event_payload": {"outbox_key": f"post:{case_id}"}}
    assert msg.raw["unfurl_links"] is False and msg.raw["unfurl_media"] is False
    assert any(b.get("type") == "actions" for b in msg.blocks)
    case, _ = store.get_case(case_id)  # type: ignore[misc]
    assert (case.slack_channel, case.slack_ts) == ("C0PARCEL01", msg.ts)
    assert [e.action for e in store.case_events(case_id)] == ["created", "posted"]


def test_outbox__author_history_goes_in_the_thread(store: Store, slack: FakeSlack) -> None:
    earlier = f.mention(handle="sam", created_at=f.NOW - timedelta(days=2), text="late again")
    store.save_batch("x", [f.item(earlier)], None)
    w = worker(store, slack)
    w.run_once()
    (case_id,) = store.save_batch("x", [f.item(f.mention(handle="sam"))], None)
    w.run_once()
    w.run_once()
    parent = next(m for m in slack.posted(top_level=True)
                  if m.metadata["event_payload"]["outbox_key"] == f"post:{case_id}")
    (reply,) = slack.posted(top_level=False)
    assert reply.thread_ts == parent.ts
    assert "late again" in reply.blocks[0]["text"]["text"]


def test_outbox__429_waits_retry_after_without_spending_an_attempt(store: Store,
                                                                   slack: FakeSlack) -> None:
    store.save_batch("x", [f.item()], None)
    slack.fail("chat.postMessage", status=429, error="ratelimited",
               headers={"Retry-After": "42"})
    w = worker(store, slack)
    now = utcnow()
    stats = w.run_once(now=now)
    assert stats.sent == 0 and stats.retried == 1
    row = next(r for r in store.outbox_rows() if r.kind == "post")
    assert row.status == "pending" and row.attempts == 0
    assert row.next_attempt_at == now + timedelta(seconds=42)
    assert w.run_once(now=now + timedelta(seconds=10)).sent == 0  # not due yet
    assert w.run_once(now=now + timedelta(seconds=43)).sent == 1
    assert len(slack.posted()) == 1


def test_outbox__5xx_is_retried_with_backoff_then_delivered(store: Store, slack: FakeSlack
                                                            ) -> None:
    store.save_batch("x", [f.item()], None)
    slack.fail("chat.postMessage", status=500, times=2)
    w = worker(store, slack)
    now = utcnow()
    waits = []
    for _ in range(3):
        w.run_once(now=now)
        row = next(r for r in store.outbox_rows() if r.kind == "post")
        waits.append((row.next_attempt_at - now).total_seconds())
        now = row.next_attempt_at + timedelta(seconds=1)
    assert len(slack.posted()) == 1
    # exponential with jitter: base 2s doubling per attempt, times a factor in [0.5, 1.5]
    assert 1 <= waits[0] <= 3 and 2 <= waits[1] <= 6


def test_outbox__invalid_auth_pauses_and_keeps_the_backlog(store: Store, slack: FakeSlack,
                                                           caplog: pytest.LogCaptureFixture
                                                           ) -> None:
    store.save_batch("x", [f.item(), f.item()], None)
    slack.fail("chat.postMessage", error="invalid_auth")
    w = worker(store, slack)
    stats = w.run_once()
    assert stats.paused and "invalid_auth" in stats.paused
    assert {r.status for r in store.outbox_rows()} == {"pending"}
    assert w.run_once().paused  # stays paused, nothing is attempted
    assert len(slack.calls) == 1
    assert TOKEN not in caplog.text


def test_outbox__channel_not_found_gives_up_with_a_clear_error(store: Store, slack: FakeSlack
                                                               ) -> None:
    store.save_batch("x", [f.item(channel="#no-such-channel")], None)
    stats = worker(store, slack).run_once()
    assert stats.dead == 2  # the post, and its thread reply that has nowhere to go
    post, history = store.outbox_rows()
    assert post.status == "dead" and "channel_not_found" in (post.last_error or "")
    assert history.status == "dead" and "could not be posted" in (history.last_error or "")


def test_outbox__interrupted_post_found_in_slack_is_not_posted_again(store: Store,
                                                                     slack: FakeSlack) -> None:
    (case_id,) = store.save_batch("x", [f.item(channel="#social-care")], None)
    # a previous process posted, then died before recording it
    delivery = SlackDelivery(WebClient(token=TOKEN, base_url=slack.base_url))
    _channel, ts = delivery.post(channel="#social-care", text="x", blocks=[],
                                key=f"post:{case_id}")
    store.lease_due(limit=10, lease=timedelta(minutes=5))
    stats = worker(store, slack).run_once()
    assert stats.reconciled == 1
    assert len(slack.posted()) == 1
    case, _ = store.get_case(case_id)  # type: ignore[misc]
    assert case.slack_ts == ts


CRASHER = textwrap.dedent("""
    import sys
    from slack_sdk import WebClient
    from monitor.config import OutboxSettings, SlackSettings
    from monitor.slack.outbox import OutboxWorker
    from monitor.slack.delivery import SlackDelivery
    from monitor.store import Store
    store = Store.from_url(sys.argv[1])
    client = WebClient(token="xoxb-crash", base_url=sys.argv[2], timeout=30)
    OutboxWorker(store=store, delivery=SlackDelivery(client), settings=OutboxSettings(),
                 slack=SlackSettings()).run_once()
""")


@pytest.mark.slow
def test_outbox__process_killed_between_post_and_commit_posts_once(
        tmp_path: Path, fake_server: FakeServer, store: Store) -> None:
    slack = FakeSlack(fake_server)
    (case_id,) = store.save_batch("x", [f.item(channel="#social-care")], None)
    answered = []

    def slow_post(req: Request) -> Response:
        resp = slack._handle(req)  # Slack stores the message ...
        answered.append(True)
        resp.delay = 30  # ... and the answer never reaches the process before it dies
        return resp

    fake_server.route("POST", "/api/chat.postMessage", slow_post)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.Popen([sys.executable, "-c", CRASHER, str(store.engine.url),
                             slack.base_url], env=env)
    deadline = _time.monotonic() + 60
    while not answered and _time.monotonic() < deadline and proc.poll() is None:
        REAL_SLEEP(0.05)
    assert answered, "the subprocess never reached Slack"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert len(slack.posted()) == 1
    assert next(r for r in store.outbox_rows() if r.kind == "post").status == "sending"

    fake_server.route("POST", "/api/chat.postMessage", slack._handle)
    stats = worker(store, slack).run_once()  # a restarted daemon
    assert stats.reconciled == 1
    assert len(slack.posted()) == 1  # still exactly one message in Slack
    case, _ = store.get_case(case_id)  # type: ignore[misc]
    assert case.slack_ts == slack.posted()[0].ts


def test_drain__delivers_posts_and_their_thread_replies_in_one_call(store: Store,
                                                                    slack: FakeSlack) -> None:
    earlier = f.mention(handle="sam", created_at=f.NOW - timedelta(days=2))
    now = f.mention(handle="sam")
    store.save_batch("x", [f.item(earlier), f.item(now)], None)
    assert worker(store, slack).drain() == 3  # two posts and the history reply under the second
    assert len(slack.posted(top_level=True)) == 2 and len(slack.posted(top_level=False)) == 1
    assert {r.status for r in store.outbox_rows()} == {"sent"}
