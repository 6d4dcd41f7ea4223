"""Reminders: due and not due by priority, one per stage, stopped by handling (injected clock)."""

from __future__ import annotations

from datetime import datetime, timedelta

from monitor import triage
from monitor.config import Settings, SlackSettings
from monitor.models import Label, Priority
from monitor.slack import reminders
from monitor.slack.outbox import OutboxWorker
from monitor.store import Store
from tests import factories as f
from tests.fakes.slack import FakeSlack
from tests.slack.conftest import post_case

GROUP = SlackSettings(oncall_group="S0ONCALL01")


def created(store: Store, case_id: int) -> datetime:
    """When the case was posted: reminders count from there (or its stored time if unposted)."""
    events = store.case_events(case_id)
    return next((e.at for e in events if e.action == "posted"), events[0].at)


def thread_replies(slack: FakeSlack, parent_ts: str) -> list[str]:
    return [m.text for m in slack.posted(top_level=False) if m.thread_ts == parent_ts]


def test_reminders__unclaimed_complaint_due_after_its_priority_minutes(
        store: Store, worker: OutboxWorker, slack: FakeSlack) -> None:
    case_id, msg = post_case(store, worker, slack)  # normal priority: 120 min
    t0 = created(store, case_id)
    assert reminders.send_due(store, GROUP, now=t0 + timedelta(minutes=119)) == 0
    assert reminders.send_due(store, GROUP, now=t0 + timedelta(minutes=121)) == 1
    worker.run_once()
    (text,) = thread_replies(slack, msg.ts)
    assert text.startswith("<!subteam^S0ONCALL01> ")
    assert "complaint has waited 121 min" in text
    case, _ = store.get_case(case_id)  # type: ignore[misc]
    assert case.reminders == 1 and case.reminded_at == t0 + timedelta(minutes=121)
    event = store.case_events(case_id)[-1]
    assert (event.actor, event.action, event.detail["stage"]) == ("system", "reminded",
                                                                  "unclaimed")
    assert store.outbox_row(f"remind:{case_id}:unclaimed") is not None
    assert msg.updates == []  # a reminder does not touch the case message


def test_reminders__one_per_stage_not_a_stream(store: Store, worker: OutboxWorker,
                                               slack: FakeSlack) -> None:
    case_id, msg = post_case(store, worker, slack)
    t0 = created(store, case_id)
    for minutes in (121, 180, 600, 6000):
        reminders.send_due(store, GROUP, now=t0 + timedelta(minutes=minutes))
    worker.run_once()
    assert len(thread_replies(slack, msg.ts)) == 1


def test_reminders__urgent_priority_uses_its_shorter_delay(
        store: Store, worker: OutboxWorker, slack: FakeSlack) -> None:
    case_id, _msg = post_case(store, worker, slack, priority=Priority.URGENT)
    t0 = created(store, case_id)
    assert reminders.send_due(store, GROUP, now=t0 + timedelta(minutes=9)) == 0
    assert reminders.send_due(store, GROUP, now=t0 + timedelta(minutes=10)) == 1


def test_reminders__claimed_but_not_handled_pings_the_owner(
        store: Store, worker: OutboxWorker, slack: FakeSlack) -> None:
    case_id, msg = post_case(store, worker, slack)
    t0 = created(store, case_id)
    reminders.send_due(store, GROUP, now=t0 + timedelta(minutes=130))  # unclaimed stage
    claimed = t0 + timedelta(minutes=140)
    triage.claim(store, case_id, actor="U0SAM0001", at=claimed)
    assert reminders.send_due(store, GROUP, now=claimed + timedelta(minutes=239)) == 0
    assert reminders.send_due(store, GROUP, now=claimed + timedelta(minutes=240)) == 1
    assert reminders.send_due(store, GROUP, now=claimed + timedelta(minutes=900)) == 0
    worker.run_once()
    first, owner = thread_replies(slack, msg.ts)
    assert first.startswith("<!subteam^S0ONCALL01>")
    assert owner.startswith("<@U0SAM0001> ") and "You claimed this complaint 240 min" in owner
    assert store.outbox_row(f"remind:{case_id}:claimed:{claimed.isoformat()}") is not None
    assert store.get_case(case_id)[0].reminders == 2  # type: ignore[index]


