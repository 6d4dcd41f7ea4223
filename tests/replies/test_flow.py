"""The reply state machine: who may send, approve and reject what, and when; all audited."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.config import ApprovalRule
from monitor.models import Label
from monitor.replies import flow
from monitor.replies.flow import Refusal
from monitor.replies.publishing import Publishing, Reach
from monitor.store import Store
from tests import factories as f
from tests.store.conftest import _pg_store

SAM, KIM, LEE = "U0SAM0001", "U0KIM0002", "U0LEE0003"
LEADS = "S0LEADS001"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "postgres":
        yield from _pg_store()
        return
    s = Store.from_url(f"sqlite:///{tmp_path / 'flow.sqlite'}")
    yield s
    s.close()


def case(store: Store, *, label: Label = Label.COMPLAINT) -> int:
    (case_id,) = store.save_batch("x", [f.item(label=label)], None)
    return case_id


def reply_rows(store: Store) -> list[str]:
    return [r.key for r in store.outbox_rows() if r.kind == "reply"]


def test_request__two_agents_sending_at_once_queue_one_reply(store: Store) -> None:
    case_id = case(store)
    steps: dict[str, flow.Step] = {}
    barrier = threading.Barrier(2)

    def send(user: str) -> None:
        barrier.wait()
        steps[user] = flow.request(store, case_id, actor=user, text=f"from {user}",
                                   source="x", approval_group=None)

    threads = [threading.Thread(target=send, args=(u,)) for u in (SAM, KIM)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(s.changed for s in steps.values()) == [False, True]
    loser = next(s for s in steps.values() if not s.changed)
    assert loser.refusal == Refusal.SENDING
    assert reply_rows(store) == [f"reply:{case_id}:1"]
    assert [e.action for e in store.case_events(case_id)].count("reply_requested") == 1


def test_request__a_replied_case_takes_another_reply_only_as_an_explicit_follow_up(
        store: Store) -> None:
    case_id = case(store)
    flow.request(store, case_id, actor=SAM, text="one", source="x", approval_group=None)
    flow.record_replied(store, case_id, attempt=1, platform_id="p1", url=None,
                        published_at=None, reconciled=False)
    again = flow.request(store, case_id, actor=SAM, text="two", source="x",
                         approval_group=None)
    assert (again.changed, again.refusal) == (False, Refusal.REPLIED)
    follow = flow.request(store, case_id, actor=SAM, text="two", source="x",
                          approval_group=None, follow_up=True)
    assert follow.changed and follow.attempt == 2
    assert store.case_events(case_id)[-1].detail["follow_up"] is True


def test_approve__only_the_current_draft_and_never_by_its_drafter(store: Store) -> None:
    case_id = case(store)
    asked = flow.request(store, case_id, actor=SAM, text="Sorry!", source="x",
                         approval_group=LEADS)
    assert asked.changed and reply_rows(store) == []  # nothing goes out before approval
    own = flow.approve(store, case_id, actor=SAM, attempt=1, source="x", group=LEADS)
    assert (own.changed, own.refusal) == (False, Refusal.OWN_DRAFT)
    stale = flow.approve(store, case_id, actor=LEE, attempt=2, source="x", group=LEADS)
    assert (stale.changed, stale.refusal) == (False, Refusal.DECIDED)
    ok = flow.approve(store, case_id, actor=LEE, attempt=1, source="x", group=LEADS)
    assert ok.changed and reply_rows(store) == [f"reply:{case_id}:1"]
    row = store.outbox_row(f"reply:{case_id}:1")
    assert row is not None
    assert (row.payload["drafted_by"], row.payload["approved_by"]) == (SAM, LEE)
    again = flow.approve(store, case_id, actor=KIM, attempt=1, source="x", group=LEADS)
    assert again.refusal == Refusal.DECIDED  # approved once, queued once
    assert reply_rows(store) == [f"reply:{case_id}:1"]
    events = [(e.action, e.actor) for e in store.case_events(case_id)
              if e.action.startswith("reply_")]
    assert events == [("reply_requested", SAM), ("reply_approved", LEE)]


def test_reject__ends_the_draft_and_a_new_send_is_a_new_attempt(store: Store) -> None:
    case_id = case(store)
    flow.request(store, case_id, actor=SAM, text="v1", source="x", approval_group=LEADS)
    assert flow.request(store, case_id, actor=KIM, text="v2", source="x",
                        approval_group=LEADS).refusal == Refusal.AWAITING
    assert flow.reject(store, case_id, actor=LEE, attempt=1, group=LEADS).changed
    assert store.get_case(case_id).case.reply_state == "declined"  # type: ignore[union-attr]
    assert flow.approve(store, case_id, actor=LEE, attempt=1, source="x").refusal == \
        Refusal.DECIDED  # a rejected draft cannot be approved afterwards
    second = flow.request(store, case_id, actor=SAM, text="v2", source="x", approval_group=None)
    assert second.changed and second.attempt == 2
    row = store.outbox_row(f"reply:{case_id}:2")
    assert row is not None and row.payload["check_first"] is True
    assert reply_rows(store) == [f"reply:{case_id}:2"]


def test_request__an_ignored_case_is_refused(store: Store) -> None:
    case_id = case(store, label=Label.OTHER)
    step = flow.request(store, case_id, actor=SAM, text="hi", source="x", approval_group=None)
    assert (step.changed, step.refusal) == (False, Refusal.IGNORED)


def test_approval_group__first_rule_matching_brand_and_label() -> None:
    pub = Publishing(approval=[
        ApprovalRule(group="S0LUMO0001", brands=["lumo"]),
        ApprovalRule(group="S0COMPLAIN", labels=["complaint"]),
    ])
    assert pub.approval_group(brand="lumo", label="praise") == "S0LUMO0001"
    assert pub.approval_group(brand="parcelly", label="complaint") == "S0COMPLAIN"
    assert pub.approval_group(brand="parcelly", label="question") is None
    assert Publishing().approval_group(brand="lumo", label="complaint") is None


def test_reach__feeds_cannot_be_answered_and_unset_accounts_say_why() -> None:
    pub = Publishing(not_set_up={"x": "x: set X_USER_TOKEN"})
    assert pub.reach("rss") == Reach.UNSUPPORTED and "answer on the site" in pub.why_not("rss")
    assert pub.reach("x") == Reach.NOT_SET_UP
    assert pub.why_not("x") == "Replies on X are not set up (x: set X_USER_TOKEN)."
    assert pub.reach("trustpilot") == Reach.NOT_SET_UP
