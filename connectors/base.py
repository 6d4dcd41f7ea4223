"""The Connector contract every source implements; connectors import only monitor.models/errors."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from connectors.options import SourceOptions
from monitor.models import Batch, SourceQuery


class Connector(ABC):
    """A source of mentions, polled on an interval by the daemon.

    Contract:
    - `from_settings` builds the connector from its `sources.<name>` config section (a plain
      dict: `enabled`, `interval`, `timeout` and the connector's own keys) and the environment
      (credentials). It raises `NotConfigured(reason)` when the source cannot run (missing
      credentials, nothing to watch) and `ConfigError(key="sources.<name>.<key>")` for a bad key.
    - `poll(queries, cursor)` fetches what is new since `cursor` (None on the first poll) and
      returns a `Batch` whose `next_cursor` the caller persists in the same transaction as the
      mentions. Polling again with that cursor yields nothing already returned. Mentions have
      non-empty `external_id`s and timezone-aware UTC `created_at`.
    - A malformed item is left out of `Batch.mentions` and counted in `Batch.dropped` by reason
      (and logged); the rest of the page is kept.
    - A failure of the whole poll raises `SourceError` (`RateLimited` with `retry_after`,
      `SourceAuthError` for 401/403); the daemon backs off. Nothing is half-returned.
    - Every HTTP request has a timeout; every endpoint is configurable (`base_url` etc.).
    - `settings` is the validated section (the connector's own Settings, extending
      SourceOptions): the daemon schedules the source by its `interval` and `backoff_max`.
    """

    name: ClassVar[str]
    settings: SourceOptions
    #: True for Reddit/X, which search with each brand's compiled query; False for review
    #: sources, whose `queries` carry target ids (app id, business unit, feed URL) instead.
    keyword_source: ClassVar[bool] = True

    @classmethod
    @abstractmethod
    def from_settings(
        cls, options: Mapping[str, Any], *, environ: Mapping[str, str] = os.environ
    ) -> Connector:
        """Build from config + environment, or raise NotConfigured / ConfigError."""

    @abstractmethod
    def poll(self, queries: Sequence[SourceQuery], cursor: str | None) -> Batch:
        """Fetch everything new since `cursor`; see the class docstring."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release sessions/sockets. Default: nothing to release."""
