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


def serve(port: int) -> None:
    start_http_server(port, addr="127.0.0.1")
    logger.info("metrics on http://127.0.0.1:%d/metrics", port)


def reason_label(reason: str) -> str:
    """Bound label cardinality: 'excluded: author @x' -> 'excluded'."""
    return reason.split(":", 1)[0].strip()[:40] or "unknown"
