"""The store: one-transaction batches, dedupe keys, cursors, cases, audit events, migrations."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError

from monitor.models import Label
from monitor.store import Store, migrate
from monitor.store.tables import Base, utcnow
from tests import factories as f


def test_migrations__match_the_tables(store: Store) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    assert migrate.current_revision(store.engine) == migrate.head_revision()


def test_save_batch__writes_mention_case_event_outbox_and_cursor_together(store: Store) -> None:
    items = [f.item(), f.item(label=Label.OTHER)]
    case_ids = store.save_batch("x", items, "cursor-1")
    assert len(case_ids) == 2
    assert store.get_cursor("x") == "cursor-1"
    case, mention = store.get_case(case_ids[0])  # type: ignore[misc]
    assert case.status == "new" and case.channel == "#social-care"
    assert mention.mention.created_at.tzinfo is not None
    ignored, _ = store.get_case(case_ids[1])  # type: ignore[misc]
    assert ignored.status == "ignored" and ignored.channel is None
    keys = [r.key for r in store.outbox_rows()]
    assert keys == [f"post:{case_ids[0]}", f"history:{case_ids[0]}"]  # nothing for "other"
    assert [e.action for e in store.case_events(case_ids[0])] == ["created"]


def test_save_batch__duplicate_mention_is_left_out_and_the_rest_saved(store: Store) -> None:
    # (was: the duplicate rolled back the whole batch and held the cursor, so one item the
    # database refused stopped the source on every poll)
    m = f.mention()
    store.save_batch("x", [f.item(m)], "c1")
    refused: list[tuple[str, Exception]] = []
    case_ids = store.save_batch("x", [f.item(f.mention()), f.item(m)], "c2",
                                on_error=lambda i, e: refused.append((i.mention.external_id, e)))
    assert len(case_ids) == 1
    assert [(ext_id, type(e)) for ext_id, e in refused] == [(m.external_id, IntegrityError)]
    assert store.get_cursor("x") == "c2"
    assert store.count_mentions() == 2
    assert len(list(store.outbox_rows())) == 4  # nothing of the refused duplicate
    assert store.source_states()[0].stored_total == 2


def test_seen_ids__finds_stored_ids_per_source(store: Store) -> None:
    a, b = f.mention(), f.mention(source="reddit")
    store.save_batch("x", [f.item(a), f.item(b)], None)
    assert store.seen_ids("x", [a.external_id, "nope"]) == {a.external_id}
    assert store.seen_ids("x", [b.external_id]) == set()  # same id, other source


def test_transition__two_agents_claiming_at_once_get_one_owner(store: Store) -> None:
    (case_id,) = store.save_batch("x", [f.item()], None)
    won: dict[str, bool] = {}
    barrier = threading.Barrier(2)

    def claim(user: str) -> None:
        barrier.wait()
        won[user] = store.transition(case_id, actor=user, action="claimed",
                                     to_status="claimed", allowed_from={"new"},
                                     values={"owner": user, "claimed_at": utcnow()})

    threads = [threading.Thread(target=claim, args=(u,)) for u in ("U1", "U2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(won.values()) == [False, True]
    case, _ = store.get_case(case_id)  # type: ignore[misc]
    winner = next(user for user, ok in won.items() if ok)  # (was: read off the finish order)
    assert case.owner == winner and case.status == "claimed"
    events = store.case_events(case_id)
    assert [e.action for e in events] == ["created", "claimed"]
    assert events[-1].actor == case.owner
    assert sum(1 for r in store.outbox_rows() if r.kind == "update") == 1


def test_transition__not_allowed_from_state_changes_nothing(store: Store) -> None:
    (case_id,) = store.save_batch("x", [f.item()], None)
    assert not store.transition(case_id, actor="U1", action="handled", to_status="handled",
                                allowed_from={"claimed"})
    assert store.get_case(case_id)[0].status == "new"  # type: ignore[index]
    assert [e.action for e in store.case_events(case_id)] == ["created"]


def test_author_history__same_author_same_source_before_this_mention(store: Store) -> None:
    old = f.mention(handle="sam", created_at=f.NOW - timedelta(days=3))
    older = f.mention(handle="sam", created_at=f.NOW - timedelta(days=40))
    now = f.mention(handle="sam", created_at=f.NOW)
    later = f.mention(handle="sam", created_at=f.NOW + timedelta(hours=1))
    other = f.mention(handle="kim", created_at=f.NOW - timedelta(days=1))
    store.save_batch("x", [f.item(m) for m in (old, older, now, later, other)], None)
    pairs = store.author_history(source="x", handle="sam", since=f.NOW - timedelta(days=30),
                                 before=now.created_at)
    assert [v.mention.mention.external_id for v in pairs] == [old.external_id]


def test_outbox__lease_then_interrupted_rows_come_back_for_reconciling(store: Store) -> None:
    store.save_batch("x", [f.item()], None)
    leased = store.lease_due(limit=10, lease=timedelta(minutes=5), owner="a")
    assert [r.status for r in leased] == ["sending", "sending"]
    assert [r.lease_owner for r in leased] == ["a", "a"]
    assert store.lease_due(limit=10, lease=timedelta(minutes=5)) == []  # leased, not due
    if store.engine.dialect.name == "sqlite":  # one process per file: a restart finds them
        assert store.recover_interrupted() == 2
    else:  # another replica may be posting them right now: only an expired lease is taken
        assert store.recover_interrupted() == 0
        assert store.recover_interrupted(now=utcnow() + timedelta(minutes=6)) == 2
    again = store.lease_due(limit=10, lease=timedelta(minutes=5), owner="b")
    assert [r.status for r in again] == ["unknown", "unknown"]
    assert [r.attempts for r in again] == [2, 2]
    assert [r.lease_owner for r in again] == ["b", "b"]


def test_recover_interrupted__postgres_leaves_a_live_replicas_rows_alone(store: Store) -> None:
    if store.engine.dialect.name == "sqlite":
        pytest.skip("SQLite is one process: every row in flight at startup is a dead one's")
    store.save_batch("x", [f.item()], None)
    now = utcnow()
    store.lease_due(limit=10, lease=timedelta(seconds=60), owner="alive", now=now)
    assert store.recover_interrupted(now=now + timedelta(seconds=30)) == 0  # a replica starts
    assert {r.status for r in store.outbox_rows()} == {"sending"}
    assert store.lease_due(limit=10, lease=timedelta(seconds=60), owner="new",
                           now=now + timedelta(seconds=30)) == []
    taken = store.lease_due(limit=10, lease=timedelta(seconds=60), owner="new",
                            now=now + timedelta(seconds=61))  # "alive" was killed
    assert [(r.status, r.lease_owner) for r in taken] == [("unknown", "new")] * 2


def test_renew_lease__only_the_owner_renews_and_not_after_a_takeover(store: Store) -> None:
    store.save_batch("x", [f.item()], None)
    now = utcnow()
    row = store.lease_due(limit=1, lease=timedelta(seconds=10), owner="a", now=now)[0]
    assert store.renew_lease(row.id, owner="a", until=now + timedelta(seconds=20))
    assert not store.renew_lease(row.id, owner="b", until=now + timedelta(seconds=20))
    store.lease_due(limit=1, lease=timedelta(seconds=10), owner="b",
                    now=now + timedelta(seconds=21))  # a's lease ran out: b took it over
    assert not store.renew_lease(row.id, owner="a", until=now + timedelta(seconds=40))
    assert store.outbox_row(row.key).lease_owner == "b"  # type: ignore[union-attr]


def test_enqueue__same_key_twice_is_one_row(store: Store) -> None:
    assert store.enqueue(key="digest:2026-w47", kind="raw", channel="#m", payload={"text": "x"})
    assert not store.enqueue(key="digest:2026-w47", kind="raw", channel="#m",
                             payload={"text": "y"})
    assert len(list(store.outbox_rows())) == 1


def test_label_feedback__is_stored_and_listed(store: Store) -> None:
    (case_id,) = store.save_batch("appstore", [f.item(f.mention(rating=2, title="Meh"))], None)
    store.add_label_feedback(case_id, actor="U1", new_label="question")
    assert list(store.iter_label_feedback()) == [
        ("Meh\nmy parcelly parcel never arrived", "question", 2)]


def test_record_poll__counts_failures_and_clears_on_success(store: Store) -> None:
    store.record_poll("reddit", error="boom", next_poll_at=utcnow())
    store.record_poll("reddit", error="boom again")
    (state,) = store.source_states()
    assert state.failures == 2 and state.last_error == "boom again"
    store.record_poll("reddit")
    (state,) = store.source_states()
    assert state.failures == 0 and state.last_error is None and state.last_success_at


def test_kv__a_key_another_replica_inserts_meanwhile_is_updated(store: Store) -> None:
    """Two replicas writing a new key at once: the one whose insert loses updates instead."""
    if store.engine.dialect.name != "postgresql":
        pytest.skip("SQLite takes one writer at a time: the race needs two")
    other = Store.from_url(store.engine.url.render_as_string(hide_password=False))
    try:
        # between this store's read (no row yet) and its insert, the other one inserts
        event.listen(store._sessions, "before_flush",
                     lambda *_: other.kv_set("slack.delivery", {"by": "other"}), once=True)
        store.kv_set("slack.delivery", {"by": "this"})
    finally:
        other.close()
    assert store.kv_get("slack.delivery") == {"by": "this"}


def test_kv__round_trips(store: Store) -> None:
    store.kv_set("rules.status", {"brands": 3, "at": utcnow()})
    assert store.kv_get("rules.status")["brands"] == 3  # type: ignore[index]
    assert store.kv_get("missing") is None
