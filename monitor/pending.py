"""What the outbox still owes Slack after a one-shot run (`run --once`, the demo), in one line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from monitor.store.keys import OutboxStatus

if TYPE_CHECKING:
    from monitor.store import Store

WAITING = (OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.UNKNOWN)


@dataclass(frozen=True, slots=True)
class Undelivered:
    waiting: int  # still queued: delivered by the next run
    dead: int  # given up on (shown by `status`)
    last_error: str | None

    def __bool__(self) -> bool:
        return bool(self.waiting or self.dead)

    def message(self) -> str:
        parts = []
        if self.waiting:
            parts.append(f"{self.waiting} Slack message(s) not delivered yet; they stay queued "
                         "and go out on the next run")
        if self.dead:
            parts.append(f"{self.dead} Slack message(s) could not be delivered (see "
                         "`brand-monitor status`)")
        error = f" (last error: {self.last_error})" if self.last_error else ""
        return "; ".join(parts) + error


def undelivered(store: Store) -> Undelivered:
    backlog = store.outbox_backlog()
    waiting = sum(backlog.get(s, 0) for s in WAITING)
    dead = backlog.get(OutboxStatus.DEAD, 0)
    last_error = None
    if waiting or dead:
        # a thread reply only waits for its parent: the parent's error is the one to show
        rows = [e for status in (*WAITING, OutboxStatus.DEAD)
                for e in store.outbox_rows(status=status) if e.last_error]
        rows.sort(key=lambda e: (e.thread_key is None, e.id))
        last_error = rows[-1].last_error if rows else None
    return Undelivered(waiting, dead, last_error)
