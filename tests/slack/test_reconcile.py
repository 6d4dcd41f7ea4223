"""A post that may already be in Slack is looked up before any resend, whatever went wrong."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import event, update

from monitor.clock import utcnow
from monitor.config import OutboxSettings, SlackSettings
from monitor.slack.delivery import LOOKUP_PAGES, SlackDelivery
from monitor.slack.outbox import OutboxWorker
from monitor.store import Store
from monitor.store.tables import OutboxRow
from tests import factories as f
from tests.fakes.slack import FakeSlack
from tests.slack.conftest import TOKEN


def production_worker(store: Store, slack: FakeSlack, *, timeout: float = 5) -> OutboxWorker:
    """The worker as monitor.app builds it: SlackDelivery.from_token."""
    delivery = SlackDelivery.from_token(TOKEN, base_url=slack.base_url, timeout=timeout)
    return OutboxWorker(store=store, delivery=delivery, settings=OutboxSettings(),
                        slack=SlackSettings())


def posted_then_died(store: Store, slack: FakeSlack, *case_ids: int) -> dict[int, str]:
    """A previous process leased the cases' rows, posted them and died before recording it.
    Returns the ts Slack gave each post."""
    store.lease_due(limit=50, lease=timedelta(minutes=5))
    delivery = SlackDelivery(WebClient(token=TOKEN, base_url=slack.base_url))
    posted = {cid: delivery.post(channel="#social-care", text="x", blocks=[],
                                 key=f"post:{cid}")[1] for cid in case_ids}
    store.recover_interrupted()  # the restart
    return posted


def one_post(store: Store, slack: FakeSlack, case_id: int) -> str:
    """Exactly one message in Slack for the case, and the case knows it."""
    (msg,) = slack.by_key(f"post:{case_id}")
    view = store.get_case(case_id)
    assert view is not None and view.case.slack_ts == msg.ts
    assert store.outbox_row(f"post:{case_id}").status == "sent"  # type: ignore[union-attr]
    return msg.ts


@pytest.mark.parametrize("fault", [
    {"status": 429, "error": "ratelimited", "headers": {"Retry-After": "1"}},
    {"status": 500},
], ids=["429", "500"])
def test_reconcile__failed_lookup_keeps_the_row_in_doubt_until_one_answers(
        store: Store, slack: FakeSlack, fault: dict[str, Any]) -> None:
    (case_id,) = store.save_batch("x", [f.item()], None)
    ts = posted_then_died(store, slack, case_id)[case_id]
    worker = production_worker(store, slack)
    slack.fail("conversations.history", **fault)
    now = utcnow()
    assert worker.run_once(now=now).sent == 0
    row = store.outbox_row(f"post:{case_id}")
    assert row is not None and row.status == "unknown"  # not "pending": it may be in Slack
    worker.run_once(now=now + timedelta(hours=1))
    assert one_post(store, slack, case_id) == ts


def test_reconcile__rows_put_back_by_a_pause_stay_in_doubt(store: Store, slack: FakeSlack
                                                           ) -> None:
    ids = store.save_batch("x", [f.item(), f.item()], None)
    posted = posted_then_died(store, slack, *ids)
    worker = production_worker(store, slack)
    slack.fail("conversations.history", error="invalid_auth")  # the first lookup
    now = utcnow()
    assert worker.run_once(now=now).paused
    assert {r.status for r in store.outbox_rows() if r.kind == "post"} == {"unknown"}
    worker.run_once(now=now + timedelta(minutes=11))  # the token works again
    assert [one_post(store, slack, cid) for cid in ids] == [posted[cid] for cid in ids]


@pytest.mark.parametrize("fault", [
    {"delay": 3.0, "after": True},  # Slack posts; its answer comes after the client gave up
    {"status": 500, "after": True},  # Slack posts, then answers 500
], ids=["answer-after-timeout", "500-after-posting"])
def test_reconcile__post_that_may_have_landed_is_looked_up_not_resent(
        store: Store, slack: FakeSlack, fault: dict[str, Any]) -> None:
    (case_id,) = store.save_batch("x", [f.item()], None)
    worker = production_worker(store, slack, timeout=1)
    slack.fail("chat.postMessage", **fault)
    now = utcnow()
    stats = worker.run_once(now=now)
    assert stats.sent == 0 and stats.retried == 1
    assert store.outbox_row(f"post:{case_id}").status == "unknown"  # type: ignore[union-attr]
    worker.run_once(now=now + timedelta(hours=1))
    one_post(store, slack, case_id)


def test_reconcile__connection_dropped_after_the_post_is_not_resent_by_the_client(
        store: Store, slack: FakeSlack) -> None:
    (case_id,) = store.save_batch("x", [f.item()], None)
    worker = production_worker(store, slack)
    slack.fail("chat.postMessage", after=True, drop=True)  # posted, then the connection drops
    now = utcnow()
    worker.run_once(now=now)
    # the client did not send it again inside the call: the outbox owns retries
    assert [m for m, _ in slack.calls].count("chat.postMessage") == 1
    assert len(slack.by_key(f"post:{case_id}")) == 1
    worker.run_once(now=now + timedelta(hours=1))
    one_post(store, slack, case_id)


def test_reconcile__lookup_pages_through_a_busy_channel_from_the_first_attempt(
        store: Store, slack: FakeSlack) -> None:
    (case_id,) = store.save_batch("x", [f.item()], None)
    with store.session() as s:  # queued two days ago (a long pause), first tried now
        s.execute(update(OutboxRow).values(created_at=utcnow() - timedelta(days=2)))
    first_attempt = utcnow()
    ts = posted_then_died(store, slack, case_id)[case_id]
    slack.chatter("C0SOCIAL01", 450)  # the channel moved on: the post is on the third page
    production_worker(store, slack).run_once()
    assert one_post(store, slack, case_id) == ts
    pages = [p for m, p in slack.calls if m == "conversations.history"]
    assert len(pages) == 3
    # the window opens at the first attempt (less a margin for clocks), not at enqueueing
    assert float(pages[0]["oldest"]) == pytest.approx(first_attempt.timestamp() - 300, abs=5)


def test_reconcile__a_channel_too_busy_to_rule_out_is_not_posted_again(
        store: Store, slack: FakeSlack) -> None:
    (case_id,) = store.save_batch("x", [f.item()], None)
    posted_then_died(store, slack, case_id)
    slack.chatter("C0SOCIAL01", LOOKUP_PAGES * 200 + 10)
    stats = production_worker(store, slack).run_once()
    assert stats.dead >= 1
    row = store.outbox_row(f"post:{case_id}")
    assert row is not None and row.status == "dead"
    assert "cannot rule out" in (row.last_error or "")
    assert len(slack.by_key(f"post:{case_id}")) == 1
    assert [m for m, _ in slack.calls].count("conversations.history") == LOOKUP_PAGES


@pytest.fixture
def crash_on_case_update(store: Store) -> Iterator[dict[str, bool]]:
    """The first UPDATE of the cases table fails, as if the process died right there."""
    armed = {"on": True}

    def crash(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if armed["on"] and statement.lstrip().upper().startswith("UPDATE CASES"):
            armed["on"] = False
            raise RuntimeError("the process died here")

    event.listen(store.engine, "before_cursor_execute", crash)
    yield armed
    event.remove(store.engine, "before_cursor_execute", crash)


def test_outbox__sent_row_and_case_ts_are_written_together(
        store: Store, slack: FakeSlack, crash_on_case_update: dict[str, bool]) -> None:
    (case_id,) = store.save_batch("x", [f.item()], None)
    worker = production_worker(store, slack)
    now = utcnow()
    worker.run_once(now=now)
    assert not crash_on_case_update["on"]  # it did crash between the two writes
    row = store.outbox_row(f"post:{case_id}")
    view = store.get_case(case_id)
    assert row is not None and view is not None
    # neither was written: the row is in doubt (not "sent" with a case that has no ts)
    assert row.status == "unknown" and view.case.slack_ts is None
    worker.run_once(now=now + timedelta(hours=1))
    one_post(store, slack, case_id)
