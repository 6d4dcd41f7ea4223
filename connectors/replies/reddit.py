"""Reddit: our comment under a post or comment, as the brand's script-app account, via praw."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import praw
import prawcore.exceptions as pce
from praw.exceptions import RedditAPIException
from prawcore.sessions import RetryStrategy

from connectors.http import make_session, retry_after
from connectors.replies.base import PublishedReply, Publisher, ReplyTarget
from connectors.replies.http import short, status_error, transport_error
from connectors.replies.options import RedditOptions, validate_options
from monitor.errors import (
    NotConfigured,
    PublishAuthError,
    PublishError,
    PublishRateLimited,
    PublishRejected,
    PublishUnavailable,
)

logger = logging.getLogger(__name__)

NAME = "reddit"
SITE = "https://www.reddit.com"
ENV = ("REDDIT_CLIENT_ID", "REDDIT_CLIENT_SECRET", "REDDIT_USERNAME", "REDDIT_PASSWORD")
CREDENTIALS = ", ".join(ENV)
WRITE_ACCESS = ("the 'submit' scope (a 'script' app used with its owner's REDDIT_USERNAME and "
                "REDDIT_PASSWORD gets every scope) and an account that may comment there")
NEEDED_SCOPES = {"submit", "identity", "history"}
SKEW = timedelta(minutes=5)
# Reddit's error types for a comment refused for good
REFUSALS = {
    "THREAD_LOCKED": "locked", "TOO_OLD": "locked", "DELETED_COMMENT": "target_deleted",
    "DELETED_LINK": "target_deleted", "NO_LINKS": "other", "TOO_LONG": "too_long",
    "COMMENT_UNREPLIABLE": "locked",
}
_WAIT = re.compile(r"(\d+) (millisecond|second|minute)")


class _NoRetry(RetryStrategy):
    """prawcore retries a request after a timeout or a 5xx: for a comment POST that may post
    it twice. While publishing, the outbox decides instead (after `find`)."""

    def _sleep_seconds(self) -> float | None:
        return None

    def consume_available_retry(self) -> _NoRetry:
        return self

    def should_retry_on_failure(self) -> bool:
        return False


class RedditPublisher(Publisher):
    """Replies with `POST /api/comment` (praw's `reply`) under a t3_ post or t1_ comment."""

    name: ClassVar[str] = NAME
    limit: ClassVar[int] = 10_000  # Reddit's comment body limit

    def __init__(self, *, options: RedditOptions, client_id: str, client_secret: str,
                 username: str, password: str) -> None:
        self.options = options
        agent = options.user_agent or f"python:brand-monitor:0.1 (by /u/{username})"
        self.session = make_session(timeout=options.timeout, user_agent=agent)
        self.reddit = praw.Reddit(
            client_id=client_id, client_secret=client_secret, username=username,
            password=password, user_agent=agent,
            oauth_url=options.oauth_url.rstrip("/") + "/",
            reddit_url=options.reddit_url.rstrip("/"), check_for_updates=False,
            check_for_async=False, requestor_kwargs={"session": self.session},
            ratelimit_seconds=0,  # a RATELIMIT answer is returned to the outbox, not slept on
        )
        self.username = username

    @classmethod
    def from_settings(cls, options: Mapping[str, Any], *, environ: Mapping[str, str]
                      ) -> RedditPublisher:
        settings = validate_options(RedditOptions, options, NAME)
        values = {k: environ.get(k) or "" for k in ENV}
        if missing := [k for k, v in values.items() if not v]:
            raise NotConfigured(f"reddit: {', '.join(missing)} not set (replies are posted by "
                                "the account of a 'script' app: https://www.reddit.com/prefs/"
                                "apps)")
        return cls(options=settings, client_id=values["REDDIT_CLIENT_ID"],
                   client_secret=values["REDDIT_CLIENT_SECRET"],
                   username=values["REDDIT_USERNAME"], password=values["REDDIT_PASSWORD"])

    def close(self) -> None:
        self.session.close()

    def publish(self, target: ReplyTarget, text: str) -> PublishedReply:
        thing = self._thing(target.external_id)
        with self.mapped(), self._no_retry():
            comment = thing.reply(body=text)
        if comment is None:
            raise PublishUnavailable(NAME, "Reddit answered without the new comment; the reply "
                                     "may have been posted")
        return _published(comment)

    def find(self, target: ReplyTarget, *, text: str, since: datetime) -> PublishedReply | None:
        """Our newest comments (the account's own listing, immediate unlike search) whose
        parent is `target`, posted since `since`."""
        parent = _fullname(target.external_id)
        floor = (since - SKEW).timestamp()
        with self.mapped():
            for comment in self.reddit.redditor(self.username).comments.new(
                    limit=self.options.find_limit):
                if comment.created_utc < floor:
                    break  # newest first: the rest is older
                if comment.parent_id == parent:
                    return _published(comment)
        return None

    def check(self) -> list[str]:
        try:
            with self.mapped():
                me = self.reddit.user.me()
                scopes = set(self.reddit.auth.scopes())
        except PublishError as exc:
            return [str(exc)]
        problems = []
        if "*" not in scopes and (lacking := sorted(NEEDED_SCOPES - scopes)):
            problems.append(f"reddit: the token lacks the scope(s) {', '.join(lacking)}; the "
                            f"account needs {WRITE_ACCESS}")
        if me is not None and getattr(me, "is_suspended", False):
            problems.append(f"reddit: the account u/{self.username} is suspended")
        return problems

    def _thing(self, external_id: str) -> Any:
        fullname = _fullname(external_id)
        kind, _, base36 = fullname.partition("_")
        return self.reddit.comment(base36) if kind == "t1" else self.reddit.submission(base36)

    @contextmanager
    def _no_retry(self) -> Iterator[None]:
        core: Any = self.reddit._core  # praw builds it; its retry policy is an attribute
        saved = core._retry_strategy_class
        core._retry_strategy_class = _NoRetry
        try:
            yield
        finally:
            core._retry_strategy_class = saved

    @contextmanager
    def mapped(self) -> Iterator[None]:
        try:
            yield
        except PublishError:
            raise
        except RedditAPIException as exc:
            raise _api_error(exc) from exc
        except pce.RequestException as exc:  # no answer: timeout, refused, dropped
            raise transport_error(NAME, exc.original_exception,
                                  timeout=self.options.timeout) from exc
        except pce.OAuthException as exc:
            raise PublishAuthError(NAME, f"token request refused ({short(exc.error)}); check "
                                   f"{CREDENTIALS}", missing=CREDENTIALS) from exc
        except pce.InsufficientScope as exc:
            raise PublishAuthError(NAME, f"HTTP 403 insufficient scope; the account needs "
                                   f"{WRITE_ACCESS}", missing=WRITE_ACCESS) from exc
        except pce.TooManyRequests as exc:
            raise PublishRateLimited(NAME, retry_after(exc.response.headers),
                                     "HTTP 429 rate limited") from exc
        except pce.NotFound as exc:
            raise PublishRejected(NAME, "target_deleted", "the post or comment is gone "
                                  "(HTTP 404)") from exc
        except pce.ResponseException as exc:
            response = exc.response
            raise status_error(NAME, response.status_code, response.headers,
                               response.reason or "", credentials=CREDENTIALS,
                               write_access=WRITE_ACCESS) from exc
        except pce.PrawcoreException as exc:
            raise PublishUnavailable(NAME, f"{type(exc).__name__}; the reply may have been "
                                     "posted") from exc


def _api_error(exc: RedditAPIException) -> PublishError:
    item = exc.items[0]
    kind, message = item.error_type, short(item.message)
    if kind == "RATELIMIT":
        found = _WAIT.search(item.message or "")
        wait = 60.0
        if found:
            wait = {"millisecond": 0.001, "second": 1, "minute": 60}[found.group(2)] * int(
                found.group(1))
        return PublishRateLimited(NAME, max(wait, 1.0), f"Reddit: {message}")
    if kind in ("USER_REQUIRED", "INVALID_USER"):
        return PublishAuthError(NAME, f"Reddit: {message}; check {CREDENTIALS}",
                                missing=CREDENTIALS)
    return PublishRejected(NAME, REFUSALS.get(kind, "other"), f"Reddit refused the reply: "
                           f"{kind} {message}")


def _fullname(external_id: str) -> str:
    """`external_id` as a fullname: stored mentions have one; a bare id is taken as a post."""
    return external_id if re.match(r"^t[13]_", external_id) else f"t3_{external_id}"


def _published(comment: Any) -> PublishedReply:
    permalink = getattr(comment, "permalink", None)
    created = getattr(comment, "created_utc", None)
    return PublishedReply(
        platform_id=comment.fullname, url=f"{SITE}{permalink}" if permalink else None,
        at=datetime.fromtimestamp(created, UTC) if isinstance(created, int | float) else None)
