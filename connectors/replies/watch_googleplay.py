"""Google Play: reviews updated after our reply, read from each app's review list (one quota)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any, ClassVar

from connectors.replies.googleplay import NAME, GooglePlayPublisher, play_time
from connectors.replies.watch import Answer, Answers, Unit, Watched, Watcher, within_budget
from connectors.replies.watch_reviews import update_of
from monitor.errors import PublishRejected

logger = logging.getLogger(__name__)


class GooglePlayWatcher(Watcher):
    """`reviews.list` per app (the API lists the reviews created or changed in the last week,
    100 a page): one request per app per poll for any number of watched reviews, up to
    `replies.googleplay.watch_pages` pages. Play allows few review reads an hour, so the
    reviews are never read one by one."""

    name: ClassVar[str] = NAME
    publisher_class = GooglePlayPublisher

    def __init__(self, publisher: GooglePlayPublisher) -> None:
        self.publisher = publisher

    def answers(self, watched: Sequence[Watched], *, budget: int = 1000) -> Answers:
        by_app: dict[str, dict[str, Watched]] = {}
        for w in watched:
            app = w.target.extra.get("app_id")
            if isinstance(app, str) and app:
                by_app.setdefault(app, {})[w.target.external_id] = w
        made = [0]
        units: list[Unit] = [(list(wanted.values()), partial(self._app, app, wanted, made))
                             for app, wanted in by_app.items()]
        return within_budget(units, budget=budget, count=lambda: made[0])

    def _app(self, app: str, wanted: Mapping[str, Watched], made: list[int]) -> list[Answer]:
        """The app's reviews, page by page, until every watched one was seen."""
        found: list[Answer] = []
        token: str | None = None
        left = dict(wanted)
        for _ in range(self.publisher.options.watch_pages):
            params: dict[str, Any] = {"packageName": app, "maxResults": 100}
            if token:
                params["token"] = token
            made[0] += 1
            try:
                body = self.publisher.execute(self.publisher.service.reviews().list(**params))
            except PublishRejected as exc:  # this app is gone or not ours: the others go on
                logger.warning("googleplay: reviews of %s not readable: %s", app, exc,
                               extra={"source": NAME, "target": app})
                break
            for review in body.get("reviews") or []:
                if not isinstance(review, dict):
                    continue
                case = left.pop(str(review.get("reviewId")), None)
                if case is not None and (answer := _update(case, review)) is not None:
                    found.append(answer)
            paging = body.get("tokenPagination")
            token = paging.get("nextPageToken") if isinstance(paging, dict) else None
            if not left or not token:
                break
        return found


def _update(w: Watched, review: Mapping[str, Any]) -> Answer | None:
    """The customer's comment on the review when they changed it after our reply."""
    for comment in review.get("comments") or []:
        user = comment.get("userComment") if isinstance(comment, dict) else None
        if not isinstance(user, dict):
            continue
        at = play_time(user.get("lastModified"))
        text = str(user.get("text") or "").strip()
        rating = user.get("starRating") if isinstance(user.get("starRating"), int) else None
        if at is None:
            return None
        return update_of(w, NAME, text=text, title=None, rating=rating, at=at,
                         version=str(int(at.timestamp())))
    return None
