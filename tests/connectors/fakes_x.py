"""A loopback X API v2 recent search: since_id, next_token paging, includes.users, limits."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from connectors.base import Connector
from connectors.x import XConnector
from monitor.models import SourceQuery
from tests.connectors.fakes_reddit import base36
from tests.fakes.server import FakeServer, Request, Response

TOKEN = "fake-bearer-token-xyz"
ENV = {"X_BEARER_TOKEN": TOKEN}
SEARCH = "/2/tweets/search/recent"
ID0 = 1_860_000_000_000_000_000  # snowflake ids are counted from here


def user(uid: str = "5001", *, username: str = "pat_q", name: str = "Pat Q",
         followers: int = 1200, verified: bool = False) -> dict[str, Any]:
    return {"id": uid, "username": username, "name": name, "verified": verified,
            "public_metrics": {"followers_count": followers, "following_count": 80,
                               "tweet_count": 3400, "listed_count": 2}}


def tweet(n: int, *, text: str = "my acme router died again", author: str = "5001",
          created: str | None = None, lang: str = "en",
          refs: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    """A tweet object as recent search returns it with our tweet.fields; id = ID0 + n."""
    tid = str(ID0 + n)
    when = created or datetime.fromtimestamp(1_795_000_000 + n, tz=UTC).strftime(
        "%Y-%m-%dT%H:%M:%S.000Z")
    out: dict[str, Any] = {
        "id": tid, "text": text, "author_id": author, "created_at": when, "lang": lang,
        "conversation_id": tid, "edit_history_tweet_ids": [tid],
        "public_metrics": {"retweet_count": 0, "reply_count": 1, "like_count": 2,
                           "quote_count": 0, "bookmark_count": 0, "impression_count": 40},
    }
    if refs:
        out["referenced_tweets"] = [{"type": t, "id": i} for t, i in refs]
        if refs[0][0] == "replied_to":
            out["conversation_id"] = refs[0][1]
    return out


class XFake:
    """Serves `tweets` matching the query (a plain substring), newest first, honouring
    since_id / max_results / next_token, with X's rate-limit headers."""

    def __init__(self, server: FakeServer, *, remaining: int = 449) -> None:
        self.server = server
        self.tweets: list[dict[str, Any]] = []
        self.users: list[dict[str, Any]] = [user()]
        self.remaining = remaining
        self.reset = int(time.time()) + 900
        self.errors: list[dict[str, Any]] = []  # partial errors added to every 200
        server.route("GET", SEARCH, self._search)

    @property
    def url(self) -> str:
        return self.server.url

    def searches(self) -> list[Request]:
        return self.server.hits(SEARCH)

    def headers(self) -> dict[str, str]:
        return {"x-rate-limit-limit": "450", "x-rate-limit-remaining": str(self.remaining),
                "x-rate-limit-reset": str(self.reset), "api-version": "2.100"}

    def _search(self, req: Request) -> Response:
        if req.headers.get("authorization") != f"Bearer {TOKEN}":
            return Response(401, {"title": "Unauthorized", "type": "about:blank",
                                  "status": 401, "detail": "Unauthorized"})
        self.remaining = max(0, self.remaining - 1)
        query = (req.arg("query") or "").split(" -")[0].strip("() ").lower()
        since = int(req.arg("since_id") or 0)
        size = int(req.arg("max_results") or 10)
        hits = sorted((t for t in self.tweets
                       if query in str(t.get("text", "")).lower() and int(t["id"]) > since),
                      key=lambda t: int(t["id"]), reverse=True)
        start = int(req.arg("next_token") or "0", 36) if req.arg("next_token") else 0
        page = hits[start:start + size]
        if not page:
            return Response(200, {"meta": {"result_count": 0}}, self.headers())
        meta: dict[str, Any] = {"newest_id": page[0]["id"], "oldest_id": page[-1]["id"],
                                "result_count": len(page)}
        if start + size < len(hits):
            meta["next_token"] = base36(start + size)
        ids = {t.get("author_id") for t in page}
        body: dict[str, Any] = {"data": page, "meta": meta,
                                "includes": {"users": [u for u in self.users if u["id"] in ids]}}
        if self.errors:
            body["errors"] = self.errors
        return Response(200, body, self.headers())


def connector(fake: XFake, **options: Any) -> XConnector:
    return XConnector.from_settings({"base_url": fake.url, "timeout": 2, **options}, environ=ENV)


def make(fake_server: FakeServer, tmp_path: Path) -> tuple[Connector, list[SourceQuery]]:
    """Contract-test hook: a connector on a fake holding a few tweets."""
    fake = XFake(fake_server)
    fake.tweets += [tweet(n) for n in (1, 2, 3)]
    fake.tweets.append(tweet(4, text="nothing about routers"))
    return connector(fake), [SourceQuery(brand="acme", query="acme -is:retweet")]
