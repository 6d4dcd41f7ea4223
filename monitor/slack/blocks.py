"""Block Kit for a case: what the agent sees, and the buttons that move the case along."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from connectors.registry import source_title
from monitor.language.names import language_name
from monitor.language.policy import unread
from monitor.language.tagging import DETECTED
from monitor.models import LABELS, Mention, Status
from monitor.readmodels import Case, CaseView, StoredMention
from monitor.slack import copy, reply_blocks
from monitor.slack.text import (
    CONTEXT_TEXT,
    HEADER_TEXT,
    SECTION_TEXT,
    escape,
    fit,
    link,
    quote,
    truncate,
)

# action_ids the interactive app listens for; the button value is the case id
CLAIM, HANDLED, NOT_RELEVANT, REOPEN, CHANGE_LABEL, REPLY = (
    "case_claim", "case_handled", "case_not_relevant", "case_reopen", "case_label", "case_reply",
)
ARCHIVE = "https://slack.com/archives"  # + /<channel id>/p<ts>: a message link in any workspace
_SCORE_ONLY = re.compile(r"^(complaint|question|praise|other) [01]\.\d+$")
LABEL_VALUES = tuple(label.value for label in LABELS)
NAME_CHARS = 80  # an author's name or handle, a subreddit, a brand: a glance, not an essay


def _when(dt: datetime | None) -> str:
    if dt is None:
        return ""
    # Slack renders this in each reader's own time zone
    return f"<!date^{int(dt.timestamp())}^{{time}}|{dt:%H:%M} UTC>"


def _name(text: str) -> str:
    """A name from the public, escaped and cut to one short line."""
    return fit(" ".join(text.split()), NAME_CHARS)[0]


def _author(m: StoredMention) -> str:
    author = m.mention.author
    handle = _name(author.handle or "unknown")
    who = f"@{handle}" if m.source in ("x", "reddit") else handle
    if author.name and author.name != author.handle:
        who = f"{_name(author.name)} ({who})"
    if author.followers is not None:
        who += f" · {author.followers:,} followers"
    if author.verified:
        who += " · verified"
    return who


def status_line(case: Case) -> str:
    who = f"<@{case.owner}>" if case.owner else "someone"
    if case.status == "handled" and case.handled_at:
        minutes = max(0, round((case.handled_at - case.created_at).total_seconds() / 60))
        return copy.STATUS_LINE["handled_in"].format(who=who, minutes=minutes)
    if case.status == "claimed":
        return copy.STATUS_LINE["claimed"].format(who=who, when=_when(case.claimed_at))
    template = copy.STATUS_LINE.get(case.status, escape(case.status))
    line = template.format(who=who)
    if case.status == "new" and case.reopened:
        line += copy.REOPENED_NOTE.format(n=case.reopened)
    return line


def follow_up_line(case: Case, stored: StoredMention) -> str:
    """The customer's latest answer after our reply, and the review's stars since (from when
    we fetched it to now)."""
    emoji = copy.FOLLOW_UP_EMOJI.get(case.follow_up_signal or "") or \
        copy.FOLLOW_UP_LABEL_EMOJI.get(case.follow_up_label or "", "💬")
    label = copy.LABEL_TITLE.get(case.follow_up_label or "", "answered").lower()
    line = copy.FOLLOW_UP_LINE.format(when=_when(case.follow_up_at), emoji=emoji, label=label)
    before = stored.mention.rating
    if case.follow_up_rating is not None and before is not None \
            and case.follow_up_rating != before:
        line += copy.FOLLOW_UP_STARS.format(before=before, after=case.follow_up_rating)
    if case.follow_ups > 1:
        line += copy.FOLLOW_UP_COUNT.format(n=case.follow_ups)
    return line


def render_case(case: Case, stored: StoredMention, *, max_text_chars: int = 1500
                ) -> tuple[str, list[dict[str, Any]]]:
    """(fallback text, blocks) for the case's Slack message in its current state. Every piece
    is cut to Slack's limits before it is escaped (an escaped `&amp;` is never split)."""
    mention = stored.mention
    label = case.label
    brand = " ".join((stored.brand or "unknown brand").split())
    title = (f"{copy.LABEL_EMOJI.get(label, '')} {copy.LABEL_TITLE.get(label, label)} · "
             f"{brand} · {copy.PRIORITY_TITLE.get(case.priority, 'normal')} priority")
    notice = f"\n_{copy.CUT_NOTICE}_"
    head = f"*{fit(' '.join(mention.title.split()), 300)[0]}*\n" if mention.title else ""
    room = max(min(max_text_chars, SECTION_TEXT - len(notice)), len(quote(head)) + 100)
    body, cut = fit(mention.text or "", room, render=lambda t: quote(head + escape(t)))
    text_block = body + (notice if cut else "")
    where = escape(source_title(mention.source))
    if mention.extra and mention.extra.get("subreddit"):
        where += f" · r/{_name(str(mention.extra['subreddit']))}"
    if mention.rating is not None:
        where += f" · {'★' * mention.rating}{'☆' * (5 - mention.rating)}"
    meta = f"{_author(stored)}\n{where} · {link(mention.url, 'open original')} · " \
           f"{_when(mention.created_at)}"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "emoji": True,
                                    "text": truncate(title, HEADER_TEXT)[0]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": text_block}},
        {"type": "section", "text": {"type": "mrkdwn", "text": meta}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": c}
                                         for c in _context(case, stored)]},
    ]
    reply = case.reply_final or case.reply_text
    if reply:
        kb = ""
        # an agent's edit is theirs, not the suggestion: no knowledge-base link under it
        if case.kb_url and not reply_blocks.edited(case):
            kb = "\n" + copy.KB_SOURCE.format(
                link=link(case.kb_url, truncate(case.kb_entry or "entry", NAME_CHARS)[0]))
        fence = f"{reply_blocks.header(case, mention.source)}\n```"
        shown, _ = fit(reply, SECTION_TEXT - len(fence) - len(kb) - 3)
        section: dict[str, Any] = {"type": "section", "block_id": f"reply:{case.id}",
                                   "text": {"type": "mrkdwn", "text": f"{fence}{shown}```{kb}"}}
        button = reply_blocks.accessory(case, stored)
        if button is not None:
            section["accessory"] = button
        blocks.append(section)
    status = [{"type": "mrkdwn", "text": status_line(case)}]
    if case.follow_up_at is not None:
        status.append({"type": "mrkdwn", "text": follow_up_line(case, stored)})
    blocks.append({"type": "context", "elements": status})
    blocks.append({"type": "actions", "block_id": f"case:{case.id}",
                   "elements": _actions(case)})
    # the fallback text is what notifications show, and Slack parses it as mrkdwn too
    fallback = f"{copy.LABEL_TITLE.get(label, label)} about {_name(brand)}: " \
               f"{fit(mention.text or '', 200)[0]}"
    return fallback, blocks


