"""The case state machine on a real store: transitions, refusals, races and response times."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from monitor import triage
from monitor.reports import response
from monitor.slack.app import feedback
from monitor.store import Store
from monitor.store.tables import EventRow
from tests import factories as f
from tests.store.conftest import _pg_store

T0 = f.NOW


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Races are the database's business: SQLite and, when one can be reached
    (BRAND_MONITOR_TEST_PG_URL), PostgreSQL."""
    if request.param == "sqlite":
        s = Store.from_url(f"sqlite:///{tmp_path / 'triage.sqlite'}")
        yield s
        s.close()
    else:
        yield from _pg_store()


def new_case(store: Store, **kw: object) -> int:
    (case_id,) = store.save_batch("x", [f.item(**kw)], None)  # type: ignore[arg-type]
    return case_id


def status(store: Store, case_id: int) -> tuple[str, str | None]:
    case, _ = store.get_case(case_id)  # type: ignore[misc]
    return case.status, case.owner


def test_claim__new_case_is_owned_by_the_clicker(store: Store) -> None:
    cid = new_case(store)
    at = store.case_events(cid)[0].at + timedelta(minutes=1)
    out = triage.claim(store, cid, actor="U1", at=at)
    assert out.changed and feedback(out) is None
    assert status(store, cid) == ("claimed", "U1")
    case, _ = store.get_case(cid)  # type: ignore[misc]
    assert case.claimed_at == at
    ev = store.case_events(cid)[-1]
    assert (ev.actor, ev.action, ev.from_status, ev.to_status) == ("U1", "claimed", "new",
                                                                   "claimed")


def test_claim__double_click_by_the_owner_is_a_silent_no_op(store: Store) -> None:
    cid = new_case(store)
    triage.claim(store, cid, actor="U1")
    again = triage.claim(store, cid, actor="U1")
    assert not again.changed and feedback(again) is None
    assert [e.action for e in store.case_events(cid)].count("claimed") == 1


def test_claim__by_another_agent_is_refused_naming_the_owner(store: Store) -> None:
    cid = new_case(store)
    triage.claim(store, cid, actor="U1")
    out = triage.claim(store, cid, actor="U2")
    assert not out.changed
    assert feedback(out) == "Already claimed by <@U1>."
    assert status(store, cid) == ("claimed", "U1")


def test_claim__two_agents_at_once_resolve_to_one_owner(any_store: Store) -> None:
    store = any_store
    for _ in range(5):
        cid = new_case(store)
        agents = [f"U{i}" for i in range(6)]
        barrier = threading.Barrier(len(agents))
        outcomes: dict[str, triage.Outcome] = {}

        def go(agent: str, cid: int, barrier: threading.Barrier,
               outcomes: dict[str, triage.Outcome]) -> None:
            barrier.wait()
            outcomes[agent] = triage.claim(store, cid, actor=agent)

        threads = [threading.Thread(target=go, args=(a, cid, barrier, outcomes))
                   for a in agents]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        winners = [a for a, o in outcomes.items() if o.changed]
        assert len(winners) == 1
        assert status(store, cid) == ("claimed", winners[0])
        for agent, o in outcomes.items():
            if agent != winners[0]:
                assert feedback(o) == f"Already claimed by <@{winners[0]}>."
        assert [e.action for e in store.case_events(cid)].count("claimed") == 1


def test_handle__on_a_new_case_sets_owner_and_first_response(store: Store) -> None:
    cid = new_case(store)
    out = triage.handle(store, cid, actor="U1", at=T0)
    assert out.changed
    case, _ = store.get_case(cid)  # type: ignore[misc]
    assert (case.status, case.owner, case.handled_at, case.claimed_at) == ("handled", "U1", T0,
                                                                           T0)


def test_handle__of_a_colleagues_claim_moves_ownership_and_keeps_the_trail(store: Store
                                                                           ) -> None:
    cid = new_case(store)
    triage.claim(store, cid, actor="U1")
    assert triage.handle(store, cid, actor="U2").changed
    assert status(store, cid) == ("handled", "U2")
    assert store.case_events(cid)[-1].detail == {"previous_owner": "U1"}


def test_handle__racing_a_claim_is_replanned_from_the_new_state(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    cid = new_case(store)
    t1 = store.case_events(cid)[0].at + timedelta(minutes=1)
    real = store.transition_case
    raced: list[bool] = []

    def claim_sneaks_in(*args: object, **kwargs: object) -> object:
        if not raced:  # U1's claim commits between U2's read and U2's write
            raced.append(True)
            assert triage.claim(store, cid, actor="U1", at=t1).changed
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "transition_case", claim_sneaks_in)
    assert triage.handle(store, cid, actor="U2", at=t1 + timedelta(minutes=5)).changed
    case, _ = store.get_case(cid)  # type: ignore[misc]
    assert (case.status, case.owner, case.claimed_at) == ("handled", "U2", t1)
    assert store.case_events(cid)[-1].detail == {"previous_owner": "U1"}


