"""Reddit: site-wide submission search per brand query plus new posts/comments of subreddits."""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import urlsplit

import praw
import prawcore.exceptions as pce
from pydantic import Field, field_validator

from connectors.base import Connector
from connectors.http import error_for_status, make_session, retry_after
from connectors.options import SourceOptions, validate_settings
from connectors.reddit_items import GONE, NAME, Watermark, key_of, newer, to_mention
from monitor.errors import MonitorError, NotConfigured, RateLimited, SourceAuthError, SourceError
from monitor.models import Batch, Mention, SourceQuery

logger = logging.getLogger(__name__)

PAGE_SIZE = 100  # Reddit's largest listing page
SEEN_LIMIT = 300  # fullnames remembered across polls, like praw's stream BoundedSet
SEARCH_PATH = "r/all/search/"  # site-wide search, as praw spells it


class Settings(SourceOptions):
    interval: float = Field(300.0, gt=0)
    subreddits: list[str] = Field(default_factory=list)
    search: bool = True  # site-wide search with each brand's query
    comments: bool = True  # also poll /r/<sub>/comments
    max_items: int = Field(100, ge=1, le=1000)  # per stream and poll
    oauth_url: str = Field("https://oauth.reddit.com", pattern=r"^https?://")
    reddit_url: str = Field("https://www.reddit.com", pattern=r"^https?://")
    user_agent: str | None = Field(None, min_length=8)

    @field_validator("subreddits")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        names = [v.strip().removeprefix("/").removeprefix("r/").strip("/") for v in value]
        if bad := [n for n in names if not re.fullmatch(r"[A-Za-z0-9_]{2,21}", n)]:
            raise ValueError(f"not a subreddit name: {bad[0]!r}")
        return list(dict.fromkeys(names))


