"""Block Kit for public replies: the case message's reply section, approval and outcome lines."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from connectors.registry import source_title
from monitor.models import Status
from monitor.readmodels import Case, StoredMention
from monitor.replies.flow import SENDABLE
from monitor.replies.notices import Notice, Outcome
from monitor.replies.publishing import Publishing, answerable
from monitor.slack import copy
from monitor.slack.text import escape, link, quote, truncate

# action_ids: the value of SEND is the case id; of APPROVE/REJECT "<case id>:<attempt>"
SEND, APPROVE, REJECT = "case_send", "reply_approve", "reply_reject"
_FALLBACK = Publishing()  # the shared platform rules, for what the message can show alone


def slack_date(dt: datetime | None) -> str:
    """A date Slack renders in each reader's own time zone."""
    if dt is None:
        return ""
    return f"<!date^{int(dt.timestamp())}^{{date_short_pretty}} {{time}}|{dt:%Y-%m-%d %H:%M} UTC>"


def who(user: str | None) -> str:
    return f"<@{user}>" if user else "someone"


def edited(case: Case) -> bool:
    """The reply shown is an agent's edit, not the suggestion."""
    return bool(case.reply_final) and case.reply_final != case.reply_text


def header(case: Case, source: str) -> str:
    """The reply section's first line: a suggestion, or where our public reply stands."""
    state = case.reply_state
    if state is None:
        return copy.REPLY_HEADER["edited" if edited(case) else "suggested"]
    platform = escape(source_title(source))
    error = escape(truncate(case.reply_error or "", 200)[0])
    return copy.REPLY_HEADER.get(state, escape(state)).format(
        who=who(case.reply_by), platform=platform, when=slack_date(case.replied_at),
        link=link(case.reply_url, copy.REPLY_LINK.format(platform=source_title(source))),
        error=error)


def ready(case: Case, stored: StoredMention) -> str | None:
    """The reply the Send button would post, when it can go as it is; else None."""
    text = case.reply_final or case.reply_text
    if case.status not in (Status.NEW, Status.CLAIMED) or case.reply_state not in SENDABLE:
        return None
    if not text or not answerable(stored.source):
        return None
    author = stored.mention.author.handle
    return None if _FALLBACK.problem(text, source=stored.source, author=author) else text


def accessory(case: Case, stored: StoredMention) -> dict[str, Any] | None:
    """The button beside the reply: Send when it is ready; a link to the original where the
    platform cannot be answered from here."""
    platform = source_title(stored.source)
    if not answerable(stored.source):
        url = stored.mention.url
        if not url or not url.startswith(("https://", "http://")) or \
                case.status not in (Status.NEW, Status.CLAIMED):
            return None
        return {"type": "button", "action_id": f"{SEND}_link", "url": url[:3000],
                "text": {"type": "plain_text", "text": copy.BUTTON_ANSWER_ON.format(
                    platform=platform)}}
    text = ready(case, stored)
    if text is None:
        return None
    body = copy.SEND_CONFIRM_TEXT.format(platform=platform, text=text)
    return {"type": "button", "action_id": SEND, "value": str(case.id), "style": "primary",
            "text": {"type": "plain_text", "text": copy.BUTTON_SEND},
            "confirm": {"title": {"type": "plain_text", "text": copy.SEND_CONFIRM_TITLE},
                        "text": {"type": "plain_text", "text": truncate(body, 300)[0]},
                        "confirm": {"type": "plain_text", "text": copy.SEND_CONFIRM_YES},
                        "deny": {"type": "plain_text", "text": copy.SEND_CONFIRM_NO}}}


def approval_blocks(*, case_id: int, attempt: int, group: str, drafter: str, source: str,
                    text: str) -> tuple[str, list[dict[str, Any]]]:
    """The thread message asking `group` to approve a drafted reply (Approve / Reject)."""
    platform = escape(source_title(source))
    ask = copy.APPROVAL_ASK.format(group=f"<!subteam^{group}>", who=who(drafter),
                                   platform=platform)
    value = f"{case_id}:{attempt}"
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": ask}},
        {"type": "section", "text": {"type": "mrkdwn",
                                     "text": quote(escape(truncate(text, 2800)[0]))}},
        {"type": "actions", "block_id": f"approval:{value}", "elements": [
            {"type": "button", "action_id": APPROVE, "value": value, "style": "primary",
             "text": {"type": "plain_text", "text": copy.BUTTON_APPROVE}},
            {"type": "button", "action_id": REJECT, "value": value, "style": "danger",
             "text": {"type": "plain_text", "text": copy.BUTTON_REJECT}}]},
    ]
    return copy.APPROVAL_ASK_FALLBACK.format(platform=platform, who=who(drafter)), blocks


def decided_blocks(blocks: list[dict[str, Any]], line: str) -> list[dict[str, Any]]:
    """The approval message once decided: the same text, the buttons replaced by `line`."""
    kept = [b for b in blocks if b.get("type") != "actions"]
    return [*kept, {"type": "context", "elements": [{"type": "mrkdwn", "text": line}]}]


def notice_text(notice: Notice, stored: StoredMention) -> str:
    """The thread line for one outcome of a reply attempt; the platform's words escaped."""
    platform = escape(source_title(notice.source))
    if notice.outcome == Outcome.REPLIED:
        text = copy.NOTICE_REPLIED.format(
            platform=platform, who=who(notice.drafted_by),
            link=link(notice.url, copy.REPLY_LINK.format(platform=source_title(notice.source))))
        return text + (copy.NOTICE_RECONCILED.format(platform=platform)
                       if notice.reconciled else "")
    if notice.outcome == Outcome.RATE_LIMITED:
        return copy.NOTICE_RATE_LIMITED.format(platform=platform,
                                               when=slack_date(notice.retry_at))
    why = copy.NOTICE_WHY.get(notice.reason or "other", copy.NOTICE_WHY["other"])
    message = escape(truncate(notice.message or "", 300)[0])
    original = link(stored.mention.url, "the original post")
    return copy.NOTICE_FAILED.format(why=why.format(platform=platform, message=message,
                                                    original=original))
