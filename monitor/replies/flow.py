"""The public-reply state machine: request, approve, reject, and the platform's answer, audited.

    (none | failed | declined) --request--> awaiting_approval --approve--> queued --> replied
                                        \\-> queued (no approval needed)     \\-reject-> declined
    queued --the platform refuses / auth / gave up--> failed

Each step is one compare-and-set transition of the case with its audit event; the outbox row
that posts the reply (kind "reply", key reply:<case>:<attempt>) is queued in the same
transaction, so a reply is queued exactly when its approval (or request) is stored. A replied
case takes another reply only when the sender asks for a follow-up explicitly (the modal)."""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from monitor.clock import utcnow
from monitor.models import Status
from monitor.readmodels import Case, CaseView
from monitor.store.keys import OutboxKind, reply_key

if TYPE_CHECKING:
    from monitor.store import Store

logger = logging.getLogger(__name__)

_RETRIES = 5  # a compare-and-set lost to another change is re-read and retried


class ReplyState(enum.StrEnum):
    AWAITING_APPROVAL = "awaiting_approval"
    QUEUED = "queued"  # in the outbox, on its way to the platform
    REPLIED = "replied"
    FAILED = "failed"  # the platform refused it, or it could not be posted
    DECLINED = "declined"  # an approver rejected it


SENDABLE = (None, ReplyState.FAILED, ReplyState.DECLINED)


class Refusal(enum.StrEnum):
    """Why a reply step did nothing; the Slack part words it for the clicker."""

    MISSING = "missing"
    IGNORED = "ignored"  # stored as other, never posted
    AWAITING = "awaiting"  # an earlier attempt waits for approval
    SENDING = "sending"  # an earlier attempt is on its way
    REPLIED = "replied"  # already answered (a follow-up must be asked for explicitly)
    DECIDED = "decided"  # the approval was already given or refused, or a newer draft exists
    OWN_DRAFT = "own_draft"  # nobody approves their own reply


@dataclass(frozen=True, slots=True)
class Step:
    """What a step did: `changed` when stored; `refusal` why not; `view` the case after it."""

    case_id: int
    action: str
    changed: bool
    refusal: Refusal | None = None
    attempt: int = 0
    view: CaseView | None = None


Rows = Callable[[CaseView, int], Iterable[dict[str, Any]]]  # (case, attempt) -> outbox rows
Plan = Callable[[Case], "tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]] | Refusal"]


def _apply(store: Store, case_id: int, *, actor: str, action: str, plan: Plan, at: datetime,
           rows: Rows | None = None, refresh: bool = True) -> Step:
    """Read the case, let `plan` derive (values, detail, outbox rows) from exactly that state
    (or refuse), and write it only if the case is still at that version; a lost race is
    re-read and re-planned."""
    view = None
    for _ in range(_RETRIES):
        view = store.get_case(case_id)
        if view is None:
            return Step(case_id, action, False, Refusal.MISSING)
        planned = plan(view.case)
        if isinstance(planned, Refusal):
            return Step(case_id, action, False, planned, view.case.reply_attempt, view)
        values, detail, queued = planned
        attempt = int(values.get("reply_attempt", view.case.reply_attempt))
        extra = list(rows(view, attempt)) if rows is not None else []
        changed = store.transition_case(case_id, actor=actor, action=action, to_status=None,
                                        values=values, detail=detail, at=at,
                                        enqueue=[*queued, *extra], refresh_message=refresh,
                                        expect_version=view.case.version)
        if changed is not None:
            return Step(case_id, action, True, None, attempt, view._replace(case=changed))
    return Step(case_id, action, False, Refusal.DECIDED, 0, store.get_case(case_id))


def reply_row(case: Case, *, source: str, attempt: int, text: str, drafted_by: str,
              approved_by: str | None = None) -> dict[str, Any]:
    """The outbox row that posts `text` on the platform. A resend after an earlier attempt
    looks the platform up first (`check_first`): that attempt may have landed after all."""
    return dict(key=reply_key(case.id, attempt), kind=OutboxKind.REPLY, case_id=case.id,
                channel=source, payload={
                    "case_id": case.id, "attempt": attempt, "text": text,
                    "drafted_by": drafted_by, "approved_by": approved_by,
                    "check_first": attempt > 1})


def _busy(case: Case, *, follow_up: bool) -> Refusal | None:
    if case.status == Status.IGNORED:
        return Refusal.IGNORED
    if case.reply_state == ReplyState.AWAITING_APPROVAL:
        return Refusal.AWAITING
    if case.reply_state == ReplyState.QUEUED:
        return Refusal.SENDING
    if case.reply_state == ReplyState.REPLIED and not follow_up:
        return Refusal.REPLIED
    return None