def test_reminders__handling_stops_them(store: Store, worker: OutboxWorker,
                                        slack: FakeSlack) -> None:
    case_id, _ = post_case(store, worker, slack)
    claimed_only, _ = post_case(store, worker, slack)
    t0 = created(store, case_id)
    triage.handle(store, case_id, actor="U0SAM0001", at=t0 + timedelta(minutes=1))
    triage.claim(store, claimed_only, actor="U0SAM0001", at=t0 + timedelta(minutes=1))
    triage.dismiss(store, claimed_only, actor="U0SAM0001", at=t0 + timedelta(minutes=2))
    assert reminders.send_due(store, GROUP, now=t0 + timedelta(days=3)) == 0


def test_reminders__reopened_case_can_be_reminded_again(
        store: Store, worker: OutboxWorker, slack: FakeSlack) -> None:
    case_id, _ = post_case(store, worker, slack)
    t0 = created(store, case_id)
    reminders.send_due(store, GROUP, now=t0 + timedelta(minutes=121))
    triage.handle(store, case_id, actor="U0SAM0001", at=t0 + timedelta(minutes=122))
    reopened = t0 + timedelta(minutes=200)
    triage.reopen(store, case_id, actor="U0SAM0001", at=reopened)
    assert reminders.send_due(store, GROUP, now=reopened + timedelta(minutes=119)) == 0
    assert reminders.send_due(store, GROUP, now=reopened + timedelta(minutes=120)) == 1
    assert store.outbox_row(f"remind:{case_id}:unclaimed:r1") is not None


def test_reminders__without_oncall_group_post_a_plain_note(
        store: Store, worker: OutboxWorker, slack: FakeSlack) -> None:
    case_id, _ = post_case(store, worker, slack, label=Label.QUESTION)
    t0 = created(store, case_id)
    for group in (None, "@care-oncall"):  # unset, or not a group id: never a broken ping
        settings = SlackSettings(oncall_group=group)
        (due,) = reminders.due(store, settings, now=t0 + timedelta(hours=3))
        assert due.text.startswith(":bell: This question has waited 180 min")


def test_reminders__praise_and_unposted_cases_are_never_reminded(
        store: Store, worker: OutboxWorker, slack: FakeSlack) -> None:
    case_id, _ = post_case(store, worker, slack, label=Label.PRAISE, channel="#marketing")
    store.save_batch("x", [f.item()], None)  # stored but not delivered yet
    t0 = created(store, case_id)
    assert reminders.due(store, GROUP, now=t0 + timedelta(days=2)) == []
    triage.relabel(store, case_id, actor="U0SAM0001", label="complaint")
    assert [r.case_id for r in reminders.due(store, GROUP, now=t0 + timedelta(days=2))] \
        == [case_id]


def test_reminder_jobs__a_minutely_job_on_the_daemon_clock(
        store: Store, worker: OutboxWorker, slack: FakeSlack, settings: Settings) -> None:
    case_id, _ = post_case(store, worker, slack)
    now = created(store, case_id) + timedelta(hours=5)
    (job,) = [j for j in reminders.reminder_jobs(store, settings.slack, clock=lambda: now)
              if j.name == "reminders"]
    assert job.seconds == 60
    job.func()
    assert store.get_case(case_id)[0].reminders == 1  # type: ignore[index]


def test_reminders__count_from_the_post_not_from_a_delivery_backlog(
        store: Store, worker: OutboxWorker, slack: FakeSlack) -> None:
    (case_id,) = store.save_batch("x", [f.item()], None)
    # stored three hours ago, but Slack delivery was paused until now
    stored = store.get_case(case_id)[0].created_at - timedelta(hours=3)  # type: ignore[index]
    store.transition(case_id, actor="system", action="backdated", to_status=None,
                     values={"created_at": stored}, refresh_message=False)
    worker.run_once()
    posted = created(store, case_id)
    assert posted - stored >= timedelta(hours=3)
    assert reminders.due(store, GROUP, now=posted + timedelta(minutes=1)) == []
    assert len(reminders.due(store, GROUP, now=posted + timedelta(minutes=120))) == 1
