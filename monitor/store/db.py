"""Engine creation: SQLite (WAL, busy timeout, foreign keys) by default, PostgreSQL by URL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError

from monitor.errors import ConfigError

BACKENDS = ("sqlite", "postgresql")


CONNECT_TIMEOUT = 10  # seconds: an unreachable PostgreSQL is reported, not waited for


def make_engine(url: str, *, application_name: str | None = None) -> Engine:
    """An engine for `url`. `application_name` names this process's PostgreSQL sessions
    (pg_stat_activity shows which replica holds what; `Store.replicas` counts them)."""
    try:
        parsed = make_url(url)
    except ArgumentError as e:
        raise ConfigError(f"not a database URL ({e})", key="database_url") from e
    if parsed.drivername == "postgres":  # the Heroku-style spelling SQLAlchemy dropped
        parsed = parsed.set(drivername="postgresql")
    backend = parsed.get_backend_name()
    if backend not in BACKENDS:  # never echo the URL: it may hold a password
        raise ConfigError(f"unsupported database {backend!r}; use sqlite:///PATH or "
                          "postgresql://USER@HOST/NAME", key="database_url")
    if backend == "sqlite":
        db = parsed.database
        if db and db != ":memory:":
            folder = Path(db).expanduser().parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise ConfigError(f"cannot create the folder of the SQLite file {folder} "
                                  f"({e.strerror})", key="database_url") from e
        engine = create_engine(parsed, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    args: dict[str, Any] = {}
    if "connect_timeout" not in parsed.query:  # the URL's own wins
        args["connect_timeout"] = CONNECT_TIMEOUT
    if application_name:
        args["application_name"] = application_name[:63]  # PostgreSQL's NAMEDATALEN - 1
    return create_engine(parsed, pool_pre_ping=True, connect_args=args)


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection in ONE transaction, committed when the block ends, rolled back if it
    raises. On SQLite the BEGIN is ours (IMMEDIATE: the write lock up front): the sqlite3
    driver would otherwise begin only at the first INSERT/UPDATE, so CREATE TABLE and
    SAVEPOINT before it would run (and commit) outside the transaction."""
    with engine.connect() as conn, conn.begin():
        begin_now(conn)
        yield conn


def begin_now(conn: Connection) -> None:
    """Begin the database transaction before anything else runs on `conn` (see
    `write_transaction`); a no-op where the driver already does (PostgreSQL)."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()
