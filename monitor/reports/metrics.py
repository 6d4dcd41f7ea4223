"""Report metrics as pure functions over store facts: volumes, response times, trends."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from monitor.models import ACTIONABLE, LABELS, Priority
from monitor.reports.followup import FollowUpStats, follow_up_stats
from monitor.reports.response import (
    first_response_seconds,
    handle_seconds,
    public_response_seconds,
    resolution_seconds,
    was_closed,
    was_reopened,
)
from monitor.reports.team import AgeBucket, AgentStats, agents, backlog

if TYPE_CHECKING:
    from monitor.readmodels import CaseFact, Facts, MentionFact

LABEL_ORDER = tuple(lb.value for lb in LABELS)
TOP_AUTHORS = 5


def percentile(values: Iterable[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default); 0.0 for no values."""
    data = sorted(values)
    if not data:
        return 0.0
    pos = (len(data) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


@dataclass(frozen=True, slots=True)
class Durations:
    """Durations in seconds: how many, the median and the 90th percentile."""

    count: int = 0
    median_seconds: float = 0.0
    p90_seconds: float = 0.0

    @classmethod
    def of(cls, values: Sequence[float]) -> Durations:
        return cls(len(values), percentile(values, 0.5), percentile(values, 0.9))


@dataclass(frozen=True, slots=True)
class Target:
    """Answered within the target, per priority. `due` counts cases answered plus those still
    unanswered past the target (younger unanswered cases can still make it, and unanswered
    cases dismissed as not relevant needed no answer: both are left out)."""

    priority: str
    target_minutes: int
    cases: int = 0
    due: int = 0
    within: int = 0
    share: float = 0.0


@dataclass(frozen=True, slots=True)
class Trend:
    current: int = 0
    previous: int = 0
    change_pct: float | None = 0.0  # None when there was nothing to compare with


@dataclass(frozen=True, slots=True)
class Author:
    source: str
    handle: str
    mentions: int
    followers: int | None
    labels: dict[str, int]


@dataclass
class Report:
    start: datetime
    end: datetime
    brand: str | None
    mentions: int = 0
    cases: int = 0  # actionable cases (complaints and questions posted to Slack)
    answered: int = 0
    first_response: Durations = field(default_factory=Durations)
    resolution: Durations = field(default_factory=Durations)
    within_target: list[Target] = field(default_factory=list)
    within_target_share: float = 0.0
    first_contact_resolution: float = 0.0
    handled: int = 0
    by_brand: dict[str, int] = field(default_factory=dict)
    by_label: dict[str, int] = field(default_factory=dict)
    by_source: dict[str, int] = field(default_factory=dict)
    by_day: dict[str, dict[str, int]] = field(default_factory=dict)  # day -> label -> count
    first_response_by_day: dict[str, float | None] = field(default_factory=dict)  # median, s
    praise: Trend = field(default_factory=Trend)
    top_authors: list[Author] = field(default_factory=list)
    # public replies and the team's work (README.md: "Public replies and the team")
    public_response: Durations = field(default_factory=Durations)  # posted -> our reply
    public_response_from_fetch: Durations = field(default_factory=Durations)  # fetched -> reply
    public_within_target: list[Target] = field(default_factory=list)
    public_within_target_share: float = 0.0
    handle_time: Durations = field(default_factory=Durations)  # claim -> handled
    closed: int = 0  # cases closed by a person at least once
    reopened: int = 0  # of those, reopened at least once
    reopen_rate: float = 0.0
    agents: list[AgentStats] = field(default_factory=list)
    open_backlog: int = 0
    backlog: list[AgeBucket] = field(default_factory=list)
    # how customers answered our public replies (README.md: "Follow-through")
    follow_up: FollowUpStats = field(default_factory=FollowUpStats)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict; the per-day maps list only days with mentions or a response
        (a ten-year window would otherwise print 3,651 empty days)."""
        out = asdict(self)
        out["start"], out["end"] = self.start.isoformat(), self.end.isoformat()
        busy = [d for d, counts in self.by_day.items()
                if sum(counts.values()) or self.first_response_by_day.get(d) is not None]
        out["by_day"] = {d: self.by_day[d] for d in busy}
        out["first_response_by_day"] = {d: self.first_response_by_day.get(d) for d in busy}
        return out


def priority_name(value: int) -> str:
    try:
        return Priority(value).name.lower()
    except ValueError:
        return str(value)


def days(start: datetime, end: datetime) -> list[date]:
    """Every UTC calendar day the window [start, end) touches."""
    first, last = start.date(), (end - timedelta(microseconds=1)).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def response_seconds(case: CaseFact) -> float | None:
    """Created -> the first claim, 'handled' or public reply by a person (monitor.reports.
    response's definition; 'not relevant' is not a response, and a reopen does not reset it)."""
    return first_response_seconds(case.events)


def handled_seconds(case: CaseFact) -> float | None:
    """Created -> handled, for a case whose latest close is 'handled' and that was not
    reopened after it; None otherwise (open, or closed as not relevant)."""
    if case.status != "handled":
        return None
    return resolution_seconds(case.events)


def targets_met(cases: Sequence[CaseFact], targets: Mapping[str, int], now: datetime,
                responses: Mapping[int, float | None] | None = None,
                started: Mapping[int, datetime] | None = None) -> list[Target]:
    """`responses`: first-response seconds by case id, when already computed; `started`:
    when each case's clock started (default: when it was opened)."""
    by_priority: dict[str, list[CaseFact]] = defaultdict(list)
    for c in cases:
        by_priority[priority_name(c.priority)].append(c)
    out: list[Target] = []
    names = sorted(set(targets) | set(by_priority),
                   key=lambda n: -Priority[n.upper()] if n.upper() in Priority.__members__ else 9)
    for name in names:
        minutes = int(targets.get(name, 0))
        group = by_priority.get(name, [])
        due = within = 0
        for c in group:
            seconds = responses[c.id] if responses is not None else response_seconds(c)
            if seconds is not None:
                due += 1
                within += seconds <= minutes * 60
            elif c.status != "not_relevant" and minutes \
                    and now - (started or {}).get(c.id, c.created_at) > timedelta(
                        minutes=minutes):
                due += 1  # a miss; a case dismissed as not relevant needed no answer
        out.append(Target(name, minutes, len(group), due, within, within / due if due else 0.0))
    return out


def trend(current: int, previous: int) -> Trend:
    if previous:
        return Trend(current, previous, round(100.0 * (current - previous) / previous, 1))
    return Trend(current, previous, 0.0 if current == 0 else None)


def top_authors(mentions: Sequence[MentionFact], n: int = TOP_AUTHORS) -> list[Author]:
    counts: Counter[tuple[str, str]] = Counter((m.source, m.author_handle) for m in mentions)
    labels: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    followers: dict[tuple[str, str], int | None] = {}
    for m in mentions:
        key = (m.source, m.author_handle)
        labels[key][m.label] += 1
        if m.author_followers is not None:
            followers[key] = max(followers.get(key) or 0, m.author_followers)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0][1], kv[0][0]))[:n]
    return [Author(src, handle, count, followers.get((src, handle)), dict(labels[(src, handle)]))
            for (src, handle), count in ranked]


