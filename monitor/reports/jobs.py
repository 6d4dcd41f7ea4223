"""The daemon jobs of the reports part: the weekly digest and the complaint-spike alert."""

from __future__ import annotations

from typing import TYPE_CHECKING

from monitor.daemon import Job
from monitor.reports.digest import DigestJob
from monitor.reports.spikes import SpikeJob

if TYPE_CHECKING:
    from monitor.daemon import Daemon

DIGEST_EVERY = 15 * 60  # seconds; the job itself decides whether this week's digest is due
SPIKES_EVERY = 5 * 60


def install(daemon: Daemon) -> None:
    app = daemon.app
    digest = DigestJob(store=app.store, settings=app.settings, clock=daemon.clock)
    spikes = SpikeJob(store=app.store, settings=app.settings, clock=daemon.clock)
    daemon.jobs.append(Job("digest", digest.run, DIGEST_EVERY))
    daemon.jobs.append(Job("spikes", spikes.run, SPIKES_EVERY))
