"""Periods as operators type them (`30m`, `24h`, `7d`, `2w`): one parser for every --since."""

from __future__ import annotations

import re
from datetime import timedelta

from monitor.errors import ConfigError

_PERIOD = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$", re.IGNORECASE)
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
MESSAGE = "expected a period like 30m, 24h, 7d or 2w, got {value!r}"


class PeriodError(ConfigError, ValueError):
    """Not a period; names the option it came from."""


def parse_period(text: str, *, option: str = "--since") -> timedelta:
    """'30m', '24h', '7d', '2w' -> a timedelta (longer than zero); PeriodError otherwise."""
    m = _PERIOD.match(text or "")
    if not m or int(m.group(1)) == 0:
        raise PeriodError(MESSAGE.format(value=text), key=option)
    return timedelta(**{_UNITS[m.group(2).lower()]: int(m.group(1))})
