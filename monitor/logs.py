"""Logging setup for every command: one format, quiet third-party loggers."""

from __future__ import annotations

import logging
import sys

NOISY = ("apscheduler", "urllib3", "prawcore", "httpx", "slack_sdk", "slack_bolt")


def setup_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        datefmt="%Y-%m-%dT%H:%M:%S",
        stream=sys.stderr,
        force=True,
    )
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.root.level))
