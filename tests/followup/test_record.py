"""Recording an answer: with its case in one transaction, audited, reopening once, never twice."""

from __future__ import annotations

from typing import Any

import pytest

from monitor import triage
from monitor.followup.record import record
from monitor.models import Label
from monitor.readmodels import CaseView, FollowUp
from monitor.slack.follow_up_notices import follow_up_row
from monitor.store import Store
from tests.followup.conftest import SAM, answer, answered_case, classified


def actions(store: Store, case_id: int) -> list[str]:
    return [e.action for e in store.case_events(case_id)]


def test_record__complaint_on_a_handled_case_reopens_it_once_with_the_audit_trail(
        store: Store) -> None:
    case_id = answered_case(store, source="x")
    assert triage.handle(store, case_id, actor=SAM).changed
    complaint = answer(case_id, "still not working <!channel>")

    done = record(store, case_id, complaint, classified(Label.COMPLAINT), notify=follow_up_row)

    assert done.outcome == "recorded" and done.reopened
    case = store.get_case(case_id).case  # type: ignore[union-attr]
    assert (case.status, case.reopened, case.owner, case.handled_at) == ("new", 1, None, None)
    assert (case.follow_ups, case.follow_up_label, case.follow_up_signal) == \
        (1, "complaint", "dissatisfaction")
    events = store.case_events(case_id)
    assert [e.action for e in events][-3:] == ["follow_up", "dissatisfaction", "reopened"]
    reopened = events[-1]
    assert (reopened.actor, reopened.from_status, reopened.to_status) == \
        ("system", "handled", "new")
    assert reopened.detail["reason"] == "follow_up"
    assert reopened.detail["mention"] == complaint.external_id
    assert reopened.detail["previous_owner"] == SAM
    assert len({e.detail["follow_up_id"] for e in events[-3:]}) == 1
    (stored,) = store.case_follow_ups(case_id)
    assert stored.text == "still not working <!channel>" and stored.reopened
    thread = [r for r in store.outbox_rows() if r.key.startswith(f"follow-up:{case_id}:")]
    assert len(thread) == 1 and thread[0].thread_key == f"post:{case_id}"
    assert "&lt;!channel&gt;" in thread[0].payload["text"]  # public text, escaped
    assert "<!channel>" not in thread[0].payload["text"]
    assert any(r.key == f"update:{case_id}:{case.version}" for r in store.outbox_rows())

    # the same answer seen again (the next poll, another replica): nothing changes
    again = record(store, case_id, complaint, classified(Label.COMPLAINT), notify=follow_up_row)
    assert again.outcome == "duplicate"
    assert store.get_case(case_id).case.version == case.version  # type: ignore[union-attr]
    assert actions(store, case_id).count("follow_up") == 1


def test_record__thanks_after_the_team_handled_it_again_is_satisfaction_without_reopen(
        store: Store) -> None:
    case_id = answered_case(store, source="x")
    triage.handle(store, case_id, actor=SAM)
    record(store, case_id, answer(case_id, "still broken"), classified(Label.COMPLAINT))
    triage.handle(store, case_id, actor=SAM)
    thanks = answer(case_id, "thanks, sorted!", external_id="1870000000000000123")

    done = record(store, case_id, thanks, classified(Label.PRAISE))

    assert done.outcome == "recorded" and not done.reopened
    case = store.get_case(case_id).case  # type: ignore[union-attr]
    assert (case.status, case.reopened, case.follow_ups) == ("handled", 1, 2)
    assert case.follow_up_signal == "satisfaction"
    assert actions(store, case_id).count("reopened") == 1
    assert actions(store, case_id)[-2:] == ["follow_up", "satisfaction"]