def _context(case: Case, stored: StoredMention) -> list[str]:
    """The context line: classifier label and score, its reasons, priority reasons; each
    element within CONTEXT_TEXT characters."""
    # the classifier's first reason restates "<label> <score>", which the line already shows
    why = [r for r in stored.reasons if not _SCORE_ONLY.match(r)]
    reasons = "; ".join(fit(r, CONTEXT_TEXT // 3 - 2)[0] for r in why[:3])
    conf = copy.LABEL_TITLE.get(stored.label, stored.label)
    if not unread(stored.model):  # a label the model did not give has no model confidence
        conf += f" {stored.confidence:.0%}"
    if case.label != stored.label:
        conf += f" (changed to {case.label})"
    context = [fit(conf, CONTEXT_TEXT)[0]] + ([reasons] if reasons else [])
    if stored.uncertain:
        context.append(copy.UNCERTAIN)
    language = _language(stored.mention)
    if language:
        context.append(language)
    if stored.priority_reasons:
        shown = [fit(r, 64)[0] for r in stored.priority_reasons[:4]]
        context.append("priority: " + ", ".join(shown))
    return context


def _language(mention: Mention) -> str | None:
    """"🌐 Japanese (detected)" for a mention in a known language other than English."""
    code = (mention.lang or "").split("-")[0].lower()
    if not code or code == "en":
        return None
    how = copy.LANGUAGE_DETECTED if DETECTED in mention.extra else \
        copy.LANGUAGE_TAGGED.format(platform=escape(source_title(mention.source)))
    return copy.LANGUAGE_LINE.format(language=fit(language_name(code), NAME_CHARS)[0], how=how)


def _button(text: str, action_id: str, case: Case, style: str | None = None
            ) -> dict[str, Any]:
    b: dict[str, Any] = {"type": "button", "action_id": action_id, "value": str(case.id),
                         "text": {"type": "plain_text", "text": text}}
    if style:
        b["style"] = style
    return b


def _actions(case: Case) -> list[dict[str, Any]]:
    elements: list[dict[str, Any]] = []
    if case.status == Status.NEW:
        elements.append(_button(copy.BUTTON_CLAIM, CLAIM, case, "primary"))
    if case.status in (Status.NEW, Status.CLAIMED):
        elements.append(_button(copy.BUTTON_HANDLED, HANDLED, case,
                                None if case.status == Status.NEW else "primary"))
        elements.append(_button(copy.BUTTON_REPLY, REPLY, case))
        elements.append(_button(copy.BUTTON_NOT_RELEVANT, NOT_RELEVANT, case))
    else:
        elements.append(_button(copy.BUTTON_REOPEN, REOPEN, case))
    options: list[dict[str, Any]] = [{"text": {"type": "plain_text", "text": copy.LABEL_TITLE[v]},
                                      "value": f"{case.id}:{v}"} for v in LABEL_VALUES]
    current = next(o for o in options if o["value"].endswith(f":{case.label}")) \
        if case.label in LABEL_VALUES else None
    select: dict[str, Any] = {"type": "static_select", "action_id": CHANGE_LABEL,
                              "placeholder": {"type": "plain_text", "text": copy.CHANGE_LABEL},
                              "options": options}
    if current:
        select["initial_option"] = current
    elements.append(select)
    return elements


def _outcome(c: Case) -> str:
    """Where the case ended: its status (and who), replied publicly, reopened, and how the
    customer answered our reply."""
    outcome = copy.HISTORY_OUTCOME.get(c.status, c.status.replace("_", " "))
    if c.owner and c.status in ("claimed", "handled", "not_relevant"):
        outcome += f" by <@{c.owner}>"
    if c.reply_state == "replied":
        outcome += f" · {copy.HISTORY_REPLIED}"
    if c.reopened:
        outcome += f" · {copy.HISTORY_REOPENED.format(n=c.reopened)}"
    if c.follow_up_at is not None:
        emoji = copy.FOLLOW_UP_EMOJI.get(c.follow_up_signal or "") or \
            copy.FOLLOW_UP_LABEL_EMOJI.get(c.follow_up_label or "", "💬")
        outcome += f" · {copy.HISTORY_ANSWERED.format(emoji=emoji)}"
    return outcome


def thread_url(c: Case, *, archive: str = ARCHIVE) -> str | None:
    """A link to the case's Slack message (its thread) built from the channel id and ts:
    `https://slack.com/archives/<channel>/p<ts without the dot>` opens it in the workspace
    the reader is signed in to (chat.getPermalink would name the workspace's own domain, one
    API call per case; GovSlack: pass its archive URL)."""
    if not c.slack_channel or not c.slack_ts:
        return None
    return f"{archive}/{c.slack_channel}/p{c.slack_ts.replace('.', '')}"


def render_history(author: str, days: int, views: list[CaseView], *, archive: str = ARCHIVE
                   ) -> tuple[str, list[dict[str, Any]]]:
    """The thread reply listing the same author's earlier cases: when, label, outcome (status
    and who, replied publicly, reopened, how they answered our reply), links to the original
    and to the case's Slack thread, and what we replied, so nobody asks the customer twice."""
    if not views:
        text = copy.HISTORY_NONE.format(author=_name(author), days=days)
        return text, [{"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}]
    title = copy.HISTORY_TITLE.format(author=_name(author), days=days)
    items: list[str] = []
    for c, stored in views:
        m = stored.mention
        snippet = fit(" ".join(((m.title + " — " if m.title else "") + m.text).split()), 140)[0]
        thread = thread_url(c, archive=archive)
        where = link(m.url, "link") + (f" · {link(thread, copy.HISTORY_THREAD)}"
                                       if thread else "")
        line = (f"• {_when(m.created_at)} · {copy.LABEL_TITLE.get(c.label, c.label)} · "
                f"{_outcome(c)} · {where}\n    {snippet}")
        if c.reply_final:
            reply = fit(" ".join(c.reply_final.split()), 140)[0]
            line += "\n    " + copy.HISTORY_REPLY.format(reply=reply)
        items.append(line)
    # keep whole items within Slack's 3000-character section limit
    text, shown = title, 0
    for line in items:
        if len(text) + len(line) + 1 > 2800:
            break
        text, shown = f"{text}\n{line}", shown + 1
    if shown < len(items):
        text += "\n" + copy.HISTORY_MORE.format(n=len(items) - shown)
    return text, [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
