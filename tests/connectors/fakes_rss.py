"""A loopback feed host: serves RSS/Atom/JSON Feed documents with ETag/Last-Modified and 304s."""

from __future__ import annotations

import hashlib
from pathlib import Path

from connectors.base import Connector
from connectors.rss import FeedConnector
from monitor.models import SourceQuery
from tests.fakes.server import FakeServer, Request, Response

FIXTURES = Path(__file__).parent / "fixtures"
TYPES = {".xml": "application/rss+xml; charset=utf-8", ".json": "application/feed+json"}
LAST_MODIFIED = "Sat, 21 Nov 2026 09:00:00 GMT"


class FeedFake:
    """One feed at `path`; `body` may be swapped between polls. Honours If-None-Match."""

    def __init__(self, server: FakeServer, path: str, body: bytes | str,
                 content_type: str = "application/rss+xml; charset=utf-8",
                 conditional: bool = True) -> None:
        self.server, self.path = server, path
        self.body = body.encode() if isinstance(body, str) else body
        self.content_type = content_type
        self.conditional = conditional
        server.route("GET", path, self._serve)

    @classmethod
    def fixture(cls, server: FakeServer, path: str, name: str, *,
                content_type: str | None = None, conditional: bool = True) -> FeedFake:
        file = FIXTURES / name
        return cls(server, path, file.read_bytes(), content_type or TYPES[file.suffix],
                   conditional=conditional)

    @property
    def url(self) -> str:
        return self.server.url + self.path

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:12] + '"'

    def _serve(self, req: Request) -> Response:
        if self.conditional and req.headers.get("if-none-match") == self.etag:
            return Response(304, b"", {"ETag": self.etag})
        headers = {"Content-Type": self.content_type}
        if self.conditional:
            headers |= {"ETag": self.etag, "Last-Modified": LAST_MODIFIED}
        return Response(200, self.body, headers)

    def hits(self) -> list[Request]:
        return self.server.hits(self.path)


def make(fake_server: FakeServer, tmp_path: Path) -> tuple[Connector, list[SourceQuery]]:
    """Contract-test hook: an RSS 2.0 and a JSON Feed on `fake_server`, one from the rules."""
    rss = FeedFake.fixture(fake_server, "/gadgets.xml", "rss_rss2.xml")
    jsonfeed = FeedFake.fixture(fake_server, "/blog/feed.json", "rss_jsonfeed.json")
    connector = FeedConnector.from_settings(
        {"timeout": 2, "feeds": [{"url": rss.url, "brand": "acme"}]})
    return connector, [SourceQuery(brand="acme", query=jsonfeed.url)]
