"""Replicas take turns: one poller per source, one run per job period, the database's failure
seen as a failure; migrations and a second SQLite daemon."""

from __future__ import annotations

import threading
import time as _time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import create_engine, text

from monitor.daemon import Daemon
from monitor.errors import StoreError
from monitor.jobs import Job
from monitor.store import Store
from monitor.store.locks import SingleProcess, lock_key
from tests.clirun import run_cli
from tests.store.conftest import PG_URL, _pg_store
from tests.test_daemon import Clock, ScriptedConnector, batch, daemon_for, make_app, rules_dir

REAL_SLEEP = _time.sleep  # captured before the autouse fixture makes sleep instant
__all__ = ["make_app", "rules_dir"]  # fixtures shared with tests/test_daemon.py


@pytest.fixture
def pg() -> Iterator[Store]:
    yield from _pg_store()


def replica(app: Any, store: Store, clock: Clock, name: str, jobs: list[Job] = ()) -> Daemon:
    return Daemon(connectors=app.connectors, pipeline=app.pipeline, rules=app.rules,
                  store=store, outbox=app.outbox, clock=clock, replica=name, jobs=jobs)


def test_poll_if_due__a_source_polled_by_one_replica_is_not_polled_again_by_another(
        make_app: Any) -> None:
    conn = ScriptedConnector([batch("acme broke", cursor="c1")])
    app = make_app(s=conn)
    clock = Clock()
    a, b = replica(app, app.store, clock, "a"), replica(app, app.store, clock, "b")
    assert a.poll_if_due("s") is not None
    assert b.poll_if_due("s") is None  # polled a moment ago by "a": not due
    assert conn.polls == [None]
    clock.now += timedelta(seconds=60)  # one interval after a's poll began
    assert b.poll_if_due("s") is not None
    assert conn.polls == [None, "c1"]
    assert app.store.source_state("s").polled_by == "b"  # type: ignore[union-attr]


def test_job_if_due__runs_once_per_period_whichever_replica_checks(make_app: Any) -> None:
    app = make_app()
    clock = Clock()
    runs: list[str] = []
    job = Job("reminders", lambda: runs.append("run"), 60)
    a, b = replica(app, app.store, clock, "a"), replica(app, app.store, clock, "b")
    for _ in range(3):
        a.job_if_due(job)
        b.job_if_due(job)
    assert runs == ["run"]
    clock.now += timedelta(seconds=61)
    b.job_if_due(job)
    a.job_if_due(job)
    assert runs == ["run", "run"]


def test_poll_if_due__an_unreachable_database_is_a_failed_poll(make_app: Any,
                                                              tmp_path: Path) -> None:
    conn = ScriptedConnector([])
    app = make_app(s=conn)
    clock = Clock()
    daemon = daemon_for(app, clock=clock)
    daemon.store = daemon.turns.store = Store.from_url(  # the database is gone
        f"sqlite:///{tmp_path / 'gone' / 'x.sqlite'}", migrate_schema=False)
    (tmp_path / "gone").rmdir()
    from monitor import metrics

    metrics.SOURCE_UP.labels("s").set(1)
    before = REGISTRY.get_sample_value("brand_monitor_errors_total", {"where": "source:s"}) or 0
    assert daemon.poll_if_due("s") is None  # was: the exception escaped, source_up stayed 1
    assert REGISTRY.get_sample_value("brand_monitor_source_up", {"source": "s"}) == 0
    metrics.SOURCE_UP.labels("s").set(1)
    clock.now += timedelta(hours=2)  # past the backoff
    assert daemon.poll_source("s") is None  # the same, polled directly (run --once)
    assert REGISTRY.get_sample_value("brand_monitor_source_up", {"source": "s"}) == 0
    assert REGISTRY.get_sample_value("brand_monitor_errors_total",
                                     {"where": "source:s"}) == before + 2
    assert conn.polls == []  # nothing was fetched that could not be stored


@pytest.mark.postgres
def test_locks__a_source_lock_is_one_replicas_until_released_or_its_session_ends(
        pg: Store) -> None:
    url = pg.engine.url.render_as_string(hide_password=False)
    other = Store.from_url(url, migrate_schema=False)
    try:
        with pg.locks.hold("source:x") as mine:
            assert mine
            with other.locks.hold("source:x") as theirs:
                assert not theirs
            with other.locks.hold("source:y") as theirs:
                assert theirs  # another source is free
        with other.locks.hold("source:x") as theirs:
            assert theirs
        holder = pg.engine.connect()  # a replica killed while it holds the lock
        holder.execute(text("SELECT pg_advisory_lock(:k)"), {"k": lock_key("source:x")})
        with other.locks.hold("source:x") as theirs:
            assert not theirs
        holder.invalidate()  # its session ends: the server drops the lock with it
        holder.close()
        free, deadline = False, _time.monotonic() + 10
        while not free and _time.monotonic() < deadline:  # once the backend has seen the EOF
            with other.locks.hold("source:x") as theirs:
                free = theirs
            REAL_SLEEP(0.05)
        assert free
    finally:
        other.close()


@pytest.mark.postgres
def test_upgrade__replicas_starting_together_migrate_one_after_the_other() -> None:
    stores = list(_pg_store_unmigrated())
    errors: list[Exception] = []
    barrier = threading.Barrier(len(stores))

    def start(store: Store) -> None:
        barrier.wait()
        try:
            store.upgrade()
        except Exception as e:  # the test reports it
            errors.append(e)

    threads = [threading.Thread(target=start, args=(s,)) for s in stores]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert errors == []  # was: DuplicateTable / UniqueViolation on alembic_version
        assert stores[0].count_mentions() == 0
    finally:
        _drop(stores)


def _pg_store_unmigrated() -> Iterator[Store]:
    import uuid

    if not PG_URL:
        pytest.skip("no PostgreSQL: set BRAND_MONITOR_TEST_PG_URL (.ci/run starts one)")
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"bm_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = PG_URL.rsplit("/", 1)[0] + f"/{name}"
    for _ in range(3):
        yield Store.from_url(url, migrate_schema=False)


def _drop(stores: list[Store]) -> None:
    name = stores[0].engine.url.database
    for s in stores:
        s.close()
    admin = create_engine(PG_URL or "", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_single_process__a_second_daemon_on_one_sqlite_file_is_refused(tmp_path: Path
                                                                       ) -> None:
    db = tmp_path / "data" / "brand-monitor.sqlite"
    first = SingleProcess(db)
    first.acquire()
    try:
        with pytest.raises(StoreError, match=r"another brand-monitor .* is running"):
            SingleProcess(db).acquire()
        cfg = tmp_path / "config.yaml"
        cfg.write_text(f"data_dir: {tmp_path / 'data'}\nsources: {{sample: {{enabled: true}}}}\n")
        res = run_cli("run", "--once", "--config", str(cfg), cwd=tmp_path, timeout=120)
        assert res.returncode == 1
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 1 and "SQLite serves one process" in lines[0], res.stderr
        assert "set database_url to PostgreSQL" in lines[0]
        status = run_cli("status", "--config", str(cfg), cwd=tmp_path, timeout=120)
        assert "another brand-monitor" not in status.stdout + status.stderr  # reads still work
    finally:
        first.release()
    again = SingleProcess(db)
    again.acquire()  # released: the next daemon may start
    again.release()
