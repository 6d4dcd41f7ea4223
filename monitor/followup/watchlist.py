"""Which answered cases are watched now, and how each is handed to its platform's watcher."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from connectors.replies.watch import ReviewState, Watched
from monitor.models import Status
from monitor.readmodels import WatchedCase
from monitor.replies.publishing import target_of

CLOSED = (Status.HANDLED.value, Status.NOT_RELEVANT.value)


def last_heard(wc: WatchedCase) -> datetime:
    """The latest of our reply, the customer's last answer and the case's close."""
    case = wc.view.case
    times = [t for t in (case.replied_at, case.follow_up_at, case.handled_at) if t is not None]
    if case.status in CLOSED:
        times.append(case.updated_at)
    return max(times, default=case.updated_at)


def still_watched(wc: WatchedCase, *, now: datetime, quiet: timedelta) -> bool:
    """A closed case stops being watched once nothing was heard for `quiet` (its window is
    applied by the store query: our latest reply within `window_days`)."""
    if wc.view.case.status not in CLOSED:
        return True
    return now - last_heard(wc) < quiet


def due(cases: Sequence[WatchedCase], *, now: datetime, quiet: timedelta
        ) -> list[WatchedCase]:
    return [wc for wc in cases if still_watched(wc, now=now, quiet=quiet)]


def watched(wc: WatchedCase) -> Watched:
    """The case as the platform's watcher reads it: what we answered, our replies, and what
    the customer said since (the newest answer on X; the review as last recorded)."""
    stored = wc.view.mention
    mention = stored.mention
    case = wc.view.case
    posts = [f for f in wc.follow_ups if f.kind == "reply"]
    seen = max(posts, key=lambda f: (f.posted_at, len(f.external_id), f.external_id)
               ).external_id if posts else None
    updates = [f for f in wc.follow_ups if f.kind == "review_update"]
    if updates:
        last = updates[-1]
        known = ReviewState(last.text, last.title, last.rating, last.revision or None)
    else:
        known = ReviewState(mention.text, mention.title, mention.rating, None)
    assert case.replied_at is not None  # the store lists replied cases only
    return Watched(ref=str(case.id), target=target_of(stored),
                   reply_ids=wc.reply_ids, replied_at=case.replied_at, seen_id=seen,
                   known=known)
