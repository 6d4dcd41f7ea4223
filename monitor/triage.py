"""The case state machine: claim, handle, dismiss, reopen and relabel, each one audited CAS."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from monitor.models import LABELS, Status
from monitor.slack import copy
from monitor.store.tables import CaseRow, EventRow, utcnow

if TYPE_CHECKING:
    from monitor.store import Store

logger = logging.getLogger(__name__)

# new -> claimed -> handled;  new|claimed -> not_relevant;  handled|not_relevant -> new (reopen).
# A reopened case goes back to the team's queue (status new, no owner): it is unanswered work
# again, reminders apply again, and whoever takes it clicks Claim. Its first response stays the
# first one ever recorded (see first_response_seconds). Label changes are allowed in any state
# and never move the case or its message to another channel.
OPEN = (Status.NEW.value, Status.CLAIMED.value)
CLOSED = (Status.HANDLED.value, Status.NOT_RELEVANT.value)
# Actions that count as the team's first response to a case.
RESPONSE_ACTIONS = ("claimed", "handled")
# Actions that close a case (for resolution time).
CLOSING_ACTIONS = ("handled", "not_relevant")

_RETRIES = 5  # a compare-and-set lost to another change is re-read and retried


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an action did. `changed` means a transition was stored (and a message update
    queued); `feedback` is a line for the clicking agent only (ephemeral), if any."""

    case_id: int
    action: str
    changed: bool
    feedback: str | None = None
    case: CaseRow | None = None


Plan = Callable[[CaseRow], "tuple[dict[str, Any], dict[str, Any]] | None"]


def _apply(store: Store, case_id: int, *, actor: str, action: str, to_status: str | None,
           allowed_from: Iterable[str] | None, plan: Plan, at: datetime) -> bool:
    """Read the case, let `plan` derive (values, audit detail) from exactly that state (None:
    nothing to do), and write it only if the case is still at that version; a lost race is
    re-read and re-planned, so what is stored never mixes two states."""
    allowed = tuple(allowed_from) if allowed_from is not None else None
    for _ in range(_RETRIES):
        case = _current(store, case_id)
        if case is None or (allowed is not None and case.status not in allowed):
            return False
        planned = plan(case)
        if planned is None:
            return False
        values, detail = planned
        if store.transition(case_id, actor=actor, action=action, to_status=to_status,
                            allowed_from=allowed, values=values, detail=detail, at=at,
                            expect_version=case.version):
            return True
    return False


def _current(store: Store, case_id: int) -> CaseRow | None:
    found = store.get_case(case_id)
    return found[0] if found else None


def _refusal(case: CaseRow | None, actor: str, action: str) -> str | None:
    """Why `action` by `actor` did nothing; None when it is a harmless repeat (double click)."""
    if case is None:
        return copy.FEEDBACK["missing"]
    if case.status == Status.IGNORED:
        return copy.FEEDBACK["ignored"]
    same = {"claimed": Status.CLAIMED, "handled": Status.HANDLED,
            "not_relevant": Status.NOT_RELEVANT, "reopened": Status.NEW}
    if case.status == same.get(action) and case.owner in (actor, None):
        return None  # the same click again: it already happened
    owner = case.owner or "someone"
    if case.status in (Status.CLAIMED, Status.HANDLED, Status.NOT_RELEVANT):
        return copy.FEEDBACK[case.status].format(owner=owner)
    return copy.FEEDBACK["stale"]


def _outcome(store: Store, case_id: int, action: str, actor: str, changed: bool) -> Outcome:
    case = _current(store, case_id)
    feedback = None if changed else _refusal(case, actor, action)
    if not changed:
        logger.info("case %s: %s by %s refused (status %s)", case_id, action, actor,
                    case.status if case else "missing",
                    extra={"case_id": case_id, "actor": actor, "action": action})
    return Outcome(case_id, action, changed, feedback, case)


def claim(store: Store, case_id: int, *, actor: str, at: datetime | None = None) -> Outcome:
    """new -> claimed, owned by `actor`. Of two agents clicking at once exactly one wins; the
    other is told who has it. Clicking again on your own claim does nothing."""
    now = at or utcnow()
    changed = _apply(store, case_id, actor=actor, action="claimed", to_status=Status.CLAIMED,
                     allowed_from=(Status.NEW,), at=now,
                     plan=lambda case: ({"owner": actor, "claimed_at": now}, {}))
    return _outcome(store, case_id, "claimed", actor, changed)


