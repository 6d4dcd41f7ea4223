"""Team figures from the audit trail: per-agent counts and medians, the open backlog by age."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from monitor.reports.response import first_public_reply

if TYPE_CHECKING:
    from monitor.readmodels import CaseFact

# (name, upper bound in hours; None: no bound) of the open-backlog age buckets
AGE_BUCKETS: tuple[tuple[str, float | None], ...] = (
    ("under 1h", 1), ("1–4h", 4), ("4–24h", 24), ("1–3d", 72), ("over 3d", None))


def median(values: Sequence[float]) -> float | None:
    """The middle value (the mean of the two middle ones), as `percentile(…, 0.5)`."""
    return statistics.median(values) if values else None


@dataclass(frozen=True, slots=True)
class AgentStats:
    """One person's work on the period's cases (a Slack user id). `replied`: public replies
    they drafted that reached the platform; `approved`: others' replies they approved."""

    agent: str
    claimed: int = 0
    handled: int = 0
    replied: int = 0
    approved: int = 0
    public_response_median_seconds: float | None = None  # of the first replies they drafted
    handle_median_seconds: float | None = None  # of the cases they handled after a claim


@dataclass(frozen=True, slots=True)
class AgeBucket:
    """Open cases (new or claimed) whose age since they were opened falls in this bucket."""

    age: str
    from_hours: float = 0.0  # the bucket holds ages in [from_hours, to_hours)
    to_hours: float | None = None
    cases: int = 0
    by_priority: dict[str, int] = field(default_factory=dict)


def agents(cases: Sequence[CaseFact], *, public: Mapping[int, float | None],
           handles: Mapping[int, tuple[float, str] | None]) -> list[AgentStats]:
    """Per person: claims, handles, public replies and approvals counted from the events;
    medians of the first public response of the cases whose first reply they drafted and of
    the handle times of the cases they handled. Most active first."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    responses: dict[str, list[float]] = defaultdict(list)
    handled: dict[str, list[float]] = defaultdict(list)
    for c in cases:
        for e in c.events:
            if e.actor != "system" and e.action in ("claimed", "handled", "replied",
                                                    "reply_approved"):
                counts[e.actor][e.action] += 1
        first = first_public_reply(c.events)
        seconds = public.get(c.id)
        if first is not None and seconds is not None and first.actor != "system":
            responses[first.actor].append(seconds)
        if (done := handles.get(c.id)) is not None:
            handled[done[1]].append(done[0])
    out = [AgentStats(agent, n["claimed"], n["handled"], n["replied"], n["reply_approved"],
                      median(responses.get(agent, [])), median(handled.get(agent, [])))
           for agent, n in counts.items()]
    return sorted(out, key=lambda a: (-(a.replied + a.handled + a.claimed + a.approved), a.agent))


def backlog(cases: Sequence[CaseFact], *, now: datetime,
            priority_name: Callable[[int], str] = str) -> list[AgeBucket]:
    """The open cases by age since they were opened (every bucket listed, empty ones too)."""
    counts: list[Counter[str]] = [Counter() for _ in AGE_BUCKETS]
    for c in cases:
        age = now - c.created_at
        for i, (_name, hours) in enumerate(AGE_BUCKETS):
            if hours is None or age < timedelta(hours=hours):
                counts[i][priority_name(c.priority)] += 1
                break
    lows = [0.0] + [float(h or 0) for _name, h in AGE_BUCKETS[:-1]]
    return [AgeBucket(name, low, hours, sum(n.values()), dict(sorted(n.items())))
            for (name, hours), low, n in zip(AGE_BUCKETS, lows, counts, strict=True)]