def test_record__stars_up_on_a_review_is_satisfaction_and_the_case_shows_the_new_stars(
        store: Store) -> None:
    case_id = answered_case(store, source="trustpilot", external_id="64f0c0ffee01", rating=1,
                            kind="review", platform_id="64f0c0ffee01")
    triage.handle(store, case_id, actor=SAM)
    update = answer(case_id, "Support sorted it, but it took a week", source="trustpilot",
                    external_id="64f0c0ffee01", kind="review_update", revision="r2",
                    rating=4, previous_rating=1)

    done = record(store, case_id, update, classified(Label.COMPLAINT))  # text still grumbles

    assert not done.reopened and done.follow_up is not None
    assert done.follow_up.signal == "satisfaction"
    case = store.get_case(case_id).case  # type: ignore[union-attr]
    assert (case.status, case.follow_up_rating) == ("handled", 4)
    sat = store.case_events(case_id)[-1]
    assert (sat.action, sat.detail["reason"], sat.detail["rating_from"],
            sat.detail["rating_to"]) == ("satisfaction", "rating_up", 1, 4)


def test_record__an_open_case_is_not_reopened_only_told(store: Store) -> None:
    case_id = answered_case(store)
    done = record(store, case_id, answer(case_id), classified(Label.QUESTION))
    assert done.outcome == "recorded" and not done.reopened
    case = store.get_case(case_id).case  # type: ignore[union-attr]
    assert (case.status, case.reopened, case.follow_up_signal) == ("new", 0, None)
    assert "reopened" not in actions(store, case_id)


def test_record__a_click_landing_meanwhile_is_kept_and_the_answer_planned_again(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    case_id = answered_case(store)
    triage.handle(store, case_id, actor=SAM)
    real = store.record_follow_up
    calls: list[int] = []

    def racing(*args: Any, **kw: Any) -> Any:
        if not calls:  # an agent reopens it by hand between our read and our write
            assert triage.reopen(store, case_id, actor="U0LEE0003").changed
        calls.append(1)
        return real(*args, **kw)

    monkeypatch.setattr(store, "record_follow_up", racing)
    done = record(store, case_id, answer(case_id), classified(Label.COMPLAINT))
    assert done.outcome == "recorded" and len(calls) == 2
    assert not done.reopened  # it was open again by then: planned from that state
    case = store.get_case(case_id).case  # type: ignore[union-attr]
    assert (case.status, case.reopened, case.follow_ups) == ("new", 1, 1)
    reopens = [e for e in store.case_events(case_id) if e.action == "reopened"]
    assert [e.actor for e in reopens] == ["U0LEE0003"]


def test_record__a_failure_while_storing_leaves_neither_the_answer_nor_the_change(
        store: Store) -> None:
    case_id = answered_case(store)
    triage.handle(store, case_id, actor=SAM)
    before = store.get_case(case_id).case  # type: ignore[union-attr]

    def broken(view: CaseView, follow_up: FollowUp) -> dict[str, Any]:
        return {"key": None, "kind": "raw", "channel": "#x", "payload": {}}  # NOT NULL key

    with pytest.raises(Exception):  # noqa: B017 - the database refuses the row, any driver
        record(store, case_id, answer(case_id), classified(Label.COMPLAINT), notify=broken)
    assert store.case_follow_ups(case_id) == []
    after = store.get_case(case_id).case  # type: ignore[union-attr]
    assert (after.status, after.version, after.follow_ups) == ("handled", before.version, 0)
    assert "follow_up" not in actions(store, case_id)


def test_record__a_reopen_by_the_customers_answer_brings_the_unclaimed_reminder_back(
        store: Store) -> None:
    from datetime import timedelta

    from monitor.config import SlackSettings
    from monitor.slack import reminders

    case_id = answered_case(store)
    store.set_slack_message(case_id, channel="C0SOCIAL01", ts="1795990169.000001")
    triage.handle(store, case_id, actor=SAM)
    done = record(store, case_id, answer(case_id), classified(Label.COMPLAINT))
    assert done.reopened
    reopened_at = store.case_events(case_id, actions=["reopened"])[-1].at
    slack = SlackSettings(remind_unclaimed_minutes={"normal": 120})
    assert reminders.due(store, slack, now=reopened_at + timedelta(minutes=119)) == []
    (due,) = reminders.due(store, slack, now=reopened_at + timedelta(minutes=121))
    assert (due.case_id, due.stage, due.key) == (case_id, "unclaimed",
                                                 f"remind:{case_id}:unclaimed:r1")
