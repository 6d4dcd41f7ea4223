"""Follow-up queries: the answered cases to watch, and each answer stored with its case at once."""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import select, tuple_, update
from sqlalchemy.exc import IntegrityError

from monitor.clock import utcnow
from monitor.readmodels import Case, CaseView, FollowUp, WatchedCase
from monitor.store.convert import case_of, fit, follow_up_of, stored_id, stored_mention_of
from monitor.store.db import begin_now
from monitor.store.keys import OutboxKind, update_key
from monitor.store.tables import CaseRow, EventRow, FollowUpRow, MentionRow

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from sqlalchemy.orm import Session

REPLIED = "replied"  # monitor.replies.flow.ReplyState.REPLIED, as stored


class Outcome(enum.StrEnum):
    RECORDED = "recorded"
    DUPLICATE = "duplicate"  # this answer (this version of the review) is already recorded
    STALE = "stale"  # the case changed since the caller read it: read again and re-plan
    MISSING = "missing"


class Recorded(NamedTuple):
    outcome: Outcome
    case: Case | None = None
    follow_up: FollowUp | None = None


class _Stale(Exception):
    pass


class FollowUpsMixin:
    if TYPE_CHECKING:

        def session(self) -> AbstractContextManager[Session]: ...

        @staticmethod
        def _enqueue(s: Session, **kwargs: Any) -> bool: ...

    def watch_list(self, *, sources: Iterable[str], replied_since: datetime
                   ) -> list[WatchedCase]:
        """Cases on `sources` whose latest public reply was published at or after
        `replied_since` (and not stored as other), oldest reply first, with every reply of
        ours on them and the answers recorded so far: three queries."""
        wanted = list(sources)
        if not wanted:
            return []
        with self.session() as s:
            rows = list(s.execute(
                select(CaseRow, MentionRow).join(MentionRow, MentionRow.id == CaseRow.mention_id)
                .where(CaseRow.reply_state == REPLIED, CaseRow.replied_at >= replied_since,
                       CaseRow.status != "ignored", MentionRow.source.in_(wanted))
                .order_by(CaseRow.replied_at, CaseRow.id)))
            ids = [c.id for c, _m in rows]
            replies: dict[int, list[str]] = defaultdict(list)
            answers: dict[int, list[FollowUp]] = defaultdict(list)
            for i in range(0, len(ids), 500):
                chunk = ids[i:i + 500]
                for case_id, detail in s.execute(
                        select(EventRow.case_id, EventRow.detail)
                        .where(EventRow.case_id.in_(chunk), EventRow.action == REPLIED)
                        .order_by(EventRow.at, EventRow.id)):
                    platform_id = (detail or {}).get("platform_id")
                    if platform_id and platform_id not in replies[case_id]:
                        replies[case_id].append(str(platform_id))
                for row in s.scalars(select(FollowUpRow).where(FollowUpRow.case_id.in_(chunk))
                                     .order_by(FollowUpRow.id)):
                    answers[row.case_id].append(follow_up_of(row))
            out = []
            for c, m in rows:
                ours = replies.get(c.id) or ([c.reply_platform_id] if c.reply_platform_id else [])
                out.append(WatchedCase(CaseView(case_of(c), stored_mention_of(m)),
                                       tuple(ours), tuple(answers.get(c.id, ()))))
            return out

    def recorded_follow_ups(self, source: str, keys: Iterable[tuple[str, str]]
                            ) -> dict[tuple[str, str], int]:
        """Of the (external id, revision) pairs given, those recorded for `source`, with the
        case each belongs to."""
        asked = {(stored_id(ext), rev): (ext, rev) for ext, rev in dict.fromkeys(keys)}
        found: dict[tuple[str, str], int] = {}
        pairs = list(asked)
        with self.session() as s:
            for i in range(0, len(pairs), 200):
                chunk = pairs[i:i + 200]
                for ext, rev, case_id in s.execute(
                        select(FollowUpRow.external_id, FollowUpRow.revision,
                               FollowUpRow.case_id)
                        .where(FollowUpRow.source == source,
                               tuple_(FollowUpRow.external_id, FollowUpRow.revision)
                               .in_(chunk))):
                    found[asked[(ext, rev)]] = case_id
        return found

    def follow_up_cases(self, source: str, external_ids: Sequence[str]) -> dict[str, int]:
        """Which of `external_ids` are recorded answers on `source` (any version), with the
        case each belongs to: the pipeline drops those instead of opening a case."""
        asked = {stored_id(e): e for e in dict.fromkeys(external_ids)}
        ids = list(asked)
        found: dict[str, int] = {}
        with self.session() as s:
            for i in range(0, len(ids), 500):
                for ext, case_id in s.execute(
                        select(FollowUpRow.external_id, FollowUpRow.case_id)
                        .where(FollowUpRow.source == source,
                               FollowUpRow.external_id.in_(ids[i:i + 500]))):
                    found[asked[ext]] = case_id
        return found

    def case_follow_ups(self, case_id: int) -> list[FollowUp]:
        """The customer's answers on the case, in the order they were recorded."""
        with self.session() as s:
            return [follow_up_of(r) for r in s.scalars(
                select(FollowUpRow).where(FollowUpRow.case_id == case_id)
                .order_by(FollowUpRow.id))]

    def record_follow_up(
        self, case_id: int, *, follow_up: Mapping[str, Any], values: Mapping[str, Any],
        to_status: str | None, events: Sequence[Mapping[str, Any]], expect_version: int,
        enqueue: Iterable[Mapping[str, Any]] = (), at: datetime | None = None,
    ) -> Recorded:
        """Store the answer (`follow_up`: FollowUpRow fields), change the case (`values`,
        `to_status`) if it is still at `expect_version`, add its audit `events` (each
        {actor, action, detail, [from_status, to_status]}; `follow_up_id` is added to every
        detail) and queue `enqueue` and the message update: ONE transaction, all or nothing.
        An answer already recorded (by another poll or replica) changes nothing."""
        now = at or utcnow()
        try:
            with self.session() as s:
                begin_now(s.connection())  # SQLite: the SAVEPOINT below nests in it
                case = s.get(CaseRow, case_id)
                if case is None:
                    return Recorded(Outcome.MISSING)
                if case.version != expect_version:
                    return Recorded(Outcome.STALE, case_of(case))
                row = self._fit_follow_up(follow_up, case_id=case_id, now=now)
                try:
                    with s.begin_nested():
                        s.add(row)
                        s.flush()
                except IntegrityError:
                    return Recorded(Outcome.DUPLICATE, case_of(case))
                from_status = case.status
                changes = {**values, "updated_at": now, "version": case.version + 1}
                if to_status is not None:
                    changes["status"] = to_status
                res = s.execute(update(CaseRow).where(CaseRow.id == case_id,
                                                      CaseRow.version == case.version)
                                .values(**changes))
                if not res.rowcount:  # type: ignore[attr-defined]
                    raise _Stale()  # changed between our read and write: undo the row too
                for event in events:
                    s.add(EventRow(case_id=case_id, actor=event.get("actor", "system"),
                                   action=event["action"],
                                   from_status=event.get("from_status", from_status),
                                   to_status=event.get("to_status", to_status or from_status),
                                   detail={**dict(event.get("detail") or {}),
                                           "follow_up_id": row.id}, at=now))
                if case.channel:
                    self._enqueue(s, key=update_key(case_id, changes["version"]),
                                  kind=OutboxKind.UPDATE, case_id=case_id, channel=case.channel,
                                  payload={"case_id": case_id})
                for queued in enqueue:
                    self._enqueue(s, **queued)
                s.flush()
                s.refresh(case)
                return Recorded(Outcome.RECORDED, case_of(case), follow_up_of(row))
        except _Stale:
            return Recorded(Outcome.STALE)

    @staticmethod
    def _fit_follow_up(values: Mapping[str, Any], *, case_id: int, now: datetime
                       ) -> FollowUpRow:
        row = FollowUpRow(case_id=case_id, fetched_at=now, **dict(values))
        if row.revision is None:
            row.revision = ""
        return fit(row)
