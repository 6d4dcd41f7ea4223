"""The skeleton of a source read per target (an app, a business unit, a feed): one poll loop."""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

import requests

from connectors.base import Connector
from connectors.http import make_session
from connectors.marks import dump_marks, load_marks
from connectors.options import SourceOptions, validate_settings
from connectors.targets import merge_targets
from monitor.errors import RateLimited, SourceAuthError, SourceError
from monitor.models import Batch, Mention, SourceQuery

logger = logging.getLogger(__name__)

T = TypeVar("T")


class TargetNotFound(SourceError):
    """One watched target does not exist (HTTP 404): counted, warned, the others are polled."""


@dataclass
class TargetResult:
    """What polling one target gave: new mentions, its new mark (None: keep the old one) and
    the HTTP requests it took."""

    mentions: list[Mention]
    mark: dict[str, Any] | None
    requests: int


class TargetConnector(Connector, Generic[T]):
    """A source whose items all belong to the brand that names the target in its rules.

    Subclasses declare `settings_model` (their Settings), `marks_key` (the cursor's key),
    `what` ("app", "feed" …), and implement `configured(settings)` / `build(query)` /
    `key(target)` (which targets, merged by `connectors.targets.merge_targets`) and
    `poll_target(target, mark, dropped)`. The cursor is one JSON object of per-target marks.

    With `parallel` > 1 the targets are polled by that many threads, so a slow target holds
    only itself (each request has a deadline: connectors.http.HttpSession); results are
    still taken in target order. One target's failure does not cost the others:
    `TargetNotFound` is counted as
    "<what>_not_found"; any other SourceError leaves that target's mark as it was (retried next
    poll) and is counted as "<what>_failed", unless every target failed, which fails the poll
    so the daemon backs off. Rate limits and rejected credentials concern the whole source and
    fail the poll at once.
    """

    keyword_source: ClassVar[bool] = False
    parallel: ClassVar[int] = 1  # targets polled at once (threads sharing the session)
    settings_model: ClassVar[type[SourceOptions]]
    marks_key: ClassVar[str]
    what: ClassVar[str]
    expected: ClassVar[str]  # what a target in the rules must look like (for the warning)

    def __init__(self, settings: Any, *, session: requests.Session | None = None) -> None:
        self.settings = settings
        self.session = session or self.make_session(settings)

    @classmethod
    def make_session(cls, settings: Any) -> requests.Session:
        return make_session(timeout=settings.timeout)

    @classmethod
    def from_settings(cls, options: Mapping[str, Any], *,
                      environ: Mapping[str, str] = os.environ) -> TargetConnector[T]:
        return cls(validate_settings(cls.settings_model, options, cls.name))

    def close(self) -> None:
        self.session.close()

    # -- what subclasses provide ------------------------------------------------------------

    def configured(self) -> Iterable[T]:
        raise NotImplementedError

    def build(self, query: SourceQuery) -> T:
        """The target a brand's rules name (ValueError when it is not one)."""
        raise NotImplementedError

    def key(self, target: T) -> str:
        raise NotImplementedError

    def poll_target(self, target: T, mark: dict[str, Any], dropped: Counter[str]
                    ) -> TargetResult:
        raise NotImplementedError

    def polling(self) -> AbstractContextManager[Any]:
        """Context around one whole poll (Google Play routes its library's HTTP through it)."""
        return nullcontext()

    def poll_requests(self, counted: int, failed: int) -> int:
        """The poll's HTTP requests: what the targets reported, plus one per failed target
        (it made at least the request that failed)."""
        return counted + failed

    # -- the loop -----------------------------------------------------------------------------

    def targets(self, queries: Sequence[SourceQuery]) -> dict[str, T]:
        """Targets from config and from the brands' rules, one per key."""
        return merge_targets(self.configured(), queries, source=self.name, what=self.what,
                             expected=self.expected, build=self.build, key=self.key)

    def poll(self, queries: Sequence[SourceQuery], cursor: str | None) -> Batch:
        marks = load_marks(cursor, self.marks_key, source=self.name)
        mentions: list[Mention] = []
        dropped: Counter[str] = Counter()
        requests_made = 0
        targets = self.targets(queries)
        failures: list[SourceError] = []
        with self.polling():
            for key, result in self._each(targets, marks, dropped, failures):
                requests_made += result.requests
                mentions.extend(result.mentions)
                if result.mark is not None:
                    marks[key] = result.mark
        if failures and len(failures) == len(targets):
            raise failures[0]  # nothing worked: the daemon backs off
        if failures:
            dropped[f"{self.what.replace(' ', '_')}_failed"] += len(failures)
        return Batch(tuple(mentions), dump_marks(marks, self.marks_key), dict(dropped),
                     self.poll_requests(requests_made, len(failures)))

    def _each(self, targets: Mapping[str, T], marks: Mapping[str, Any], dropped: Counter[str],
              failures: list[SourceError]) -> Iterator[tuple[str, TargetResult]]:
        def one(key: str, target: T) -> tuple[TargetResult | None, Counter[str],
                                              SourceError | None]:
            own: Counter[str] = Counter()  # one per target: targets may run in threads
            try:
                return self.poll_target(target, dict(marks.get(key) or {}), own), own, None
            except SourceError as exc:
                return None, own, exc

        outcomes: Iterable[tuple[TargetResult | None, Counter[str], SourceError | None]]
        if self.parallel > 1 and len(targets) > 1:
            # targets may live on unrelated hosts: a slow one holds only its own thread, for
            # at most its request's deadline, never the others
            with ThreadPoolExecutor(min(self.parallel, len(targets)),
                                    thread_name_prefix=f"poll-{self.name}") as pool:
                outcomes = list(pool.map(lambda kv: one(*kv), targets.items()))
        else:
            outcomes = (one(key, target) for key, target in targets.items())  # lazily
        for key, (result, own, exc) in zip(targets, outcomes, strict=True):
            dropped.update(own)
            if exc is None:
                assert result is not None
                yield key, result
            elif isinstance(exc, TargetNotFound):
                dropped[f"{self.what.replace(' ', '_')}_not_found"] += 1
                logger.warning("%s: %s; check the %s", self.name, exc, self.what,
                               extra={"source": self.name, "target": key})
                yield key, TargetResult([], None, 1)
            elif isinstance(exc, (RateLimited, SourceAuthError)):
                raise exc  # the whole source is asked to wait, or not allowed: fail the poll
            else:
                # one dead target must not cost the others; its mark is untouched, so it is
                # read again next poll
                failures.append(exc)
                logger.warning("%s: %s %s failed: %s", self.name, self.what, key, exc,
                               extra={"source": self.name, "target": key})
