"""Per-target cursors: one JSON object of marks (how far each app, unit or feed was read)."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from connectors.dates import parse_iso
from monitor.models import Mention

logger = logging.getLogger(__name__)


def load_marks(cursor: str | None, key: str, *, source: str) -> dict[str, Any]:
    """The per-target marks stored under `key` in `cursor`; a cursor we cannot read starts
    afresh (logged), so a corrupt cursor costs one re-read, never a stuck source."""
    if not cursor:
        return {}
    try:
        marks = json.loads(cursor)[key]
        if isinstance(marks, dict):
            return dict(marks)
    except (ValueError, KeyError, TypeError):
        pass
    logger.warning("%s: ignoring an unreadable cursor", source, extra={"source": source})
    return {}


def dump_marks(marks: Mapping[str, Any], key: str) -> str:
    """The cursor for `marks`, read back by `load_marks(cursor, key, ...)`."""
    return json.dumps({key: marks}, sort_keys=True)


def advance_mark(mark: Mapping[str, Any], found: Sequence[Mention]) -> dict[str, Any]:
    """A newest-first source's mark after `found` (not empty): {"at": the newest review time
    seen, "ids": the ids of the reviews made at that very time}, merged with the old mark's ids
    when the time did not move, so reviews sharing that second are neither lost nor repeated."""
    newest = max(m.created_at for m in found)
    ids = {m.external_id for m in found if m.created_at == newest}
    if parse_iso(mark.get("at")) == newest:
        ids |= set(mark.get("ids") or ())
    return {"at": newest.isoformat(), "ids": sorted(ids)}
