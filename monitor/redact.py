"""Secrets never leave the process: one redactor for every message we log or store."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

MASK = "[redacted]"
MIN_SECRET = 4  # a shorter value cannot be masked without mangling ordinary words
MAX_STORED = 500  # characters of an error message kept in the database
MAX_LOGGED = 2000  # characters of one log message (its traceback is not cut, only redacted)

# credentials recognised by their shape, for those this process was never given (a token
# pasted into a URL, one a server echoes back from another client)
_SHAPES = re.compile(r"\b(?:xox[abeoprs]|xapp)-[A-Za-z0-9-]{8,}"
                     r"|(?<=Bearer )[A-Za-z0-9._~+/=%-]{16,}")

_lock = threading.Lock()
_secrets: tuple[str, ...] = ()


def remember(values: Iterable[str | None]) -> None:
    """Add secret values (and their URL-encoded forms) to what `redact` masks."""
    global _secrets
    found = set(_secrets)
    for value in values:
        if value and len(value.strip()) >= MIN_SECRET:
            found.update({value, value.strip(), quote(value, safe=""), quote_plus(value)})
    with _lock:
        _secrets = tuple(sorted(found, key=len, reverse=True))  # longest first


def forget() -> None:
    """Forget every remembered secret (tests)."""
    global _secrets
    with _lock:
        _secrets = ()


def redact(text: object, *, limit: int | None = None) -> str:
    """`text` with every remembered secret and every token-shaped string masked, cut to
    `limit` characters when given."""
    out = str(text)
    for secret in _secrets:
        if secret in out:
            out = out.replace(secret, MASK)
    out = _SHAPES.sub(MASK, out)
    if limit is not None and len(out) > limit:
        out = out[: limit - 1] + "…"
    return out


class RedactFilter(logging.Filter):
    """Installed on every handler by monitor.logs.setup_logging: the record's message, its
    traceback and its stack are redacted before any formatter sees them."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: the handler reports it as logging does
            return True
        clean = redact(message, limit=MAX_LOGGED)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