def request(store: Store, case_id: int, *, actor: str, text: str, source: str,
            approval_group: str | None, follow_up: bool = False, rows: Rows | None = None,
            at: datetime | None = None) -> Step:
    """`actor` asks to post `text` as the brand's reply: queued at once, or (with an
    `approval_group`) held for approval, `rows(case, attempt)` then asking for it in Slack."""
    now = at or utcnow()

    def plan(case: Case) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]] | Refusal:
        busy = _busy(case, follow_up=follow_up)
        if busy is not None:
            return busy
        attempt = case.reply_attempt + 1
        state = ReplyState.AWAITING_APPROVAL if approval_group else ReplyState.QUEUED
        values = {"reply_final": text, "reply_attempt": attempt, "reply_by": actor,
                  "reply_state": state, "reply_error": None}
        detail = {"attempt": attempt, "platform": source, "text": text,
                  "edited": text != (case.reply_text or ""), "approval_group": approval_group,
                  "follow_up": case.reply_state == ReplyState.REPLIED}
        queued = [] if approval_group else [reply_row(case, source=source, attempt=attempt,
                                                      text=text, drafted_by=actor)]
        return values, detail, queued

    return _apply(store, case_id, actor=actor, action="reply_requested", plan=plan, at=now,
                  rows=rows if approval_group else None)


def _decision(case: Case, *, attempt: int) -> Refusal | None:
    if case.reply_state != ReplyState.AWAITING_APPROVAL or case.reply_attempt != attempt:
        return Refusal.DECIDED
    return None


def approve(store: Store, case_id: int, *, actor: str, attempt: int, source: str,
            group: str | None = None, at: datetime | None = None) -> Step:
    """A member of the approver group (checked by the caller) approves attempt `attempt`:
    the reply is queued for the platform. The drafter cannot approve their own reply."""
    now = at or utcnow()

    def plan(case: Case) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]] | Refusal:
        refused = _decision(case, attempt=attempt)
        if refused is None and case.reply_by == actor:
            refused = Refusal.OWN_DRAFT
        if refused is not None:
            return refused
        row = reply_row(case, source=source, attempt=attempt, text=case.reply_final or "",
                        drafted_by=case.reply_by or "", approved_by=actor)
        return ({"reply_state": ReplyState.QUEUED},
                {"attempt": attempt, "drafted_by": case.reply_by, "group": group}, [row])

    return _apply(store, case_id, actor=actor, action="reply_approved", plan=plan, at=now)


def reject(store: Store, case_id: int, *, actor: str, attempt: int, group: str | None = None,
           at: datetime | None = None) -> Step:
    """An approver (or the drafter, withdrawing it) rejects attempt `attempt`: nothing is
    posted; the reply can be edited and sent again."""
    now = at or utcnow()

    def plan(case: Case) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]] | Refusal:
        refused = _decision(case, attempt=attempt)
        if refused is not None:
            return refused
        return ({"reply_state": ReplyState.DECLINED},
                {"attempt": attempt, "drafted_by": case.reply_by, "group": group}, [])

    return _apply(store, case_id, actor=actor, action="reply_rejected", plan=plan, at=now)


def _in_flight(case: Case, attempt: int) -> bool:
    return case.reply_state == ReplyState.QUEUED and case.reply_attempt == attempt


def record_replied(store: Store, case_id: int, *, attempt: int, platform_id: str,
                   url: str | None, published_at: datetime | None, reconciled: bool,
                   rows: Rows | None = None, at: datetime | None = None) -> Step:
    """The platform holds our reply: the `replied` event (actor: who drafted it, the one who
    answered) with the platform's id and URL, dated when the platform published it (so a reply
    found after a crash counts from then). Idempotent: a repeat for the same attempt does
    nothing."""
    now = at or utcnow()
    if published_at is not None and published_at <= now:
        now = published_at

    def plan(case: Case) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]] | Refusal:
        if not _in_flight(case, attempt):
            return Refusal.DECIDED
        return ({"reply_state": ReplyState.REPLIED, "replied_at": published_at or now,
                 "reply_url": url, "reply_platform_id": platform_id, "reply_error": None},
                {"attempt": attempt, "platform_id": platform_id, "url": url,
                 "published_at": (published_at or now).isoformat(), "reconciled": reconciled},
                [])

    view = store.get_case(case_id)
    actor = (view.case.reply_by if view else None) or "system"
    return _apply(store, case_id, actor=actor, action="replied", plan=plan, at=now, rows=rows)


def record_failed(store: Store, case_id: int, *, attempt: int, reason: str, message: str,
                  rows: Rows | None = None, at: datetime | None = None) -> Step:
    """The reply was not posted and will not be retried (refused, not set up, gave up)."""

    def plan(case: Case) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]] | Refusal:
        if not _in_flight(case, attempt):
            return Refusal.DECIDED
        return ({"reply_state": ReplyState.FAILED, "reply_error": message},
                {"attempt": attempt, "reason": reason, "message": message}, [])

    return _apply(store, case_id, actor="system", action="reply_failed", plan=plan,
                  at=at or utcnow(), rows=rows)


def record_waiting(store: Store, case_id: int, *, attempt: int, retry_at: datetime,
                   message: str, rows: Rows | None = None, at: datetime | None = None) -> Step:
    """The platform asked us to wait (rate limit): audited once per attempt by the caller; the
    case stays queued and its message unchanged."""

    def plan(case: Case) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]] | Refusal:
        if not _in_flight(case, attempt):
            return Refusal.DECIDED
        return {}, {"attempt": attempt, "retry_at": retry_at.isoformat(),
                    "message": message}, []

    return _apply(store, case_id, actor="system", action="reply_rate_limited", plan=plan,
                  at=at or utcnow(), rows=rows, refresh=False)
