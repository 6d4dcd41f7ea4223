"""Reddit: the customer's replies to our comments, read from the brand account's inbox."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from connectors.replies.reddit import NAME, SITE, RedditPublisher
from connectors.replies.watch import (
    Answer,
    Answers,
    Watched,
    Watcher,
    same_author,
    within_budget,
)
from monitor.models import Mention

logger = logging.getLogger(__name__)

SKEW = timedelta(minutes=5)


class RedditWatcher(Watcher):
    """Reads the account's comment replies (`/message/comments`, newest first): every reply to
    any of our comments, whatever the thread, so one request per poll covers every watched case
    (up to `replies.reddit.watch_limit` newest replies; reading does not mark them read)."""

    name: ClassVar[str] = NAME
    publisher_class = RedditPublisher

    def __init__(self, publisher: RedditPublisher) -> None:
        self.publisher = publisher

    def answers(self, watched: Sequence[Watched], *, budget: int = 1000) -> Answers:
        return within_budget([(watched, lambda: self._inbox(watched))], budget=budget,
                             count=lambda: self.publisher.session.count)

    def _inbox(self, watched: Sequence[Watched]) -> list[Answer]:
        by_parent: dict[str, list[Watched]] = {}
        for w in watched:
            for reply_id in w.reply_ids:
                by_parent.setdefault(reply_id, []).append(w)
        oldest = (min(w.replied_at for w in watched) - SKEW).timestamp() if watched else 0.0
        found: list[Answer] = []
        with self.publisher.mapped():
            for comment in self.publisher.reddit.inbox.comment_replies(
                    limit=self.publisher.options.watch_limit):
                created = float(getattr(comment, "created_utc", 0) or 0)
                if created < oldest:
                    break  # newest first: the rest is older than every reply we watch
                for w in by_parent.get(str(getattr(comment, "parent_id", "")), []):
                    author = _author(comment)
                    if same_author(author, w.target) and _newer(comment.fullname, w.seen_id):
                        found.append(_answer(w, comment, author, created))
        return found

    def is_answer(self, watched: Watched, mention: Mention) -> bool:
        return (mention.source == NAME and mention.parent_id in watched.reply_ids
                and same_author(mention.author.handle, watched.target))


def _newer(fullname: str, seen: str | None) -> bool:
    """Reddit ids grow with time: is `fullname` after the answer recorded last?"""
    if not seen:
        return True
    try:
        return int(fullname.partition("_")[2], 36) > int(seen.partition("_")[2], 36)
    except ValueError:
        return fullname != seen


def _author(comment: Any) -> str:
    author = getattr(comment, "author", None)
    return str(getattr(author, "name", author) or "")


def _answer(w: Watched, comment: Any, author: str, created: float) -> Answer:
    permalink = getattr(comment, "permalink", None) or getattr(comment, "context", None)
    return Answer(ref=w.ref, source=NAME, external_id=str(comment.fullname),
                  text=str(getattr(comment, "body", "") or ""),
                  posted_at=datetime.fromtimestamp(created, UTC), author_handle=author,
                  url=f"{SITE}{permalink}" if permalink else None)
