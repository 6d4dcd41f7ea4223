"""App Store customer reviews from Apple's per-app, per-country reviews RSS (JSON flavour)."""

from __future__ import annotations

import logging
import re
from collections import Counter
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from connectors.dates import parse_iso
from connectors.http import json_page, raise_for_response, send
from connectors.options import SourceOptions
from connectors.targeted import TargetConnector, TargetNotFound, TargetResult
from monitor.errors import SourceError
from monitor.models import Author, Mention, SourceQuery

logger = logging.getLogger(__name__)

NAME = "appstore"
APPLE_MAX_PAGES = 10  # Apple serves at most 10 pages of 50 reviews per app and storefront


class AppTarget(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, pattern=r"^\d+$")
    country: str = Field("us", pattern=r"^[A-Za-z]{2}$")
    brand: str = Field(min_length=1)


class Settings(SourceOptions):
    base_url: str = Field("https://itunes.apple.com", pattern=r"^https?://")
    apps: list[AppTarget] = Field(default_factory=list)
    max_pages: int = Field(3, ge=1, le=APPLE_MAX_PAGES)


class AppStoreConnector(TargetConnector[AppTarget]):
    """Polls `{base_url}/{country}/rss/customerreviews/page={n}/id={app}/sortby=mostrecent/json`.

    Cursor (JSON): {"apps": {"<app id>:<country>": {"id": newest review id, "at": when seen}}}.
    Review ids are increasing integers, so paging stops at the first review at or below the
    stored id. Legacy feeds carry no per-review `updated`: such reviews are dated with the
    feed's own `updated` (else the poll time) and marked `extra["date_estimated"] = True`.
    """

    name: ClassVar[str] = NAME
    settings_model = Settings
    marks_key = "apps"
    what = "app"
    expected = "a numeric app id and a two-letter country"
    settings: Settings

    def configured(self) -> list[AppTarget]:
        return self.settings.apps

    def build(self, query: SourceQuery) -> AppTarget:
        return AppTarget(id=query.query.strip(), country=query.params.get("country") or "us",
                         brand=query.brand)

    def key(self, target: AppTarget) -> str:
        return f"{target.id}:{target.country.lower()}"

    def poll_target(self, app: AppTarget, mark: dict[str, Any], dropped: Counter[str]
                    ) -> TargetResult:
        seen_id = int(mark["id"]) if str(mark.get("id", "")).isdigit() else None
        out: list[Mention] = []
        last_page = self.settings.max_pages
        page, requests_made, reached, newest_id = 0, 0, False, 0
        while not reached and page < last_page:
            page += 1
            requests_made += 1
            try:
                feed = self._fetch(app, page)
            except TargetNotFound:
                if page == 1:
                    raise
                break  # past Apple's last page: keep what the earlier pages gave
            entries = feed.get("entry", [])
            entries = [entries] if isinstance(entries, dict) else entries
            if not isinstance(entries, list):
                raise SourceError(NAME, f"app {app.id}: 'entry' is neither a list nor an object")
            reviews = [e for e in entries if not _is_app_info(e)]
            if not reviews:
                break
            last_page = min(last_page, _last_page(feed) or last_page)
            fallback = parse_iso(_label(feed.get("updated"))) or datetime.now(UTC)
            for entry in reviews:
                review_id = _label(entry.get("id")) if isinstance(entry, dict) else None
                if review_id and review_id.isdigit():
                    if seen_id is not None and int(review_id) <= seen_id:
                        reached = True  # most recent first: the rest was returned before
                        continue
                    newest_id = max(newest_id, int(review_id))
                try:
                    out.append(_to_mention(entry, app, fallback))
                except ValueError as exc:
                    dropped[str(exc)] += 1
                    logger.warning("appstore: dropped a review of app %s: %s", app.id, exc,
                                   extra={"source": NAME, "app": app.id, "reason": str(exc)})
        new_mark = None
        if newest_id > (seen_id or 0):
            new_mark = {"id": str(newest_id),
                        "at": datetime.now(UTC).isoformat(timespec="seconds")}
        logger.debug("appstore: app %s/%s: %d new reviews in %d requests", app.id, app.country,
                     len(out), requests_made, extra={"source": NAME, "app": app.id})
        return TargetResult(out, new_mark, requests_made)

    def _fetch(self, app: AppTarget, page: int) -> dict[str, Any]:
        url = (f"{self.settings.base_url.rstrip('/')}/{app.country.lower()}/rss/customerreviews"
               f"/page={page}/id={app.id}/sortby=mostrecent/json")
        resp = send(self.session, "GET", url, source=NAME, timeout=self.settings.timeout,
                    what=f"app {app.id}")  # proxies and CA bundle from env
        if resp.status_code == 404:
            raise TargetNotFound(NAME, f"app {app.id} has no {app.country} storefront "
                                       "(HTTP 404)")
        raise_for_response(NAME, resp)
        body = json_page(resp, source=NAME, what=f"app {app.id} page {page}",
                         expect=("feed", dict))
        return dict(body["feed"])


def _label(node: Any) -> str | None:
    """Apple wraps every value as {"label": value}."""
    if isinstance(node, dict):
        value = node.get("label")
        return value if isinstance(value, str) else None
    return None


def _is_app_info(entry: Any) -> bool:
    """Legacy feeds put the app's own metadata first: it has im:name/im:price, no rating."""
    return isinstance(entry, dict) and "im:rating" not in entry and (
        "im:name" in entry or "im:price" in entry or "im:releaseDate" in entry)


def _last_page(feed: dict[str, Any]) -> int | None:
    links = feed.get("link")
    for link in links if isinstance(links, list) else [links]:
        attrs = link.get("attributes", {}) if isinstance(link, dict) else {}
        if attrs.get("rel") == "last":
            match = re.search(r"page=(\d+)", attrs.get("href") or "")
            return int(match.group(1)) if match else None
    return None


def _to_mention(entry: Any, app: AppTarget, fallback: datetime) -> Mention:
    """One review entry -> Mention; ValueError(reason) for a malformed one."""
    if not isinstance(entry, dict):
        raise ValueError("not_an_object")
    review_id = _label(entry.get("id"))
    if not review_id or not review_id.isdigit():
        raise ValueError("missing_id")
    try:
        rating = int(_label(entry.get("im:rating")) or "")
    except ValueError:
        raise ValueError("bad_rating") from None
    if not 1 <= rating <= 5:
        raise ValueError("bad_rating")
    title = _label(entry.get("title")) or None
    text = _label(entry.get("content")) or ""
    if not (title or text):
        raise ValueError("empty_review")
    author_node = entry.get("author")
    author = author_node if isinstance(author_node, dict) else {}
    author_name = _label(author.get("name")) or "anonymous"
    author_url = _label(author.get("uri"))
    author_id = re.search(r"id(\d+)", author_url or "")
    created = parse_iso(_label(entry.get("updated")))
    extra: dict[str, Any] = {"app_id": app.id, "country": app.country.lower(),
                             "version": _label(entry.get("im:version"))}
    if created is None:
        extra["date_estimated"] = True
    return Mention(
        source=NAME,
        external_id=review_id,
        text=text,
        title=title,
        created_at=created or fallback,
        author=Author(handle=author_name, name=author_name, url=author_url,
                      id=author_id.group(1) if author_id else None),
        url=f"https://apps.apple.com/{app.country.lower()}/app/id{app.id}?see-all=reviews",
        rating=rating,
        brand=app.brand,
        kind="review",
        extra=extra,
    )
