"""The Publisher contract: post our reply to one platform as the brand's account, find it again."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True)
class ReplyTarget:
    """What we answer: the stored mention's platform coordinates."""

    source: str  # registry name: "x", "reddit", "googleplay", "appstore", "trustpilot"
    external_id: str  # tweet id / reddit fullname (t3_…, t1_…) / review id
    author_handle: str
    url: str | None = None
    parent_id: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)  # app_id, country, business_unit …


@dataclass(frozen=True, slots=True)
class PublishedReply:
    """Our reply as the platform stored it."""

    platform_id: str  # id of OUR reply on the platform
    url: str | None  # public link to it, when the platform has one
    at: datetime | None = None  # when the platform says it was published


class Publisher(ABC):
    """Posts our reply to one platform, as the brand's own account, and finds it again.

    Contract: `publish` posts `text` as a reply to `target` exactly as given (limits are checked
    by `problem()` before); it raises PublishError subclasses (monitor.errors), never a library
    exception. `find(target, text=…, since=…)` returns our account's reply to that thread/review
    if one exists (used to reconcile an attempt that may have reached the platform before a
    crash); None when there is none. `check()` verifies write access and names what is missing.
    `limit` is the platform's length limit, `length(text)` the platform's own count (X: official
    twitter-text).
    """

    name: ClassVar[str]
    limit: ClassVar[int]

    @classmethod
    @abstractmethod
    def from_settings(cls, options: Mapping[str, Any], *, environ: Mapping[str, str]
                      ) -> Publisher:
        """Build from the `replies.<name>` section and the environment (credentials); raise
        NotConfigured(reason naming the missing environment variables)."""

    @abstractmethod
    def publish(self, target: ReplyTarget, text: str) -> PublishedReply:
        """Post `text` as our reply to `target`; PublishError subclasses on failure."""

    @abstractmethod
    def find(self, target: ReplyTarget, *, text: str, since: datetime) -> PublishedReply | None:
        """Our account's reply to `target` (posted at or after `since`), or None."""

    @abstractmethod
    def check(self) -> list[str]:
        """Problems with write access, each naming what is missing; [] = can write."""

    def length(self, text: str) -> int:
        """`text`'s length as the platform counts it against `limit`."""
        return len(text)

    def problem(self, text: str) -> str | None:
        """Why `text` cannot be posted as it is (empty, too long), or None."""
        if not text.strip():
            return "the reply is empty"
        size = self.length(text)
        if size > self.limit:
            return f"the reply is {size} characters long; the limit is {self.limit}"
        return None

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release sessions/sockets. Default: nothing to release."""
