"""A loopback App Store customer-reviews RSS (JSON) speaking Apple's paged feed format."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from connectors.appstore import AppStoreConnector
from connectors.base import Connector
from monitor.models import SourceQuery
from tests.fakes.server import FakeServer, Request, Response

APP_ID = "900000001"
_PATH = re.compile(r"^/(\w\w)/rss/customerreviews/page=(\d+)/id=(\d+)/sortby=mostrecent/json$")


def review(review_id: int, *, rating: int = 2, title: str = "Crashes on login",
           content: str = "Since the update the app crashes every time I log in.",
           author: str = "pat.q", version: str = "4.2.0",
           updated: str | None = "2026-11-20T08:15:00-07:00") -> dict[str, Any]:
    """One review entry in the feed's {"label": ...} wrapping."""
    entry: dict[str, Any] = {
        "author": {"uri": {"label": f"https://itunes.apple.com/us/reviews/id{review_id + 7}"},
                   "name": {"label": author}, "label": ""},
        "im:version": {"label": version},
        "im:rating": {"label": str(rating)},
        "id": {"label": str(review_id)},
        "title": {"label": title},
        "content": {"label": content, "attributes": {"type": "text"}},
        "link": {"attributes": {"rel": "related",
                                "href": "https://itunes.apple.com/us/review?id=1&type=Purple%20Software"}},
        "im:voteSum": {"label": "0"},
        "im:contentType": {"attributes": {"term": "Application", "label": "Application"}},
        "im:voteCount": {"label": "0"},
    }
    if updated:
        entry["updated"] = {"label": updated}
    return entry


def feed(entries: list[dict[str, Any]] | dict[str, Any] | None, *, country: str = "us",
         app_id: str = APP_ID, page: int = 1, last: int = 1) -> dict[str, Any]:
    """The envelope Apple wraps entries in; `entries=None` leaves out `entry` like Apple does."""
    def link(rel: str, n: int | None) -> dict[str, Any]:
        href = "" if n is None else (
            f"https://itunes.apple.com/{country}/rss/customerreviews/page={n}/id={app_id}"
            f"/sortby=mostrecent/xml?urlDesc=/customerreviews/id={app_id}/sortby=mostrecent/json")
        return {"attributes": {"rel": rel, "href": href}}

    empty = entries is None
    body: dict[str, Any] = {
        "author": {"name": {"label": "iTunes Store"}, "uri": {"label": "http://www.apple.com/itunes/"}},
        "updated": {"label": "2026-11-21T10:00:00-07:00"},
        "rights": {"label": "Copyright 2008 Apple Inc."},
        "title": {"label": "iTunes Store: Customer Reviews"},
        "icon": {"label": "http://itunes.apple.com/favicon.ico"},
        "link": [
            {"attributes": {"rel": "alternate", "type": "text/html",
                            "href": "https://itunes.apple.com/WebObjects/MZStore.woa/wa/viewGrouping?cc=us&id=1"}},
            {"attributes": {"rel": "self", "href": f"https://itunes.apple.com/{country}/rss/customerreviews/id={app_id}/sortby=mostrecent/json"}},
            link("first", None if empty else 1), link("last", None if empty else last),
            link("previous", None if empty else max(1, page - 1)),
            link("next", None if empty else min(last, page + 1)),
        ],
        "id": {"label": f"https://itunes.apple.com/{country}/rss/customerreviews/id={app_id}/sortby=mostrecent/json"},
    }
    if not empty:
        body["entry"] = entries
    return {"feed": body}


class AppStoreFake:
    """Serves the reviews added to it, most recent first, `page_size` per page (Apple: 50)."""

    def __init__(self, server: FakeServer, *, page_size: int = 50) -> None:
        self.server = server
        self.page_size = page_size
        self.reviews: dict[tuple[str, str], list[dict[str, Any]]] = {}
        server.route("GET", "/*", self._serve)

    def add(self, *entries: dict[str, Any], app_id: str = APP_ID, country: str = "us") -> None:
        self.reviews.setdefault((app_id, country), []).extend(entries)
        self.reviews[(app_id, country)].sort(key=lambda e: -int(e["id"]["label"]))

    def _serve(self, req: Request) -> Response:
        m = _PATH.match(req.path)
        if not m:
            return Response(404, "<html>not found</html>", {"Content-Type": "text/html"})
        country, page, app_id = m.group(1), int(m.group(2)), m.group(3)
        items = self.reviews.get((app_id, country), [])
        pages = max(1, -(-len(items) // self.page_size))
        chunk = items[(page - 1) * self.page_size: page * self.page_size]
        if not chunk:
            return Response(200, feed(None, country=country, app_id=app_id))
        return Response(200, feed(chunk, country=country, app_id=app_id, page=page, last=pages),
                        {"Content-Type": "text/javascript; charset=utf-8"})

    def requests(self) -> int:
        return sum(1 for r in self.server.requests if _PATH.match(r.path))


def make(fake_server: FakeServer, tmp_path: Path) -> tuple[Connector, list[SourceQuery]]:
    """Contract-test hook: a connector pointed at `fake_server`, loaded with three reviews."""
    fake = AppStoreFake(fake_server)
    fake.add(review(5001, rating=1), review(5002, rating=4, title="Nice"),
             review(5003, rating=5, updated=None))
    connector = AppStoreConnector.from_settings({"base_url": fake_server.url, "timeout": 2})
    return connector, [SourceQuery(brand="acme", query=APP_ID, params={"country": "us"})]
