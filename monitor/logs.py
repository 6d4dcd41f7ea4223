"""Logging setup for every command: one format, quiet third-party loggers, no secret in a line."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable

from monitor import redact

NOISY = ("apscheduler", "urllib3", "prawcore", "httpx", "slack_sdk", "slack_bolt")


def setup_logging(level: str, *, secrets: Iterable[str] | None = None) -> None:
    """Configure the root logger. Every handler redacts `secrets` (default: the secrets this
    process was given, monitor.config.Secrets) from each record, and so does every error text
    the store keeps (monitor.redact)."""
    if secrets is None:
        from monitor.config import Secrets  # read once, where the process starts

        secrets = Secrets.from_environ().values()
    redact.remember(secrets)
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        datefmt="%Y-%m-%dT%H:%M:%S",
        stream=sys.stderr,
        force=True,
    )
    for handler in logging.root.handlers:
        handler.addFilter(redact.RedactFilter())
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.root.level))
