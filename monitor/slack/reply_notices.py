"""Thread messages about a case's public reply, queued in the outbox with the change they tell."""

from __future__ import annotations

from typing import Any

from monitor.readmodels import CaseView
from monitor.replies.notices import Notice
from monitor.slack.reply_blocks import approval_blocks, notice_text
from monitor.store.keys import OutboxKind, approval_key, post_key, reply_notice_key


def _thread_row(view: CaseView, *, key: str, text: str, blocks: list[dict[str, Any]]
                ) -> dict[str, Any] | None:
    """A raw message in the case's thread (after its post is delivered); None when the case
    was never posted to Slack."""
    case = view.case
    if not case.channel:
        return None
    return dict(key=key, kind=OutboxKind.RAW, case_id=case.id, channel=case.channel,
                thread_key=post_key(case.id), payload={"text": text, "blocks": blocks})


def notice_row(view: CaseView, notice: Notice) -> dict[str, Any] | None:
    """The reply worker's `notify`: one thread line per outcome of an attempt (the key makes a
    repeat after a crash a no-op)."""
    text = notice_text(notice, view.mention)
    return _thread_row(view, key=reply_notice_key(notice.case_id, notice.attempt,
                                                  notice.outcome),
                       text=text, blocks=[{"type": "section",
                                           "text": {"type": "mrkdwn", "text": text[:2900]}}])


def approval_row(view: CaseView, *, attempt: int, group: str, drafter: str, text: str
                 ) -> dict[str, Any] | None:
    """The thread message asking the approver group to approve attempt `attempt`."""
    fallback, blocks = approval_blocks(case_id=view.case.id, attempt=attempt, group=group,
                                       drafter=drafter, source=view.mention.source, text=text)
    return _thread_row(view, key=approval_key(view.case.id, attempt), text=fallback,
                       blocks=blocks)
