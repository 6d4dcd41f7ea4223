"""A loopback Reddit: OAuth token endpoint and Listing pages (r/all/search, /new, /comments)."""

from __future__ import annotations

import socket
import threading
from pathlib import Path
from typing import Any

from connectors.base import Connector
from connectors.reddit import RedditConnector
from monitor.models import SourceQuery
from tests.fakes.server import FakeServer, Request, Response

TOKEN = "fake-access-token-123"
ENV = {"REDDIT_CLIENT_ID": "fake-client-id", "REDDIT_CLIENT_SECRET": "fake-client-secret"}
SEARCH = "/r/all/search/"
T0 = 1_795_000_000.0  # 2026-11-18, a created_utc to count from


def submission(n: int, *, sub: str = "widgets", title: str = "Acme router keeps dropping wifi",
               selftext: str = "Third time this week, anyone else?", author: str | None = "pat_q",
               created: float | None = None, is_self: bool = True,
               url: str | None = None) -> dict[str, Any]:
    """A t3 listing child in Reddit's shape; `n` is the base-10 value of its base-36 id."""
    id36 = base36(n)
    link = f"/r/{sub}/comments/{id36}/post_{id36}/"
    data: dict[str, Any] = {
        "id": id36, "name": f"t3_{id36}", "subreddit": sub, "subreddit_id": "t5_2qh0f",
        "author": author or "[deleted]", "title": title, "selftext": selftext if is_self else "",
        "is_self": is_self, "url": url or f"https://www.reddit.com{link}", "permalink": link,
        "created_utc": T0 + n if created is None else created, "score": 3, "num_comments": 1,
        "over_18": False, "domain": f"self.{sub}" if is_self else "example.net",
    }
    if author:
        data["author_fullname"] = f"t2_{author[:6]}"
    return {"kind": "t3", "data": data}


def comment(n: int, *, sub: str = "widgets", body: str = "Same here with my Acme router.",
            author: str | None = "sam_r", link: int = 1, created: float | None = None
            ) -> dict[str, Any]:
    """A t1 listing child as /r/<sub>/comments returns it."""
    id36, link36 = base36(n), base36(link)
    data: dict[str, Any] = {
        "id": id36, "name": f"t1_{id36}", "subreddit": sub, "author": author or "[deleted]",
        "body": body, "parent_id": f"t3_{link36}", "link_id": f"t3_{link36}",
        "link_title": "Acme router keeps dropping wifi", "score": 1, "replies": "",
        "permalink": f"/r/{sub}/comments/{link36}/post_{link36}/{id36}/",
        "created_utc": T0 + n if created is None else created,
    }
    return {"kind": "t1", "data": data}


def listing(children: list[Any], *, after: str | None = None,
            before: str | None = None) -> dict[str, Any]:
    return {"kind": "Listing", "data": {"after": after, "dist": len(children), "modhash": "",
                                        "geo_filter": "", "children": children,
                                        "before": before}}


