"""Slack faults through the real WebClient: joining channels, clear errors, timeouts, auth."""

from __future__ import annotations

from datetime import timedelta

from slack_sdk import WebClient

from monitor import triage
from monitor.clock import utcnow
from monitor.config import OutboxSettings, SlackSettings
from monitor.slack.delivery import SlackDelivery
from monitor.slack.outbox import OutboxWorker
from monitor.store import Store
from tests import factories as f
from tests.fakes.slack import FakeSlack
from tests.slack.conftest import TOKEN, post_case


def methods(slack: FakeSlack) -> list[str]:
    return [m for m, _ in slack.calls]


def test_post__not_in_public_channel_joins_then_posts_once(
        store: Store, worker: OutboxWorker, slack: FakeSlack) -> None:
    slack.outside.add("C0MARKET01")
    case_id, msg = post_case(store, worker, slack, channel="#marketing")
    assert msg.channel == "C0MARKET01"
    assert methods(slack)[:4] == ["chat.postMessage", "conversations.list",
                                  "conversations.join", "chat.postMessage"]
    assert len(slack.posted("C0MARKET01")) == 1
    assert store.get_case(case_id)[0].slack_ts == msg.ts  # type: ignore[index]


def test_post__not_in_private_channel_gives_up_with_an_invite_hint(
        store: Store, worker: OutboxWorker, slack: FakeSlack) -> None:
    slack.outside.add("C0LUMO0001")
    slack.private.add("C0LUMO0001")
    store.save_batch("x", [f.item(channel="#care-lumo"), f.item(channel="#social-care")], None)
    stats = worker.run_once()
    assert stats.paused is None  # one channel's problem does not stop delivery elsewhere
    assert len(slack.posted("C0SOCIAL01")) == 1
    dead = next(r for r in store.outbox_rows() if r.key == "post:1")
    assert dead.status == "dead"
    assert "not_in_channel #care-lumo" in (dead.last_error or "")
    assert "/invite @brand-monitor" in (dead.last_error or "")
    assert "method_not_supported_for_channel_type" in (dead.last_error or "")


def test_post__not_in_channel_without_join_scope_is_not_fatal(
        store: Store, worker: OutboxWorker, slack: FakeSlack) -> None:
    slack.outside.add("C0MARKET01")
    slack.scopes = "chat:write,channels:read"
    store.save_batch("x", [f.item(channel="#marketing")], None)
    stats = worker.run_once()
    assert stats.paused is None and stats.dead >= 1
    row = store.outbox_row("post:1")
    assert row is not None and "missing_scope" in (row.last_error or "")


def test_post__channel_not_found_names_the_channel_and_the_fix(
        store: Store, worker: OutboxWorker, slack: FakeSlack) -> None:
    store.save_batch("x", [f.item(channel="#care-typo")], None)
    worker.run_once()
    row = store.outbox_row("post:1")
    assert row is not None and row.status == "dead"
    assert "channel_not_found #care-typo" in (row.last_error or "")
    assert "routing" in (row.last_error or "")


def test_post__timeout_is_retried_through_the_outbox(store: Store, slack: FakeSlack) -> None:
    client = WebClient(token=TOKEN, base_url=slack.base_url, timeout=1)
    worker = OutboxWorker(store=store, delivery=SlackDelivery(client),
                          settings=OutboxSettings(), slack=SlackSettings())
    store.save_batch("x", [f.item()], None)
    slack.fail("chat.postMessage", delay=3.0)
    now = utcnow()
    stats = worker.run_once(now=now)
    assert stats.retried == 1 and stats.sent == 0
    row = store.outbox_row("post:1")
    # no answer is not a "no": the post may have landed, so it is looked up before a resend
    assert row is not None and row.status == "unknown" and row.attempts == 1
    assert worker.run_once(now=now + timedelta(hours=1)).sent == 1
    assert "conversations.history" in methods(slack)
    assert len(slack.posted(top_level=True)) == 1


def test_update__invalid_auth_pauses_delivery_and_keeps_the_update(
        store: Store, worker: OutboxWorker, slack: FakeSlack) -> None:
    case_id, msg = post_case(store, worker, slack)
    triage.claim(store, case_id, actor="U0SAM0001")
    slack.fail("chat.update", error="token_revoked")
    now = utcnow()
    stats = worker.run_once(now=now)
    assert stats.paused and "token_revoked" in stats.paused
    assert [r.status for r in store.outbox_rows() if r.kind == "update"] == ["pending"]
    assert worker.run_once(now=now + timedelta(minutes=11)).sent == 1
    assert msg.updates[-1]["ts"] == msg.ts
