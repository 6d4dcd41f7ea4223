"""X: the customer's posts in the conversations we answered, many conversations per search."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, ClassVar

from connectors.replies.http import parse_time
from connectors.replies.watch import (
    Answer,
    Answers,
    Unit,
    Watched,
    Watcher,
    same_author,
    within_budget,
)
from connectors.replies.x import NAME, XPublisher
from monitor.models import Mention

logger = logging.getLogger(__name__)

SEARCH_DAYS = timedelta(days=7) - timedelta(minutes=5)  # recent search reaches back 7 days
SKEW = timedelta(minutes=5)
HANDLE = re.compile(r"^[A-Za-z0-9_]{1,15}$")
FIELDS = ["created_at", "conversation_id", "author_id", "referenced_tweets", "lang"]


def conversation(w: Watched) -> str:
    """The conversation we answered in: the post's own, else the post itself (a root post)."""
    return str(w.target.extra.get("conversation_id") or w.target.external_id)


def floor(w: Watched) -> int:
    """Answers are posted after our first reply and after the last answer recorded."""
    ids = [int(i) for i in (w.seen_id, *w.reply_ids[:1]) if i and str(i).isdigit()]
    return max(ids, default=int(w.target.external_id) if w.target.external_id.isdigit() else 0)


class XWatcher(Watcher):
    """One recent search per batch of conversations, `((conversation_id:C from:customer) OR
    …)`, as long as X's query limit (`replies.x.watch_query_chars`, 512 on the Basic tier)
    allows, with the publisher's user-context client. Requests per poll: one per batch (more
    pages only when a batch has more than 100 new posts)."""

    name: ClassVar[str] = NAME
    publisher_class = XPublisher

    def __init__(self, publisher: XPublisher) -> None:
        self.publisher = publisher
        self.limit = publisher.options.watch_query_chars

    def answers(self, watched: Sequence[Watched], *, budget: int = 1000) -> Answers:
        units: list[Unit] = [(batch, partial(self._search, batch, query))
                             for batch, query in self._batches(watched)]
        return within_budget(units, budget=budget, count=lambda: self.publisher.session.count)

    def is_answer(self, watched: Watched, mention: Mention) -> bool:
        extra = mention.extra or {}
        return (mention.source == NAME and mention.external_id.isdigit()
                and str(extra.get("conversation_id") or "") == conversation(watched)
                and same_author(mention.author.handle, watched.target)
                and int(mention.external_id) > floor(watched)
                and mention.external_id not in watched.reply_ids)

    def _batches(self, watched: Sequence[Watched]) -> Iterator[tuple[list[Watched], str]]:
        batch: list[Watched] = []
        clauses: list[str] = []
        for w in watched:
            handle = w.target.author_handle.lstrip("@")
            if not HANDLE.match(handle) or not conversation(w).isdigit():
                logger.debug("x: case %s cannot be searched (handle %r)", w.ref, handle[:40],
                             extra={"source": NAME, "case_id": w.ref})
                continue
            clause = f"(conversation_id:{conversation(w)} from:{handle})"
            if clauses and len(_query([*clauses, clause])) > self.limit:
                yield batch, _query(clauses)
                batch, clauses = [], []
            batch.append(w)
            clauses.append(clause)
        if clauses:
            yield batch, _query(clauses)

    def _search(self, batch: list[Watched], query: str) -> list[Answer]:
        oldest = min(w.replied_at for w in batch) - SKEW
        start = max(oldest, datetime.now(UTC) - SEARCH_DAYS)
        by_conversation: dict[str, list[Watched]] = {}
        for w in batch:
            by_conversation.setdefault(conversation(w), []).append(w)
        out: list[Answer] = []
        token: str | None = None
        for _ in range(self.publisher.options.find_pages):
            params: dict[str, Any] = {
                "start_time": start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "max_results": 100, "tweet_fields": FIELDS, "expansions": ["author_id"],
                "user_fields": ["username"]}
            if token:
                params["next_token"] = token
            body = self.publisher.call_json(self.publisher.client.search_recent_tweets,
                                            query, user_auth=self.publisher.user_auth,
                                            **params)
            out += self._matches(body, by_conversation)
            token = (body.get("meta") or {}).get("next_token")
            if not token:
                break
        return out

    def _matches(self, body: Mapping[str, Any], by_conversation: Mapping[str, list[Watched]]
                 ) -> list[Answer]:
        includes = body.get("includes") if isinstance(body.get("includes"), dict) else {}
        users = {u.get("id"): u.get("username") for u in (includes or {}).get("users") or []
                 if isinstance(u, dict)}
        out = []
        for post in body.get("data") or []:
            if not isinstance(post, dict) or not str(post.get("id") or "").isdigit():
                continue
            refs = {r.get("type") for r in post.get("referenced_tweets") or []
                    if isinstance(r, dict)}
            handle = users.get(post.get("author_id"))
            at = parse_time(post.get("created_at"))
            if "retweeted" in refs or not handle or at is None:
                continue
            for w in by_conversation.get(str(post.get("conversation_id") or ""), []):
                if (same_author(handle, w.target) and int(post["id"]) > floor(w)
                        and post["id"] not in w.reply_ids):
                    out.append(Answer(ref=w.ref, source=NAME, external_id=str(post["id"]),
                                      text=str(post.get("text") or ""), posted_at=at,
                                      author_handle=handle,
                                      url=f"https://x.com/{handle}/status/{post['id']}"))
        return out


def _query(clauses: Sequence[str]) -> str:
    return clauses[0] if len(clauses) == 1 else f"({' OR '.join(clauses)})"
