"""Prometheus metrics, served with the health probes on `metrics_port` when it is set.

In a fleet every replica serves its own: the counters are the replica's work, the gauges read
from the database (backlog, source health) say the same on every replica (take max, not sum)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from prometheus_client import Counter, Gauge, Histogram, Info

if TYPE_CHECKING:
    from monitor.readmodels import SourceState

logger = logging.getLogger(__name__)

FETCHED = Counter("brand_monitor_fetched_total", "Items fetched from a source", ["source"])
NEW = Counter("brand_monitor_new_total", "Mentions not seen before", ["source"])
STORED = Counter("brand_monitor_stored_total", "Mentions stored", ["source", "label"])
DROPPED = Counter("brand_monitor_dropped_total", "Mentions dropped, by reason",
                  ["source", "reason"])
ERRORS = Counter("brand_monitor_errors_total", "Errors, by where they happened", ["where"])
# a poll fetches pages and classifies them: seconds to minutes
POLL_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 45, 60, 90, 120, 180, 300, 600)
POLL_SECONDS = Histogram("brand_monitor_poll_seconds", "Time to poll and process a source",
                         ["source"], buckets=POLL_BUCKETS)
OUTBOX_SENT = Counter("brand_monitor_outbox_sent_total", "Slack calls delivered")
OUTBOX_BACKLOG = Gauge("brand_monitor_outbox_backlog",
                       "Outbox rows not delivered yet, by status (pending, sending, unknown: "
                       "in flight or to be looked up, dead: given up)", ["status"])
SOURCE_UP = Gauge("brand_monitor_source_up",
                  "1 if the last poll of a source worked; 0 after a failure of any kind, the "
                  "database's included", ["source"])
SOURCE_LAST_SUCCESS = Gauge("brand_monitor_source_last_success_timestamp_seconds",
                            "When a source was last polled successfully (by any replica)",
                            ["source"])
LEASES = Gauge("brand_monitor_leases_held",
               "Work this replica holds now: source polls and jobs (locks), outbox rows "
               "(leases)", ["kind"])
REPLICAS = Gauge("brand_monitor_replicas",
                 "Daemons connected to the database (PostgreSQL sessions named brand-monitor)")
REPLICA = Info("brand_monitor_replica", "This process: its replica id and database backend")
BUILD = Info("brand_monitor_build", "Version of brand-monitor and Python")
DATABASE_UP = Gauge("brand_monitor_database_up", "1 if the database answered the last check")
SLACK_STATE = Gauge("brand_monitor_slack_delivery_state",
                    "1 for Slack delivery's current state: ok, failing, or paused (token "
                    "rejected; auth.test is probed until it works)", ["state"])
SLACK_FAILURES = Gauge("brand_monitor_slack_delivery_failures",
                       "Slack calls that failed in a row (0 once one works)")
SLACK_STATES = ("ok", "failing", "paused")
OUTBOX_STATUSES = ("pending", "sending", "unknown", "dead")  # not delivered yet


def observe_slack(state: str, failures: int) -> None:
    for name in SLACK_STATES:
        SLACK_STATE.labels(name).set(1 if name == state else 0)
    SLACK_FAILURES.set(failures)


def observe_outbox(backlog: dict[str, int]) -> None:
    """Every status not delivered, 0 when none: a count that drops to nothing (dead rows
    retried) reads 0. Sent rows are not a backlog."""
    for status in OUTBOX_STATUSES:
        OUTBOX_BACKLOG.labels(status).set(backlog.get(status, 0))


def observe_sources(states: Iterable[SourceState], enabled: Iterable[str]) -> None:
    """Source health as the database records it, the same on every replica: up while the
    last poll (by whichever replica) worked."""
    by_name = {s.source: s for s in states}
    for name in enabled:
        st = by_name.get(name)
        if st is None:
            continue
        SOURCE_UP.labels(name).set(0 if st.failures or st.disabled_reason else 1)
        if st.last_success_at is not None:
            SOURCE_LAST_SUCCESS.labels(name).set(st.last_success_at.timestamp())


def sources_down(names: Iterable[str]) -> None:
    """Nothing can be polled (the database is unreachable): every source reads down."""
    for name in names:
        SOURCE_UP.labels(name).set(0)


def describe(*, replica: str, database: str, version: str, python: str) -> None:
    REPLICA.info({"replica": replica, "database": database})
    BUILD.info({"version": version, "python": python})


def reason_label(reason: str) -> str:
    """Bound label cardinality: 'excluded: author @x' -> 'excluded'."""
    return reason.split(":", 1)[0].strip()[:40] or "unknown"
