"""The daemon jobs of the reports part: the weekly digest and the complaint-spike alert."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from monitor.clock import utcnow
from monitor.jobs import Job
from monitor.reports.digest import DigestJob, same_name
from monitor.reports.spikes import SpikeJob

if TYPE_CHECKING:
    from monitor.config import Settings
    from monitor.store import Store

DIGEST_EVERY = 15 * 60  # seconds; the job itself decides whether this week's digest is due
SPIKES_EVERY = 5 * 60


def report_jobs(store: Store, settings: Settings, *,
                clock: Callable[[], datetime] = utcnow,
                brand_name: Callable[[str], str] = same_name) -> list[Job]:
    """`brand_name`: a brand id -> its name in the rules files (Slack shows names)."""
    digest = DigestJob(store=store, settings=settings, clock=clock, brand_name=brand_name)
    spikes = SpikeJob(store=store, settings=settings, clock=clock, brand_name=brand_name)
    return [Job("digest", digest.run, DIGEST_EVERY), Job("spikes", spikes.run, SPIKES_EVERY)]
