"""A loopback Play Store batchexecute endpoint answering google-play-scraper's oCPfdb RPC.

No real recording of this response exists in the payload library, so the envelope is
SYNTHETIC, built from reading google-play-scraper 1.2.7's parser (features/reviews.py,
constants/element.py): `)]}'` + blank line + [["wrb.fr", "oCPfdb", <inner JSON string>, ...]],
inner = [[review, ...], [null, <next token>], null] where the token sits at [-2][-1], and each
review = [id, [name, [null, null, null, [null, null, avatar]]], stars, null, text,
[epoch s, nanos], thumbs up, [null, reply, [epoch s, nanos]] | null, null, null, version].
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from connectors.base import Connector
from connectors.googleplay import GooglePlayConnector
from monitor.models import SourceQuery
from tests.fakes.server import FakeServer, Request, Response

APP_ID = "com.acme.mobile"
PATH = "/_/PlayStoreUi/data/batchexecute"
BASE_TIME = int(datetime(2026, 11, 20, 12, 0, tzinfo=UTC).timestamp())


@dataclass
class Review:
    id: str
    at: int  # epoch seconds
    stars: int = 2
    text: str = "Keeps logging me out after the last update."
    name: str = "Sam Doe"
    version: str | None = "5.1.0"
    reply: str | None = None

    def row(self) -> list[Any]:
        replied = [None, self.reply, [self.at + 3600, 0]] if self.reply else None
        return [self.id, [self.name, [None, None, None, [None, None, "https://example.test/a.png"]]],
                self.stars, None, self.text, [self.at, 500000000], 3, replied, None, None,
                self.version]


def envelope(inner: Any) -> str:
    """The batchexecute wire format: XSSI guard, then the wrb.fr frame holding `inner` as text."""
    payload = None if inner is None else json.dumps(inner)
    frames = [["wrb.fr", "oCPfdb", payload, None, None, None, "generic"], ["di", 42],
              ["af.httprm", 41, "-5512340000000000000", 7]]
    return ")]}'\n\n" + json.dumps(frames)


def parse_request(req: Request) -> tuple[str, int, str | None]:
    """(app id, count, continuation token) from the f.req form field the library posts."""
    rpc = json.loads(req.form()["f.req"])[0][0]
    args = json.loads(rpc[1])
    size = args[1][2]
    return args[2][0], size[0], size[2] if len(size) > 2 else None


class GooglePlayFake:
    """Serves the reviews added per app, newest first, `count` per page, tokens 'Cp<offset>'."""

    def __init__(self, server: FakeServer) -> None:
        self.server = server
        self.reviews: dict[str, list[Review]] = {}
        server.route("POST", PATH, self._serve)

    def add(self, *reviews: Review, app_id: str = APP_ID) -> None:
        self.reviews.setdefault(app_id, []).extend(reviews)
        self.reviews[app_id].sort(key=lambda r: -r.at)

    def _serve(self, req: Request) -> Response:
        app_id, count, token = parse_request(req)
        items = self.reviews.get(app_id)
        if items is None:
            return Response(200, envelope(None), {"Content-Type": "application/json"})
        start = int(token[2:]) if token else 0
        chunk = items[start:start + count]
        more = start + count < len(items)
        inner = [[r.row() for r in chunk], [None, f"Cp{start + count}"] if more else None, None]
        return Response(200, envelope(inner if chunk else []),
                        {"Content-Type": "application/json; charset=utf-8"})

    def requests(self) -> list[Request]:
        return self.server.hits(PATH)


def make(fake_server: FakeServer, tmp_path: Path) -> tuple[Connector, list[SourceQuery]]:
    """Contract-test hook: a connector pointed at `fake_server`, loaded with three reviews."""
    fake = GooglePlayFake(fake_server)
    fake.add(Review("gp:r-1", BASE_TIME), Review("gp:r-2", BASE_TIME + 60, stars=5, text="Great"),
             Review("gp:r-3", BASE_TIME + 120, stars=1))
    connector = GooglePlayConnector.from_settings({"base_url": fake_server.url, "timeout": 2})
    query = SourceQuery(brand="acme", query=APP_ID, params={"lang": "en", "country": "us"})
    return connector, [query]
