"""X (Twitter) API v2 recent search per brand query, through tweepy's Client."""

from __future__ import annotations

import json
import logging
import os
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

import requests
import tweepy
from pydantic import Field

from connectors.base import Connector
from connectors.http import error_for_status, make_session, retry_after
from connectors.options import SourceOptions, validate_settings
from monitor.errors import NotConfigured, RateLimited, SourceAuthError, SourceError
from monitor.models import Author, Batch, Mention, SourceQuery

logger = logging.getLogger(__name__)

NAME = "x"
TWEEPY_HOST = "https://api.twitter.com"  # hard-coded in tweepy; rewritten to `base_url`
TWEET_FIELDS = ["created_at", "lang", "conversation_id", "referenced_tweets", "public_metrics",
                "author_id"]
USER_FIELDS = ["username", "name", "public_metrics", "verified"]
SNOWFLAKE_EPOCH_MS = 1288834974657  # X ids since late 2010: (id >> 22) + epoch = ms since 1970
SNOWFLAKE_MIN = 1 << 32


class _RedactBearer(logging.Filter):
    """tweepy logs request headers at debug, bearer token included: mask it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "Bearer " in message:
            record.msg, record.args = re.sub(r"Bearer [^'\s,}]+", "Bearer ***", message), None
        return True


logging.getLogger("tweepy.client").addFilter(_RedactBearer())


class Settings(SourceOptions):
    interval: float = Field(300.0, gt=0)
    base_url: str = Field(TWEEPY_HOST, pattern=r"^https?://")
    max_pages: int = Field(5, ge=1, le=50)  # per query and poll
    max_results: int = Field(100, ge=10, le=100)  # per page (X's bounds)


class XConnector(Connector):
    """Recent search with a `since_id` per query; the cursor is JSON {query: newest id}."""

    name: ClassVar[str] = NAME

    def __init__(self, *, settings: Settings, bearer_token: str) -> None:
        self.settings = settings
        self.session = make_session(timeout=settings.timeout,
                                    rewrite={TWEEPY_HOST: settings.base_url})
        self.client = tweepy.Client(bearer_token=bearer_token, return_type=requests.Response,
                                    wait_on_rate_limit=False)
        self.client.session = self.session  # every request still goes through tweepy's code

    @classmethod
    def from_settings(
        cls, options: Mapping[str, Any], *, environ: Mapping[str, str] = os.environ
    ) -> XConnector:
        settings = validate_settings(Settings, options, NAME)
        token = environ.get("X_BEARER_TOKEN")
        if not token:
            raise NotConfigured("x: X_BEARER_TOKEN is not set (an app-only bearer token from "
                                "the X developer portal)")
        return cls(settings=settings, bearer_token=token)

    def close(self) -> None:
        self.session.close()

    def poll(self, queries: Sequence[SourceQuery], cursor: str | None) -> Batch:
        since_ids = _load_cursor(cursor)
        start = self.session.count
        dropped: Counter[str] = Counter()
        mentions: dict[str, Mention] = {}
        for query in dict.fromkeys(q.query for q in queries):
            newest = self._poll_query(query, since_ids.get(query), mentions, dropped)
            if newest and int(newest) > int(since_ids.get(query, "0")):
                since_ids[query] = newest
        ordered = sorted(mentions.values(), key=lambda m: (m.created_at, int(m.external_id)))
        live = {q.query: since_ids[q.query] for q in queries if q.query in since_ids}
        return Batch(mentions=tuple(ordered), next_cursor=json.dumps(live, sort_keys=True),
                     dropped=dict(dropped), requests=self.session.count - start)

    def _poll_query(self, query: str, since: str | None, out: dict[str, Mention],
                    dropped: Counter[str]) -> str | None:
        """Fetch pages newest first; return the first page's meta.newest_id (the next since_id:
        later pages are older, so only the first one knows the newest) or the newest id seen."""
        newest = 0
        token: str | None = None
        api_since = since
        for page_no in range(self.settings.max_pages):
            try:
                response = self._search(query, api_since, token)
            except _SinceIdRejected:
                # X refuses a since_id older than its 7-day window (daemon was down a while):
                # search without it; the id filter below still keeps old tweets out
                logger.warning("x: since_id %s refused for search %r, searching without it",
                               api_since, query, extra={"source": NAME, "query": query})
                api_since = None
                response = self._search(query, None, token)
            body = _json(response)
            meta: dict[str, Any] = body["meta"] if isinstance(body.get("meta"), dict) else {}
            if page_no == 0 and str(meta.get("newest_id") or "").isdigit():
                newest = int(meta["newest_id"])
            errors = _listed(body.get("errors"))
            if errors:
                logger.warning("x: %d partial error(s) in search %r, data kept: %s",
                               len(errors), query, _detail(errors[0]),
                               extra={"source": NAME, "query": query})
            includes: dict[str, Any] = body["includes"] if isinstance(
                body.get("includes"), dict) else {}
            users = {u.get("id"): u for u in _listed(includes.get("users")) if isinstance(u, dict)}
            for tweet in _listed(body.get("data")):
                mention, reason = to_mention(tweet, users)
                if reason:
                    dropped[reason] += 1
                    logger.warning("x: dropped a tweet (%s) in search %r", reason, query,
                                   extra={"source": NAME, "query": query, "reason": reason})
                elif mention:
                    newest = max(newest, int(mention.external_id))
                    if since is None or int(mention.external_id) > int(since):
                        out.setdefault(mention.external_id, mention)
            token = meta.get("next_token")
            if not token:
                break
            if response.headers.get("x-rate-limit-remaining", "").strip() == "0":
                logger.warning("x: rate-limit budget used up mid-search %r; older results "
                               "skipped", query, extra={"source": NAME, "query": query})
                break
        else:
            logger.warning("x: more than %d pages new for search %r since the last poll; older "
                           "results skipped", self.settings.max_pages, query,
                           extra={"source": NAME, "query": query})
        return str(newest) if newest else None

    def _search(self, query: str, since: str | None, token: str | None) -> requests.Response:
        params: dict[str, Any] = {
            "max_results": self.settings.max_results, "expansions": ["author_id"],
            "user_fields": USER_FIELDS, "tweet_fields": TWEET_FIELDS,
        }
        if since:
            params["since_id"] = since
        if token:
            params["next_token"] = token
        try:
            response: requests.Response = self.client.search_recent_tweets(query, **params)
            return response
        except tweepy.TooManyRequests as exc:
            raise RateLimited(NAME, retry_after(exc.response.headers),
                              "HTTP 429 rate limited") from exc
        except (tweepy.Unauthorized, tweepy.Forbidden) as exc:
            status = exc.response.status_code
            what = "X_BEARER_TOKEN rejected" if status == 401 else "access forbidden for this app"
            detail = exc.api_messages[0] if exc.api_messages else exc.response.reason
            raise SourceAuthError(NAME, f"HTTP {status} {what}: {str(detail)[:200]}") from exc
        except tweepy.BadRequest as exc:
            if since and "since_id" in str(exc):
                raise _SinceIdRejected(NAME, str(exc)[:200]) from exc
            detail = exc.api_messages[0] if exc.api_messages else exc.response.reason
            raise SourceError(NAME, f"HTTP 400 {str(detail)[:200]}") from exc
        except tweepy.HTTPException as exc:
            detail = (exc.api_messages[0] if exc.api_messages else exc.response.reason) or ""
            err = error_for_status(NAME, exc.response.status_code, exc.response.headers,
                                   str(detail)[:200])
            raise (err or SourceError(NAME, str(exc)[:200])) from exc
        except requests.RequestException as exc:
            raise SourceError(NAME, f"request failed: {type(exc).__name__}") from exc


class _SinceIdRejected(SourceError):
    """A 400 naming since_id: the saved cursor is older than recent search's window."""