def build_report(facts: Facts, *, targets: Mapping[str, int], now: datetime) -> Report:
    w = facts.window
    r = Report(start=w.start, end=w.end, brand=w.brand, mentions=len(facts.mentions))
    day_keys = [d.isoformat() for d in days(w.start, w.end)]
    r.by_day = {d: dict.fromkeys(LABEL_ORDER, 0) for d in day_keys}
    for m in facts.mentions:
        r.by_brand[m.brand or "-"] = r.by_brand.get(m.brand or "-", 0) + 1
        r.by_label[m.label] = r.by_label.get(m.label, 0) + 1
        r.by_source[m.source] = r.by_source.get(m.source, 0) + 1
        day = r.by_day.setdefault(m.created_at.date().isoformat(), dict.fromkeys(LABEL_ORDER, 0))
        day[m.label] = day.get(m.label, 0) + 1
    for counts in (r.by_brand, r.by_label, r.by_source):
        ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        counts.clear()
        counts.update(ordered)

    cases = [c for c in facts.cases if c.label in ACTIONABLE and c.status != "ignored"]
    by_case = {c.id: response_seconds(c) for c in cases}
    responses = [(c, s) for c in cases if (s := by_case[c.id]) is not None]
    r.cases, r.answered = len(cases), len(responses)
    r.first_response = Durations.of([s for _, s in responses])
    r.resolution = Durations.of([s for c in cases if (s := handled_seconds(c)) is not None])
    r.within_target = targets_met(cases, targets, now, by_case)
    due = sum(t.due for t in r.within_target)
    r.within_target_share = sum(t.within for t in r.within_target) / due if due else 0.0
    ever_handled = [c for c in cases
                    if any(e.action == "handled" and e.actor != "system" for e in c.events)]
    first_contact = [c for c in ever_handled if c.status == "handled" and not c.reopened
                     and not any(e.action == "reopened" for e in c.events)]
    r.handled = len(ever_handled)
    r.first_contact_resolution = len(first_contact) / len(ever_handled) if ever_handled else 0.0

    per_day: dict[str, list[float]] = defaultdict(list)
    for c, s in responses:
        per_day[c.created_at.date().isoformat()].append(s)
    r.first_response_by_day = {d: (percentile(per_day[d], 0.5) if per_day.get(d) else None)
                               for d in r.by_day}
    r.praise = trend(r.by_label.get("praise", 0), facts.previous_praise)
    r.top_authors = top_authors(facts.mentions)
    team(r, cases, facts, targets=targets, now=now)
    r.follow_up = follow_up_stats(cases, facts.follow_ups)
    return r


def team(r: Report, cases: Sequence[CaseFact], facts: Facts, *, targets: Mapping[str, int],
         now: datetime) -> None:
    """The public-reply and team figures of `r` (README.md: "Public replies and the team")."""
    public = {c.id: public_response_seconds(c.events, since=c.posted_at) for c in cases}
    fetched = [s for c in cases
               if (s := public_response_seconds(c.events, since=c.fetched_at)) is not None]
    r.public_response = Durations.of([s for s in public.values() if s is not None])
    r.public_response_from_fetch = Durations.of(fetched)
    # answered publicly, or still open without an answer; a case closed without a public
    # reply was answered elsewhere (a DM, a call) or needed none
    measured = [c for c in cases if public[c.id] is not None or c.status in ("new", "claimed")]
    r.public_within_target = targets_met(
        measured, targets, now, public,
        started={c.id: c.posted_at for c in measured if c.posted_at is not None})
    due = sum(t.due for t in r.public_within_target)
    r.public_within_target_share = \
        sum(t.within for t in r.public_within_target) / due if due else 0.0
    handles = {c.id: handle_seconds(c.events) if c.status == "handled" else None
               for c in cases}
    r.handle_time = Durations.of([h[0] for h in handles.values() if h is not None])
    closed = [c for c in cases if was_closed(c.events)]
    r.closed, r.reopened = len(closed), sum(1 for c in closed if was_reopened(c.events))
    r.reopen_rate = r.reopened / r.closed if r.closed else 0.0
    r.agents = agents(cases, public=public, handles=handles)
    r.open_backlog = len(facts.backlog)
    r.backlog = backlog(facts.backlog, now=now, priority_name=priority_name)
