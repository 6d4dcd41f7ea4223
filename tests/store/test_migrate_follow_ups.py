"""Revision 0004 (follow-ups): existing cases carry over; an interrupted upgrade leaves 0003."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import event, inspect, text

from monitor.store import Store, migrate
from monitor.store.db import write_transaction


def at_0003(tmp_path: Path) -> Store:
    """A database migrated to 0003 holding one answered case, as #16 and #12 left it."""
    store = Store.from_url(f"sqlite:///{tmp_path / 'db.sqlite'}", migrate_schema=False)
    cfg = migrate.alembic_config(store.engine.url.render_as_string(hide_password=False))
    with write_transaction(store.engine) as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0003")
    with store.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO mentions (id, source, external_id, kind, text, is_retweet, is_quote, "
            "author_handle, author_verified, extra, created_at, fetched_at, label, confidence, "
            "uncertain, reasons, scores, model, priority, priority_reasons, matched_terms) "
            "VALUES (1, 'x', '1860000000000000001', 'post', 'parcel never came', 0, 0, "
            "'pat_q', 0, '{}', '2026-11-20 10:00:00', '2026-11-20 10:01:00', 'complaint', 0.9, "
            "0, '[]', '{}', '', 1, '[]', '[]')"))
        conn.execute(text(
            "INSERT INTO cases (id, mention_id, status, label, priority, created_at, "
            "updated_at, reminders, reopened, version, reply_state, reply_attempt, "
            "replied_at, reply_platform_id) VALUES (1, 1, 'handled', 'complaint', 1, "
            "'2026-11-20 10:01:00', '2026-11-20 11:00:00', 0, 0, 4, 'replied', 1, "
            "'2026-11-20 10:30:00', '1870000000000000001')"))
    return store


def test_upgrade_0004__existing_cases_keep_their_data_and_have_no_answers_yet(
        tmp_path: Path) -> None:
    store = at_0003(tmp_path)
    assert store.upgrade() == ("0003", migrate.head_revision())
    view = store.get_case(1)
    assert view is not None
    case = view.case
    assert (case.status, case.reply_state, case.reply_platform_id, case.version) == \
        ("handled", "replied", "1870000000000000001", 4)
    assert (case.follow_ups, case.follow_up_at, case.follow_up_signal) == (0, None, None)
    assert store.case_follow_ups(1) == []
    store.close()


def test_upgrade_0004__interrupted_leaves_the_database_at_0003_and_a_rerun_finishes(
        tmp_path: Path) -> None:
    store = at_0003(tmp_path)

    def interrupt(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().upper().startswith("CREATE INDEX IX_FOLLOW_UPS_CASE"):
            raise RuntimeError("killed")  # after follow_ups was created, before cases changed

    event.listen(store.engine, "before_cursor_execute", interrupt)
    with pytest.raises(RuntimeError, match="killed"):
        store.upgrade()
    event.remove(store.engine, "before_cursor_execute", interrupt)
    assert migrate.current_revision(store.engine) == "0003"
    names = inspect(store.engine).get_table_names()
    assert "follow_ups" not in names
    assert "follow_ups" not in {c["name"] for c in inspect(store.engine).get_columns("cases")}
    store.upgrade()
    assert migrate.current_revision(store.engine) == migrate.head_revision()
    assert store.get_case(1).case.follow_ups == 0  # type: ignore[union-attr]
    store.close()
