"""Outbox queries: enqueue once by key, lease due rows, record the outcome of each delivery."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from monitor.store.tables import OutboxRow, utcnow

if TYPE_CHECKING:
    from collections.abc import Iterator
    from contextlib import AbstractContextManager

    from sqlalchemy.orm import Session

# Row states: pending -> sending -> sent | pending (retry) | dead.  A row left in "sending" by
# a crash becomes "unknown": Slack may or may not have the message, so it is reconciled against
# the channel (message metadata carries the outbox key) before anything is posted again.
PENDING, SENDING, SENT, DEAD, UNKNOWN = "pending", "sending", "sent", "dead", "unknown"


class OutboxMixin:
    if TYPE_CHECKING:

        def session(self) -> AbstractContextManager[Session]: ...

    @staticmethod
    def _enqueue(
        s: Session,
        *,
        key: str,
        kind: str,
        channel: str,
        payload: dict[str, Any],
        case_id: int | None = None,
        thread_key: str | None = None,
        not_before: datetime | None = None,
    ) -> bool:
        """Queue one Slack call under an idempotency key, inside the caller's transaction;
        False if that key is already queued."""
        if s.scalar(select(OutboxRow.id).where(OutboxRow.key == key)) is not None:
            return False
        s.add(OutboxRow(key=key, kind=kind, case_id=case_id, channel=channel, payload=payload,
                        thread_key=thread_key, status=PENDING,
                        next_attempt_at=not_before or utcnow()))
        return True

    def enqueue(self, **row: Any) -> bool:
        """`_enqueue` in a transaction of its own (same keyword arguments)."""
        with self.session() as s:
            return self._enqueue(s, **row)

    def recover_interrupted(self) -> int:
        """At startup: rows a dead process left in 'sending' may have reached Slack."""
        with self.session() as s:
            res = s.execute(update(OutboxRow).where(OutboxRow.status == SENDING)
                            .values(status=UNKNOWN, next_attempt_at=OutboxRow.created_at))
            return int(res.rowcount or 0)  # type: ignore[attr-defined]

    def lease_due(self, *, limit: int, lease: timedelta, now: datetime | None = None
                  ) -> list[OutboxRow]:
        """Mark up to `limit` due rows as sending (attempts + 1) and return them, oldest first.
        A row whose lease expired while 'sending' is returned as 'unknown' for reconciling."""
        now = now or utcnow()
        with self.session() as s:
            rows = list(s.scalars(
                select(OutboxRow)
                .where(OutboxRow.status.in_((PENDING, UNKNOWN, SENDING)),
                       OutboxRow.next_attempt_at <= now)
                .order_by(OutboxRow.id).limit(limit)
            ))
            reconcile = {r.id for r in rows if r.status in (SENDING, UNKNOWN)}
            for row in rows:
                row.status = SENDING
                row.attempts += 1
                row.next_attempt_at = now + lease
            s.flush()
            for row in rows:
                s.expunge(row)
                if row.id in reconcile:
                    row.status = UNKNOWN  # detached copy only: tells the worker to reconcile
        return rows

    def mark_sent(self, row_id: int, *, channel: str | None, ts: str | None) -> None:
        with self.session() as s:
            s.execute(update(OutboxRow).where(OutboxRow.id == row_id).values(
                status=SENT, sent_at=utcnow(), slack_channel=channel, slack_ts=ts,
                last_error=None))

    def mark_retry(self, row_id: int, *, error: str, at: datetime,
                   refund_attempt: bool = False) -> None:
        """Back to pending, due at `at`. `refund_attempt` for waits that are not failures
        (rate limits, a thread parent not posted yet)."""
        with self.session() as s:
            row = s.get(OutboxRow, row_id)
            if row is None:
                return
            row.status = PENDING
            row.last_error = error
            row.next_attempt_at = at
            if refund_attempt:
                row.attempts = max(0, row.attempts - 1)

    def mark_dead(self, row_id: int, *, error: str) -> None:
        with self.session() as s:
            s.execute(update(OutboxRow).where(OutboxRow.id == row_id).values(
                status=DEAD, last_error=error))

    def outbox_row(self, key: str) -> OutboxRow | None:
        with self.session() as s:
            row = s.scalar(select(OutboxRow).where(OutboxRow.key == key))
            if row is not None:
                s.expunge(row)
            return row

    def outbox_rows(self, *, status: str | None = None) -> Iterator[OutboxRow]:
        with self.session() as s:
            stmt = select(OutboxRow).order_by(OutboxRow.id)
            if status:
                stmt = stmt.where(OutboxRow.status == status)
            rows = list(s.scalars(stmt))
            for r in rows:
                s.expunge(r)
        yield from rows
