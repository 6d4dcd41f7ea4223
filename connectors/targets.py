"""What a review source reads: targets from its config plus those the brands' rules name."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from monitor.models import SourceQuery

logger = logging.getLogger(__name__)

T = TypeVar("T")


def merge_targets(
    configured: Iterable[T],
    queries: Sequence[SourceQuery],
    *,
    build: Callable[[SourceQuery], T],
    key: Callable[[T], str],
    source: str,
    what: str,
    expected: str,
) -> dict[str, T]:
    """Targets by `key`: the configured ones first, then one `build(query)` per query (the
    brand's rules name an app id, business unit or feed URL). The first target of a key wins.
    A query `build` rejects with ValueError is skipped with a warning: "ignoring <what> <query>
    from the rules of <brand>: expected <expected>"."""
    found: dict[str, T] = {}
    for target in configured:
        found.setdefault(key(target), target)
    for q in queries:
        try:
            target = build(q)
        except ValueError:
            logger.warning("%s: ignoring %s %r%s from the rules of %s: expected %s", source, what,
                           q.query, f" {dict(q.params)}" if q.params else "", q.brand, expected,
                           extra={"source": source, "brand": q.brand})
            continue
        found.setdefault(key(target), target)
    return found
