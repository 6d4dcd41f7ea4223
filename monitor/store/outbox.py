"""Outbox queries: enqueue once by key, lease due rows, record the outcome of each delivery."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select, update

from monitor.clock import utcnow
from monitor.readmodels import OutboxEntry
from monitor.store.cases import record_slack_message
from monitor.store.convert import entry_of
from monitor.store.keys import OutboxKind, OutboxStatus
from monitor.store.tables import OutboxRow

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence
    from contextlib import AbstractContextManager

    from sqlalchemy import ColumnElement
    from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)

PENDING, SENDING, SENT, DEAD, UNKNOWN = (OutboxStatus.PENDING, OutboxStatus.SENDING,
                                         OutboxStatus.SENT, OutboxStatus.DEAD,
                                         OutboxStatus.UNKNOWN)


def new_outbox_row(*, key: str, kind: str, channel: str, payload: dict[str, Any],
                   case_id: int | None = None, thread_key: str | None = None,
                   not_before: datetime | None = None) -> OutboxRow:
    """A pending Slack call under its idempotency key, not yet added anywhere."""
    return OutboxRow(key=key, kind=kind, case_id=case_id, channel=channel, payload=payload,
                     thread_key=thread_key, status=PENDING,
                     next_attempt_at=not_before or utcnow())


@dataclass
class Requeued:
    """What `requeue` did: keys queued again, keys left alone (with their status), keys that
    name no row."""

    queued: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)


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
        s.add(new_outbox_row(key=key, kind=kind, case_id=case_id, channel=channel,
                             payload=payload, thread_key=thread_key, not_before=not_before))
        return True

    def enqueue(self, **row: Any) -> bool:
        """`_enqueue` in a transaction of its own (same keyword arguments)."""
        with self.session() as s:
            return self._enqueue(s, **row)

    def recover_interrupted(self, *, kinds: Iterable[str] | None = None,
                            now: datetime | None = None) -> int:
        """At startup: rows a dead process left in 'sending' may have reached Slack; they become
        'unknown' and due now, to be looked up before any resend. On SQLite one process owns
        the database (monitor.store.locks.SingleProcess), so every such row is a dead one's. On
        PostgreSQL another replica may be posting its rows right now: only rows whose lease
        has run out are taken over. `kinds`: only rows of these kinds (each worker recovers
        its own)."""
        now = now or utcnow()
        with self.session() as s:
            stmt = update(OutboxRow).where(OutboxRow.status == SENDING, *_of(kinds))
            if s.get_bind().dialect.name != "sqlite":
                stmt = stmt.where(OutboxRow.next_attempt_at <= now)
            res = s.execute(stmt.values(status=UNKNOWN, next_attempt_at=OutboxRow.created_at))
            return int(res.rowcount or 0)  # type: ignore[attr-defined]

    def lease_due(self, *, limit: int, lease: timedelta, now: datetime | None = None,
                  kinds: Iterable[str] | None = None, owner: str | None = None
                  ) -> list[OutboxEntry]:
        """Mark up to `limit` due rows as sending (attempts + 1), leased to `owner` until
        now + `lease`, and return them, oldest first. A row that was in flight before (a crash,
        an expired lease, a reply that never came) is handed out as 'unknown': look it up
        before sending it again. Rows another replica is leasing right now are skipped
        (FOR UPDATE SKIP LOCKED on PostgreSQL), and so are rows whose lease has not run out.
        `kinds`: only rows of these kinds (the Slack and the reply worker lease apart)."""
        now = now or utcnow()
        with self.session() as s:
            rows = list(s.scalars(
                select(OutboxRow)
                .where(OutboxRow.status.in_((PENDING, UNKNOWN, SENDING)),
                       OutboxRow.next_attempt_at <= now, *_of(kinds))
                .order_by(OutboxRow.id).limit(limit)
                .with_for_update(skip_locked=True)
            ))
            reconcile = {r.id for r in rows if r.status in (SENDING, UNKNOWN)}
            for row in rows:
                if row.status == SENDING and row.lease_owner != owner:
                    logger.warning("outbox: taking over %s from %s, whose lease ran out",
                                   row.key, row.lease_owner or "a process that stopped",
                                   extra={"outbox_key": row.key, "replica": owner})
                row.status = SENDING
                row.attempts += 1
                row.next_attempt_at = now + lease
                row.lease_owner = owner
                # the lookup window opens at the first attempt that may have reached Slack
                # (a row in flight before attempted_at existed: from when it was queued)
                row.attempted_at = row.attempted_at or (
                    row.created_at if row.id in reconcile else now)
            s.flush()
            return [entry_of(r, status=UNKNOWN if r.id in reconcile else None) for r in rows]

    def renew_lease(self, row_id: int, *, owner: str | None, until: datetime) -> bool:
        """Extend `owner`'s lease on a row it is about to deliver; False if the row is no longer
        its own (its lease ran out and another replica took it over): then it must not call out
        for it. Called right before each external call, so a lease only has to outlast one."""
        holder = OutboxRow.lease_owner.is_(None) if owner is None \
            else OutboxRow.lease_owner == owner
        with self.session() as s:
            res = s.execute(update(OutboxRow).where(
                OutboxRow.id == row_id, OutboxRow.status == SENDING, holder)
                .values(next_attempt_at=until))
            return bool(res.rowcount)  # type: ignore[attr-defined]

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
                    last_error=None, attempted_at=None))
            return len(done)

    def mark_sent(self, row_id: int, *, channel: str | None, ts: str | None,
                  case_id: int | None = None) -> None:
        """The row is delivered. `case_id`: the row posted that case's message, whose channel
        and ts are recorded in the same transaction (a crash cannot leave one without the
        other: the case's later updates need the ts)."""
        with self.session() as s:
            s.execute(update(OutboxRow).where(OutboxRow.id == row_id).values(
                status=SENT, sent_at=utcnow(), slack_channel=channel, slack_ts=ts,
                last_error=None, attempted_at=None))
            if case_id is not None and channel and ts:
                record_slack_message(s, case_id, channel=channel, ts=ts)

    def mark_retry(self, row_id: int, *, error: str, at: datetime, maybe_sent: bool,
                   refund_attempt: bool = False) -> None:
        """Due again at `at`: 'unknown' if an attempt may have reached Slack and no lookup has
        said otherwise since (`maybe_sent`), so the next attempt looks before it sends; else
        'pending'. `refund_attempt` for waits that are not failures (rate limits, a thread
        parent not posted yet)."""
        with self.session() as s:
            row = s.get(OutboxRow, row_id)
            if row is None:
                return
            row.status = UNKNOWN if maybe_sent else PENDING
            row.last_error = error
            row.next_attempt_at = at
            if not maybe_sent:
                row.attempted_at = None
            if refund_attempt:
                row.attempts = max(0, row.attempts - 1)

    def mark_dead(self, row_id: int, *, error: str, maybe_sent: bool) -> None:
        """Given up. `maybe_sent` is remembered (as attempted_at) so a retry looks first."""
        values: dict[str, Any] = {"status": DEAD, "last_error": error}
        if not maybe_sent:
            values["attempted_at"] = None
        with self.session() as s:
            s.execute(update(OutboxRow).where(OutboxRow.id == row_id).values(**values))

    def note_upload(self, row_id: int, *, file_id: str, permalink: str) -> None:
        """Remember the file an upload row uploaded (not shared yet), so a retry of the
        message that shares it does not upload it again."""
        with self.session() as s:
            row = s.get(OutboxRow, row_id)
            if row is not None:
                row.payload = {**(row.payload or {}), "file_id": file_id,
                               "permalink": permalink}

    def requeue(self, *, keys: Sequence[str] = (), dead: bool = False,
                now: datetime | None = None) -> Requeued:
        """Queue rows again, due now, with their attempts reset: the dead ones (`dead`) and
        those named by `keys`, with the dead thread replies under them. A row that may have
        reached Slack comes back 'unknown' (looked up before it is sent); sent rows and rows
        in flight are left alone."""
        now = now or utcnow()
        done = Requeued()
        with self.session() as s:
            wanted = or_(OutboxRow.key.in_(list(keys)),
                         (OutboxRow.thread_key.in_(list(keys))) & (OutboxRow.status == DEAD))
            if dead:
                wanted = or_(wanted, OutboxRow.status == DEAD)
            rows = list(s.scalars(select(OutboxRow).where(wanted).order_by(OutboxRow.id)))
            found = {r.key for r in rows}
            done.missing.extend(k for k in keys if k not in found)
            for row in rows:
                if row.status in (SENT, SENDING):
                    done.skipped[row.key] = row.status
                    continue
                row.status = UNKNOWN if row.attempted_at is not None else PENDING
                row.attempts = 0
                row.next_attempt_at = now
                done.queued.append(row.key)
        return done

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
