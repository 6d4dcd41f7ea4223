"""Case queries: read a case with its mention, change its state atomically, audit every change."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from monitor.clock import utcnow
from monitor.readmodels import Case, CaseView, Event
from monitor.store.convert import case_of, event_of, stored_mention_of
from monitor.store.keys import OutboxKind, update_key
from monitor.store.tables import CaseRow, EventRow, LabelFeedbackRow, MentionRow

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from sqlalchemy.orm import Session


class CasesMixin:
    if TYPE_CHECKING:

        def session(self) -> AbstractContextManager[Session]: ...

        @staticmethod
        def _enqueue(s: Session, **kwargs: Any) -> bool: ...

    def get_case(self, case_id: int) -> CaseView | None:
        """The case with its mention, or None if there is no such case."""
        with self.session() as s:
            case = s.get(CaseRow, case_id)
            if case is None:
                return None
            mention = s.get(MentionRow, case.mention_id)
            assert mention is not None
            return CaseView(case_of(case), stored_mention_of(mention))

    def case_events(self, case_id: int, *, actions: Iterable[str] | None = None) -> list[Event]:
        """The case's audit trail in order (only `actions`, when given)."""
        with self.session() as s:
            stmt = select(EventRow).where(EventRow.case_id == case_id)
            if actions is not None:
                stmt = stmt.where(EventRow.action.in_(list(actions)))
            return [event_of(r) for r in s.scalars(stmt.order_by(EventRow.at, EventRow.id))]

    def set_slack_message(self, case_id: int, *, channel: str, ts: str) -> None:
        """Record where the case's Slack message is (the outbox does it with mark_sent)."""
        with self.session() as s:
            record_slack_message(s, case_id, channel=channel, ts=ts)

    def transition(self, case_id: int, **change: Any) -> bool:
        """`transition_case`, answering only whether the transition happened."""
        return self.transition_case(case_id, **change) is not None

    def transition_case(
        self,
        case_id: int,
        *,
        actor: str,
        action: str,
        to_status: str | None,
        allowed_from: Iterable[str] | None = None,
        values: dict[str, Any] | None = None,
        detail: dict[str, Any] | None = None,
        at: datetime | None = None,
        refresh_message: bool = True,
        enqueue: Iterable[dict[str, Any]] = (),
        expect_version: int | None = None,
    ) -> Case | None:
        """Change a case in one compare-and-set UPDATE (two agents clicking at once: one wins),
        record the audit event and queue the Slack message update; returns the case as changed.
        None if the case was not in `allowed_from` (or does not exist): nothing changes.
        `enqueue`: more outbox rows (keyword arguments of `enqueue`) queued in the same
        transaction, only if it happens.
        `expect_version`: only if the case is still at the version the caller computed
        `values` from (None otherwise)."""
        now = at or utcnow()
        with self.session() as s:
            case = s.get(CaseRow, case_id)
            if case is None:
                return None
            allowed = set(allowed_from) if allowed_from is not None else None
            if allowed is not None and case.status not in allowed:
                return None
            if expect_version is not None and case.version != expect_version:
                return None
            from_status = case.status
            new_values: dict[str, Any] = dict(values or {})
            if to_status is not None:
                new_values["status"] = to_status
            new_values["updated_at"] = now
            version = new_values["version"] = case.version + 1  # the key names this version
            stmt = update(CaseRow).where(CaseRow.id == case_id, CaseRow.version == case.version)
            res = s.execute(stmt.values(**new_values))
            if not res.rowcount:  # type: ignore[attr-defined]
                return None  # someone else changed it between our read and write
            s.add(EventRow(case_id=case_id, actor=actor, action=action, from_status=from_status,
                           to_status=to_status or from_status, detail=detail or {}, at=now))
            if refresh_message and case.channel:
                self._enqueue(s, key=update_key(case_id, version), kind=OutboxKind.UPDATE,
                              case_id=case_id, channel=case.channel,
                              payload={"case_id": case_id})
            for row in enqueue:
                self._enqueue(s, **row)
            s.refresh(case)
            return case_of(case)

    def add_event(self, case_id: int, *, actor: str, action: str,
                  detail: dict[str, Any] | None = None, at: datetime | None = None) -> None:
        with self.session() as s:
            s.add(EventRow(case_id=case_id, actor=actor, action=action, detail=detail or {},
                           at=at or utcnow()))

    def add_label_feedback(self, case_id: int, *, actor: str, new_label: str,
                           old_label: str | None = None) -> None:
        with self.session() as s:
            case = s.get(CaseRow, case_id)
            if case is None:
                return
            mention = s.get(MentionRow, case.mention_id)
            assert mention is not None
            text = f"{mention.title}\n{mention.text}" if mention.title else mention.text
            s.add(LabelFeedbackRow(mention_id=mention.id, text=text, rating=mention.rating,
                                   old_label=old_label or case.label, new_label=new_label,
                                   actor=actor,
                                   at=utcnow()))

    def author_history(
        self, *, source: str, handle: str, since: datetime, before: datetime, limit: int = 10,
    ) -> list[CaseView]:
        """The same author's mentions on the same source posted in [since, before), newest
        first: what they said before the mention at `before`."""
        with self.session() as s:
            stmt = (
                select(MentionRow, CaseRow)
                .join(CaseRow, CaseRow.mention_id == MentionRow.id)
                .where(MentionRow.source == source, MentionRow.author_handle == handle,
                       MentionRow.created_at >= since, MentionRow.created_at < before)
                .order_by(MentionRow.created_at.desc())
                .limit(limit)
            )
            return [CaseView(case_of(c), stored_mention_of(m)) for m, c in s.execute(stmt)]

    def cases(self, *, statuses: Iterable[str] | None = None) -> list[CaseView]:
        """Every case with its mention (only those in `statuses`, when given), oldest first."""
        with self.session() as s:
            stmt = select(CaseRow, MentionRow).join(MentionRow, CaseRow.mention_id == MentionRow.id)
            if statuses is not None:
                stmt = stmt.where(CaseRow.status.in_(list(statuses)))
            return [CaseView(case_of(c), stored_mention_of(m))
                    for c, m in s.execute(stmt.order_by(CaseRow.id))]


def record_slack_message(s: Session, case_id: int, *, channel: str, ts: str) -> None:
    """Set the case's Slack message inside the caller's transaction; the first time, audit it
    as 'posted'."""
    case = s.get(CaseRow, case_id)
    if case is None:
        return
    first = case.slack_ts is None
    case.slack_channel, case.slack_ts = channel, ts
    if first:
        s.add(EventRow(case_id=case_id, actor="system", action="posted",
                       to_status=case.status, detail={"channel": channel, "ts": ts}))
