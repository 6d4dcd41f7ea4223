"""A loopback X API v2 for posting replies: POST /2/tweets, users/me, our timeline."""

from __future__ import annotations

import itertools
import re
from typing import Any

from connectors.replies.base import ReplyTarget
from tests.fakes.publish import Kit, PublishFake, now_iso
from tests.fakes.server import FakeServer, Request, Response

ME = "4242"
BEARER = "fake-app-only-bearer-for-search"  # the X connector's token (recent search)
CUSTOMER_ID = "5001"
ENV = {"X_API_KEY": "fake-consumer-key", "X_API_SECRET": "fake-consumer-secret-9f8e",
       "X_ACCESS_TOKEN": "4242-fake-access-token", "X_ACCESS_TOKEN_SECRET": "fake-token-secret-7d"}
TARGET = "1860000000000000001"


def problem(status: int, detail: str, *, title: str = "Forbidden",
            kind: str = "about:blank") -> dict[str, Any]:
    return {"title": title, "detail": detail, "type": kind, "status": status}


class XPublishFake(PublishFake):
    """Posts exist in `posts`; ours are stored per target with X's shape. Like X, a reply
    with the same text as one of ours is refused as duplicate content."""

    def __init__(self, server: FakeServer) -> None:
        super().__init__(server)
        self.posts: set[str] = {TARGET}
        self.ids = itertools.count(1_870_000_000_000_000_001)
        server.route("POST", "/2/tweets", self._create)
        server.route("GET", "/2/users/me", self._me)
        server.route("GET", f"/2/users/{ME}/tweets", self._timeline)
        server.route("GET", "/2/tweets/search/recent", self._search)
        self.customer_posts: list[dict[str, Any]] = []  # newest last
        self.users: dict[str, str] = {ME: "parcelly", CUSTOMER_ID: "pat_q"}
        self.conversations: dict[str, str] = {TARGET: TARGET}  # post -> its conversation

    def _auth(self, req: Request) -> Response | None:
        header = req.headers.get("authorization", "")
        ok = (f'oauth_consumer_key="{ENV["X_API_KEY"]}"' in header
              and f'oauth_token="{ENV["X_ACCESS_TOKEN"]}"' in header)
        if self.revoked or not ok:
            return Response(401, problem(401, "Unauthorized", title="Unauthorized"))
        if self.limited is not None:
            return Response(429, problem(429, "Too Many Requests", title="Too Many Requests"),
                            {"x-rate-limit-remaining": "0",
                             "retry-after": str(int(self.limited))})
        return None

    def _level(self) -> dict[str, str]:
        return {"x-access-level": "read-write" if self.writable else "read"}

    def _create(self, req: Request) -> Response:
        if (denied := self._auth(req)) is not None:
            return denied
        if not self.writable:
            return Response(403, problem(403, "Your client app is not configured with the "
                                         "appropriate oauth1 app permissions for this endpoint.",
                                         kind="https://api.twitter.com/2/problems/"
                                              "oauth1-permissions"), self._level())
        body = req.json()
        text = body.get("text", "")
        target = (body.get("reply") or {}).get("in_reply_to_tweet_id")
        if target not in self.posts or target in self.deleted:
            return Response(403, problem(403, "You attempted to reply to a Tweet that is "
                                         "deleted or not visible to you."))
        if target in self.locked:
            return Response(403, problem(403, "Reply to this conversation is not allowed "
                                         "because you have not been mentioned or otherwise "
                                         "engaged by the author of the post you are "
                                         "replying to."))
        if any(r["text"] == text for rs in self.replies.values() for r in rs):
            return Response(403, problem(403, "You are not allowed to create a Tweet with "
                                         "duplicate content."))
        tid = str(next(self.ids))
        self.store(target, {"id": tid, "text": text, "author_id": ME, "created_at": now_iso(),
                            "referenced_tweets": [{"type": "replied_to", "id": target}],
                            "edit_history_tweet_ids": [tid]})
        return self.answer(Response(201, {"data": {"id": tid, "text": text,
                                                   "edit_history_tweet_ids": [tid]}}))

    def customer_says(self, target_id: str, text: str, *, stars: int | None = None,
                      author: str = "pat_q") -> str:
        """A post by `author` replying to our latest reply to `target_id`, in its
        conversation (as X threads it: conversation_id of the root post)."""
        ours = self.replies.get(target_id) or []
        parent = ours[-1]["id"] if ours else target_id
        uid = next((i for i, name in self.users.items() if name == author), None)
        if uid is None:
            uid = str(6000 + len(self.users))
            self.users[uid] = author
        tid = str(next(self.ids))
        conversation = self.conversations.get(target_id, target_id)
        self.conversations[tid] = conversation
        self.customer_posts.append({
            "id": tid, "text": f"@parcelly {text}", "author_id": uid, "created_at": now_iso(),
            "conversation_id": conversation, "lang": "en", "edit_history_tweet_ids": [tid],
            "referenced_tweets": [{"type": "replied_to", "id": parent}]})
        return tid

    def _search(self, req: Request) -> Response:
        """Recent search over the customers' posts: `(conversation_id:C from:U)` clauses
        joined with OR, or plain words (the connector's brand query, with an app bearer)."""
        if req.headers.get("authorization") != f"Bearer {BEARER}":
            if (denied := self._auth(req)) is not None:
                return denied
        elif self.limited is not None:
            return Response(429, problem(429, "Too Many Requests", title="Too Many Requests"),
                            {"x-rate-limit-remaining": "0",
                             "retry-after": str(int(self.limited))})
        query = req.arg("query") or ""
        pairs = re.findall(r"conversation_id:(\d+) from:(\w+)", query)
        words = [w.lower() for w in re.findall(r"[A-Za-z]\w+", query)
                 if ":" not in w and w.upper() not in ("OR", "AND")]

        def wanted(post: dict[str, Any]) -> bool:
            if pairs:
                return any(post["conversation_id"] == c
                           and self.users.get(post["author_id"], "").lower() == u.lower()
                           for c, u in pairs)
            return any(w in post["text"].lower() for w in words)

        since_id = int(req.arg("since_id") or 0)
        start = req.arg("start_time") or ""
        posts = [p for p in reversed(self.customer_posts) if wanted(p)
                 and int(p["id"]) > since_id and p["created_at"] >= start]
        size = int(req.arg("max_results") or 10)
        offset = int(req.arg("next_token") or 0)
        page = posts[offset:offset + size]
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            meta.update(newest_id=page[0]["id"], oldest_id=page[-1]["id"])
        if offset + size < len(posts):
            meta["next_token"] = str(offset + size)
        if not page:
            return Response(200, {"meta": meta})
        users = [{"id": p["author_id"], "username": self.users[p["author_id"]],
                  "name": self.users[p["author_id"]]} for p in page]
        return Response(200, {"data": page, "includes": {"users": users}, "meta": meta})

    def _me(self, req: Request) -> Response:
        if (denied := self._auth(req)) is not None:
            return denied
        return Response(200, {"data": {"id": ME, "name": "Parcelly", "username": "parcelly"}},
                        self._level())

    def _timeline(self, req: Request) -> Response:
        if (denied := self._auth(req)) is not None:
            return denied
        since = req.arg("start_time") or ""
        ours = sorted((r for rs in self.replies.values() for r in rs
                       if r["created_at"] >= since), key=lambda r: int(r["id"]), reverse=True)
        size = int(req.arg("max_results") or 10)
        start = int(req.arg("pagination_token") or 0)
        page = ours[start:start + size]
        meta: dict[str, Any] = {"result_count": len(page)}
        if start + size < len(ours):
            meta["next_token"] = str(start + size)
        fields = (req.arg("tweet.fields") or "").split(",")
        data = [{k: v for k, v in r.items()
                 if k in ("id", "text", "edit_history_tweet_ids") or k in fields} for r in page]
        return Response(200, {"data": data, "meta": meta} if data else {"meta": meta})


def kit(server: FakeServer) -> Kit:
    fake = XPublishFake(server)
    return Kit(name="x", fake=fake, options={"base_url": fake.url, "timeout": 2},
               env=dict(ENV), target=ReplyTarget(source="x", external_id=TARGET,
                                                 author_handle="pat_q"),
               secrets=list(ENV.values()), refusals={"duplicate", "target_deleted", "locked"},
               write_access="Read and write")
