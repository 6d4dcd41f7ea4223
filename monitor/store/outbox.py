"""Outbox queries: enqueue once by key, lease due rows, record the outcome of each delivery."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from monitor.clock import utcnow
from monitor.readmodels import OutboxEntry
from monitor.store.convert import entry_of
from monitor.store.keys import OutboxKind, OutboxStatus
from monitor.store.tables import OutboxRow

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from contextlib import AbstractContextManager

    from sqlalchemy import ColumnElement
    from sqlalchemy.orm import Session

PENDING, SENDING, SENT, DEAD, UNKNOWN = (OutboxStatus.PENDING, OutboxStatus.SENDING,
                                         OutboxStatus.SENT, OutboxStatus.DEAD,
                                         OutboxStatus.UNKNOWN)


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

    def recover_interrupted(self, *, kinds: Iterable[str] | None = None) -> int:
        """At startup: rows a dead process left in 'sending' may have reached Slack.
        `kinds`: only rows of these kinds (each worker recovers its own)."""
        with self.session() as s:
            res = s.execute(update(OutboxRow).where(OutboxRow.status == SENDING, *_of(kinds))
                            .values(status=UNKNOWN, next_attempt_at=OutboxRow.created_at))
            return int(res.rowcount or 0)  # type: ignore[attr-defined]

    def lease_due(self, *, limit: int, lease: timedelta, now: datetime | None = None,
                  kinds: Iterable[str] | None = None) -> list[OutboxEntry]:
        """Mark up to `limit` due rows as sending (attempts + 1) and return them, oldest first.
        A row whose lease expired while 'sending' is returned as 'unknown' for reconciling.
        `kinds`: only rows of these kinds (the Slack and the reply worker lease apart)."""
        now = now or utcnow()
        with self.session() as s:
            rows = list(s.scalars(
                select(OutboxRow)
                .where(OutboxRow.status.in_((PENDING, UNKNOWN, SENDING)),
                       OutboxRow.next_attempt_at <= now, *_of(kinds))
                .order_by(OutboxRow.id).limit(limit)
            ))
            reconcile = {r.id for r in rows if r.status in (SENDING, UNKNOWN)}
            for row in rows:
                row.status = SENDING
                row.attempts += 1
                row.next_attempt_at = now + lease
            s.flush()
            # a row that was in flight before is handed out as "unknown": reconcile it first
            return [entry_of(r, status=UNKNOWN if r.id in reconcile else None) for r in rows]

    def settle_updates(self, case_id: int, *, version: int, channel: str | None,
                       ts: str | None) -> int:
        """Mark the case's still-pending update rows for versions <= `version` as sent: the
        message already shows that state. Rows a worker has leased are left alone (its delivery
        is a harmless re-render); newer versions stay queued. Returns how many were settled."""
        with self.session() as s:
            rows = s.execute(select(OutboxRow.id, OutboxRow.key).where(
                OutboxRow.case_id == case_id, OutboxRow.kind == OutboxKind.UPDATE,
                OutboxRow.status == PENDING)).all()
            done = [rid for rid, key in rows
                    if (v := _version(key)) is not None and v <= version]
            if done:
                s.execute(update(OutboxRow).where(OutboxRow.id.in_(done)).values(
                    status=SENT, sent_at=utcnow(), slack_channel=channel, slack_ts=ts,
                    last_error=None))
            return len(done)

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

    def mark_unknown(self, row_id: int, *, error: str, at: datetime,
                     refund_attempt: bool = False) -> None:
        """Back to 'unknown', due at `at`: the write may have happened (a timeout, a 5xx), so
        the next attempt looks it up before sending again. `refund_attempt` as in mark_retry."""
        with self.session() as s:
            row = s.get(OutboxRow, row_id)
            if row is None:
                return
            row.status = UNKNOWN
            row.last_error = error
            row.next_attempt_at = at
            if refund_attempt:
                row.attempts = max(0, row.attempts - 1)

    def mark_dead(self, row_id: int, *, error: str) -> None:
        with self.session() as s:
            s.execute(update(OutboxRow).where(OutboxRow.id == row_id).values(
                status=DEAD, last_error=error))

    def outbox_row(self, key: str) -> OutboxEntry | None:
        with self.session() as s:
            row = s.scalar(select(OutboxRow).where(OutboxRow.key == key))
            return entry_of(row) if row is not None else None

    def outbox_rows(self, *, status: str | None = None) -> Iterator[OutboxEntry]:
        with self.session() as s:
            stmt = select(OutboxRow).order_by(OutboxRow.id)
            if status:
                stmt = stmt.where(OutboxRow.status == status)
            rows = [entry_of(r) for r in s.scalars(stmt)]
        yield from rows


def _of(kinds: Iterable[str] | None) -> list[ColumnElement[bool]]:
    """The condition "row of one of `kinds`" (none: every kind)."""
    return [] if kinds is None else [OutboxRow.kind.in_(list(kinds))]


def _version(key: str) -> int | None:
    """The case version an update key names ("update:<case>:<version>")."""
    try:
        return int(key.rsplit(":", 1)[1])
    except (IndexError, ValueError):
        return None
