"""Google Play reviews through google-play-scraper, with its TLS and error handling contained."""

from __future__ import annotations

import json
import logging
import re
import ssl
import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from types import ModuleType
from typing import Any, ClassVar
from urllib.parse import quote

import requests
from pydantic import BaseModel, ConfigDict, Field

from connectors.dates import parse_iso
from connectors.http import make_session, raise_for_response, send
from connectors.marks import advance_mark
from connectors.options import SourceOptions
from connectors.targeted import TargetConnector, TargetResult
from monitor.errors import RateLimited, SourceError
from monitor.models import Author, Mention, SourceQuery

logger = logging.getLogger(__name__)

NAME = "googleplay"
PLAY_URL = "https://play.google.com"  # what the library hard-codes; rewritten to base_url
ENVELOPE = re.compile(r"\)]}'\n\n([\s\S]+)")  # XSSI guard, blank line, JSON frames
GATEWAY_ERROR = "com.google.play.gateway.proto.PlayGatewayError"  # Play's "too many requests"

_state = threading.local()  # the fetcher of the poll running on this thread, if any
_install_lock = threading.Lock()
_original_post: Any = None


def load_scraper() -> ModuleType:
    """Import google-play-scraper without letting it switch TLS verification off.

    At import it sets `ssl._create_default_https_context = ssl._create_unverified_context`
    for the whole process; the previous default is put back straight away. Its low-level `post`
    is routed through the fetcher of the current poll (requests, with timeouts, proxies,
    verification and status checks); on other threads the library behaves as shipped.
    """
    global _original_post
    with _install_lock:
        saved = ssl._create_default_https_context
        try:
            import google_play_scraper
            from google_play_scraper.features import reviews as reviews_module
        finally:
            ssl._create_default_https_context = saved
        if reviews_module.post is not _post:  # once per (re)import of the library
            _original_post = reviews_module.post
            reviews_module.post = _post
        return google_play_scraper


def _post(url: str, data: str | bytes, headers: dict[str, str]) -> str:
    fetch = getattr(_state, "fetch", None)
    if fetch is None:
        return str(_original_post(url, data, headers))
    return str(fetch(url, data, headers))


class AppTarget(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, pattern=r"^[A-Za-z][\w]*(\.[\w]+)+$")
    lang: str = Field("en", pattern=r"^[A-Za-z]{2}([_-][A-Za-z]{2})?$")
    country: str = Field("us", pattern=r"^[A-Za-z]{2}$")
    brand: str = Field(min_length=1)


class Settings(SourceOptions):
    base_url: str = Field(PLAY_URL, pattern=r"^https?://")
    apps: list[AppTarget] = Field(default_factory=list)
    page_size: int = Field(100, ge=1, le=200)
    max_pages: int = Field(3, ge=1, le=50)
    retry_after: float = Field(300.0, gt=0, description="wait after Play's gateway error")


class _Fetcher:
    """Does the library's HTTP for one poll and remembers the failure it would swallow."""

    def __init__(self, session: requests.Session, settings: Settings) -> None:
        self.session, self.settings = session, settings
        self.requests = 0
        self.error: SourceError | None = None

    def __call__(self, url: str, data: str | bytes, headers: dict[str, str]) -> str:
        self.requests += 1
        try:
            resp = send(self.session, "POST", url, source=NAME, timeout=self.settings.timeout,
                        data=data, headers=headers)
            raise_for_response(NAME, resp)
            body = resp.content.decode("utf-8", errors="replace")
            if GATEWAY_ERROR in body:
                raise RateLimited(NAME, self.settings.retry_after, "Play gateway error")
            _check_payload(body)
        except SourceError as exc:
            self.error = exc  # the library turns any exception into "no more reviews"
            raise
        return body


def _check_payload(body: str) -> None:
    """Parse the batchexecute envelope the way the library will, failing loudly where it won't."""
    found = ENVELOPE.search(body)  # the library's own pattern (constants/regex.py REVIEWS)
    if not found:
        raise SourceError(NAME, "batchexecute response lacks the )]}' prefix")
    try:
        envelope = json.loads(found.group(1))
        payload = envelope[0][2]
        if payload is not None:
            json.loads(payload)
    except (ValueError, IndexError, KeyError, TypeError) as exc:
        raise SourceError(NAME, "malformed batchexecute response") from exc


