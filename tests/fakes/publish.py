"""What every platform fake for posting replies shares: the switches the publisher tests flip."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from connectors.replies.base import ReplyTarget
from tests.fakes.server import FakeServer, Response


class PublishFake:
    """A platform that stores our replies. Switches: `revoke()` (401), `read_only()` (403, no
    write access), `limit(s)` (429), `delete(id)` / `lock(id)` (the target is gone / closed),
    `stall` (seconds to hold the answer AFTER storing a reply: a timeout that posted).
    `stored` is set whenever a reply is stored (the crash test waits for it)."""

    def __init__(self, server: FakeServer) -> None:
        self.server = server
        self.revoked = False
        self.writable = True
        self.limited: float | None = None
        self.deleted: set[str] = set()
        self.locked: set[str] = set()
        self.stall = 0.0
        self.stored = threading.Event()
        self.replies: dict[str, list[dict[str, Any]]] = {}  # target id -> our replies

    @property
    def url(self) -> str:
        return self.server.url

    def revoke(self) -> None:
        self.revoked = True

    def read_only(self) -> None:
        self.writable = False

    def limit(self, seconds: float) -> None:
        self.limited = seconds

    def delete(self, target_id: str) -> None:
        self.deleted.add(target_id)

    def lock(self, target_id: str) -> None:
        self.locked.add(target_id)

    def replies_to(self, target_id: str) -> list[str]:
        """The texts of our replies stored on `target_id`, oldest first."""
        return [r["text"] for r in self.replies.get(target_id, [])]

    def store(self, target_id: str, reply: dict[str, Any], *, replace: bool = False) -> None:
        if replace:
            self.replies[target_id] = [reply]
        else:
            self.replies.setdefault(target_id, []).append(reply)
        self.stored.set()

    def customer_says(self, target_id: str, text: str, *, stars: int | None = None,
                      author: str = "pat_q") -> str:
        """The customer answers our reply to `target_id`: a post or comment of theirs under
        our latest reply (X, Reddit), or their review updated with `text` (and `stars`).
        Returns the id of the answer (the review's own id on review sites)."""
        raise NotImplementedError

    def answer(self, resp: Response) -> Response:
        """The answer to a request that stored a reply, held `stall` seconds if set."""
        if self.stall:
            resp.delay = self.stall
        return resp


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@dataclass
class Kit:
    """One platform set up for the shared publisher tests: its fake, the publisher's options
    and environment, a target that exists, and which refusals the platform has."""

    name: str
    fake: PublishFake
    options: dict[str, Any]
    env: dict[str, str]
    target: ReplyTarget
    secrets: list[str]  # values that must never appear in a message
    refusals: set[str] = field(default_factory=set)  # duplicate, target_deleted, locked, …
    write_access: str = ""  # a word the 403 message must contain (scope / role / permission)
    deleted_reason: str = "target_deleted"  # PublishRejected.reason when the target is gone
    replaces: bool = False  # one reply per review: a new one replaces ours
