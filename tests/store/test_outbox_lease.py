"""Replicas on PostgreSQL never lease the same outbox row (FOR UPDATE SKIP LOCKED)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

from monitor.readmodels import OutboxEntry
from monitor.store import Store
from tests import factories as f
from tests.store.conftest import _pg_store


@pytest.fixture
def pg(request: pytest.FixtureRequest) -> Iterator[Store]:
    yield from _pg_store()


@pytest.mark.postgres
def test_lease_due__two_replicas_never_lease_the_same_row(pg: Store) -> None:
    pg.save_batch("x", [f.item(), f.item()], None)
    other = Store.from_url(pg.engine.url.render_as_string(hide_password=False),
                           migrate_schema=False)
    selected, release = threading.Event(), threading.Event()

    def hold(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # replica A stops between reading the due rows and marking them as its own
        if statement.lstrip().startswith("SELECT") and "FROM outbox" in statement \
                and not selected.is_set():
            selected.set()
            release.wait(10)

    event.listen(pg.engine, "after_cursor_execute", hold)
    first: list[OutboxEntry] = []
    replica_a = threading.Thread(
        target=lambda: first.extend(pg.lease_due(limit=10, lease=timedelta(minutes=5))))
    try:
        replica_a.start()
        assert selected.wait(10)
        second = other.lease_due(limit=10, lease=timedelta(minutes=5))  # replica B
    finally:
        release.set()
        replica_a.join(10)
        event.remove(pg.engine, "after_cursor_execute", hold)
        other.close()
    assert len(first) == 4  # two posts and their thread replies
    assert not {r.key for r in first} & {r.key for r in second}