def base36(n: int) -> str:
    """`n` in base 36 (Reddit ids, X page tokens)."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if not n:
            return out


def _closing(req: Request) -> dict[str, str]:
    return {"Connection": "close"} if req.headers.get("connection") == "close" else {}


def _created(child: dict[str, Any]) -> float:
    value = child.get("data", {}).get("created_utc")
    return float(value) if isinstance(value, int | float) else 0.0


class RedditFake:
    """Serves what `posts`/`comments` hold, newest first, with Reddit's limit/after/before
    paging; checks the bearer token on every API call."""

    def __init__(self, server: FakeServer, *, ratelimit: tuple[str, str, str] | None = None
                 ) -> None:
        self.server = server
        self.posts: list[dict[str, Any]] = []
        self.comments: list[dict[str, Any]] = []
        self.ratelimit = ratelimit  # (remaining, used, reset) headers on every listing
        server.route("POST", "/api/v1/access_token", self._token)
        server.route("GET", "/r/*", self._subreddit)

    @property
    def url(self) -> str:
        return self.server.url

    def api_requests(self) -> list[Request]:
        return [r for r in self.server.requests if r.path != "/api/v1/access_token"]

    def _token(self, req: Request) -> Response:
        form = req.form()
        if form.get("grant_type") not in ("client_credentials", "password"):
            return Response(400, {"error": "unsupported_grant_type"})
        # prawcore asks for "Connection: close" here; saying so keeps the client from reusing
        # a socket the server is about to close (a race that shows up as RemoteDisconnected)
        return Response(200, {"access_token": TOKEN, "token_type": "bearer",
                              "expires_in": 86400, "scope": "*"}, _closing(req))

    def _page(self, req: Request, items: list[dict[str, Any]]) -> Response:
        if req.headers.get("authorization") != f"bearer {TOKEN}":
            return Response(401, {"message": "Unauthorized", "error": 401},
                            {"www-authenticate": 'Bearer realm="reddit", error="invalid_token"'})
        items = sorted(items, key=lambda c: (_created(c), c["data"].get("name", "")),
                       reverse=True)
        names = [c["data"].get("name") for c in items]
        limit = int(req.arg("limit") or 25)
        before, after = req.arg("before"), req.arg("after")
        if before:
            end = names.index(before) if before in names else 0
            page, start = items[max(0, end - limit):end], max(0, end - limit)
        else:
            start = names.index(after) + 1 if after in names else 0
            page = items[start:start + limit]
        more = start + len(page) < len(items)
        body = listing(page, after=page[-1]["data"].get("name") if page and more else None,
                       before=page[0]["data"].get("name") if page and start > 0 else None)
        headers = {}
        if self.ratelimit:
            headers = dict(zip(("x-ratelimit-remaining", "x-ratelimit-used",
                                "x-ratelimit-reset"), self.ratelimit, strict=True))
        return Response(200, body, headers)

    def _search(self, req: Request) -> Response:
        q = (req.arg("q") or "").lower()
        hits = [p for p in self.posts if q in (p["data"].get("title", "") + " "
                                             + p["data"].get("selftext", "")).lower()]
        return self._page(req, hits)

    def _subreddit(self, req: Request) -> Response:
        parts = req.path.strip("/").split("/")
        if parts[1:] == ["all", "search"]:
            return self._search(req)
        if len(parts) != 3 or parts[2] not in ("new", "comments"):
            return Response(404, {"message": "Not Found", "error": 404})
        pool = self.posts if parts[2] == "new" else self.comments
        return self._page(req, [c for c in pool if c["data"].get("subreddit") == parts[1]])


def connector(fake: RedditFake, **options: Any) -> RedditConnector:
    settings = {"oauth_url": fake.url, "reddit_url": fake.url, "timeout": 2, **options}
    return RedditConnector.from_settings(settings, environ=ENV)


def make(fake_server: FakeServer, tmp_path: Path) -> tuple[Connector, list[SourceQuery]]:
    """Contract-test hook: a connector on a fake holding a few posts and comments."""
    fake = RedditFake(fake_server)
    fake.posts += [submission(n) for n in (101, 102, 103)]
    fake.posts.append(submission(104, title="Unrelated", selftext="nothing to see"))
    fake.comments += [comment(n, link=101) for n in (2001, 2002)]
    return connector(fake, subreddits=["widgets"]), [SourceQuery(brand="acme", query="acme")]


class ConnectProxy:
    """A loopback HTTPS proxy that records each CONNECT line and refuses the tunnel (the
    FakeServer cannot speak TLS); enough to prove HTTPS_PROXY is used for https:// URLs."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                head = b""
                while b"\r\n\r\n" not in head and (chunk := conn.recv(4096)):
                    head += chunk
                self.lines.append(head.split(b"\r\n", 1)[0].decode())
                conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")

    def __enter__(self) -> ConnectProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sock.close()
