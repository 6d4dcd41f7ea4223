"""The Reply… modal: edit a case's suggested reply in Slack, checked against platform limits."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from monitor.errors import DeliveryError
from monitor.replies import copy
from monitor.replies import platforms as pf
from monitor.slack.blocks import REPLY
from monitor.slack.delivery import SlackDelivery
from monitor.slack.refresh import refresh_message, settle_updates
from monitor.slack.text import escape

if TYPE_CHECKING:
    from monitor.readmodels import Case, StoredMention
    from monitor.store import Store

logger = logging.getLogger(__name__)

CALLBACK_ID = "case_reply_submit"
BLOCK_ID = "reply"
ACTION_ID = "reply_text"
INPUT_MAX = 3000  # Slack's limit for a plain_text_input


def current_reply(case: Case) -> str:
    return case.reply_final or case.reply_text or ""


def build_view(case: Case, stored: StoredMention) -> dict[str, Any]:
    """The modal: one multiline input prefilled with the current reply; the case id rides in
    private_metadata."""
    platform = pf.platform_for(stored.source)
    hint = copy.MODAL_HINT.format(platform=platform.name)
    if case.kb_entry:
        hint += "\n" + copy.MODAL_KB.format(entry=escape(case.kb_entry))
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "private_metadata": str(case.id),
        "title": {"type": "plain_text", "text": copy.MODAL_TITLE[:24]},
        "submit": {"type": "plain_text", "text": copy.MODAL_SUBMIT},
        "close": {"type": "plain_text", "text": copy.MODAL_CLOSE},
        "blocks": [
            {
                "type": "input",
                "block_id": BLOCK_ID,
                "label": {"type": "plain_text", "text": copy.MODAL_LABEL.format(
                    platform=platform.name, limit=f"{platform.limit:,}")},
                "element": {
                    "type": "plain_text_input",
                    "action_id": ACTION_ID,
                    "multiline": True,
                    "max_length": INPUT_MAX,
                    "initial_value": current_reply(case)[:INPUT_MAX],
                },
            },
            {"type": "context", "elements": [{"type": "mrkdwn", "text": hint}]},
        ],
    }


def problem(text: str, *, source: str, author: str | None) -> str | None:
    """Why `text` cannot be posted as a reply on `source`, or None when it can."""
    platform = pf.platform_for(source)
    if not text.strip():
        return copy.ERROR_EMPTY
    size = pf.length(text, platform)
    if size > platform.limit:
        return copy.ERROR_TOO_LONG.format(platform=platform.name, limit=f"{platform.limit:,}",
                                          length=f"{size:,}")
    others = pf.other_mentions(text, keep=author, platform=platform)
    if others:
        return copy.ERROR_MENTIONS.format(handles=", ".join(others))
    return None


def register(app: App, *, store: Store, max_text_chars: int = 1500) -> None:
    """Add the Reply… button's listener (opens the modal) and the modal's submission listener
    (validates, stores CaseRow.reply_final, queues the message update and makes it at once,
    as a button click does) to `app`."""

    @app.action(REPLY)
    def open_reply_modal(ack: Ack, body: dict[str, Any], action: dict[str, Any],
                         client: WebClient) -> None:
        ack()
        try:
            case_id = int(str(action.get("value")))
        except ValueError:
            logger.warning("ignoring %s with value %r", REPLY, action.get("value"))
            return
        found = store.get_case(case_id)
        if found is None:
            logger.warning("Reply… on unknown case %s", case_id)
            return
        try:
            client.views_open(trigger_id=body["trigger_id"], view=build_view(*found))
        except SlackApiError as e:  # an expired trigger: the agent clicks again
            logger.warning("could not open the reply editor for case %s: %s", case_id,
                           e.response.get("error"), extra={"case_id": case_id})

    @app.view(CALLBACK_ID)
    def save_reply(ack: Ack, body: dict[str, Any], view: dict[str, Any],
                   client: WebClient) -> None:
        def refuse(message: str) -> None:
            ack(response_action="errors", errors={BLOCK_ID: message})

        try:
            case_id = int(view.get("private_metadata") or "")
        except ValueError:
            refuse(copy.MODAL_CASE_GONE)
            return
        value = view["state"]["values"].get(BLOCK_ID, {}).get(ACTION_ID, {}).get("value")
        text = (value or "").strip()
        found = store.get_case(case_id)
        if found is None:
            refuse(copy.MODAL_CASE_GONE)
            return
        case, stored = found
        mention = stored.mention
        why = problem(text, source=mention.source, author=mention.author.handle)
        if why:
            refuse(why)
            return
        user = body["user"]["id"]
        platform = pf.platform_for(mention.source)
        saved = store.transition(
            case_id, actor=user, action="reply_edited", to_status=None,
            values={"reply_final": text},
            detail={"platform": mention.source, "length": pf.length(text, platform),
                    "edited": text != (case.reply_text or ""), "template": case.reply_template},
        )
        if not saved:
            refuse(copy.ERROR_NOT_SAVED)
            return
        ack()
        logger.info("case %s reply edited by %s", case_id, user,
                    extra={"case_id": case_id, "actor": user})
        show_now(store, SlackDelivery(client), case_id, max_text_chars=max_text_chars)


def show_now(store: Store, delivery: SlackDelivery, case_id: int, *, max_text_chars: int
             ) -> None:
    """Update the case's message now (HTTP mode has no outbox tick in this process); the
    queued update row stays the record and is settled for what Slack now shows."""
    found = store.get_case(case_id)
    if found is None:
        return
    try:
        shown = refresh_message(store, delivery, case_id, view=found,
                                max_text_chars=max_text_chars)
    except DeliveryError as e:
        logger.warning("case %s: message update failed (%s); the outbox will retry",
                       case_id, e, extra={"case_id": case_id})
        return
    if shown is not None:
        settle_updates(store, found, version=shown)
