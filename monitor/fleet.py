"""Replicas sharing the work: who this process is, and whose turn it is to poll or run a job.

Every replica schedules every source and job; at each check a replica takes the work's lock
(monitor.store.locks: a PostgreSQL advisory lock, or this process's own on SQLite) and does it
only if it is due as the database records it (`source_state.next_poll_at`, a kv row per job).
So the fleet polls each source once per interval and runs each job once per period, whichever
replica gets there first, and a killed replica's lock goes with its session."""

from __future__ import annotations

import functools
import logging
import os
import secrets
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING

from monitor import metrics
from monitor.clock import utcnow

if TYPE_CHECKING:
    from monitor.store import Store

logger = logging.getLogger(__name__)

JOB_KEY = "fleet.job.{}"  # kv row: when the job is next due across the fleet, who ran it last


@functools.cache
def replica_id() -> str:
    """This process's name among the replicas: host-pid-random (a restarted container keeps
    its host name and often its pid; the random part tells two lives apart)."""
    host = socket.gethostname().split(".")[0][:40] or "host"
    return f"{host}-{os.getpid()}-{secrets.token_hex(3)}"


class Turns:
    """Whose turn it is, over one store: `with turns.take(name) as mine:` holds the work's lock
    while the block runs; `mine` is False when another replica (or thread) holds it."""

    def __init__(self, store: Store, *, replica: str,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.store = store
        self.replica = replica
        self.clock = clock

    @contextmanager
    def take(self, name: str, *, kind: str) -> Iterator[bool]:
        with self.store.locks.hold(f"{kind}:{name}") as mine:
            if mine:
                metrics.LEASES.labels(kind).inc()
            try:
                yield mine
            finally:
                if mine:
                    metrics.LEASES.labels(kind).dec()

    def source_due(self, name: str, now: datetime) -> bool:
        """The source's next poll, as the last replica to poll it recorded, has come."""
        state = self.store.source_state(name)
        return state is None or state.next_poll_at is None or state.next_poll_at <= now

    def job_due(self, name: str, now: datetime) -> bool:
        row = self.store.kv_get(JOB_KEY.format(name)) or {}
        due = row.get("next_at")
        return not due or datetime.fromisoformat(str(due)) <= now

    def job_ran(self, name: str, *, next_at: datetime) -> None:
        self.store.kv_set(JOB_KEY.format(name), {"next_at": next_at.isoformat(),
                                                 "by": self.replica})
