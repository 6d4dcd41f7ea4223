"""Response-time definitions, read from a case's audit trail (the figures every report uses)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

# Actions that count as the team's first response to a case.
RESPONSE_ACTIONS = ("claimed", "handled")
# Actions that close a case (for resolution time).
CLOSING_ACTIONS = ("handled", "not_relevant")


class EventLike(Protocol):
    """What the definitions read of an audit event (readmodels.Event and EventFact fit)."""

    @property
    def id(self) -> int: ...
    @property
    def action(self) -> str: ...
    @property
    def actor(self) -> str: ...
    @property
    def at(self) -> datetime: ...


def _start(events: Sequence[EventLike]) -> datetime | None:
    created = [e.at for e in events if e.action == "created"]
    if created:
        return min(created)
    return min((e.at for e in events), default=None)


def _first(events: Sequence[EventLike], actions: Iterable[str]) -> datetime | None:
    wanted = set(actions)
    return min((e.at for e in events if e.action in wanted and e.actor != "system"),
               default=None)


def first_response_seconds(events: Sequence[EventLike]) -> float | None:
    """Seconds from the case's creation to the first claim or 'handled' by a person (a reopen
    does not reset it); None while nobody has responded."""
    start, first = _start(events), _first(events, RESPONSE_ACTIONS)
    if start is None or first is None:
        return None
    return max(0.0, (first - start).total_seconds())


def resolution_seconds(events: Sequence[EventLike]) -> float | None:
    """Seconds from creation to the LAST close (handled / not relevant) if the case is closed
    now, i.e. not reopened after it; None while open."""
    start = _start(events)
    ordered = sorted(events, key=lambda e: (e.at, e.id or 0))
    last_close = None
    for e in ordered:
        if e.action in CLOSING_ACTIONS and e.actor != "system":
            last_close = e.at
        elif e.action == "reopened":
            last_close = None
    if start is None or last_close is None:
        return None
    return max(0.0, (last_close - start).total_seconds())
