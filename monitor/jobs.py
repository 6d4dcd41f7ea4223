"""Periodic jobs beyond polling and delivery, installed by the parts that own them."""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.daemon import Daemon

logger = logging.getLogger(__name__)

# Each entry: a function install(daemon) -> None that appends Job(...) to daemon.jobs.
INSTALLERS = (
    "monitor.slack.reminders:install",
    "monitor.slack.socket:install",  # Socket Mode service, started/stopped with run_forever
    "monitor.reports.jobs:install",
)


def install_jobs(daemon: Daemon) -> None:
    for target in INSTALLERS:
        module, _, attr = target.partition(":")
        try:
            install = getattr(importlib.import_module(module), attr)
        except ModuleNotFoundError as e:
            if e.name != module:
                raise
            continue
        install(daemon)
    for job in daemon.jobs:
        logger.info("job %s every %.0fs", job.name, job.seconds)
