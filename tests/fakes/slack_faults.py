"""Faults the fake Slack can answer with: one queued failure, or random ones for a crash loop."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.server import Response

WRITES = ("chat.postMessage", "files.completeUploadExternal")


@dataclass
class Fault:
    """One failure of one call. Before the work (`after` False) Slack does nothing; after it
    (`after` True) Slack has carried the call out and then answers with the error, late
    (`delay`), or not at all (`drop`: the connection closes)."""

    status: int = 200
    error: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    after: bool = False
    drop: bool = False

    def answer(self, done: Response | None = None) -> Response:
        if self.drop:
            return Response(drop=True)
        if done is not None and self.error is None and self.status == 200:
            return Response(done.status, done.body, dict(done.headers), delay=self.delay)
        body: Any = {"ok": False, "error": self.error} if self.error else ""
        return Response(status=self.status, body=body, headers=dict(self.headers),
                        delay=self.delay)


class Chaos:
    """Random faults for the crash harness: each call meets one with probability `rate`: a
    429 (Retry-After 1), a 500, an answer slower than the client waits, or, for writes, the
    call carried out and then the connection dropped or the answer lost in a timeout."""

    def __init__(self, rng: random.Random, *, rate: float, slow: float) -> None:
        self.rng = rng
        self.rate = rate
        self.slow = slow
        self.picked: list[tuple[str, str]] = []

    def pick(self, method: str) -> Fault | None:
        if self.rng.random() >= self.rate:
            return None
        faults = {"429": Fault(429, "ratelimited", {"Retry-After": "1"}),
                  "500": Fault(500), "slow": Fault(delay=self.slow)}
        if method in WRITES:
            faults.update({"500-after": Fault(500, after=True),
                           "slow-after": Fault(delay=self.slow, after=True),
                           "drop-after": Fault(after=True, drop=True)})
        name = self.rng.choice(sorted(faults))
        self.picked.append((method, name))
        return faults[name]
