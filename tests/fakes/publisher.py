"""An in-memory Publisher for the reply worker's logic (the real publishers have loopback fakes).

`MemoryPlatform` holds the replies "on the platform"; `MemoryPublisher` posts to it and finds in
it, and can be scripted to fail: `fail_publish(exc, stored=True)` raises after the platform kept
the reply (a timeout after the write), `fail_find(exc)` makes lookups fail."""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connectors.replies.base import PublishedReply, Publisher, ReplyTarget


@dataclass
class Posted:
    target: str
    text: str
    platform_id: str
    at: datetime


class MemoryPlatform:
    def __init__(self) -> None:
        self.replies: list[Posted] = []
        self._ids = itertools.count(9000)

    def post(self, target: ReplyTarget, text: str) -> Posted:
        posted = Posted(target.external_id, text, f"r{next(self._ids)}", datetime.now(UTC))
        self.replies.append(posted)
        return posted

    def to(self, external_id: str) -> list[Posted]:
        return [r for r in self.replies if r.target == external_id]


class MemoryPublisher(Publisher):
    name = "x"
    limit = 280

    def __init__(self, platform: MemoryPlatform | None = None) -> None:
        self.platform = platform or MemoryPlatform()
        self.calls: list[str] = []
        self._publish: deque[tuple[Exception, bool]] = deque()
        self._find: deque[Exception] = deque()

    @classmethod
    def from_settings(cls, options: Mapping[str, Any], *, environ: Mapping[str, str]
                      ) -> MemoryPublisher:
        return cls()

    def fail_publish(self, exc: Exception, *, stored: bool = False, times: int = 1) -> None:
        self._publish.extend([(exc, stored)] * times)

    def fail_find(self, exc: Exception, *, times: int = 1) -> None:
        self._find.extend([exc] * times)

    @staticmethod
    def _reply(p: Posted) -> PublishedReply:
        return PublishedReply(p.platform_id, f"https://x.test/brand/status/{p.platform_id}", p.at)

    def publish(self, target: ReplyTarget, text: str) -> PublishedReply:
        self.calls.append("publish")
        if self._publish:
            exc, stored = self._publish.popleft()
            if stored:
                self.platform.post(target, text)
            raise exc
        return self._reply(self.platform.post(target, text))

    def find(self, target: ReplyTarget, *, text: str, since: datetime) -> PublishedReply | None:
        self.calls.append("find")
        if self._find:
            raise self._find.popleft()
        for p in self.platform.to(target.external_id):
            if p.at >= since:
                return self._reply(p)
        return None

    def check(self) -> list[str]:
        return []
