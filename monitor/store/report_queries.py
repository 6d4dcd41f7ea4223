"""Report queries: what the reports need for one time window, as plain values, in few queries."""

from __future__ import annotations

from collections import defaultdict
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import func, select

from monitor.models import ACTIONABLE
from monitor.readmodels import (
    CaseFact,
    EventFact,
    Facts,
    FollowUpFact,
    MentionFact,
    Quote,
    Window,
)
from monitor.store.tables import CaseRow, EventRow, FollowUpRow, MentionRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

Stmt = TypeVar("Stmt", bound=Any)  # a Select of any row shape

# The events that decide response metrics; the rest of the audit trail is not read.
METRIC_ACTIONS = ("created", "claimed", "handled", "not_relevant", "reopened", "replied",
                  "reply_approved")
# A case's current label (it may have been corrected in Slack), else the classifier's.
LABEL = func.coalesce(CaseRow.label, MentionRow.label)


def _in_window(stmt: Stmt, window: Window) -> Stmt:
    stmt = stmt.where(MentionRow.created_at >= window.start, MentionRow.created_at < window.end)
    if window.brand:
        stmt = stmt.where(MentionRow.brand == window.brand)
    return stmt


def _count_label(s: Session, window: Window, label: str) -> int:
    stmt = _in_window(select(func.count()).select_from(MentionRow)
                      .outerjoin(CaseRow, CaseRow.mention_id == MentionRow.id)
                      .where(LABEL == label), window)  # noqa: SIM300 (SQL, not a comparison)
    return int(s.scalar(stmt) or 0)


