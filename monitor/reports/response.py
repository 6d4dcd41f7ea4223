"""Response-time definitions, read from a case's audit trail (the figures every report uses)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

# Actions that count as the team's first response to a case (a public reply sent without a
# claim is a response too).
RESPONSE_ACTIONS = ("claimed", "handled", "replied")
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
    """Seconds from the case's creation to the first claim, 'handled' or public reply by a
    person (a reopen does not reset it); None while nobody has responded."""
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


# -- public replies and agents' work (complaints and questions; see README.md) -------------------

REPLIED = "replied"  # the platform holds our reply (monitor.replies.flow)


def first_public_reply(events: Sequence[EventLike]) -> EventLike | None:
    """The first `replied` event: our first public answer on the platform."""
    replies = sorted((e for e in events if e.action == REPLIED), key=lambda e: (e.at, e.id))
    return replies[0] if replies else None


def public_response_seconds(events: Sequence[EventLike], *, since: datetime | None
                            ) -> float | None:
    """Seconds from `since` (the customer's post, or our fetch) to our first public reply;
    None while there is none (or `since` is unknown)."""
    first = first_public_reply(events)
    if first is None or since is None:
        return None
    return max(0.0, (first.at - since).total_seconds())


def handle_seconds(events: Sequence[EventLike]) -> tuple[float, str] | None:
    """(seconds, who) from the claim to the `handled` that closed the case's latest cycle,
    if that cycle ended handled (not dismissed, not reopened since) and began with a claim;
    None otherwise. A reopen starts a new cycle; a case handled straight from new has no
    claim to measure from."""
    claim: datetime | None = None
    closed: tuple[float, str] | None = None
    for e in sorted(events, key=lambda e: (e.at, e.id)):
        if e.actor == "system" and e.action != "reopened":
            continue
        if e.action == "claimed":
            claim, closed = e.at, None
        elif e.action == "handled":
            closed = (max(0.0, (e.at - claim).total_seconds()), e.actor) if claim else None
        elif e.action in ("not_relevant", "reopened"):
            claim, closed = None, None
    return closed


def was_reopened(events: Sequence[EventLike]) -> bool:
    return any(e.action == "reopened" for e in events)


def was_closed(events: Sequence[EventLike]) -> bool:
    """Closed by a person at least once (handled or not relevant)."""
    return any(e.action in CLOSING_ACTIONS and e.actor != "system" for e in events)
