"""RSS, Atom and JSON Feed articles: conditional GET, stable ids, HTML to text, no repeats."""

from __future__ import annotations

import calendar
import hashlib
import io
import json
import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

import requests
from pydantic import BaseModel, ConfigDict, Field

from connectors.dates import parse_iso
from connectors.html import html_to_text
from connectors.http import raise_for_response, send
from connectors.options import SourceOptions
from connectors.targeted import TargetConnector, TargetNotFound, TargetResult
from monitor.errors import SourceError
from monitor.models import Author, Mention, SourceQuery

logger = logging.getLogger(__name__)

NAME = "rss"
ACCEPT = ("application/atom+xml, application/rss+xml, application/feed+json;q=0.9, "
          "application/xml;q=0.8, text/xml;q=0.8, application/json;q=0.7, */*;q=0.5")
MAX_ID = 128  # the store's external_id column


class FeedTarget(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(pattern=r"^https?://\S+$")
    brand: str = Field(min_length=1)


class Settings(SourceOptions):
    interval: float = Field(600.0, gt=0)
    feeds: list[FeedTarget] = Field(default_factory=list)
    remember: int = Field(500, ge=10, le=5000, description="seen item ids kept per feed")


@dataclass(frozen=True)
class Item:
    """One feed entry, whatever the format, before it becomes a Mention."""

    id: str | None
    link: str | None
    title: str | None
    body: str  # HTML or text
    published: datetime | None
    author: str | None
    lang: str | None = None


class FeedConnector(TargetConnector[FeedTarget]):
    """Polls each feed URL with If-None-Match / If-Modified-Since and returns unseen items.

    Cursor (JSON): {"feeds": {url: {"etag", "modified", "seen": [[id digest, epoch], ...],
    "horizon": epoch}}}. `seen` keeps the `remember` newest items; anything dated at or before
    `horizon` (the newest item forgotten so far) also counts as seen, so a feed re-posting old
    items never repeats them. Items without a date are dated when first seen.
    """

    name: ClassVar[str] = NAME
    settings_model = Settings
    parallel = 4  # feeds live on unrelated hosts: one slow feed must not hold the others
    marks_key = "feeds"
    what = "feed"
    expected = "an http(s) URL"
    settings: Settings

    def configured(self) -> list[FeedTarget]:
        return self.settings.feeds

    def build(self, query: SourceQuery) -> FeedTarget:
        return FeedTarget(url=query.query.strip(), brand=query.brand)

    def key(self, target: FeedTarget) -> str:
        return target.url

    def poll_target(self, feed: FeedTarget, state: dict[str, Any], dropped: Counter[str]
                    ) -> TargetResult:
        resp = self._fetch(feed.url, state)
        if resp is None:  # 304 Not Modified
            return TargetResult([], None, 1)
        if resp.status_code in (404, 410):
            raise TargetNotFound(NAME, f"feed {feed.url} answered HTTP {resp.status_code}; "
                                       "check the URL")
        found, new_state = self._new_items(feed, parse_feed(resp, feed.url), state,
                                           datetime.now(UTC), dropped)
        new_state.update(_validators(resp))
        return TargetResult(found, new_state, 1)

    def _fetch(self, url: str, state: Mapping[str, Any]) -> requests.Response | None:
        headers = {"Accept": ACCEPT}
        if state.get("etag"):
            headers["If-None-Match"] = state["etag"]
        if state.get("modified"):
            headers["If-Modified-Since"] = state["modified"]
        resp = send(self.session, "GET", url, source=NAME, timeout=self.settings.timeout,
                    what=url, headers=headers)
        if resp.status_code == 304:
            return None
        if resp.status_code not in (404, 410):
            raise_for_response(NAME, resp)
        return resp

    def _new_items(self, feed: FeedTarget, items: list[Item], state: Mapping[str, Any],
                   now: datetime, dropped: Counter[str]) -> tuple[list[Mention], dict[str, Any]]:
        seen = {digest: epoch for digest, epoch in state.get("seen", [])}
        horizon = state.get("horizon")
        out: list[Mention] = []
        for item in items:
            try:
                mention = _to_mention(item, feed, now)
            except ValueError as exc:
                dropped[str(exc)] += 1
                logger.warning("rss: dropped an item of %s: %s", feed.url, exc,
                               extra={"source": NAME, "feed": feed.url, "reason": str(exc)})
                continue
            digest = hashlib.sha256(mention.external_id.encode()).hexdigest()[:16]
            epoch = int(mention.created_at.timestamp())
            if digest in seen or (horizon is not None and epoch <= horizon):
                continue
            seen[digest] = epoch
            out.append(mention)
        ordered = sorted(seen.items(), key=lambda kv: -kv[1])
        kept, forgotten = ordered[:self.settings.remember], ordered[self.settings.remember:]
        if forgotten:
            horizon = max(horizon or 0, max(epoch for _, epoch in forgotten))
        return out, {"seen": [list(kv) for kv in kept], "horizon": horizon}


def _validators(resp: requests.Response) -> dict[str, str]:
    found = {"etag": resp.headers.get("ETag"), "modified": resp.headers.get("Last-Modified")}
    return {k: v for k, v in found.items() if v}


def parse_feed(resp: requests.Response, url: str) -> list[Item]:
    """RSS/Atom through feedparser; JSON Feed (which feedparser does not read) by hand."""
    ctype = resp.headers.get("Content-Type", "").lower()
    if "json" in ctype or resp.content.lstrip()[:1] == b"{":
        return _parse_json_feed(resp.content, url)
    import feedparser  # imported when the source is enabled, not with the registry

    # a stream, never bytes: feedparser treats a bytes/str argument as a possible file path
    parsed = feedparser.parse(io.BytesIO(resp.content),
                              response_headers={"content-type": ctype, "content-location": url})
    if not parsed.get("version") and (parsed.get("bozo") or not parsed.entries):
        problem = parsed.get("bozo_exception") or "no RSS or Atom document"
        raise SourceError(NAME, f"{url}: not a feed ({str(problem)[:120]})")
    lang = parsed.feed.get("language")
    return [_from_feedparser(entry, lang) for entry in parsed.entries]


def _from_feedparser(entry: Any, lang: str | None) -> Item:
    contents = entry.get("content") or []
    body = contents[0].get("value", "") if contents else entry.get("summary", "")
    when = entry.get("published_parsed") or entry.get("updated_parsed")
    return Item(
        id=entry.get("id") or None,
        link=entry.get("link") or None,
        title=entry.get("title") or None,
        body=body or "",
        published=datetime.fromtimestamp(calendar.timegm(when), UTC) if when else None,
        author=entry.get("author") or None,
        lang=lang,
    )


def _parse_json_feed(data: bytes, url: str) -> list[Item]:
    try:
        doc = json.loads(data)
    except ValueError as exc:
        raise SourceError(NAME, f"{url}: JSON Feed is not valid JSON") from exc
    if not (isinstance(doc, dict) and str(doc.get("version", "")).startswith(
            "https://jsonfeed.org/version/") and isinstance(doc.get("items"), list)):
        raise SourceError(NAME, f"{url}: not a JSON Feed (no version or items)")
    feed_authors = doc.get("authors") or ([doc["author"]] if doc.get("author") else [])
    items = []
    for raw in doc["items"]:
        raw = raw if isinstance(raw, dict) else {}
        authors = raw.get("authors") or ([raw["author"]] if raw.get("author") else feed_authors)
        name = authors[0].get("name") if authors and isinstance(authors[0], dict) else None
        text = {k: v for k, v in raw.items() if isinstance(v, str) and v}  # drop odd types
        items.append(Item(
            id=str(raw["id"]) if raw.get("id") not in (None, "") else None,
            link=text.get("url") or text.get("external_url"),
            title=text.get("title"),
            body=text.get("content_html") or text.get("content_text") or text.get("summary", ""),
            published=parse_iso(text.get("date_published") or text.get("date_modified")),
            author=name if isinstance(name, str) else None,
            lang=text.get("language") or doc.get("language"),
        ))
    return items


def _to_mention(item: Item, feed: FeedTarget, now: datetime) -> Mention:
    """Item -> Mention with a stable id; ValueError(reason) when there is nothing to show."""
    title = html_to_text(item.title) if item.title and "<" in item.title else item.title
    text = html_to_text(item.body)
    if not (title or text):
        raise ValueError("empty_item")
    raw_id = item.id or item.link
    if not raw_id:  # no guid, no link: title + date is all that identifies the item
        raw_id = "sha256:" + hashlib.sha256(f"{title}\n{item.published}".encode()).hexdigest()
    global_id = "://" in raw_id or raw_id.startswith(("urn:", "tag:"))
    external_id = raw_id if global_id and len(raw_id) <= MAX_ID else (
        "rss:" + hashlib.sha256(f"{feed.url}\n{raw_id}".encode()).hexdigest()[:40])
    author = item.author or ""
    return Mention(
        source=NAME,
        external_id=external_id,
        text=text,
        title=title or None,
        created_at=item.published or now,
        author=Author(handle=author or feed.url, name=author or None),
        url=item.link,
        lang=item.lang,
        brand=feed.brand,
        kind="article",
        extra={"feed": feed.url, **({} if item.published else {"date_estimated": True})},
    )

