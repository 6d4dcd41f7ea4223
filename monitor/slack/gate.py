"""Slack delivery's state across runs: ok, failing, or paused until auth.test passes again."""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from monitor import metrics
from monitor.backoff import backoff_delay
from monitor.errors import DeliveryError
from monitor.store.keys import SLACK_DELIVERY_KEY

if TYPE_CHECKING:
    from monitor.slack.delivery import Delivery
    from monitor.store import Store

logger = logging.getLogger(__name__)

OK, FAILING, PAUSED = "ok", "failing", "paused"
PROBE_BASE = 30.0  # seconds to the first auth.test after the token was rejected, doubling
PROBE_MAX = 600.0
REFRESH = timedelta(minutes=1)  # how stale `last_success_at` may get in the stored state


class DeliveryGate:
    """Whether the outbox may call Slack now, and Slack's delivery state for `status`.

    A rejected token (invalid_auth, token_revoked …) pauses every delivery; while paused,
    auth.test is tried with jittered exponential backoff (30 s doubling to 10 min) and delivery
    resumes on the first success. Transient failures (5xx, timeouts) make the state 'failing'
    until a call works. The state is stored in the kv table (SLACK_DELIVERY_KEY) whenever it
    changes, because `brand-monitor status` runs in another process; a restarted daemon picks
    up a pause where the last one left it."""

    def __init__(self, *, store: Store, delivery: Delivery, rng: random.Random | None = None
                 ) -> None:
        self.store = store
        self.delivery = delivery
        self.rng = rng or random.Random()
        self.state: dict[str, Any] = {"state": OK, "failures": 0}
        self._loaded = False
        self._saved_at: datetime | None = None

    @property
    def paused(self) -> str | None:
        """The reason delivery is paused, or None."""
        return self.state.get("reason") if self.state.get("state") == PAUSED else None

    def open(self, now: datetime) -> bool:
        """True if delivery may go ahead now: not paused, or paused and auth.test passes."""
        self._load()
        if self.state["state"] != PAUSED:
            return True
        due = _when(self.state.get("next_probe_at"))
        if due is not None and now < due:
            return False
        try:
            self.delivery.check_auth()
        except DeliveryError as e:
            probes = int(self.state.get("probes") or 0) + 1
            wait = backoff_delay(probes + 1, base=PROBE_BASE, cap=PROBE_MAX, rng=self.rng,
                                 spread=(0.75, 1.25))
            self._save({**self.state, "probes": probes, "last_error": str(e),
                        "last_error_at": now, "next_probe_at": now + timedelta(seconds=wait)},
                       now)
            logger.warning("outbox: Slack still refuses the token (%s); next check in %.0fs",
                           e, wait)
            return False
        logger.warning("outbox: Slack accepts the token again; delivery resumes")
        self._save({"state": OK, "failures": 0, "since": now, "last_success_at": now}, now)
        return True

    def pause(self, error: DeliveryError, now: datetime) -> None:
        """A fatal error: stop delivering until auth.test passes."""
        wait = backoff_delay(1, base=PROBE_BASE, cap=PROBE_MAX, rng=self.rng,
                             spread=(0.75, 1.25))
        self._save({"state": PAUSED, "reason": str(error), "since": now, "probes": 0,
                    "failures": int(self.state.get("failures") or 0) + 1,
                    "last_error": str(error), "last_error_at": now,
                    "last_success_at": self.state.get("last_success_at"),
                    "next_probe_at": now + timedelta(seconds=wait)}, now)
        logger.error("outbox: delivery paused: %s", error)

    def failed(self, error: DeliveryError, now: datetime) -> None:
        """A call failed in a way that says something about Slack, not about one message."""
        failures = int(self.state.get("failures") or 0) + 1
        since = self.state.get("since") if self.state.get("state") == FAILING else now
        self._save({**self.state, "state": FAILING, "since": since, "failures": failures,
                    "last_error": str(error), "last_error_at": now}, now)

    def succeeded(self, now: datetime) -> None:
        """A call worked: the state is ok (stored when it changes, and once a minute)."""
        if self.state.get("state") == OK and self._saved_at is not None \
                and now - self._saved_at < REFRESH:
            self.state["last_success_at"] = now
            return
        since = self.state.get("since") if self.state.get("state") == OK else now
        self._save({"state": OK, "failures": 0, "since": since, "last_success_at": now}, now)

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        stored = self.store.kv_get(SLACK_DELIVERY_KEY)
        if stored and stored.get("state") == PAUSED:
            self.state = stored  # keep probing where the last process left off
            metrics.observe_slack(PAUSED, int(stored.get("failures") or 0))

    def _save(self, state: dict[str, Any], now: datetime) -> None:
        self.state = state
        self._saved_at = now
        self.store.kv_set(SLACK_DELIVERY_KEY, state)
        metrics.observe_slack(str(state["state"]), int(state.get("failures") or 0))


def _when(value: Any) -> datetime | None:
    """A time from the state: a datetime in this process, ISO text once read back from kv."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))
