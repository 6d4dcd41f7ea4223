"""The Watcher contract: fetch customers' answers to our public replies, many cases per request."""

from __future__ import annotations

import hashlib
import importlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from connectors.replies.base import Publisher, ReplyTarget
from monitor.errors import PublishError, PublishRateLimited
from monitor.models import Mention


@dataclass(frozen=True, slots=True)
class ReviewState:
    """A review as we last saw it: when it was fetched, or as the customer last updated it."""

    text: str
    title: str | None = None
    rating: int | None = None
    revision: str | None = None  # the platform's version of it (modified time), if it has one


@dataclass(frozen=True, slots=True)
class Watched:
    """One answered case to look for the customer's answer on. `ref` is the caller's own
    reference (the case id), handed back with every answer found for it."""

    ref: str
    target: ReplyTarget  # the customer's mention we answered
    reply_ids: tuple[str, ...]  # our replies' platform ids, oldest first
    replied_at: datetime  # when our latest reply was published
    seen_id: str | None = None  # X: the newest answer already recorded (ids grow with time)
    known: ReviewState | None = None  # review sites: the review as last recorded


@dataclass(frozen=True, slots=True)
class Answer:
    """What the customer said after our reply: a post or comment of theirs (`kind` "reply"),
    or their review as they updated it (`kind` "review_update": `external_id` is the review's
    own id and `revision` tells the versions apart). Public text: untrusted."""

    ref: str
    source: str
    external_id: str
    text: str
    posted_at: datetime
    author_handle: str
    kind: str = "reply"
    revision: str = ""
    url: str | None = None
    title: str | None = None
    rating: int | None = None
    previous_rating: int | None = None


@dataclass(frozen=True, slots=True)
class Answers:
    """What one `answers` call found and the HTTP requests it took; `left`: the refs of the
    watched cases not looked up this time (the request budget ran out, or the platform asked
    to wait part-way: `stopped`), to be looked up first next time."""

    answers: tuple[Answer, ...] = ()
    requests: int = 0
    left: tuple[str, ...] = ()
    stopped: PublishError | None = None


# One unit of a look: the watched cases one lookup covers, and the lookup (its answers).
Unit = tuple[Sequence["Watched"], Callable[[], list["Answer"]]]


def within_budget(units: Iterable[Unit], *, budget: int, count: Callable[[], int]) -> Answers:
    """Run the lookups in order while fewer than `budget` requests were made (`count()` tells
    how many so far). A rate limit after the first lookup ends the look with what was found
    (`stopped`); on the first it is raised, as any other error."""
    found: list[Answer] = []
    left: list[str] = []
    stopped: PublishError | None = None
    start, done = count(), False
    for cases, look in units:
        if stopped is not None or (done and count() - start >= budget):
            left += [w.ref for w in cases]
            continue
        try:
            found += look()
        except PublishRateLimited as exc:
            if not done:
                raise
            stopped = exc
            left += [w.ref for w in cases]
        done = True
    found.sort(key=lambda a: a.posted_at)
    return Answers(tuple(found), count() - start, tuple(left), stopped)


class Watcher(ABC):
    """Finds the customers' answers to our replies on one platform, with the publisher's
    account (the brand's own credentials and endpoints).

    Contract: `answers(watched, budget=n)` looks the watched cases up, in the order given, in
    as few requests as the platform allows (a search over many conversations, the account's
    inbox, a review list per app), making at most about `n` requests (the cases it did not
    reach are `left`), and returns only what is new since each case's `seen_id` / `known`
    state and later than our reply; it raises PublishError subclasses (rate limit,
    credentials, unavailable), never a library exception. `is_answer(watched, mention)` says
    whether a mention fetched by the regular poll is such an answer (so the pipeline leaves it
    to the watcher instead of opening a new case); review sites answer False (an updated
    review keeps its id).
    """

    name: ClassVar[str]
    publisher_class: ClassVar[type[Publisher]]  # whose client (and account) it reads with

    @abstractmethod
    def answers(self, watched: Sequence[Watched], *, budget: int = 1000) -> Answers:
        """The customer's new answers to the watched cases, oldest first."""

    def is_answer(self, watched: Watched, mention: Mention) -> bool:
        return False


# Where each platform's watcher lives ("module:Class"); it is built from that platform's publisher.
WATCHERS: dict[str, str] = {
    "x": "connectors.replies.watch_x:XWatcher",
    "reddit": "connectors.replies.watch_reddit:RedditWatcher",
    "googleplay": "connectors.replies.watch_googleplay:GooglePlayWatcher",
    "appstore": "connectors.replies.watch_reviews:AppStoreWatcher",
    "trustpilot": "connectors.replies.watch_reviews:TrustpilotWatcher",
}


def watcher_for(publisher: Publisher) -> Watcher | None:
    """The watcher of `publisher`'s platform, sharing its client; None where none exists (or
    the publisher is not the platform's own, e.g. a stand-in)."""
    path = WATCHERS.get(publisher.name)
    if path is None:
        return None
    module_name, _, attr = path.partition(":")
    cls = getattr(importlib.import_module(module_name), attr)
    if not isinstance(publisher, cls.publisher_class):
        return None
    watcher: Watcher = cls(publisher)
    return watcher


def same_author(handle: str | None, target: ReplyTarget) -> bool:
    """Whether `handle` is the customer we answered (handles compare without case or '@')."""
    def norm(h: str | None) -> str:
        return (h or "").strip().lstrip("@").lower()
    return bool(norm(handle)) and norm(handle) == norm(target.author_handle)


def digest(*parts: object) -> str:
    """A short stable version id of a review's content, where the platform gives none."""
    text = "\x1f".join("" if p is None else str(p) for p in parts)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def changed(known: ReviewState | None, *, text: str, title: str | None, rating: int | None
            ) -> bool:
    """Whether the review differs from what we recorded (whitespace runs folded)."""
    if known is None:
        return True

    def fold(s: str | None) -> str:
        return " ".join((s or "").split())
    return (fold(text), fold(title), rating) != (fold(known.text), fold(known.title),
                                                 known.rating)