class GooglePlayConnector(TargetConnector[AppTarget]):
    """Newest reviews of each app, paged with the library's continuation token.

    Cursor (JSON): {"apps": {"<app>:<lang>:<country>": {"at": iso, "ids": [ids at that time]}}};
    paging stops at the first review older than `at` or already listed in `ids`.
    """

    name: ClassVar[str] = NAME
    settings_model = Settings
    marks_key = "apps"
    what = "app"
    expected = "a package name such as com.example.app"
    settings: Settings

    def __init__(self, settings: Settings, *, session: requests.Session | None = None) -> None:
        super().__init__(settings, session=session)
        self.scraper = load_scraper()
        self._fetcher = _Fetcher(self.session, settings)

    @classmethod
    def make_session(cls, settings: Any) -> requests.Session:
        # the library hard-codes https://play.google.com: the session rewrites it to base_url
        return make_session(timeout=settings.timeout, rewrite={PLAY_URL: settings.base_url})

    def configured(self) -> list[AppTarget]:
        return self.settings.apps

    def build(self, query: SourceQuery) -> AppTarget:
        return AppTarget(id=query.query.strip(), lang=query.params.get("lang") or "en",
                         country=query.params.get("country") or "us", brand=query.brand)

    def key(self, target: AppTarget) -> str:
        return f"{target.id}:{target.lang}:{target.country}".lower()

    @contextmanager
    def polling(self) -> Iterator[None]:
        """The library's HTTP goes through this poll's fetcher (it counts the requests)."""
        self._fetcher = _Fetcher(self.session, self.settings)
        with _routed(self._fetcher):
            yield

    def poll_requests(self, counted: int, failed: int) -> int:
        return self._fetcher.requests  # the fetcher saw every request the library made

    def poll_target(self, app: AppTarget, mark: dict[str, Any], dropped: Counter[str]
                    ) -> TargetResult:
        fetcher = self._fetcher
        fetcher.error = None
        since = parse_iso(mark.get("at"))
        seen = set(mark.get("ids") or ())
        out: list[Mention] = []
        token = None
        for _page in range(self.settings.max_pages):
            if token is None:
                items, token = self.scraper.reviews(
                    app.id, lang=app.lang, country=app.country,
                    sort=self.scraper.Sort.NEWEST, count=self.settings.page_size)
            else:
                items, token = self.scraper.reviews(app.id, continuation_token=token)
            if fetcher.error is not None:
                raise fetcher.error
            reached = False
            for item in items:
                try:
                    mention = _to_mention(item, app)
                except ValueError as exc:
                    dropped[str(exc)] += 1
                    logger.warning("googleplay: dropped a review of %s: %s", app.id, exc,
                                   extra={"source": NAME, "app": app.id, "reason": str(exc)})
                    continue
                if since and (mention.created_at < since or mention.external_id in seen
                              or (mention.created_at == since and not seen)):
                    reached = True  # newest first: the rest was returned before
                    continue
                out.append(mention)
            if reached or not items or token is None or token.token is None:
                break
        logger.debug("googleplay: %s: %d new reviews", app.id, len(out),
                     extra={"source": NAME, "app": app.id})
        return TargetResult(out, advance_mark(mark, out) if out else None, 0)


@contextmanager
def _routed(fetcher: _Fetcher) -> Iterator[None]:
    _state.fetch = fetcher
    try:
        yield
    finally:
        _state.fetch = None


def _to_mention(item: Mapping[str, Any], app: AppTarget) -> Mention:
    """One review dict from the library -> Mention; ValueError(reason) for a malformed one."""
    review_id = item.get("reviewId")
    if not isinstance(review_id, str) or not review_id:
        raise ValueError("missing_id")
    at = item.get("at")
    if not isinstance(at, datetime):
        raise ValueError("missing_date")
    score = item.get("score")
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise ValueError("bad_rating")
    text = item.get("content")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("empty_review")
    name = item.get("userName") if isinstance(item.get("userName"), str) else None
    # the library builds `at` with datetime.fromtimestamp: naive local time -> aware UTC
    created = at.astimezone(UTC)
    replied = item.get("repliedAt")
    return Mention(
        source=NAME,
        external_id=review_id,
        text=text,
        created_at=created,
        author=Author(handle=name or "A Google user", name=name),
        url=f"{PLAY_URL}/store/apps/details?id={app.id}&reviewId={quote(review_id, safe='')}",
        lang=app.lang.lower(),
        rating=score,
        brand=app.brand,
        kind="review",
        extra={
            "app_id": app.id, "country": app.country.lower(),
            "version": item.get("appVersion") or item.get("reviewCreatedVersion"),
            "thumbs_up": item.get("thumbsUpCount"),
            "replied_at": replied.astimezone(UTC).isoformat()
            if isinstance(replied, datetime) else None,
        },
    )
