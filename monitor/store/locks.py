"""Who may do a piece of work now: PostgreSQL advisory locks across replicas, one SQLite daemon.

On PostgreSQL a named lock is a session advisory lock (`pg_try_advisory_lock`) held on a
connection of its own for as long as the work runs: a replica killed mid-poll loses its session,
and with it the lock, the moment the server sees the socket close, so another replica can take
the work over at its next check without waiting for a lease to run out. On SQLite one process
owns the database file (`SingleProcess`), so a lock in this process is enough."""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from monitor.errors import StoreError

logger = logging.getLogger(__name__)

MIGRATE_LOCK = "migrate"


def lock_key(name: str) -> int:
    """The 64-bit advisory lock id of `name`: the same in every replica and every release."""
    digest = hashlib.sha256(f"brand-monitor:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def lock_in_transaction(conn: Connection, name: str) -> None:
    """Wait for the transaction-scoped lock `name` (PostgreSQL; a no-op elsewhere): released
    when `conn`'s transaction ends. Replicas starting together migrate one after the other."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_key(name)})


class Locks:
    """Named, non-blocking locks over one database: `with locks.hold(name) as mine:` runs the
    block whether or not the lock was free; `mine` says which."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._local: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    @property
    def shared(self) -> bool:
        """True when the locks are shared with other processes (PostgreSQL)."""
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def hold(self, name: str) -> Iterator[bool]:
        with self._guard:
            local = self._local.setdefault(name, threading.Lock())
        if not local.acquire(blocking=False):  # this process is at it already
            yield False
            return
        try:
            if not self.shared:
                yield True
                return
            with self._advisory(name) as mine:
                yield mine
        finally:
            local.release()

    @contextmanager
    def _advisory(self, name: str) -> Iterator[bool]:
        key = lock_key(name)
        conn = self.engine.connect()
        try:
            mine = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"),
                                     {"k": key}).scalar())
            conn.commit()  # the lock outlives the transaction: no session idle in one
        except Exception:
            conn.invalidate()
            conn.close()
            raise
        try:
            yield mine
        finally:
            if mine:
                try:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                    conn.commit()
                except Exception:  # the session is gone, and the lock with it; never reuse it
                    logger.warning("could not release lock %s; dropping its connection", name)
                    conn.invalidate()
            conn.close()


class SingleProcess:
    """The daemon's claim on a SQLite database file: an exclusive `flock` on `<file>.lock`,
    released by the kernel when the process ends, however it ends. A second daemon on the same
    file is refused with one line; read-only commands (`status`, `report`) never take it."""

    def __init__(self, database: Path) -> None:
        self.path = database.with_name(database.name + ".lock")
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        f = self.path.open("a+")
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "?"
            f.close()
            raise StoreError(
                f"another brand-monitor (pid {holder}) is running on "
                f"{self.path.with_suffix('')}; SQLite serves one process: stop that one, or "
                "set database_url to PostgreSQL to run several replicas") from None
        f.seek(0)
        f.truncate()
        f.write(str(os.getpid()))
        f.flush()
        self._file = f

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing the file drops the flock
            self._file = None
