"""Send a public reply from Slack: the Send button, and the approvers' Approve / Reject buttons."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from connectors.registry import source_title
from monitor import triage
from monitor.errors import DeliveryError
from monitor.models import Status
from monitor.replies import copy as reply_copy
from monitor.replies import flow
from monitor.replies.publishing import Publishing, Reach
from monitor.slack import copy, ephemeral
from monitor.slack.approvers import ApproverGroups
from monitor.slack.reply_blocks import APPROVE, REJECT, SEND, decided_blocks, slack_date, who
from monitor.slack.reply_notices import approval_row
from monitor.slack.text import escape

if TYPE_CHECKING:
    from monitor.readmodels import CaseView
    from monitor.store import Store

logger = logging.getLogger(__name__)


class ReplyHandlers:
    """The reply listeners' work, after Slack is acknowledged. `push(view)` brings the case's
    message up to date at once (the outbox row the change queued stays the record)."""

    def __init__(self, *, store: Store, publishing: Publishing, approvers: ApproverGroups,
                 push: Callable[[CaseView], None],
                 clock: Callable[[], datetime] | None = None) -> None:
        self.store = store
        self.publishing = publishing
        self.approvers = approvers
        self.push = push
        self.clock = clock

    def _now(self) -> datetime | None:
        return self.clock() if self.clock else None

    # -- asking to send ----------------------------------------------------------------------

    def problem(self, view: CaseView, text: str) -> str | None:
        """Why `text` cannot be sent on this case's platform now, or None."""
        source = view.mention.source
        if self.publishing.reach(source) != Reach.READY:
            return self.publishing.why_not(source)
        return self.publishing.problem(text, source=source,
                                       author=view.mention.mention.author.handle)

    def approval_group(self, view: CaseView) -> str | None:
        return self.publishing.approval_group(brand=view.mention.brand, label=view.case.label)

    def request(self, view: CaseView, *, user: str, text: str, follow_up: bool = False
                ) -> flow.Step:
        """Store the request (and queue the reply, or the approval message) in one change.
        Whoever answers an unclaimed case claims it first (audited as a claim), so nobody is
        reminded that it waits; one a colleague has stays theirs."""
        group = self.approval_group(view)
        if view.case.status == Status.NEW:
            triage.claim(self.store, view.case.id, actor=user, at=self._now())

        def ask(v: CaseView, attempt: int) -> list[dict[str, Any]]:
            row = approval_row(v, attempt=attempt, group=group or "", drafter=user, text=text)
            return [row] if row else []

        step = flow.request(self.store, view.case.id, actor=user, text=text,
                            source=view.mention.source, approval_group=group,
                            follow_up=follow_up, rows=ask, at=self._now())
        if step.changed:
            logger.info("case %s: reply %s by %s (%s)", view.case.id, step.attempt, user,
                        "for approval" if group else "queued",
                        extra={"case_id": view.case.id, "actor": user})
        return step

    def on_send(self, ack: Ack, body: dict[str, Any], action: dict[str, Any],
                client: WebClient) -> None:
        """"Send suggested reply": the reply as the message shows it, limits checked again with
        the platform's own counting."""
        ack()
        user = body["user"]["id"]
        view = self.store.get_case(_int(action.get("value")) or 0)
        if view is None:
            ephemeral.tell(body, client, reply_copy.ERROR_BUSY["missing"])
            return
        text = view.case.reply_final or view.case.reply_text or ""
        why = self.problem(view, text)
        if why:
            ephemeral.tell(body, client, why)
            return
        step = self.request(view, user=user, text=text)
        if not step.changed:
            ephemeral.tell(body, client, refusal_line(step))
            return
        if step.view is not None:
            self.push(step.view)
        group = self.approval_group(view)
        if group:
            ephemeral.tell(body, client, copy.SENT_FOR_APPROVAL.format(group=f"<!subteam^{group}>"))

    # -- approving -----------------------------------------------------------------------------

    def on_decision(self, ack: Ack, body: dict[str, Any], action: dict[str, Any],
                    client: WebClient) -> None:
        ack()
        user = body["user"]["id"]
        case_id, _, attempt = str(action.get("value") or "").partition(":")
        view = self.store.get_case(_int(case_id) or 0)
        if view is None or _int(attempt) is None:
            ephemeral.tell(body, client, reply_copy.ERROR_BUSY["missing"])
            return
        number = int(attempt)
        group = self._group_of(view.case.id, number) or self.approval_group(view)
        approving = action.get("action_id") == APPROVE
        withdrawing = not approving and user == view.case.reply_by
        if not withdrawing:
            if not group:  # no group to ask: nobody may approve (fail closed)
                ephemeral.tell(body, client, copy.APPROVERS_UNKNOWN.format(
                    error="no approver group recorded"))
                return
            try:
                member = self.approvers.is_member(group, user)
            except DeliveryError as e:
                ephemeral.tell(body, client, copy.APPROVERS_UNKNOWN.format(error=e))
                return
            if not member:
                ephemeral.tell(body, client, copy.NOT_APPROVER.format(group=f"<!subteam^{group}>"))
                return
        now = self._now()
        if approving:
            step = flow.approve(self.store, view.case.id, actor=user, attempt=number,
                                source=view.mention.source, group=group, at=now)
        else:
            step = flow.reject(self.store, view.case.id, actor=user, attempt=number,
                               group=group, at=now)
        if not step.changed:
            ephemeral.tell(body, client, refusal_line(step))
            return
        logger.info("case %s: reply %s %s by %s", view.case.id, number,
                    "approved" if approving else "rejected", user,
                    extra={"case_id": view.case.id, "actor": user})
        decided_at = step.view.case.updated_at if step.view is not None else now
        line = (copy.APPROVED if approving else copy.REJECTED).format(
            who=who(user), when=slack_date(decided_at),
            platform=escape(source_title(view.mention.source)))
        self._close_approval(body, client, line)
        if step.view is not None:
            self.push(step.view)

    def _group_of(self, case_id: int, attempt: int) -> str | None:
        """The approver group the request was sent to (the config may have changed since)."""
        for event in reversed(self.store.case_events(case_id, actions=["reply_requested"])):
            if event.detail.get("attempt") == attempt:
                return event.detail.get("approval_group") or None
        return None

    @staticmethod
    def _close_approval(body: dict[str, Any], client: WebClient, line: str) -> None:
        """Replace the approval message's buttons with who decided (best effort: a click on a
        stale button is refused anyway)."""
        message = body.get("message") or {}
        channel = (body.get("container") or {}).get("channel_id") or \
            (body.get("channel") or {}).get("id")
        if not channel or not message.get("ts"):
            return
        try:
            client.chat_update(channel=channel, ts=message["ts"], text=line,
                               blocks=decided_blocks(list(message.get("blocks") or []), line))
        except SlackApiError as e:
            logger.warning("could not close the approval message: %s", e.response.get("error"))


def refusal_line(step: flow.Step) -> str:
    return reply_copy.ERROR_BUSY.get(str(step.refusal), reply_copy.ERROR_BUSY["decided"])


def _int(value: Any) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def register(app: App, handlers: ReplyHandlers) -> None:
    app.action(SEND)(handlers.on_send)
    app.action(APPROVE)(handlers.on_decision)
    app.action(REJECT)(handlers.on_decision)

    @app.action(f"{SEND}_link")
    def on_link(ack: Ack) -> None:  # a link button: Slack opens the URL, we only acknowledge
        ack()