def to_mention(tweet: Any, users: Mapping[Any, Any]) -> tuple[Mention | None, str | None]:
    """(mention, None) or (None, drop reason) for one tweet object of a v2 response."""
    if not isinstance(tweet, dict) or not str(tweet.get("id") or "").isdigit():
        return None, "missing id"
    if "created_at" not in tweet and int(tweet["id"]) >= SNOWFLAKE_MIN:
        # not requested (or stripped by a proxy): a snowflake id carries its own timestamp
        millis = (int(tweet["id"]) >> 22) + SNOWFLAKE_EPOCH_MS
        tweet = {**tweet, "created_at": datetime.fromtimestamp(millis / 1000, UTC).isoformat()}
    try:
        created = datetime.fromisoformat(str(tweet["created_at"]).replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return None, "bad date"
    if created.tzinfo is None:
        return None, "bad date"
    tid = tweet["id"]
    user = users.get(tweet.get("author_id")) or {}
    handle = user.get("username")
    metrics = user.get("public_metrics") or {}
    author = Author(
        handle=handle or str(tweet.get("author_id") or "unknown"), name=user.get("name"),
        id=tweet.get("author_id"), followers=metrics.get("followers_count"),
        verified=bool(user.get("verified")), url=f"https://x.com/{handle}" if handle else None)
    refs = {r.get("type"): r.get("id") for r in tweet.get("referenced_tweets") or []
            if isinstance(r, dict)}
    url = f"https://x.com/{handle}/status/{tid}" if handle else f"https://x.com/i/web/status/{tid}"
    mention = Mention(
        source=NAME, external_id=tid, text=str(tweet.get("text") or ""),
        created_at=created.astimezone(UTC), author=author, url=url, lang=tweet.get("lang"),
        kind="reply" if "replied_to" in refs else "post", parent_id=refs.get("replied_to"),
        is_retweet="retweeted" in refs, is_quote="quoted" in refs,
        extra={"conversation_id": tweet.get("conversation_id"),
               "metrics": tweet.get("public_metrics") or {}},
    )
    return mention, None


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError as exc:
        raise SourceError(NAME, f"malformed JSON from {response.url.split('?')[0]}") from exc
    if not isinstance(body, dict):
        raise SourceError(NAME, "malformed page: not a JSON object")
    return body


def _listed(value: Any) -> list[Any]:
    """A JSON value that should be a list, as one (a lone object becomes a list of one)."""
    if isinstance(value, list):
        return value
    return [value] if isinstance(value, dict) else []


def _detail(error: Any) -> str:
    if isinstance(error, dict):
        return str(error.get("detail") or error.get("message") or error.get("title") or error)
    return str(error)


def _load_cursor(cursor: str | None) -> dict[str, str]:
    if not cursor:
        return {}
    try:
        data = json.loads(cursor)
        return {str(k): str(v) for k, v in data.items() if str(v).isdigit()}
    except (ValueError, AttributeError):
        logger.warning("x: unreadable cursor, starting fresh", extra={"source": NAME})
        return {}
