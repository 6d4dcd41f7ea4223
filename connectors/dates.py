"""Timestamps as sources write them (ISO 8601, maybe naive, maybe `Z`) to aware UTC datetimes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def parse_iso(value: Any) -> datetime | None:
    """ISO 8601 text as an aware UTC datetime (a naive one is read as UTC); None when `value`
    is not a non-empty string or not a date."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