class RedditConnector(Connector):
    """Polls Reddit through praw; the cursor holds a watermark per stream (see `poll`)."""

    name: ClassVar[str] = NAME

    def __init__(self, *, settings: Settings, client_id: str, client_secret: str,
                 username: str | None = None, password: str | None = None) -> None:
        self.settings = settings
        agent = settings.user_agent or (
            f"python:brand-monitor:0.1 (by /u/{username})" if username
            else "python:brand-monitor:0.1 (self-hosted social listening)")
        self.session = make_session(timeout=settings.timeout, user_agent=agent)
        self.reddit = praw.Reddit(
            client_id=client_id, client_secret=client_secret, username=username,
            password=password, user_agent=agent,
            # trailing slash: prawcore urljoins relative paths, so a path prefix survives
            oauth_url=settings.oauth_url.rstrip("/") + "/",
            reddit_url=settings.reddit_url.rstrip("/"), check_for_updates=False,
            check_for_async=False, requestor_kwargs={"session": self.session},
        )

    @classmethod
    def from_settings(
        cls, options: Mapping[str, Any], *, environ: Mapping[str, str] = os.environ
    ) -> RedditConnector:
        settings = validate_settings(Settings, options, NAME)
        client_id, secret = environ.get("REDDIT_CLIENT_ID"), environ.get("REDDIT_CLIENT_SECRET")
        if not client_id or not secret:
            raise NotConfigured("reddit: REDDIT_CLIENT_ID and REDDIT_CLIENT_SECRET are not set "
                                "(create a 'script' app at https://www.reddit.com/prefs/apps)")
        if not settings.search and not settings.subreddits:
            raise NotConfigured("reddit: nothing to watch (search is off and no subreddits)")
        return cls(settings=settings, client_id=client_id, client_secret=secret,
                   username=environ.get("REDDIT_USERNAME") or None,
                   password=environ.get("REDDIT_PASSWORD") or None)

    def close(self) -> None:
        self.session.close()

    def _streams(self, queries: Sequence[SourceQuery]) -> list[tuple[str, str, dict[str, Any]]]:
        """(cursor key, API path, extra params) for every stream this poll reads."""
        streams: list[tuple[str, str, dict[str, Any]]] = []
        if self.settings.search:
            for q in dict.fromkeys(q.query for q in queries):
                # the request praw's reddit.subreddit("all").search(q, sort="new") makes
                streams.append((f"search:{q}", SEARCH_PATH, {
                    "q": q, "restrict_sr": False, "sort": "new", "syntax": "lucene", "t": "all"}))
        for sub in self.settings.subreddits:
            streams.append((f"new:{sub}", f"r/{sub}/new", {}))
            if self.settings.comments:
                streams.append((f"comments:{sub}", f"r/{sub}/comments/", {}))
        return streams

    def poll(self, queries: Sequence[SourceQuery], cursor: str | None) -> Batch:
        marks, seen = _load_cursor(cursor)
        start = self.session.count
        dropped: Counter[str] = Counter()
        mentions: dict[str, Mention] = {}
        gone: set[str] = set()  # dropped this poll: count an item once, not once per stream
        streams = self._streams(queries)
        try:
            for key, path, params in streams:
                children = self._fetch_stream(path, params, marks.get(key))
                for child in children:
                    mention, name, reason = to_mention(child)
                    if reason and (not name or name not in gone):
                        gone.add(name)
                        dropped[reason] += 1
                        if reason not in GONE.values():
                            logger.warning("reddit: dropped a malformed item (%s) from /%s",
                                           reason, path, extra={"source": NAME, "path": path})
                    elif mention and not reason and name not in seen and name not in mentions:
                        mentions[name] = mention
                keys = [k for c in children if (k := key_of(c)) is not None]
                if keys:
                    newest = max(keys)
                    marks[key] = Watermark(t=newest[0], id=newest[2])
        except MonitorError:
            raise
        except Exception as exc:  # plugin boundary: praw/prawcore errors, and anything else
            # they raise (KeyError on a 401 without www-authenticate) -> one SourceError
            raise self._map_error(exc) from exc
        ordered = sorted(mentions.values(), key=lambda m: (m.created_at, m.external_id))
        seen = (seen + [m.external_id for m in ordered])[-SEEN_LIMIT:]
        live = {key for key, _, _ in streams}  # streams of dropped brands/subreddits go
        next_cursor = json.dumps({"v": 1, "seen": seen, "streams": {
            k: [w.t, w.id] for k, w in marks.items() if k in live}}, separators=(",", ":"))
        return Batch(mentions=tuple(ordered), next_cursor=next_cursor, dropped=dict(dropped),
                     requests=self.session.count - start)

    def _get(self, path: str, params: dict[str, Any]) -> tuple[list[Any], str | None]:
        """One listing page through praw: (children, `after`); SourceError if malformed."""
        last = self.session.last_response
        if last is not None and _number(last.headers.get("x-ratelimit-remaining")) < 1:
            wait = retry_after(last.headers) - (time.monotonic() - self.session.last_at)
            if wait > 0:  # prawcore would sleep till the window resets; the daemon waits instead
                raise RateLimited(NAME, wait, "rate-limit budget used up")
        data = self.reddit.request(method="GET", path=path, params=params)
        listing = data.get("data") if isinstance(data, dict) else None
        children = listing.get("children") if isinstance(listing, dict) else None
        if not isinstance(children, list) or data.get("kind") != "Listing":
            raise SourceError(NAME, f"malformed listing page from /{path}")
        after = listing.get("after") if isinstance(listing, dict) else None
        return children, after if isinstance(after, str) and after else None

    def _fetch_stream(self, path: str, base: dict[str, Any], mark: Watermark | None) -> list[Any]:
        """Children newer than `mark`, at most `max_items`.

        Newest page first (one request when a stream is quiet). If that whole page is new
        and more exists, walk forward from the watermark with `before=` so a burst larger
        than the cap is caught up over several polls without a gap; if the watermark item
        has vanished (removed post), walk down from the newest page instead.
        """
        cap = self.settings.max_items
        limit = min(PAGE_SIZE, cap)
        kids, after = self._get(path, {**base, "limit": limit})
        fresh = [c for c in kids if mark is None or newer(c, mark)]
        if (mark is not None and len(fresh) < len(kids)) or not after:
            return fresh[:cap]
        if mark is not None and path != SEARCH_PATH:
            walked = self._walk_before(path, base, mark, limit, cap)
            if walked:
                return walked
        out = fresh
        while after and len(out) < cap:
            kids, after = self._get(path, {**base, "limit": limit, "after": after})
            page = [c for c in kids if mark is None or newer(c, mark)]
            out += page
            if len(page) < len(kids):
                break
        else:
            if after and mark is not None:
                logger.warning("reddit: more than %d new items in /%s since the last poll; "
                               "older ones skipped", cap, path,
                               extra={"source": NAME, "path": path})
        return out[:cap]

    def _walk_before(self, path: str, base: dict[str, Any], mark: Watermark, limit: int,
                     cap: int) -> list[Any]:
        out: dict[str, Any] = {}
        anchor = mark.id
        while len(out) < cap:
            kids, _ = self._get(path, {**base, "limit": limit, "before": anchor})
            page = {k[2]: c for c in kids
                    if (k := key_of(c)) and newer(c, mark) and k[2] not in out}
            if not page:
                break
            out.update(page)
            anchor = max(key_of(c) or (0.0, 0, "") for c in page.values())[2]
            if len(kids) < limit:
                break
        oldest_first = sorted(out.values(), key=lambda c: key_of(c) or (0.0, 0, ""))
        return oldest_first[:cap]  # keep the items next to the watermark: no gap

    def _map_error(self, exc: Exception) -> SourceError:
        if isinstance(exc, pce.TooManyRequests):
            return RateLimited(NAME, retry_after(exc.response.headers), "HTTP 429 rate limited")
        if isinstance(exc, pce.OAuthException):
            return SourceAuthError(NAME, f"token request refused: {exc}; check REDDIT_CLIENT_ID/"
                                   "REDDIT_CLIENT_SECRET")
        if isinstance(exc, pce.BadJSON):
            return SourceError(NAME, f"malformed JSON from {urlsplit(exc.response.url).path}")
        if isinstance(exc, pce.RequestException):
            return SourceError(NAME, f"request failed: {type(exc.original_exception).__name__}")
        response = getattr(exc, "response", None)
        response = self.session.last_response if response is None else response
        if response is not None and response.status_code >= 400:
            path = urlsplit(response.url).path
            err = error_for_status(NAME, response.status_code, response.headers, f"on {path}")
            if err is not None:
                return err
        return SourceError(NAME, f"{type(exc).__name__}: {exc}")


def _number(value: str | None) -> float:
    try:
        return float(value) if value is not None else float("inf")
    except ValueError:
        return float("inf")


def _load_cursor(cursor: str | None) -> tuple[dict[str, Watermark], list[str]]:
    if not cursor:
        return {}, []
    try:
        data = json.loads(cursor)
        marks = {k: Watermark(t=float(v[0]), id=str(v[1])) for k, v in data["streams"].items()}
        return marks, [str(s) for s in data.get("seen", [])]
    except (ValueError, KeyError, TypeError, IndexError, AttributeError):
        logger.warning("reddit: unreadable cursor, starting fresh", extra={"source": NAME})
        return {}, []
