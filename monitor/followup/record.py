"""Attach one answer to its case: stored, audited, signalled, maybe reopened, told in Slack."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from monitor.clock import utcnow
from monitor.followup.signals import Decision, decide
from monitor.models import Classification, Status
from monitor.readmodels import CaseView, FollowUp
from monitor.store.follow_ups import Outcome
from monitor.triage import CLOSED, reopen_change

if TYPE_CHECKING:
    from connectors.replies.watch import Answer
    from monitor.store import Store

logger = logging.getLogger(__name__)

_RETRIES = 5  # a case changed by someone else meanwhile is read again and re-planned

# The outbox row that tells the case's Slack thread about the answer (None: not in Slack).
Notify = Callable[[CaseView, FollowUp], "dict[str, Any] | None"]


def no_notice(view: CaseView, follow_up: FollowUp) -> dict[str, Any] | None:
    return None


@dataclass(frozen=True, slots=True)
class Result:
    """What recording one answer did: `outcome` "recorded", "duplicate" (known already),
    "missing" or "stale" (lost every race); `follow_up` as stored."""

    outcome: str
    follow_up: FollowUp | None = None
    decision: Decision | None = None
    reopened: bool = False


def _plan(view: CaseView, answer: Answer, cls: Classification, at: datetime
          ) -> tuple[FollowUp, Decision, dict[str, Any], str | None, list[dict[str, Any]]]:
    case = view.case
    label = cls.label.value
    decision = decide(label, before=answer.previous_rating, after=answer.rating)
    reopen = decision.reopen and case.status in CLOSED
    follow_up = FollowUp(
        id=0, case_id=case.id, source=answer.source, external_id=answer.external_id,
        kind=answer.kind, text=answer.text, author_handle=answer.author_handle,
        posted_at=answer.posted_at, label=label, revision=answer.revision, title=answer.title,
        url=answer.url, rating=answer.rating, previous_rating=answer.previous_rating,
        confidence=float(cls.confidence), model=cls.model,
        signal=decision.signal.value if decision.signal else None, reopened=reopen,
        fetched_at=at)
    values: dict[str, Any] = {
        "follow_ups": case.follow_ups + 1, "follow_up_at": answer.posted_at,
        "follow_up_label": label, "follow_up_signal": follow_up.signal,
        "follow_up_rating": answer.rating if answer.rating is not None
        else case.follow_up_rating}
    detail = {"external_id": answer.external_id, "kind": answer.kind, "label": label,
              "confidence": round(float(cls.confidence), 4), "url": answer.url,
              "posted_at": answer.posted_at.isoformat(), "signal": follow_up.signal,
              "rating": answer.rating, "previous_rating": answer.previous_rating}
    events: list[dict[str, Any]] = [{"action": "follow_up", "to_status": case.status,
                                     "detail": detail}]
    if decision.signal is not None:
        events.append({"action": decision.signal.value, "to_status": case.status, "detail": {
            "reason": decision.reason, "label": label, "rating_from": answer.previous_rating,
            "rating_to": answer.rating}})
    to_status: str | None = None
    if reopen:
        reopened, why = reopen_change(case)
        values.update(reopened)
        to_status = Status.NEW.value
        events.append({"action": "reopened", "to_status": to_status, "detail": {
            "reason": "follow_up", "mention": answer.external_id, "label": label, **why}})
    return follow_up, decision, values, to_status, events


def record(store: Store, case_id: int, answer: Answer, cls: Classification, *,
           notify: Notify = no_notice, at: datetime | None = None) -> Result:
    """Store `answer` (classified as `cls`) with case `case_id` in one transaction: the
    answer, the `follow_up` event, the satisfaction signal, a reopen (actor "system") when a
    complaint or question answers a closed case, the thread message and the message update.
    A repeat of an answer already recorded changes nothing."""
    now = at or utcnow()
    for _ in range(_RETRIES):
        view = store.get_case(case_id)
        if view is None:
            return Result(Outcome.MISSING)
        follow_up, decision, values, to_status, events = _plan(view, answer, cls, now)
        row = notify(view, follow_up)
        fields = {k: getattr(follow_up, k) for k in (
            "source", "external_id", "revision", "kind", "text", "title", "url",
            "author_handle", "rating", "previous_rating", "posted_at", "label", "confidence",
            "model", "signal", "reopened")}
        done = store.record_follow_up(case_id, follow_up=fields, values=values,
                                      to_status=to_status, events=events,
                                      expect_version=view.case.version,
                                      enqueue=[row] if row else [], at=now)
        if done.outcome == Outcome.STALE:
            continue
        if done.outcome == Outcome.RECORDED:
            logger.info("case %s: the customer answered on %s (%s%s)%s", case_id,
                        answer.source, follow_up.label,
                        f", {follow_up.signal}" if follow_up.signal else "",
                        "; reopened" if follow_up.reopened else "",
                        extra={"case_id": case_id, "source": answer.source})
        return Result(done.outcome, done.follow_up, decision,
                      bool(done.follow_up and done.follow_up.reopened))
    return Result(Outcome.STALE)
