"""The reply worker at the Publisher seam: exactly once, reconciling, and clear outcomes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.clock import utcnow
from monitor.config import OutboxSettings, SlackSettings
from monitor.errors import (
    PublishAuthError,
    PublishRateLimited,
    PublishRejected,
    PublishUnavailable,
)
from monitor.replies import flow
from monitor.replies.publishing import Publishing
from monitor.replies.sender import LEASE, ReplyWorker
from monitor.slack.delivery import TerminalDelivery
from monitor.slack.outbox import OutboxWorker
from monitor.slack.reply_notices import notice_row
from monitor.store import Store
from monitor.store.keys import OutboxKind, reply_key
from tests import factories as f
from tests.fakes.publisher import MemoryPublisher

AGENT = "U0AGENT001"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.from_url(f"sqlite:///{tmp_path / 'replies.sqlite'}")
    yield s
    s.close()


@pytest.fixture
def publisher() -> MemoryPublisher:
    return MemoryPublisher()


def worker(store: Store, publisher: MemoryPublisher | None, **settings: int) -> ReplyWorker:
    publishing = Publishing({"x": publisher} if publisher else {},
                            {} if publisher else {"x": "X_USER_TOKEN is not set"})
    return ReplyWorker(store=store, publishing=publishing, settings=OutboxSettings(**settings),
                       notify=notice_row)


def queued(store: Store, *, text: str = "Sorry! DM us your order number.",
           source: str = "x") -> int:
    (case_id,) = store.save_batch(source, [f.item(f.mention(source=source))], None)
    step = flow.request(store, case_id, actor=AGENT, text=text, source=source,
                        approval_group=None)
    assert step.changed
    return case_id


def reply_row(store: Store, case_id: int, attempt: int = 1):  # type: ignore[no-untyped-def]
    row = store.outbox_row(reply_key(case_id, attempt))
    assert row is not None
    return row


def actions(store: Store, case_id: int) -> list[str]:
    return [e.action for e in store.case_events(case_id)]


def thread_lines(store: Store, case_id: int) -> list[str]:
    return [str(r.payload["text"]) for r in store.outbox_rows()
            if r.kind == OutboxKind.RAW and r.case_id == case_id]


def test_reply_worker__posts_once_and_records_the_replied_event(
        store: Store, publisher: MemoryPublisher) -> None:
    case_id = queued(store)
    stats = worker(store, publisher).run_once()
    assert (stats.sent, stats.reconciled) == (1, 0)
    (posted,) = publisher.platform.replies
    assert posted.text == "Sorry! DM us your order number."
    case, stored = store.get_case(case_id)  # type: ignore[misc]
    assert posted.target == stored.mention.external_id
    assert (case.reply_state, case.reply_platform_id) == ("replied", posted.platform_id)
    assert case.reply_url == f"https://x.test/brand/status/{posted.platform_id}"
    event = store.case_events(case_id)[-1]
    assert (event.action, event.actor) == ("replied", AGENT)
    assert event.detail["platform_id"] == posted.platform_id and not event.detail["reconciled"]
    assert reply_row(store, case_id).status == "sent"
    (line,) = thread_lines(store, case_id)
    assert f"<@{AGENT}>" in line and case.reply_url in line
    assert worker(store, publisher).run_once().sent == 0  # nothing more to do
    assert len(publisher.platform.replies) == 1


def test_reply_worker__timeout_after_the_platform_kept_it_is_found_not_posted_again(
        store: Store, publisher: MemoryPublisher) -> None:
    case_id = queued(store)
    publisher.fail_publish(PublishUnavailable("x", "read timed out"), stored=True)
    now = utcnow()
    w = worker(store, publisher)
    assert w.run_once(now=now).retried == 1
    row = reply_row(store, case_id)
    assert row.status == "unknown" and "read timed out" in (row.last_error or "")
    assert store.get_case(case_id).case.reply_state == "queued"  # type: ignore[union-attr]
    stats = w.run_once(now=row.next_attempt_at)
    assert (stats.sent, stats.reconciled) == (1, 1)
    assert publisher.calls == ["publish", "find"]
    assert len(publisher.platform.replies) == 1
    assert store.case_events(case_id)[-1].detail["reconciled"] is True
    assert "not posted twice" in thread_lines(store, case_id)[0]


def test_reply_worker__row_left_sending_by_a_dead_process_waits_for_its_lease_then_looks_up(
        store: Store, publisher: MemoryPublisher) -> None:
    case_id = queued(store)
    now = utcnow()
    # a previous process leased the row, the platform took the reply, and the process died
    (leased,) = store.lease_due(limit=10, lease=LEASE, now=now, kinds=(OutboxKind.REPLY,))
    publisher.platform.post(flow_target(store, case_id), leased.payload["text"])
    w = worker(store, publisher)
    assert w.run_once(now=now + LEASE - timedelta(seconds=1)).sent == 0  # maybe still working
    assert publisher.calls == []
    stats = w.run_once(now=now + LEASE + timedelta(seconds=1))
    assert (stats.sent, stats.reconciled) == (1, 1)
    assert publisher.calls == ["find"]
    assert len(publisher.platform.replies) == 1


def flow_target(store: Store, case_id: int):  # type: ignore[no-untyped-def]
    from monitor.replies.publishing import target_of

    return target_of(store.get_case(case_id).mention)  # type: ignore[union-attr]


def test_reply_worker__unknown_stays_unknown_until_a_lookup_answers(
        store: Store, publisher: MemoryPublisher) -> None:
    case_id = queued(store)
    publisher.fail_publish(PublishUnavailable("x", "502 Bad Gateway"))  # not kept
    publisher.fail_find(PublishUnavailable("x", "503 Service Unavailable"), times=2)
    w = worker(store, publisher)
    now = utcnow()
    for _ in range(3):
        w.run_once(now=now)
        row = reply_row(store, case_id)
        assert row.status == "unknown"
        now = row.next_attempt_at
    assert publisher.calls == ["publish", "find", "find"]  # never a blind resend
    assert w.run_once(now=now).sent == 1
    assert publisher.calls == ["publish", "find", "find", "find", "publish"]
    assert len(publisher.platform.replies) == 1


@pytest.mark.parametrize(("error", "reason", "says"), [
    (PublishRejected("x", "target_deleted", "tweet 1 was deleted"), "target_deleted",
     "The post was deleted on X"),
    (PublishRejected("x", "locked", "thread locked"), "locked", "The thread is locked"),
    (PublishRejected("x", "review_removed", "gone"), "review_removed", "review was removed"),
    (PublishRejected("x", "too_long", "too long"), "too_long", "shorten it"),
    (PublishRejected("x", "duplicate", "Status is a duplicate."), "duplicate",
     "refused it as a duplicate"),
    (PublishRejected("x", "other", "<b>policy</b> violation"), "other",
     "refused it: x: &lt;b&gt;policy&lt;/b&gt; violation"),
    (PublishAuthError("x", "401 Unauthorized: set X_ACCESS_TOKEN", missing="X_ACCESS_TOKEN"),
     "auth", "X_ACCESS_TOKEN"),
])
def test_reply_worker__a_refusal_ends_the_attempt_with_a_clear_line_and_no_retry(
        store: Store, publisher: MemoryPublisher, error: Exception, reason: str, says: str
) -> None:
    case_id = queued(store)
    publisher.fail_publish(error)
    w = worker(store, publisher)
    assert w.run_once().failed == 1
    case, _ = store.get_case(case_id)  # type: ignore[misc]
    assert case.reply_state == "failed" and case.reply_error == str(error)
    event = store.case_events(case_id)[-1]
    assert (event.action, event.detail["reason"]) == ("reply_failed", reason)
    assert reply_row(store, case_id).status == "dead"
    (line,) = thread_lines(store, case_id)
    assert says in line
    assert "<b>" not in line  # the platform's words are escaped
    w.run_once(now=utcnow() + timedelta(days=1))
    assert publisher.platform.replies == [] and publisher.calls.count("publish") == 1


def test_reply_worker__a_duplicate_that_is_our_own_earlier_reply_counts_as_sent(
        store: Store, publisher: MemoryPublisher) -> None:
    case_id = queued(store)
    publisher.platform.post(flow_target(store, case_id), "Sorry! DM us your order number.")
    publisher.fail_publish(PublishRejected("x", "duplicate", "Status is a duplicate."))
    stats = worker(store, publisher).run_once()
    assert (stats.sent, stats.reconciled, stats.failed) == (1, 1, 0)
    assert store.get_case(case_id).case.reply_state == "replied"  # type: ignore[union-attr]
    assert len(publisher.platform.replies) == 1


def test_reply_worker__rate_limit_pauses_the_account_and_tells_each_case_once(
        store: Store, publisher: MemoryPublisher) -> None:
    first, second = queued(store), queued(store)
    publisher.fail_publish(PublishRateLimited("x", 60))
    w = worker(store, publisher)
    now = utcnow()
    stats = w.run_once(now=now)
    assert (stats.sent, stats.waiting) == (0, 2)
    assert publisher.calls == ["publish"]  # the second reply did not hammer the platform
    for case_id in (first, second):
        row = reply_row(store, case_id)
        assert row.status == "pending" and row.attempts == 0  # waiting is not failing
        assert row.next_attempt_at == now + timedelta(seconds=60)
    assert actions(store, first)[-1] == "reply_rate_limited"
    assert "asked us to slow down" in thread_lines(store, first)[0]
    assert w.run_once(now=now + timedelta(seconds=30)).sent == 0
    assert w.run_once(now=now + timedelta(seconds=61)).sent == 2
    assert len(publisher.platform.replies) == 2
    assert actions(store, first).count("reply_rate_limited") == 1


def test_reply_worker__account_not_set_up_fails_with_the_reason(store: Store) -> None:
    case_id = queued(store)
    assert worker(store, None).run_once().failed == 1
    case, _ = store.get_case(case_id)  # type: ignore[misc]
    assert case.reply_state == "failed"
    assert "X_USER_TOKEN is not set" in thread_lines(store, case_id)[0]


def test_reply_worker__gives_up_unconfirmed_and_the_next_send_looks_first(
        store: Store, publisher: MemoryPublisher) -> None:
    case_id = queued(store)
    publisher.fail_publish(PublishUnavailable("x", "timed out"), stored=True)
    publisher.fail_find(PublishUnavailable("x", "timed out"), times=2)
    w = worker(store, publisher, max_attempts=3)
    now = utcnow()
    for _ in range(3):
        w.run_once(now=now)
        now = reply_row(store, case_id).next_attempt_at
    case, _ = store.get_case(case_id)  # type: ignore[misc]
    assert case.reply_state == "failed" and reply_row(store, case_id).status == "dead"
    assert store.case_events(case_id)[-1].detail["reason"] == "unconfirmed"
    assert "never confirmed it" in thread_lines(store, case_id)[-1]
    # the agent sends again: attempt 2 looks the platform up first and finds attempt 1's reply
    assert flow.request(store, case_id, actor=AGENT, text="Sorry! DM us your order number.",
                        source="x", approval_group=None).changed
    publisher.calls.clear()
    stats = w.run_once(now=now)
    assert (stats.sent, stats.reconciled) == (1, 1)
    assert publisher.calls == ["find"]
    assert len(publisher.platform.replies) == 1


def test_reply_worker__a_publisher_bug_is_treated_as_maybe_posted(
        store: Store, publisher: MemoryPublisher) -> None:
    case_id = queued(store)
    publisher.fail_publish(KeyError("id"), stored=True)
    w = worker(store, publisher)
    assert w.run_once().retried == 1
    row = reply_row(store, case_id)
    assert row.status == "unknown"
    assert w.run_once(now=row.next_attempt_at).reconciled == 1
    assert len(publisher.platform.replies) == 1


def test_reply_worker__a_row_whose_case_moved_on_is_not_posted(
        store: Store, publisher: MemoryPublisher) -> None:
    case_id = queued(store)
    # the case was settled (the platform refused it) but the process died before the row was
    flow.record_failed(store, case_id, attempt=1, reason="locked", message="locked")
    w = worker(store, publisher)
    w.run_once()
    assert publisher.calls == [] and reply_row(store, case_id).status == "dead"


def test_workers__slack_and_reply_workers_never_lease_each_others_rows(
        store: Store, publisher: MemoryPublisher) -> None:
    case_id = queued(store)  # queues the case's post, its history reply and the reply row
    slack = OutboxWorker(store=store, delivery=TerminalDelivery(), settings=OutboxSettings(),
                         slack=SlackSettings())
    slack.drain()
    assert reply_row(store, case_id).status == "pending" and not publisher.calls
    assert store.outbox_row(f"post:{case_id}").status == "sent"  # type: ignore[union-attr]
    store.enqueue(key="raw:late", kind=OutboxKind.RAW, channel="#social-care",
                  payload={"text": "hi"})
    worker(store, publisher).run_once()
    assert reply_row(store, case_id).status == "sent"
    assert store.outbox_row("raw:late").status == "pending"  # type: ignore[union-attr]
