"""Reminders: nudge the on-call group about unclaimed cases and owners about stale claims."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from monitor.clock import utcnow
from monitor.jobs import Job
from monitor.models import Label, Priority, Status
from monitor.slack import copy
from monitor.store.keys import OutboxKind, post_key, reminder_key

if TYPE_CHECKING:
    from monitor.config import SlackSettings
    from monitor.readmodels import Case
    from monitor.store import Store

logger = logging.getLogger(__name__)

# One reminder per stage, never a stream of them:
#   unclaimed  new complaint/question, N minutes (slack.remind_unclaimed_minutes[priority])
#              after it was posted (or last reopened) -> thread reply pinging the on-call group
#              (a delivery backlog does not eat into the team's time);
#   claimed    M minutes (slack.remind_claimed_minutes) after the claim -> pings the owner.
# A new claim (after a reopen) is a new stage with a new key. Closing the case, or relabelling
# it to praise/other, stops reminders: only open, actionable cases are looked at. A case not in
# Slack yet is skipped (nobody could have claimed it).
_GROUP_ID = re.compile(r"^S[A-Z0-9]{6,}$")


@dataclass(frozen=True, slots=True)
class Reminder:
    case_id: int
    stage: str  # "unclaimed" | "claimed"
    key: str  # outbox idempotency key
    text: str
    status: str  # the case status it was due in (compare-and-set guard)


def _minutes(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds() // 60))


def _ping_group(slack: SlackSettings) -> str | None:
    group = slack.oncall_group
    if group and _GROUP_ID.match(group):
        return f"<!subteam^{group}>"
    if group:
        logger.warning("slack.oncall_group %r is not a user group id (S…); reminders will not "
                       "ping it — `brand-monitor slack check` lists the ids", group)
    return None


def _since_open(store: Store, case: Case) -> datetime:
    """When the team could first see the case as open: its post (or its last reopen)."""
    seen = [e.at for e in store.case_events(case.id, actions=("posted", "reopened"))]
    return max(seen, default=case.created_at)


def due(store: Store, slack: SlackSettings, *, now: datetime) -> list[Reminder]:
    """The reminders due at `now` that have not been sent for their stage."""
    out: list[Reminder] = []
    group = _ping_group(slack)
    for case, _mention in store.cases(statuses=(Status.NEW, Status.CLAIMED)):
        if not case.slack_ts or case.label not in (Label.COMPLAINT, Label.QUESTION):
            continue
        label = copy.LABEL_TITLE.get(case.label, case.label).lower()
        if case.status == Status.NEW and case.reminded_at is None:
            limit = slack.remind_unclaimed_minutes.get(str(Priority(case.priority)))
            if limit is None or now - case.created_at < timedelta(minutes=limit):
                continue  # cheap check first: it cannot have been open long enough
            waited = now - _since_open(store, case)
            if waited < timedelta(minutes=limit):
                continue
            text = (copy.REMIND_UNCLAIMED.format(ping=group, label=label,
                                                 minutes=_minutes(waited)) if group else
                    copy.REMIND_UNCLAIMED_NO_GROUP.format(label=label, minutes=_minutes(waited)))
            key = reminder_key(case.id, "unclaimed", reopened=case.reopened)
            out.append(Reminder(case.id, "unclaimed", key, text, case.status))
        elif case.status == Status.CLAIMED and case.claimed_at and case.owner and (
                case.reminded_at is None or case.reminded_at < case.claimed_at):
            waited = now - case.claimed_at
            if waited < timedelta(minutes=slack.remind_claimed_minutes):
                continue
            text = copy.REMIND_CLAIMED.format(ping=f"<@{case.owner}>", label=label,
                                              minutes=_minutes(waited))
            key = reminder_key(case.id, "claimed", claimed_at=case.claimed_at)
            out.append(Reminder(case.id, "claimed", key, text, case.status))
    return out


def send_due(store: Store, slack: SlackSettings, *, now: datetime | None = None) -> int:
    """Queue every due reminder as a thread reply under the case's message, recording it on the
    case and in the audit trail in the same transaction. Returns how many were queued."""
    now = now or utcnow()
    sent = 0
    for r in due(store, slack, now=now):
        found = store.get_case(r.case_id)
        if found is None or not found.case.channel:
            continue
        case = found.case
        row = {"key": r.key, "kind": OutboxKind.RAW, "case_id": r.case_id,
               "channel": case.channel, "thread_key": post_key(r.case_id),
               "payload": {"text": r.text, "blocks": [
                   {"type": "section", "text": {"type": "mrkdwn", "text": r.text}}]}}
        # guarded by the status it was due in: a claim landing meanwhile cancels the reminder
        if store.transition(r.case_id, actor="system", action="reminded", to_status=None,
                            allowed_from=(r.status,), refresh_message=False, at=now,
                            values={"reminded_at": now, "reminders": (case.reminders or 0) + 1},
                            detail={"stage": r.stage, "key": r.key}, enqueue=[row]):
            sent += 1
            logger.info("case %s: %s reminder queued", r.case_id, r.stage,
                        extra={"case_id": r.case_id, "stage": r.stage})
    return sent


def reminder_jobs(store: Store, slack: SlackSettings, *,
                  clock: Callable[[], datetime] = utcnow) -> list[Job]:
    """The reminder job, every minute; `clock` decides what is due."""
    return [Job("reminders", lambda: send_due(store, slack, now=clock()), seconds=60)]
