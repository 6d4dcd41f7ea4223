"""Prometheus metrics, served on `metrics_port` when it is set."""

from __future__ import annotations

import logging

from prometheus_client import Counter, Gauge, Histogram, start_http_server

logger = logging.getLogger(__name__)

FETCHED = Counter("brand_monitor_fetched_total", "Items fetched from a source", ["source"])
NEW = Counter("brand_monitor_new_total", "Mentions not seen before", ["source"])
STORED = Counter("brand_monitor_stored_total", "Mentions stored", ["source", "label"])
DROPPED = Counter("brand_monitor_dropped_total", "Mentions dropped, by reason",
                  ["source", "reason"])
ERRORS = Counter("brand_monitor_errors_total", "Errors, by where they happened", ["where"])
POLL_SECONDS = Histogram("brand_monitor_poll_seconds", "Time to poll and process a source",
                         ["source"])
OUTBOX_SENT = Counter("brand_monitor_outbox_sent_total", "Slack calls delivered")
OUTBOX_BACKLOG = Gauge("brand_monitor_outbox_backlog", "Slack calls waiting", ["status"])
SOURCE_UP = Gauge("brand_monitor_source_up", "1 if the last poll of a source worked", ["source"])
SLACK_STATE = Gauge("brand_monitor_slack_delivery_state",
                    "1 for Slack delivery's current state: ok, failing, or paused (token "
                    "rejected; auth.test is probed until it works)", ["state"])
SLACK_FAILURES = Gauge("brand_monitor_slack_delivery_failures",
                       "Slack calls that failed in a row (0 once one works)")
SLACK_STATES = ("ok", "failing", "paused")
OUTBOX_STATUSES = ("pending", "sending", "unknown", "sent", "dead")


def observe_slack(state: str, failures: int) -> None:
    for name in SLACK_STATES:
        SLACK_STATE.labels(name).set(1 if name == state else 0)
    SLACK_FAILURES.set(failures)


def observe_outbox(backlog: dict[str, int]) -> None:
    """Every status, 0 when none: a count that drops to nothing (dead rows retried) reads 0."""
    for status in (*OUTBOX_STATUSES, *backlog):
        OUTBOX_BACKLOG.labels(status).set(backlog.get(status, 0))


def serve(port: int) -> None:
    start_http_server(port, addr="127.0.0.1")
    logger.info("metrics on http://127.0.0.1:%d/metrics", port)


def reason_label(reason: str) -> str:
    """Bound label cardinality: 'excluded: author @x' -> 'excluded'."""
    return reason.split(":", 1)[0].strip()[:40] or "unknown"
