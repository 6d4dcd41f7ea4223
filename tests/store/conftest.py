"""Store fixtures: every store test runs on SQLite and, where one can be reached, PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from monitor.store import Store

PG_URL = os.environ.get("BRAND_MONITOR_TEST_PG_URL")


def _pg_store() -> Iterator[Store]:
    if not PG_URL:
        pytest.skip("no PostgreSQL: set BRAND_MONITOR_TEST_PG_URL (.ci/run starts one)")
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"bm_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_URL.rsplit("/", 1)[0] + f"/{name}"
    store = Store.from_url(url)
    try:
        yield store
    finally:
        store.close()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        s = Store.from_url(f"sqlite:///{tmp_path / 'test.sqlite'}")
        yield s
        s.close()
    else:
        yield from _pg_store()
