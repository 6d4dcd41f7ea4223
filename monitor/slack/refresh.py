"""Bring a case's Slack message up to date now, and settle the outbox rows that asked for it."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from monitor.slack.blocks import render_case

if TYPE_CHECKING:
    from monitor.readmodels import CaseView
    from monitor.slack.delivery import Delivery
    from monitor.store import Store

logger = logging.getLogger(__name__)

ROUNDS = 4


def refresh_message(store: Store, delivery: Delivery, case_id: int, *,
                    max_text_chars: int = 1500, view: CaseView | None = None) -> int | None:
    """chat.update the case's message with its CURRENT state; returns the case version Slack
    now shows, or None if the case has no message yet (the post renders the current state).
    `view`: the case as the caller just read (or changed) it, saving the first read.

    Every updater (the outbox worker and the interactive fast path) goes through here. After
    each update the case is read again and, if it changed while the call was in flight, the
    message is rendered and updated again. So whichever update lands last at Slack was checked
    against the newest state after landing: two updaters racing can never leave an older state
    on screen. Updates are idempotent re-renders, so a duplicate is harmless; a lost one is not.
    Raises DeliveryError like Delivery.update."""
    shown: int | None = None
    for _ in range(ROUNDS):
        found = view if view is not None else store.get_case(case_id)
        view = None
        if found is None or not found.case.slack_ts:
            return shown
        case, mention = found
        if shown is not None and case.version == shown:
            return shown
        text, blocks = render_case(case, mention, max_text_chars=max_text_chars)
        delivery.update(channel=case.slack_channel or case.channel or "",
                        ts=str(case.slack_ts), text=text, blocks=blocks)
        shown = case.version
    logger.info("case %s kept changing while its message was updated; the outbox finishes it",
                case_id, extra={"case_id": case_id})
    return shown


def settle_updates(store: Store, view: CaseView, *, version: int) -> int:
    """Mark the case's still-pending update rows for versions <= `version` as sent: the message
    already shows that state (see Store.settle_updates). Returns how many."""
    case = view.case
    return store.settle_updates(case.id, version=version, channel=case.slack_channel,
                                ts=case.slack_ts)