def test_handle__twice_by_two_agents_tells_the_second_who_did_it(store: Store) -> None:
    cid = new_case(store)
    triage.handle(store, cid, actor="U1")
    out = triage.handle(store, cid, actor="U2")
    assert not out.changed and feedback(out) == "Already handled by <@U1>."
    assert feedback(triage.claim(store, cid, actor="U3")) == "Already handled by <@U1>."


def test_dismiss__then_reopen_returns_the_case_to_the_queue(store: Store) -> None:
    cid = new_case(store)
    triage.claim(store, cid, actor="U1")
    assert triage.dismiss(store, cid, actor="U1").changed
    assert status(store, cid) == ("not_relevant", "U1")
    assert feedback(triage.dismiss(store, cid, actor="U1")) is None  # double click
    out = triage.reopen(store, cid, actor="U2")
    assert out.changed
    case, _ = store.get_case(cid)  # type: ignore[misc]
    assert (case.status, case.owner, case.claimed_at, case.reopened) == ("new", None, None, 1)
    assert feedback(triage.reopen(store, cid, actor="U2")) is None  # double click
    assert triage.claim(store, cid, actor="U2").changed


def test_reopen__of_an_open_case_is_refused(store: Store) -> None:
    cid = new_case(store)
    triage.claim(store, cid, actor="U1")
    out = triage.reopen(store, cid, actor="U2")
    assert not out.changed and feedback(out) == "Already claimed by <@U1>."


def test_relabel__stores_feedback_and_keeps_status_and_channel(store: Store) -> None:
    cid = new_case(store, channel="#care-parcelly")
    triage.claim(store, cid, actor="U1")
    out = triage.relabel(store, cid, actor="U2", label="question")
    assert out.changed
    case, _ = store.get_case(cid)  # type: ignore[misc]
    assert (case.label, case.status, case.owner, case.channel) == ("question", "claimed", "U1",
                                                                   "#care-parcelly")
    feedback = list(store.iter_label_feedback())
    assert feedback == [("my parcelly parcel never arrived", "question", None)]
    assert store.case_events(cid)[-1].detail == {"from": "complaint", "to": "question"}


def test_relabel__to_the_same_or_an_unknown_label_changes_nothing(store: Store) -> None:
    cid = new_case(store)
    assert not triage.relabel(store, cid, actor="U1", label="complaint").changed
    bad = triage.relabel(store, cid, actor="U1", label="spam")
    assert not bad.changed and feedback(bad) and "spam" in feedback(bad)
    assert list(store.iter_label_feedback()) == []


def test_relabel__on_a_closed_case_is_allowed(store: Store) -> None:
    cid = new_case(store)
    triage.handle(store, cid, actor="U1")
    assert triage.relabel(store, cid, actor="U1", label="praise").changed
    assert status(store, cid) == ("handled", "U1")


def test_actions__on_a_missing_case_explain_it(store: Store) -> None:
    out = triage.claim(store, 999, actor="U1")
    assert not out.changed and feedback(out) and "no longer exists" in feedback(out)


def test_first_response_seconds__is_the_first_claim_or_handle(store: Store) -> None:
    cid = new_case(store)
    created = store.case_events(cid)[0].at
    triage.claim(store, cid, actor="U1", at=created + timedelta(minutes=7))
    triage.handle(store, cid, actor="U1", at=created + timedelta(minutes=20))
    triage.reopen(store, cid, actor="U2", at=created + timedelta(minutes=30))
    events = store.case_events(cid)
    assert response.first_response_seconds(events) == 7 * 60
    assert response.resolution_seconds(events) is None  # reopened: open again
    triage.handle(store, cid, actor="U2", at=created + timedelta(minutes=45))
    assert response.resolution_seconds(store.case_events(cid)) == 45 * 60


def test_first_response_seconds__none_until_a_person_acts() -> None:
    events = [EventRow(id=1, case_id=1, actor="system", action="created", at=T0),
              EventRow(id=2, case_id=1, actor="system", action="posted", at=T0),
              EventRow(id=3, case_id=1, actor="U1", action="relabeled",
                       at=T0 + timedelta(minutes=1))]
    assert response.first_response_seconds(events) is None
    events.append(EventRow(id=4, case_id=1, actor="U1", action="handled",
                           at=T0 + timedelta(minutes=3)))
    assert response.first_response_seconds(events) == 180
    assert response.resolution_seconds(events) == 180
