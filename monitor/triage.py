"""The case state machine: claim, handle, dismiss, reopen and relabel, each one audited CAS."""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from monitor.clock import utcnow
from monitor.models import LABELS, Status
from monitor.readmodels import Case, CaseView

if TYPE_CHECKING:
    from monitor.store import Store

logger = logging.getLogger(__name__)

# new -> claimed -> handled;  new|claimed -> not_relevant;  handled|not_relevant -> new (reopen).
# A reopened case goes back to the team's queue (status new, no owner): it is unanswered work
# again, reminders apply again, and whoever takes it clicks Claim. Its first response stays the
# first one ever recorded (monitor.reports.response). Label changes are allowed in any state
# and never move the case or its message to another channel.
OPEN = (Status.NEW.value, Status.CLAIMED.value)
CLOSED = (Status.HANDLED.value, Status.NOT_RELEVANT.value)

_RETRIES = 5  # a compare-and-set lost to another change is re-read and retried


class Refusal(enum.StrEnum):
    """Why an action did nothing; the Slack part words it for the clicking agent."""

    MISSING = "missing"  # no such case
    IGNORED = "ignored"  # stored as other, not triaged
    CLAIMED = "claimed"  # someone (Outcome.owner) has it
    HANDLED = "handled"
    NOT_RELEVANT = "not_relevant"
    STALE = "stale"  # the clicked message showed an older state
    BAD_LABEL = "bad_label"  # not a label we know (Outcome.label)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an action did. `changed` means a transition was stored (and a message update
    queued); `refusal` says why not, when it matters to the clicker (a repeat of the same click
    is no refusal). `view` is the case as the action left it (or found it), if it exists."""

    case_id: int
    action: str
    changed: bool
    refusal: Refusal | None = None
    owner: str | None = None
    label: str | None = None
    view: CaseView | None = None

    @property
    def case(self) -> Case | None:
        return self.view.case if self.view else None


Plan = Callable[[Case], "tuple[dict[str, Any], dict[str, Any]] | None"]


def _apply(store: Store, case_id: int, *, actor: str, action: str, to_status: str | None,
           allowed_from: Iterable[str] | None, plan: Plan, at: datetime
           ) -> tuple[bool, CaseView | None]:
    """Read the case, let `plan` derive (values, audit detail) from exactly that state (None:
    nothing to do), and write it only if the case is still at that version; a lost race is
    re-read and re-planned, so what is stored never mixes two states. Returns (changed, the
    case as changed or as last read)."""
    allowed = tuple(allowed_from) if allowed_from is not None else None
    view = None
    for _ in range(_RETRIES):
        view = store.get_case(case_id)
        if view is None or (allowed is not None and view.case.status not in allowed):
            return False, view
        planned = plan(view.case)
        if planned is None:
            return False, view
        values, detail = planned
        changed = store.transition_case(case_id, actor=actor, action=action,
                                        to_status=to_status, allowed_from=allowed,
                                        values=values, detail=detail, at=at,
                                        expect_version=view.case.version)
        if changed is not None:
            return True, view._replace(case=changed)
    return False, store.get_case(case_id)


def _refusal(case: Case | None, actor: str, action: str) -> Refusal | None:
    """Why `action` by `actor` did nothing; None when it is a harmless repeat (double click)."""
    if case is None:
        return Refusal.MISSING
    if case.status == Status.IGNORED:
        return Refusal.IGNORED
    same = {"claimed": Status.CLAIMED, "handled": Status.HANDLED,
            "not_relevant": Status.NOT_RELEVANT, "reopened": Status.NEW}
    if case.status == same.get(action) and case.owner in (actor, None):
        return None  # the same click again: it already happened
    if case.status in (Status.CLAIMED, Status.HANDLED, Status.NOT_RELEVANT):
        return Refusal(case.status)
    return Refusal.STALE


def _outcome(case_id: int, action: str, actor: str, changed: bool, view: CaseView | None
             ) -> Outcome:
    case = view.case if view else None
    if changed:
        return Outcome(case_id, action, True, view=view)
    logger.info("case %s: %s by %s refused (status %s)", case_id, action, actor,
                case.status if case else "missing",
                extra={"case_id": case_id, "actor": actor, "action": action})
    return Outcome(case_id, action, False, _refusal(case, actor, action),
                   owner=case.owner if case else None, view=view)


def claim(store: Store, case_id: int, *, actor: str, at: datetime | None = None) -> Outcome:
    """new -> claimed, owned by `actor`. Of two agents clicking at once exactly one wins; the
    other is told who has it. Clicking again on your own claim does nothing."""
    now = at or utcnow()
    changed, view = _apply(store, case_id, actor=actor, action="claimed",
                           to_status=Status.CLAIMED, allowed_from=(Status.NEW,), at=now,
                           plan=lambda case: ({"owner": actor, "claimed_at": now}, {}))
    return _outcome(case_id, "claimed", actor, changed, view)


def _close(store: Store, case_id: int, *, actor: str, action: str, at: datetime | None
           ) -> Outcome:
    now = at or utcnow()

    def plan(case: Case) -> tuple[dict[str, Any], dict[str, Any]]:
        # Whoever closes a case owns it from then on (the status line names them); a
        # colleague's claim may be closed for them, the previous owner stays in the audit trail.
        values: dict[str, Any] = {"owner": actor}
        detail = {"previous_owner": case.owner} if case.owner and case.owner != actor else {}
        if action == "handled":
            values["handled_at"] = now
            if case.claimed_at is None:
                values["claimed_at"] = now  # handled straight from new: that is the response
        return values, detail

    changed, view = _apply(store, case_id, actor=actor, action=action, to_status=action,
                           allowed_from=OPEN, plan=plan, at=now)
    return _outcome(case_id, action, actor, changed, view)


def handle(store: Store, case_id: int, *, actor: str, at: datetime | None = None) -> Outcome:
    """new|claimed -> handled. On a new case the clicker becomes the owner."""
    return _close(store, case_id, actor=actor, action="handled", at=at)


def dismiss(store: Store, case_id: int, *, actor: str, at: datetime | None = None) -> Outcome:
    """new|claimed -> not_relevant (stored, stops reminders; reopen undoes it)."""
    return _close(store, case_id, actor=actor, action="not_relevant", at=at)


def reopen_change(case: Case) -> tuple[dict[str, Any], dict[str, Any]]:
    """What reopening `case` (handled|not_relevant -> new) writes: (values, audit detail).
    Shared with the follow-up watch, which reopens a case the customer answered with a
    complaint or question (monitor.followup) in the transaction that records the answer."""
    values = {"owner": None, "claimed_at": None, "handled_at": None, "reminded_at": None,
              "reopened": (case.reopened or 0) + 1}
    return values, ({"previous_owner": case.owner} if case.owner else {})


def reopen(store: Store, case_id: int, *, actor: str, at: datetime | None = None) -> Outcome:
    """handled|not_relevant -> new, back in the queue with no owner; `reopened` counts it."""
    now = at or utcnow()

    def plan(case: Case) -> tuple[dict[str, Any], dict[str, Any]]:
        return reopen_change(case)

    changed, view = _apply(store, case_id, actor=actor, action="reopened",
                           to_status=Status.NEW, allowed_from=CLOSED, plan=plan, at=now)
    return _outcome(case_id, "reopened", actor, changed, view)


def relabel(store: Store, case_id: int, *, actor: str, label: str, at: datetime | None = None
            ) -> Outcome:
    """Change the label in any state; the correction is stored as classifier training data.
    The case keeps its channel and status. Choosing the current label does nothing."""
    if label not in {lb.value for lb in LABELS}:
        return Outcome(case_id, "relabeled", False, Refusal.BAD_LABEL, label=label)
    replaced: list[str] = []

    def plan(case: Case) -> tuple[dict[str, Any], dict[str, Any]] | None:
        if case.label == label:
            return None
        replaced[:] = [case.label]
        return {"label": label}, {"from": case.label, "to": label}

    changed, view = _apply(store, case_id, actor=actor, action="relabeled", to_status=None,
                           allowed_from=None, plan=plan, at=at or utcnow())
    if changed:
        store.add_label_feedback(case_id, actor=actor, new_label=label, old_label=replaced[0])
        return Outcome(case_id, "relabeled", True, view=view)
    if view is not None and view.case.label == label:
        return Outcome(case_id, "relabeled", False, view=view)  # already so: nothing to learn
    return _outcome(case_id, "relabeled", actor, False, view)


ACTIONS = {"claim": claim, "handle": handle, "dismiss": dismiss, "reopen": reopen}
