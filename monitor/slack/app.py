"""The interactive triage app (slack-bolt): buttons and the label select move a case along."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor
from datetime import datetime
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from monitor import triage
from monitor.config import Settings
from monitor.errors import DeliveryError, NotConfigured
from monitor.replies.publishing import Publishing
from monitor.slack import copy, ephemeral, reply_actions, reply_modal
from monitor.slack.approvers import ApproverGroups
from monitor.slack.blocks import CHANGE_LABEL, CLAIM, HANDLED, NOT_RELEVANT, REOPEN
from monitor.slack.delivery import SlackDelivery
from monitor.slack.refresh import refresh_message, settle_updates
from monitor.slack.reply_actions import ReplyHandlers

if TYPE_CHECKING:
    from monitor.config import SlackSettings
    from monitor.readmodels import CaseView
    from monitor.store import Store

logger = logging.getLogger(__name__)

Action = Callable[..., triage.Outcome]
BUTTONS: dict[str, Action] = {
    CLAIM: triage.claim,
    HANDLED: triage.handle,
    NOT_RELEVANT: triage.dismiss,
    REOPEN: triage.reopen,
}


def feedback(outcome: triage.Outcome) -> str | None:
    """The private line for the agent whose click did nothing, or None."""
    if outcome.refusal is None:
        return None
    return copy.FEEDBACK[outcome.refusal].format(owner=outcome.owner or "someone",
                                                 label=outcome.label or "")


class TriageHandlers:
    """What happens after Slack is acknowledged: the state change, the message update, and a
    private line to the clicker when the click did nothing."""

    def __init__(self, *, store: Store, delivery: SlackDelivery, slack: SlackSettings,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.store = store
        self.delivery = delivery
        self.slack = slack
        self.clock = clock

    def button(self, func: Action) -> Callable[..., None]:
        def on_button(ack: Ack, body: dict[str, Any], action: dict[str, Any],
                      client: WebClient) -> None:
            ack()  # within Slack's 3 s; the work below runs after the response went out
            case_id = _case_id(action.get("value"))
            user = body["user"]["id"]
            if case_id is None:
                logger.warning("ignoring %s with value %r", action.get("action_id"),
                               action.get("value"))
                return
            outcome = func(self.store, case_id, actor=user, at=self._now())
            self.finish(outcome, body=body, client=client)

        on_button.__name__ = f"on_{func.__name__}"
        return on_button

    def label(self, ack: Ack, body: dict[str, Any], action: dict[str, Any],
              client: WebClient) -> None:
        ack()
        value = str((action.get("selected_option") or {}).get("value") or "")
        raw_id, _, label = value.partition(":")
        case_id = _case_id(raw_id)
        if case_id is None or not label:
            logger.warning("ignoring %s with value %r", CHANGE_LABEL, value)
            return
        outcome = triage.relabel(self.store, case_id, actor=body["user"]["id"], label=label,
                                 at=self._now())
        self.finish(outcome, body=body, client=client)

    def _now(self) -> datetime | None:
        return self.clock() if self.clock else None

    def finish(self, outcome: triage.Outcome, *, body: dict[str, Any], client: WebClient
               ) -> None:
        extra = {"case_id": outcome.case_id, "action": outcome.action,
                 "actor": body["user"]["id"]}
        if outcome.changed and outcome.view is not None:
            logger.info("case %s %s by %s", outcome.case_id, outcome.action,
                        body["user"]["id"], extra=extra)
            self.push(outcome.view)
        elif (line := feedback(outcome)) is not None:
            self.tell(body, client, line)

    def push(self, view: CaseView) -> None:
        """Update the message now instead of waiting for the outbox tick; the outbox row the
        transition queued stays the record and is settled only for what Slack now shows."""
        case_id = view.case.id
        try:
            shown = refresh_message(self.store, self.delivery, case_id, view=view,
                                    max_text_chars=self.slack.max_text_chars)
        except DeliveryError as e:
            logger.warning("case %s: message update failed (%s); the outbox will retry",
                           case_id, e, extra={"case_id": case_id})
            return
        if shown is not None:
            settle_updates(self.store, view, version=shown)

    @staticmethod
    def tell(body: dict[str, Any], client: WebClient, text: str) -> None:
        ephemeral.tell(body, client, text)


def _case_id(value: Any) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def build_bolt_app(
    *,
    store: Store,
    settings: Settings | SlackSettings,
    client: WebClient | None = None,
    signing_secret: str,
    token: str | None = None,
    listener_executor: Executor | None = None,
    clock: Callable[[], datetime] | None = None,
    token_verification: bool = True,
    publishing: Publishing | None = None,
) -> App:
    """The bolt App with every triage and reply listener, posting with `client` (or a client
    for the bot `token`). In HTTP mode bolt verifies each request's signature with
    `signing_secret` and answers 401 to anything unsigned; Socket Mode requests come over the
    app-token websocket and need no signature (pass ""). `publishing`: the platforms replies
    can be sent to (their limits, approval rules); none: replies can only be saved."""
    slack = settings.slack if isinstance(settings, Settings) else settings
    token = token or (client.token if client else None)
    if not token:
        raise NotConfigured("SLACK_BOT_TOKEN is not set")
    if client is None:
        client = WebClient(token=token, base_url=slack.base_url, timeout=int(slack.timeout))
    app = App(
        client=client,
        signing_secret=signing_secret,
        token_verification_enabled=token_verification,
        listener_executor=listener_executor,
        logger=logging.getLogger("monitor.slack.bolt"),
    )
    handlers = TriageHandlers(store=store, delivery=SlackDelivery(client), slack=slack,
                              clock=clock)
    for action_id, func in BUTTONS.items():
        app.action(action_id)(handlers.button(func))
    app.action(CHANGE_LABEL)(handlers.label)
    replies = ReplyHandlers(store=store, publishing=publishing or Publishing(),
                            approvers=ApproverGroups(client), push=handlers.push, clock=clock)
    reply_actions.register(app, replies)
    reply_modal.register(app, store=store, replies=replies)
    return app

