"""App Store and Trustpilot: a review read again after our reply, for the customer's update."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, ClassVar

from connectors.replies.appstore import AppStorePublisher
from connectors.replies.http import parse_time
from connectors.replies.trustpilot import TrustpilotPublisher
from connectors.replies.watch import (
    Answer,
    Answers,
    Unit,
    Watched,
    Watcher,
    changed,
    digest,
    within_budget,
)

logger = logging.getLogger(__name__)

SKEW = timedelta(minutes=1)


def _stars(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def update_of(w: Watched, source: str, *, text: str, title: str | None, rating: int | None,
              at: datetime | None, version: str | None) -> Answer | None:
    """The review as an answer when the customer changed it after our reply: it differs from
    what we recorded and, where the platform dates the change, it changed after the reply."""
    if at is not None and at <= w.replied_at - SKEW:
        return None
    if not changed(w.known, text=text, title=title, rating=rating):
        return None
    # the platform's version (its modified time) and the content: two edits within the same
    # second are still two versions
    revision = f"{version[:40]}~{digest(title, text, rating)}" if version \
        else digest(title, text, rating)
    if w.known is not None and w.known.revision == revision:
        return None
    return Answer(ref=w.ref, source=source, external_id=w.target.external_id, text=text,
                  posted_at=at or datetime.now(UTC), author_handle=w.target.author_handle,
                  kind="review_update", revision=revision, url=w.target.url, title=title,
                  rating=rating, previous_rating=w.known.rating if w.known else None)


class AppStoreWatcher(Watcher):
    """`GET /v1/customerReviews/{id}` per watched review (App Store Connect has no batch read
    by id and no "changed since" filter): one request per watched case per poll, well within
    Apple's hourly allowance. A review's `createdDate` is the date it shows, which moves when
    the customer edits it."""

    name: ClassVar[str] = "appstore"
    publisher_class = AppStorePublisher

    def __init__(self, publisher: AppStorePublisher) -> None:
        self.publisher = publisher

    def answers(self, watched: Sequence[Watched], *, budget: int = 1000) -> Answers:
        made = [0]  # one request per review
        units: list[Unit] = [([w], partial(self._one, w, made)) for w in watched]
        return within_budget(units, budget=budget, count=lambda: made[0])

    def _one(self, w: Watched, made: list[int]) -> list[Answer]:
        made[0] += 1
        data = self.publisher.review(w.target.external_id)
        attributes: Mapping[str, Any] = (data or {}).get("attributes") or {}
        if not data or not isinstance(attributes, Mapping):
            return []  # removed: nothing to answer with
        answer = update_of(w, self.name, text=str(attributes.get("body") or "").strip(),
                           title=attributes.get("title") or None,
                           rating=_stars(attributes.get("rating")),
                           at=parse_time(attributes.get("createdDate")), version=None)
        return [answer] if answer is not None else []


class TrustpilotWatcher(Watcher):
    """`GET /v1/reviews/{id}` (public, API key) per watched review: one request per watched
    case per poll. `updatedAt` dates the customer's change and versions it."""

    name: ClassVar[str] = "trustpilot"
    publisher_class = TrustpilotPublisher

    def __init__(self, publisher: TrustpilotPublisher) -> None:
        self.publisher = publisher

    def answers(self, watched: Sequence[Watched], *, budget: int = 1000) -> Answers:
        made = [0]  # one request per review (public, with the API key: no token)
        units: list[Unit] = [([w], partial(self._one, w, made)) for w in watched]
        return within_budget(units, budget=budget, count=lambda: made[0])

    def _one(self, w: Watched, made: list[int]) -> list[Answer]:
        made[0] += 1
        review = self.publisher.review(w.target.external_id)
        if not review:
            return []
        updated = review.get("updatedAt")
        answer = update_of(w, self.name, text=str(review.get("text") or "").strip(),
                           title=review.get("title") or None,
                           rating=_stars(review.get("stars")), at=parse_time(updated),
                           version=str(updated) if updated else None)
        return [answer] if answer is not None else []
