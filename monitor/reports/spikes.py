"""Spike alerts: a storm of complaints about one brand becomes ONE urgent Slack message."""

from __future__ import annotations

import logging
import statistics
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from monitor.clock import utcnow
from monitor.readmodels import Quote, Window
from monitor.reports import copy
from monitor.reports.digest import quote_lines, same_name
from monitor.slack.text import escape
from monitor.store.keys import OutboxKind, spike_key

if TYPE_CHECKING:
    from monitor.config import Settings
    from monitor.store import Store

logger = logging.getLogger(__name__)

HOUR = timedelta(hours=1)
BASELINE_DAYS = 14
EXAMPLES = 3
KV_PREFIX = "reports:spike:"


@dataclass(frozen=True, slots=True)
class Spike:
    """`count` complaints about `brand` in [start, end), against the same hour of the day on
    each of the previous BASELINE_DAYS days (`mean`, population `std`)."""

    brand: str
    count: int
    mean: float
    std: float
    threshold: float
    start: datetime
    end: datetime


def hour_counts(times: Sequence[datetime], *, end: datetime, days: int = BASELINE_DAYS
                ) -> tuple[int, list[int]]:
    """Mentions in [end - 1h, end), and in the same hour on each of the `days` days before."""
    current = sum(end - HOUR <= t < end for t in times)
    baseline = []
    for d in range(1, days + 1):
        stop = end - timedelta(days=d)
        baseline.append(sum(stop - HOUR <= t < stop for t in times))
    return current, baseline


def detect(store: Store, settings: Settings, *, now: datetime) -> list[Spike]:
    """Brands whose complaints in the last hour exceed mean + spike_sigma·σ of the baseline
    and reach spike_min_count. One query reads the whole 14-day span."""
    cfg = settings.reports
    span = Window(now - HOUR - timedelta(days=BASELINE_DAYS), now)
    by_brand: dict[str, list[datetime]] = defaultdict(list)
    for brand, at in store.label_times(span, "complaint"):
        by_brand[brand].append(at)
    spikes = []
    for brand, times in sorted(by_brand.items()):
        current, baseline = hour_counts(times, end=now)
        mean, std = statistics.fmean(baseline), statistics.pstdev(baseline)
        threshold = mean + cfg.spike_sigma * std
        if current >= cfg.spike_min_count and current > threshold:
            spikes.append(Spike(brand, current, mean, std, threshold, now - HOUR, now))
    return spikes


def alert_blocks(spike: Spike, examples: Sequence[Quote], *, ping: str | None,
                 name: str | None = None) -> list[dict[str, Any]]:
    """The alert's blocks; `name` is the brand as people call it (default: its id)."""
    name = name or spike.brand
    body = copy.SPIKE_BODY.format(count=spike.count, brand=escape(name),
                                  start=spike.start.strftime("%H:%M"),
                                  end=spike.end.strftime("%H:%M"), mean=spike.mean,
                                  std=spike.std, days=BASELINE_DAYS)
    if ping:
        body += "\n" + copy.SPIKE_PING.format(group=f"<!subteam^{ping}>")
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "emoji": True,
                                    "text": copy.SPIKE_HEADER.format(brand=name)[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": body}},
    ]
    if examples:
        blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                   "text": copy.SPIKE_EXAMPLES}})
        blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": quote_lines(q)}}
                   for q in examples]
    return blocks


class SpikeJob:
    """Run it every few minutes; alerts once per brand and hour, then waits out the cooldown."""

    def __init__(self, *, store: Store, settings: Settings,
                 clock: Callable[[], datetime] = utcnow,
                 brand_name: Callable[[str], str] = same_name) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self.brand_name = brand_name

    def cooling_down(self, brand: str, now: datetime) -> bool:
        last = (self.store.kv_get(KV_PREFIX + brand) or {}).get("last_alert_at")
        if not last:
            return False
        minutes = self.settings.reports.spike_cooldown_minutes
        return now < datetime.fromisoformat(str(last)) + timedelta(minutes=minutes)

    def run(self) -> list[str]:
        """The outbox keys of the alerts queued now."""
        now = self.clock()
        channel = self.settings.reports.spike_channel or self.settings.slack.default_channel
        queued: list[str] = []
        for spike in detect(self.store, self.settings, now=now):
            if self.cooling_down(spike.brand, now):
                logger.debug("spike for %s: still cooling down", spike.brand)
                continue
            key = spike_key(spike.brand, now)
            examples = self.store.quotes(Window(spike.start, spike.end, spike.brand),
                              "complaint", limit=EXAMPLES, by_priority=True)
            name = self.brand_name(spike.brand)
            blocks = alert_blocks(spike, examples, ping=self.settings.slack.oncall_group,
                                  name=name)
            text = copy.SPIKE_FALLBACK.format(brand=escape(name), count=spike.count)
            if self.store.enqueue(key=key, kind=OutboxKind.RAW, channel=channel,
                                  payload={"text": text, "blocks": blocks}):
                queued.append(key)
                logger.warning("complaint spike for %s: %d in the last hour (usual %.1f ± %.1f)",
                               spike.brand, spike.count, spike.mean, spike.std,
                               extra={"brand": spike.brand})
            self.store.kv_set(KV_PREFIX + spike.brand,
                              {"last_alert_at": now, "count": spike.count, "key": key})
        return queued
