"""Logging setup for every command: one format, quiet third-party loggers, no secret in a line.

`text` (the default) is one line per record for a terminal or journald; `json` is one object
per line for log shippers (python-json-logger), carrying the `extra` fields the code attaches
(case_id, source, channel, actor, outbox_key, replica …). Both stamp times in UTC with
milliseconds and the zone (2026-11-30T09:15:02.481+00:00)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from monitor import redact

NOISY = ("apscheduler", "urllib3", "prawcore", "httpx", "slack_sdk", "slack_bolt")
TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
JSON_FIELDS = ("asctime", "levelname", "name", "message")
RENAME = {"asctime": "time", "levelname": "level", "name": "logger"}


def timestamp(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


class TextFormatter(logging.Formatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return timestamp(record)


class RedactingJsonFormatter(JsonFormatter):
    """JSON lines. The handler's RedactFilter has cleaned the message and the traceback text;
    this formatter renders the traceback from that text (not from the exception again) and
    redacts every string `extra` value too, so no secret reaches a field."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return timestamp(record)

    def formatException(self, ei: Any) -> str:
        return redact.redact(super().formatException(ei))

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        return {k: redact.redact(v) if isinstance(v, str) else v for k, v in log_data.items()}


def formatter(fmt: str) -> logging.Formatter:
    if fmt == "json":
        return RedactingJsonFormatter(list(JSON_FIELDS), rename_fields=RENAME)
    return TextFormatter(TEXT_FORMAT)


def setup_logging(level: str, *, secrets: Iterable[str] | None = None,
                  fmt: str = "text") -> None:
    """Configure the root logger. Every handler redacts `secrets` (default: the secrets this
    process was given, monitor.config.Secrets) from each record, and so does every error text
    the store keeps (monitor.redact). `fmt`: text or json (config `log_format`)."""
    if secrets is None:
        from monitor.config import Secrets  # read once, where the process starts

        secrets = Secrets.from_environ().values()
    redact.remember(secrets)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(fmt))
    logging.basicConfig(level=getattr(logging, level.upper(), logging.INFO),
                        handlers=[handler], force=True)
    for h in logging.root.handlers:
        h.addFilter(redact.RedactFilter())
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.root.level))
