"""Read what the reports need from the store for one time window: plain tuples, few queries."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import func, select

from monitor.errors import ConfigError
from monitor.reports import copy
from monitor.store.tables import CaseRow, EventRow, MentionRow

if TYPE_CHECKING:
    from monitor.store import Store

Stmt = TypeVar("Stmt", bound=Any)  # a Select of any row shape

# The labels the team is measured on answering: only their cases are read for response times.
ACTIONABLE = ("complaint", "question")
# The events that decide response metrics; the rest of the audit trail is not read.
METRIC_ACTIONS = ("created", "claimed", "handled", "not_relevant", "reopened")
_SINCE = re.compile(r"^\s*(\d+)\s*([hdw])\s*$", re.IGNORECASE)
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}
# A case's current label (it may have been corrected in Slack), else the classifier's.
LABEL = func.coalesce(CaseRow.label, MentionRow.label)


def parse_since(text: str) -> timedelta:
    """'24h', '7d', '2w' -> a timedelta; anything else is a ConfigError naming the option."""
    m = _SINCE.match(text or "")
    if not m or int(m.group(1)) == 0:
        raise ConfigError(copy.BAD_SINCE.format(value=text), key="--since")
    return timedelta(**{_UNITS[m.group(2).lower()]: int(m.group(1))})


@dataclass(frozen=True, slots=True)
class Window:
    """Mentions posted in [start, end), optionally of one brand."""

    start: datetime
    end: datetime
    brand: str | None = None

    def previous(self) -> Window:
        """The window of the same length just before this one."""
        return Window(self.start - (self.end - self.start), self.start, self.brand)


@dataclass(frozen=True, slots=True)
class MentionFact:
    id: int
    brand: str | None
    source: str
    label: str
    created_at: datetime
    author_handle: str
    author_followers: int | None


@dataclass(frozen=True, slots=True)
class EventFact:
    """The fields of an audit event the metrics read (duck-types EventRow for monitor.triage)."""

    id: int
    action: str
    actor: str
    at: datetime


@dataclass(frozen=True, slots=True)
class CaseFact:
    id: int
    label: str
    priority: int
    status: str
    created_at: datetime
    reopened: int
    events: tuple[EventFact, ...]


@dataclass(frozen=True, slots=True)
class Facts:
    """Everything a report is computed from."""

    window: Window
    mentions: list[MentionFact]
    cases: list[CaseFact]  # actionable cases only
    previous_praise: int


@dataclass(frozen=True, slots=True)
class Quote:
    """A mention worth quoting in Slack (praise for the digest, complaints for a spike)."""

    text: str
    url: str | None
    source: str
    author_handle: str
    author_followers: int | None
    confidence: float
    created_at: datetime


def _in_window(stmt: Stmt, window: Window) -> Stmt:
    stmt = stmt.where(MentionRow.created_at >= window.start, MentionRow.created_at < window.end)
    if window.brand:
        stmt = stmt.where(MentionRow.brand == window.brand)
    return stmt


def load_facts(store: Store, window: Window) -> Facts:
    """Mentions of the window, their actionable cases (complaints and questions posted to
    Slack) and those cases' metric events: three queries, rows read as plain tuples."""
    mention_q = _in_window(
        select(MentionRow.id, MentionRow.brand, MentionRow.source, LABEL, MentionRow.created_at,
               MentionRow.author_handle, MentionRow.author_followers, CaseRow.id,
               CaseRow.priority, CaseRow.status, CaseRow.created_at, CaseRow.reopened)
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
    with store.session() as s:
        for (mid, brand, source, label, created, handle, followers, case_id, priority, status,
             case_created, reopened) in s.execute(mention_q):
            mentions.append(MentionFact(mid, brand, source, label, created, handle, followers))
            if case_id is not None and label in ACTIONABLE and status != "ignored":
                case_rows.append((case_id, label, priority, status, case_created, reopened))
        for case_id, *event in s.execute(event_q):
            events[case_id].append(tuple(event))
        previous_praise = count_label(s, window.previous(), "praise")
    cases = [CaseFact(cid, label, int(priority or 0), status, created, int(reopened or 0),
                      tuple(EventFact(eid, action, actor, at)
                            for at, eid, action, actor in sorted(events.get(cid, ()))))
             for cid, label, priority, status, created, reopened in case_rows]
    return Facts(window, mentions, cases, previous_praise)


def count_label(s: Any, window: Window, label: str) -> int:
    stmt = _in_window(select(func.count()).select_from(MentionRow)
                      .outerjoin(CaseRow, CaseRow.mention_id == MentionRow.id)
                      .where(LABEL == label), window)  # noqa: SIM300 (SQL, not a comparison)
    return int(s.scalar(stmt) or 0)


def label_times(store: Store, window: Window, label: str) -> list[tuple[str, datetime]]:
    """(brand, posted at) of every mention with `label` in the window (spike baselines)."""
    stmt = _in_window(select(MentionRow.brand, MentionRow.created_at)
                      .outerjoin(CaseRow, CaseRow.mention_id == MentionRow.id)
                      .where(LABEL == label,  # noqa: SIM300 (a SQL expression)
                             MentionRow.brand.is_not(None)), window)
    with store.session() as s:
        return [(str(b), at) for b, at in s.execute(stmt)]


def quotes(store: Store, window: Window, label: str, *, limit: int,
           by_priority: bool = False) -> list[Quote]:
    """Up to `limit` mentions with `label`: most confident first, then most followed (or, with
    `by_priority`, the highest case priority first)."""
    order: list[Any] = [func.coalesce(CaseRow.priority, MentionRow.priority).desc()] \
        if by_priority else []
    order += [MentionRow.confidence.desc(), func.coalesce(MentionRow.author_followers, 0).desc(),
              MentionRow.id]
    stmt = _in_window(
        select(MentionRow.text, MentionRow.url, MentionRow.source, MentionRow.author_handle,
               MentionRow.author_followers, MentionRow.confidence, MentionRow.created_at)
        .outerjoin(CaseRow, CaseRow.mention_id == MentionRow.id)
        .where(LABEL == label)  # noqa: SIM300 (a SQL expression, not a comparison)
        .order_by(*order)
        .limit(limit), window)
    with store.session() as s:
        return [Quote(*row) for row in s.execute(stmt)]
