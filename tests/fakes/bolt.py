"""Helpers for driving slack-bolt apps the way Slack does: signed requests, tracked listeners."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier


class TrackingExecutor(ThreadPoolExecutor):
    """Bolt's listener executor, so a test can wait for the work done after ack()."""

    def __init__(self, max_workers: int = 4) -> None:
        super().__init__(max_workers=max_workers)
        self.futures: list[Future[Any]] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        fut = super().submit(fn, *args, **kwargs)
        self.futures.append(fut)
        return fut

    def drain(self) -> None:
        for fut in list(self.futures):
            fut.result(timeout=20)


def signed_request(payload: dict[str, Any], *, secret: str,
                   timestamp: int | None = None) -> tuple[str, dict[str, Any]]:
    """The form-encoded body and the headers Slack would send, signed with `secret`."""
    body = urlencode({"payload": json.dumps(payload)})
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = str(SignatureVerifier(secret).generate_signature(timestamp=ts, body=body))
    return body, {"content-type": "application/x-www-form-urlencoded",
                  "x-slack-request-timestamp": ts, "x-slack-signature": signature}
