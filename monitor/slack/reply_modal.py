"""The Reply… modal: edit a case's reply in Slack, then Send it to the platform or just Save it."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from connectors.registry import source_title
from monitor.replies import copy
from monitor.replies.flow import ReplyState
from monitor.replies.publishing import Publishing, Reach
from monitor.slack.blocks import REPLY
from monitor.slack.text import escape

if TYPE_CHECKING:
    from monitor.readmodels import Case, CaseView
    from monitor.slack.reply_actions import ReplyHandlers
    from monitor.store import Store

logger = logging.getLogger(__name__)

CALLBACK_ID = "case_reply_submit"
BLOCK_ID = "reply"
ACTION_ID = "reply_text"
SAVE_BLOCK = "reply_save"
SAVE_ACTION = "reply_save_only"
SEND_FLAG = "send"  # private_metadata "<case id>:send" when the modal offers Send
INPUT_MAX = 3000  # Slack's limit for a plain_text_input
_BUSY = (ReplyState.AWAITING_APPROVAL, ReplyState.QUEUED)


def current_reply(case: Case) -> str:
    return case.reply_final or case.reply_text or ""


def build_view(found: CaseView, *, publishing: Publishing | None = None,
               approval_group: str | None = None) -> dict[str, Any]:
    """The modal: one multiline input prefilled with the current reply; Send (or Ask for
    approval) when the platform's account is set up, with a box to only save instead; Save
    alone otherwise. The case id (and whether Send is offered) rides in private_metadata."""
    case, stored = found
    publishing = publishing or Publishing()
    platform = source_title(stored.source)
    _size, limit = publishing.length(current_reply(case), stored.source)
    sendable = publishing.reach(stored.source) == Reach.READY and case.reply_state not in _BUSY
    if sendable:
        hint = (copy.MODAL_APPROVAL_HINT.format(platform=platform,
                                                group=f"<!subteam^{approval_group}>")
                if approval_group else copy.MODAL_SEND_HINT.format(platform=platform))
        if case.reply_state == ReplyState.REPLIED:
            hint += "\n" + copy.MODAL_FOLLOW_UP.format(platform=platform)
    elif case.reply_state in _BUSY:
        hint = copy.ERROR_BUSY["awaiting" if case.reply_state == ReplyState.AWAITING_APPROVAL
                               else "sending"]
    else:
        hint = publishing.why_not(stored.source) + " " + copy.MODAL_HINT.format(
            platform=platform)
    if case.kb_entry:
        hint += "\n" + copy.MODAL_KB.format(entry=escape(case.kb_entry))
    blocks: list[dict[str, Any]] = [
        {
            "type": "input",
            "block_id": BLOCK_ID,
            "label": {"type": "plain_text", "text": copy.MODAL_LABEL.format(
                platform=platform, limit=f"{limit:,}")},
            "element": {
                "type": "plain_text_input",
                "action_id": ACTION_ID,
                "multiline": True,
                "max_length": INPUT_MAX,
                "initial_value": current_reply(case)[:INPUT_MAX],
            },
        },
    ]
    if sendable:
        option = {"text": {"type": "plain_text", "text": copy.MODAL_SAVE_ONLY},
                  "value": SAVE_ACTION}
        blocks.append({"type": "input", "block_id": SAVE_BLOCK, "optional": True,
                       "label": {"type": "plain_text", "text": " "},
                       "element": {"type": "checkboxes", "action_id": SAVE_ACTION,
                                   "options": [option]}})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": hint}]})
    submit = (copy.MODAL_SEND_APPROVAL if approval_group else copy.MODAL_SEND) if sendable \
        else copy.MODAL_SUBMIT
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "private_metadata": f"{case.id}:{SEND_FLAG}" if sendable else str(case.id),
        "title": {"type": "plain_text", "text": copy.MODAL_TITLE[:24]},
        "submit": {"type": "plain_text", "text": submit},
        "close": {"type": "plain_text", "text": copy.MODAL_CLOSE},
        "blocks": blocks,
    }


def _wants_send(view: dict[str, Any]) -> tuple[int | None, bool]:
    """(case id, whether to send) from a submitted modal."""
    raw, _, flag = str(view.get("private_metadata") or "").partition(":")
    try:
        case_id = int(raw)
    except ValueError:
        return None, False
    values = view.get("state", {}).get("values", {})
    chosen = (values.get(SAVE_BLOCK, {}).get(SAVE_ACTION, {}) or {}).get("selected_options")
    save_only = any(o.get("value") == SAVE_ACTION for o in chosen or [])
    return case_id, flag == SEND_FLAG and not save_only


def register(app: App, *, store: Store, replies: ReplyHandlers | None = None) -> None:
    """Add the Reply… button's listener (opens the modal) and the modal's submission listener
    (validates; sends through `replies`, or stores CaseRow.reply_final) to `app`."""
    publishing = replies.publishing if replies is not None else Publishing()

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
        group = replies.approval_group(found) if replies is not None else None
        try:
            client.views_open(trigger_id=body["trigger_id"],
                              view=build_view(found, publishing=publishing,
                                              approval_group=group))
        except SlackApiError as e:  # an expired trigger: the agent clicks again
            logger.warning("could not open the reply editor for case %s: %s", case_id,
                           e.response.get("error"), extra={"case_id": case_id})

    @app.view(CALLBACK_ID)
    def submit_reply(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        def refuse(message: str) -> None:
            ack(response_action="errors", errors={BLOCK_ID: message})

        case_id, send = _wants_send(view)
        found = store.get_case(case_id) if case_id is not None else None
        if found is None:
            refuse(copy.MODAL_CASE_GONE)
            return
        value = view["state"]["values"].get(BLOCK_ID, {}).get(ACTION_ID, {}).get("value")
        text = (value or "").strip()
        mention = found.mention.mention
        user = body["user"]["id"]
        if send and replies is not None:
            why = replies.problem(found, text)
            if why:
                refuse(why)
                return
            step = replies.request(found, user=user, text=text,
                                   follow_up=found.case.reply_state == ReplyState.REPLIED)
            if not step.changed:
                refuse(copy.ERROR_BUSY.get(str(step.refusal), copy.ERROR_NOT_SAVED))
                return
            ack()
            if step.view is not None:
                replies.push(step.view)
            return
        why = publishing.problem(text, source=mention.source, author=mention.author.handle)
        if why:
            refuse(why)
            return
        if found.case.reply_state in _BUSY:
            refuse(copy.ERROR_BUSY["awaiting" if found.case.reply_state ==
                                   ReplyState.AWAITING_APPROVAL else "sending"])
            return
        if found.case.reply_state == ReplyState.REPLIED:  # the message shows what was posted
            refuse(copy.ERROR_BUSY["replied"])
            return
        size, _limit = publishing.length(text, mention.source)
        saved = store.transition_case(
            found.case.id, actor=user, action="reply_edited", to_status=None,
            values={"reply_final": text},
            detail={"platform": mention.source, "length": size,
                    "edited": text != (found.case.reply_text or ""),
                    "template": found.case.reply_template},
            expect_version=found.case.version,
        )
        if saved is None:
            refuse(copy.ERROR_NOT_SAVED)
            return
        ack()
        logger.info("case %s reply edited by %s", found.case.id, user,
                    extra={"case_id": found.case.id, "actor": user})
        if replies is not None:  # show it now: HTTP mode has no outbox tick in this process
            replies.push(found._replace(case=saved))
