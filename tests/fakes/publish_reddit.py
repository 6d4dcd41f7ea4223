"""A loopback Reddit for posting replies: password-grant token, /api/comment, our comments."""

from __future__ import annotations

import itertools
import time
from typing import Any

from connectors.replies.base import ReplyTarget
from tests.fakes.publish import Kit, PublishFake
from tests.fakes.server import FakeServer, Request, Response

TOKEN = "fake-user-access-token-5e1"
USER = "parcelly_care"
ENV = {"REDDIT_CLIENT_ID": "fake-script-client", "REDDIT_CLIENT_SECRET": "fake-script-secret-3c",
       "REDDIT_USERNAME": USER, "REDDIT_PASSWORD": "fake-hunter2-password"}
TARGET = "t3_1abcde"


def _closing(req: Request) -> dict[str, str]:
    return {"Connection": "close"} if req.headers.get("connection") == "close" else {}


def _errors(kind: str, message: str, field: str | None = None) -> dict[str, Any]:
    return {"json": {"errors": [[kind, message, field]]}}


class RedditPublishFake(PublishFake):
    """Things that exist are `things`; our comments are stored per parent fullname with
    Reddit's t1 shape and listed newest first under /user/<us>/comments."""

    def __init__(self, server: FakeServer) -> None:
        super().__init__(server)
        self.things: set[str] = {TARGET, "t1_9zz"}
        self.scope = "*"
        self.ids = itertools.count(36 ** 5)
        server.route("POST", "/api/v1/access_token", self._token)
        server.route("POST", "/api/comment/", self._comment)
        server.route("GET", "/api/v1/me", self._me)
        server.route("GET", f"/user/{USER}/comments", self._comments)
        server.route("GET", f"/user/{USER}/comments/", self._comments)
        server.route("GET", "/message/comments", self._inbox)
        server.route("GET", "/message/comments/", self._inbox)
        self.inbox: list[dict[str, Any]] = []  # replies to our comments, newest last

    def read_only(self) -> None:
        super().read_only()
        self.scope = "identity read history"

    def _token(self, req: Request) -> Response:
        form = req.form()
        if (self.revoked or form.get("grant_type") != "password"
                or form.get("password") != ENV["REDDIT_PASSWORD"]):
            return Response(200, {"error": "invalid_grant"}, _closing(req))
        return Response(200, {"access_token": TOKEN, "token_type": "bearer",
                              "expires_in": 86400, "scope": self.scope}, _closing(req))

    def _auth(self, req: Request, scope: str) -> Response | None:
        if req.headers.get("authorization") != f"bearer {TOKEN}":
            return Response(401, {"message": "Unauthorized", "error": 401},
                            {"www-authenticate": 'Bearer realm="reddit", error="invalid_token"'})
        if self.scope != "*" and scope not in self.scope.split():
            return Response(403, {"message": "Forbidden", "error": 403}, {
                "www-authenticate": 'Bearer realm="reddit", error="insufficient_scope"'})
        if self.limited is not None:
            return Response(429, {"message": "Too Many Requests", "error": 429},
                            {"x-ratelimit-remaining": "0", "x-ratelimit-used": "100",
                             "x-ratelimit-reset": str(int(self.limited))})
        return None

    def _comment(self, req: Request) -> Response:
        if (denied := self._auth(req, "submit")) is not None:
            return denied
        form = req.form()
        parent, text = form.get("thing_id", ""), form.get("text", "")
        if parent not in self.things or parent in self.deleted:
            kind = "DELETED_COMMENT" if parent.startswith("t1_") else "DELETED_LINK"
            return Response(200, _errors(kind, "that comment has been deleted", "parent"))
        if parent in self.locked:
            return Response(200, _errors("THREAD_LOCKED", "Comments are locked.", "parent"))
        n = next(self.ids)
        id36 = _base36(n)
        link = parent if parent.startswith("t3_") else "t3_1abcde"
        data = {"id": id36, "name": f"t1_{id36}", "parent_id": parent, "link_id": link,
                "body": text, "author": USER, "created_utc": time.time(), "subreddit": "widgets",
                "permalink": f"/r/widgets/comments/{link[3:]}/post/{id36}/", "replies": ""}
        self.store(parent, {"text": text, "data": data})
        return self.answer(Response(200, {"json": {"errors": [], "data": {
            "things": [{"kind": "t1", "data": data}]}}}))

    def customer_says(self, target_id: str, text: str, *, stars: int | None = None,
                      author: str = "pat_q") -> str:
        """A comment by `author` replying to our latest comment on `target_id`; it shows in
        our inbox (/message/comments), newest first."""
        return _customer_says(self, target_id, text, author)

    def _inbox(self, req: Request) -> Response:
        if (denied := self._auth(req, "privatemessages")) is not None:
            return denied
        limit = int(req.arg("limit") or 25)
        children = [{"kind": "t1", "data": d} for d in reversed(self.inbox)][:limit]
        return Response(200, {"kind": "Listing", "data": {
            "after": None, "before": None, "dist": len(children), "children": children}})

    def _me(self, req: Request) -> Response:
        if (denied := self._auth(req, "identity")) is not None:
            return denied
        return Response(200, {"name": USER, "id": "abc12", "is_suspended": False,
                              "created_utc": 1_600_000_000.0})

    def _comments(self, req: Request) -> Response:
        if (denied := self._auth(req, "history")) is not None:
            return denied
        ours = sorted((r["data"] for rs in self.replies.values() for r in rs),
                      key=lambda d: d["created_utc"], reverse=True)
        limit = int(req.arg("limit") or 25)
        children = [{"kind": "t1", "data": d} for d in ours[:limit]]
        return Response(200, {"kind": "Listing", "data": {
            "after": None, "before": None, "dist": len(children), "children": children}})


def _customer_says(fake: RedditPublishFake, target_id: str, text: str, author: str) -> str:
    ours = fake.replies.get(target_id) or []
    if not ours:
        raise AssertionError(f"no reply of ours on {target_id} to answer")
    parent = ours[-1]["data"]
    id36 = _base36(next(fake.ids))
    fake.inbox.append({
        "id": id36, "name": f"t1_{id36}", "parent_id": parent["name"],
        "link_id": parent["link_id"], "body": text, "author": author,
        "created_utc": time.time(), "subreddit": "widgets", "was_comment": True, "new": True,
        "context": f"/r/widgets/comments/{parent['link_id'][3:]}/post/{id36}/?context=3",
        "permalink": f"/r/widgets/comments/{parent['link_id'][3:]}/post/{id36}/",
        "type": "comment_reply", "subject": "comment reply", "replies": ""})
    return f"t1_{id36}"


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = digits[r] + out
    return out or "0"


def kit(server: FakeServer) -> Kit:
    fake = RedditPublishFake(server)
    return Kit(name="reddit", fake=fake,
               options={"oauth_url": fake.url, "reddit_url": fake.url, "timeout": 2},
               env=dict(ENV), target=ReplyTarget(source="reddit", external_id=TARGET,
                                                 author_handle="pat_q"),
               secrets=[ENV["REDDIT_CLIENT_SECRET"], ENV["REDDIT_PASSWORD"], TOKEN],
               refusals={"target_deleted", "locked"}, write_access="submit")