def _close(store: Store, case_id: int, *, actor: str, action: str, at: datetime | None
           ) -> Outcome:
    now = at or utcnow()

    def plan(case: CaseRow) -> tuple[dict[str, Any], dict[str, Any]]:
        # Whoever closes a case owns it from then on (the status line names them); a
        # colleague's claim may be closed for them, the previous owner stays in the audit trail.
        values: dict[str, Any] = {"owner": actor}
        detail = {"previous_owner": case.owner} if case.owner and case.owner != actor else {}
        if action == "handled":
            values["handled_at"] = now
            if case.claimed_at is None:
                values["claimed_at"] = now  # handled straight from new: that is the response
        return values, detail

    changed = _apply(store, case_id, actor=actor, action=action, to_status=action,
                     allowed_from=OPEN, plan=plan, at=now)
    return _outcome(store, case_id, action, actor, changed)


def handle(store: Store, case_id: int, *, actor: str, at: datetime | None = None) -> Outcome:
    """new|claimed -> handled. On a new case the clicker becomes the owner."""
    return _close(store, case_id, actor=actor, action="handled", at=at)


def dismiss(store: Store, case_id: int, *, actor: str, at: datetime | None = None) -> Outcome:
    """new|claimed -> not_relevant (stored, stops reminders; reopen undoes it)."""
    return _close(store, case_id, actor=actor, action="not_relevant", at=at)


def reopen(store: Store, case_id: int, *, actor: str, at: datetime | None = None) -> Outcome:
    """handled|not_relevant -> new, back in the queue with no owner; `reopened` counts it."""
    now = at or utcnow()

    def plan(case: CaseRow) -> tuple[dict[str, Any], dict[str, Any]]:
        values = {"owner": None, "claimed_at": None, "handled_at": None, "reminded_at": None,
                  "reopened": (case.reopened or 0) + 1}
        return values, ({"previous_owner": case.owner} if case.owner else {})

    changed = _apply(store, case_id, actor=actor, action="reopened", to_status=Status.NEW,
                     allowed_from=CLOSED, plan=plan, at=now)
    return _outcome(store, case_id, "reopened", actor, changed)


def relabel(store: Store, case_id: int, *, actor: str, label: str, at: datetime | None = None
            ) -> Outcome:
    """Change the label in any state; the correction is stored as classifier training data.
    The case keeps its channel and status. Choosing the current label does nothing."""
    if label not in {lb.value for lb in LABELS}:
        return Outcome(case_id, "relabeled", False, copy.FEEDBACK["bad_label"].format(label=label))
    replaced: list[str] = []

    def plan(case: CaseRow) -> tuple[dict[str, Any], dict[str, Any]] | None:
        if case.label == label:
            return None
        replaced[:] = [case.label]
        return {"label": label}, {"from": case.label, "to": label}

    changed = _apply(store, case_id, actor=actor, action="relabeled", to_status=None,
                     allowed_from=None, plan=plan, at=at or utcnow())
    if changed:
        store.add_label_feedback(case_id, actor=actor, new_label=label, old_label=replaced[0])
        return _outcome(store, case_id, "relabeled", actor, True)
    case = _current(store, case_id)
    if case is not None and case.label == label:
        return Outcome(case_id, "relabeled", False, None, case)  # already so: nothing to learn
    return _outcome(store, case_id, "relabeled", actor, False)


ACTIONS = {"claim": claim, "handle": handle, "dismiss": dismiss, "reopen": reopen}


# -- metrics read from the audit trail --------------------------------------------------------

def _start(events: Sequence[EventRow]) -> datetime | None:
    created = [e.at for e in events if e.action == "created"]
    if created:
        return min(created)
    return min((e.at for e in events), default=None)


def _first(events: Sequence[EventRow], actions: Iterable[str]) -> datetime | None:
    wanted = set(actions)
    return min((e.at for e in events if e.action in wanted and e.actor != "system"),
               default=None)


def first_response_seconds(events: Sequence[EventRow]) -> float | None:
    """Seconds from the case's creation to the first claim or 'handled' by a person (a reopen
    does not reset it); None while nobody has responded."""
    start, first = _start(events), _first(events, RESPONSE_ACTIONS)
    if start is None or first is None:
        return None
    return max(0.0, (first - start).total_seconds())


def resolution_seconds(events: Sequence[EventRow]) -> float | None:
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
