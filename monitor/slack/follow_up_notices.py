"""The customer's answer in the case's Slack thread, queued with the change it records."""

from __future__ import annotations

from typing import Any

from connectors.registry import source_title
from monitor.readmodels import CaseView, FollowUp
from monitor.slack import copy
from monitor.slack.text import escape, link, quote, truncate
from monitor.store.keys import OutboxKind, follow_up_key, post_key

TEXT_CHARS = 1200


def follow_up_text(follow_up: FollowUp) -> str:
    """The thread message: who answered where, their words (escaped: public text), the
    classifier's label, the signal it gives and whether it reopened the case."""
    platform = escape(source_title(follow_up.source))
    title = copy.FOLLOW_UP_TITLE.get(follow_up.kind, copy.FOLLOW_UP_TITLE["reply"]).format(
        platform=platform, link=link(follow_up.url, copy.FOLLOW_UP_LINK))
    words = f"{follow_up.title} — {follow_up.text}" if follow_up.title else follow_up.text
    body, _cut = truncate(words or "", TEXT_CHARS)
    stars = ""
    if follow_up.rating is not None:
        stars = "★" * follow_up.rating + "☆" * max(0, 5 - follow_up.rating) + "\n"
    label = copy.FOLLOW_UP_CLASSIFIED.format(
        emoji=copy.FOLLOW_UP_LABEL_EMOJI.get(follow_up.label, ""),
        label=copy.LABEL_TITLE.get(follow_up.label, escape(follow_up.label)),
        confidence=follow_up.confidence)
    lines = [title, stars + quote(escape(body)), label]
    reason = _reason(follow_up)
    if reason:
        lines.append(copy.FOLLOW_UP_SIGNAL[reason].format(before=follow_up.previous_rating,
                                                          after=follow_up.rating))
    if follow_up.reopened:
        lines.append(copy.FOLLOW_UP_REOPENED)
    return "\n".join(lines)


def _reason(f: FollowUp) -> str | None:
    if f.signal is None:
        return None
    if f.previous_rating is not None and f.rating is not None and f.rating != f.previous_rating:
        return "rating_up" if f.rating > f.previous_rating else "rating_down"
    return "praise" if f.signal == "satisfaction" else "complaint"


def follow_up_row(view: CaseView, follow_up: FollowUp) -> dict[str, Any] | None:
    """The follow-up watch's `notify`: the answer as a message in the case's thread (after its
    post); keyed by the answer (and the review's version), so a repeat is a no-op. None when
    the case was never posted to Slack."""
    case = view.case
    if not case.channel:
        return None
    text = follow_up_text(follow_up)
    return dict(key=follow_up_key(case.id, follow_up.source, follow_up.external_id,
                                  follow_up.revision),
                kind=OutboxKind.RAW, case_id=case.id, channel=case.channel,
                thread_key=post_key(case.id),
                payload={"text": text, "blocks": [
                    {"type": "section", "text": {"type": "mrkdwn", "text": text[:2900]}}]})