class ReportQueriesMixin:
    if TYPE_CHECKING:

        def session(self) -> AbstractContextManager[Session]: ...

    def report_facts(self, window: Window) -> Facts:
        """Mentions of the window, their actionable cases (complaints and questions posted to
        Slack), those cases' metric events and the customers' answers after our replies: a
        few queries, rows read as plain tuples."""
        mention_q = _in_window(
            select(MentionRow.id, MentionRow.brand, MentionRow.source, LABEL,
                   MentionRow.created_at, MentionRow.author_handle, MentionRow.author_followers,
                   CaseRow.id, CaseRow.priority, CaseRow.status, CaseRow.created_at,
                   CaseRow.reopened, MentionRow.fetched_at)
            .outerjoin(CaseRow, CaseRow.mention_id == MentionRow.id), window)
        event_q = _in_window(
            select(EventRow.case_id, EventRow.at, EventRow.id, EventRow.action, EventRow.actor)
            .join(CaseRow, CaseRow.id == EventRow.case_id)
            .join(MentionRow, MentionRow.id == CaseRow.mention_id)
            .where(EventRow.action.in_(METRIC_ACTIONS), CaseRow.label.in_(ACTIONABLE),
                   CaseRow.status != "ignored"), window)
        mentions: list[MentionFact] = []
        case_rows: list[tuple[Any, ...]] = []
        events: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        with self.session() as s:
            for (mid, brand, source, label, created, handle, followers, case_id, priority,
                 status, case_created, reopened, fetched) in s.execute(mention_q):
                mentions.append(MentionFact(mid, brand, source, label, created, handle,
                                            followers))
                if case_id is not None and label in ACTIONABLE and status != "ignored":
                    case_rows.append((case_id, label, priority, status, case_created, reopened,
                                      created, fetched))
            for case_id, *event in s.execute(event_q):
                events[case_id].append(tuple(event))
            previous_praise = _count_label(s, window.previous(), "praise")
            backlog = self._backlog(s, window)
            follow_ups = self._follow_ups(s, window)
        cases = [CaseFact(cid, label, int(priority or 0), status, created, int(reopened or 0),
                          tuple(EventFact(eid, action, actor, at)
                                for at, eid, action, actor in sorted(events.get(cid, ()))),
                          posted_at=posted, fetched_at=fetched)
                 for cid, label, priority, status, created, reopened, posted, fetched
                 in case_rows]
        return Facts(window, mentions, cases, previous_praise, backlog, follow_ups)

    @staticmethod
    def _follow_ups(s: Session, window: Window) -> tuple[FollowUpFact, ...]:
        """The customers' answers after our replies on the window's actionable cases, oldest
        first (monitor.followup), with the review's stars when we fetched it."""
        stmt = _in_window(
            select(FollowUpRow.case_id, FollowUpRow.source, FollowUpRow.kind, FollowUpRow.label,
                   FollowUpRow.posted_at, FollowUpRow.signal, FollowUpRow.rating,
                   MentionRow.rating, FollowUpRow.reopened)
            .join(CaseRow, CaseRow.id == FollowUpRow.case_id)
            .join(MentionRow, MentionRow.id == CaseRow.mention_id)
            .where(CaseRow.label.in_(ACTIONABLE), CaseRow.status != "ignored")
            .order_by(FollowUpRow.posted_at, FollowUpRow.id), window)
        return tuple(FollowUpFact(case_id, source, kind, label, at, signal, rating, before,
                                  bool(reopened))
                     for case_id, source, kind, label, at, signal, rating, before, reopened
                     in s.execute(stmt))

    @staticmethod
    def _backlog(s: Session, window: Window) -> tuple[CaseFact, ...]:
        """The actionable cases open now (new or claimed) of the window's brand, whenever the
        mention was posted: the queue as it stands, not the window's."""
        stmt = (select(CaseRow.id, CaseRow.label, CaseRow.priority, CaseRow.status,
                       CaseRow.created_at, CaseRow.reopened, MentionRow.created_at,
                       MentionRow.fetched_at)
                .join(MentionRow, MentionRow.id == CaseRow.mention_id)
                .where(CaseRow.status.in_(("new", "claimed")), CaseRow.label.in_(ACTIONABLE))
                .order_by(CaseRow.created_at))
        if window.brand:
            stmt = stmt.where(MentionRow.brand == window.brand)
        return tuple(CaseFact(cid, label, int(priority or 0), status, created,
                              int(reopened or 0), (), posted_at=posted, fetched_at=fetched)
                     for cid, label, priority, status, created, reopened, posted, fetched
                     in s.execute(stmt))

    def label_times(self, window: Window, label: str) -> list[tuple[str, datetime]]:
        """(brand, posted at) of every mention with `label` in the window (spike baselines)."""
        stmt = _in_window(select(MentionRow.brand, MentionRow.created_at)
                          .outerjoin(CaseRow, CaseRow.mention_id == MentionRow.id)
                          .where(LABEL == label,  # noqa: SIM300 (a SQL expression)
                                 MentionRow.brand.is_not(None)), window)
        with self.session() as s:
            return [(str(b), at) for b, at in s.execute(stmt)]

    def quotes(self, window: Window, label: str, *, limit: int,
               by_priority: bool = False) -> list[Quote]:
        """Up to `limit` mentions with `label`: most confident first, then most followed (or,
        with `by_priority`, the highest case priority first)."""
        order: list[Any] = [func.coalesce(CaseRow.priority, MentionRow.priority).desc()] \
            if by_priority else []
        order += [MentionRow.confidence.desc(),
                  func.coalesce(MentionRow.author_followers, 0).desc(), MentionRow.id]
        stmt = _in_window(
            select(MentionRow.text, MentionRow.url, MentionRow.source, MentionRow.author_handle,
                   MentionRow.author_followers, MentionRow.confidence, MentionRow.created_at)
            .outerjoin(CaseRow, CaseRow.mention_id == MentionRow.id)
            .where(LABEL == label)  # noqa: SIM300 (a SQL expression, not a comparison)
            .order_by(*order)
            .limit(limit), window)
        with self.session() as s:
            return [Quote(*row) for row in s.execute(stmt)]
