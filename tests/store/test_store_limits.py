"""Hostile values at the store boundary: cut to fit, never a failed batch (SQLite, PostgreSQL)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from monitor.models import Author, Label
from monitor.store import Store
from monitor.store.tables import CaseRow, MentionRow
from tests import factories as f


def stored_row(store: Store, case_id: int) -> MentionRow:
    with store.session() as s:
        case = s.get(CaseRow, case_id)
        assert case is not None
        row = s.get(MentionRow, case.mention_id)
        assert row is not None
        return row


def test_save_batch__overlong_fields_are_cut_to_their_columns(store: Store) -> None:
    long_id = "https://example.com/feeds/" + "x" * 300
    m = f.mention(
        external_id=long_id, parent_id="p" * 200, lang="en-" + "x" * 40,
        author=Author(handle="h" * 300, name="N" * 600, id="9" * 200, followers=10**12),
    )
    item = f.item(m, brand="b" * 100)
    item = replace(item, match=replace(item.match, rule="r" * 300),
                   classification=replace(item.classification, model="m" * 300),
                   channel="#" + "c" * 200)
    (case_id,) = store.save_batch("rss", [item], "c1")  # was: StringDataRightTruncation (PG)
    row = stored_row(store, case_id)
    assert row.author_handle == "h" * 128 and row.author_name == "N" * 256
    assert row.brand == "b" * 64 and row.rule == "r" * 128 and row.model == "m" * 128
    assert row.lang == ("en-" + "x" * 40)[:16]
    assert row.author_followers == 2**31 - 1
    for value in (row.external_id, row.parent_id, row.author_id):
        assert value is not None and len(value) == 128 and "~" in value  # digested, not cut
    assert row.external_id.startswith("https://example.com/feeds/xxx")
    assert store.get_case(case_id)[0].channel == ("#" + "c" * 200)[:128]  # type: ignore[index]
    assert store.get_cursor("rss") == "c1"


def test_seen_ids__an_overlong_id_still_dedupes_and_stays_distinct(store: Store) -> None:
    a = "tag:example.com,2026:" + "a" * 300
    b = a[:-1] + "b"  # same first 300 characters: cutting would merge the two
    store.save_batch("rss", [f.item(f.mention(source="rss", external_id=a))], None)
    assert store.seen_ids("rss", [a, b]) == {a}
    store.save_batch("rss", [f.item(f.mention(source="rss", external_id=b))], None)
    assert store.seen_ids("rss", [a, b, "other"]) == {a, b}
    assert store.count_mentions() == 2


def test_save_batch__nul_characters_are_dropped_from_text(store: Store) -> None:
    m = f.mention("parcelly\x00 lost it", title="t\x00itle",
                  author=Author(handle="nu\x00l", name="N\x00"))
    (case_id,) = store.save_batch("x", [f.item(m)], None)  # was: ValueError/DataError on PG
    row = stored_row(store, case_id)
    assert (row.text, row.title, row.author_handle, row.author_name) == (
        "parcelly lost it", "title", "nul", "N")


def test_save_batch__an_item_the_database_refuses_is_left_out_and_logged(
        store: Store, caplog: pytest.LogCaptureFixture) -> None:
    good, naive = f.mention(), f.mention()
    naive = replace(naive, created_at=datetime(2026, 11, 1, 12, 0))  # no tzinfo: a connector bug
    later = f.mention()
    refused: list[str] = []
    case_ids = store.save_batch("x", [f.item(good), f.item(naive), f.item(later)], "c9",
                                on_error=lambda i, e: refused.append(i.mention.external_id))
    assert len(case_ids) == 2
    assert refused == [naive.external_id]
    assert store.seen_ids("x", [good.external_id, naive.external_id, later.external_id]) == {
        good.external_id, later.external_id}
    assert store.get_cursor("x") == "c9"
    assert len(list(store.outbox_rows())) == 4  # the refused item queued nothing
    (record,) = [r for r in caplog.records if "not stored" in r.getMessage()]
    assert record.getMessage().startswith(f"x/{naive.external_id} not stored: ")
    assert "naive datetime" in record.getMessage()


def test_save_batch__a_database_failure_mid_batch_stores_nothing(store: Store) -> None:
    store.save_batch("x", [f.item()], "c1")
    calls = {"n": 0}
    dbapi = store.engine.dialect.loaded_dbapi

    def fail_second_insert(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        # the batch's second INSERT, whichever table: a poll is stored in a few multi-row
        # statements (one per table) unless an item is refused
        if statement.startswith("INSERT INTO"):
            calls["n"] += 1
            if calls["n"] == 2:
                raise dbapi.OperationalError("the connection to the database was lost")

    event.listen(store.engine, "before_cursor_execute", fail_second_insert)
    try:
        with pytest.raises(OperationalError):
            store.save_batch("x", [f.item(), f.item(), f.item()], "c2")
    finally:
        event.remove(store.engine, "before_cursor_execute", fail_second_insert)
    assert store.get_cursor("x") == "c1"  # the cursor did not move past the failed batch
    assert store.count_mentions() == 1  # not even the first item of it
    with store.session() as s:
        assert len(list(s.scalars(select(CaseRow.id)))) == 1
    assert len(list(store.outbox_rows())) == 2


def test_save_batch__a_poll_stored_together_keeps_each_case_with_its_own_mention(
        store: Store) -> None:
    items = [f.item(f.mention(f"text number {n}"), channel=None if n % 3 == 0 else f"#c{n}",
                    label=Label.PRAISE if n % 2 else Label.COMPLAINT) for n in range(7)]
    inserts: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("INSERT INTO"):
            inserts.append(statement.split()[2])

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        case_ids = store.save_batch("x", items, "c1")
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
    assert len(inserts) < len(items)  # together, not a statement per row
    assert len(set(case_ids)) == len(items)
    posts = {r.case_id: r for r in store.outbox_rows() if r.kind == "post"}
    for item, case_id in zip(items, case_ids, strict=True):
        view = store.get_case(case_id)
        assert view is not None
        assert view.mention.mention.external_id == item.mention.external_id
        assert view.mention.mention.text == item.mention.text
        assert view.case.label == item.label.value
        assert view.case.channel == item.channel
        assert (case_id in posts) == (item.channel is not None)
        if item.channel:
            assert posts[case_id].channel == item.channel
            assert posts[case_id].payload == {"case_id": case_id}
        (created,) = store.case_events(case_id)
        assert created.action == "created" and created.detail["label"] == item.label.value
    assert len([r for r in store.outbox_rows() if r.kind == "history"]) == len(posts)
