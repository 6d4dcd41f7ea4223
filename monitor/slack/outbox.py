"""The Slack outbox worker: deliver queued Slack calls exactly once, in order, with backoff."""

from __future__ import annotations

import base64
import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from monitor.backoff import backoff_delay
from monitor.clock import utcnow
from monitor.errors import DeliveryError
from monitor.slack.blocks import render_case, render_history
from monitor.slack.refresh import refresh_message
from monitor.store.keys import SLACK_KINDS, OutboxKind, OutboxStatus

if TYPE_CHECKING:
    from monitor.config import OutboxSettings, SlackSettings
    from monitor.readmodels import OutboxEntry
    from monitor.slack.delivery import Delivery
    from monitor.store import Store

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)


@dataclass
class OutboxStats:
    sent: int = 0
    reconciled: int = 0
    retried: int = 0
    dead: int = 0
    paused: str | None = None
    errors: list[str] = field(default_factory=list)


class _Wait(Exception):  # an internal signal, not an error
    """The row cannot go yet (its thread parent is not posted); try again soon."""


class OutboxWorker:
    def __init__(self, *, store: Store, delivery: Delivery, settings: OutboxSettings,
                 slack: SlackSettings, rng: random.Random | None = None) -> None:
        self.store = store
        self.delivery = delivery
        self.settings = settings
        self.slack = slack
        self.rng = rng or random.Random()
        self.paused_until: datetime | None = None
        self.paused_reason: str | None = None
        self._recovered = False

    def run_once(self, *, now: datetime | None = None) -> OutboxStats:
        """Deliver what is due. Safe to call repeatedly; never raises for a delivery failure."""
        now = now or utcnow()
        stats = OutboxStats()
        if not self._recovered:
            n = self.store.recover_interrupted(kinds=SLACK_KINDS)
            if n:
                logger.warning("outbox: %d message(s) were in flight when the last run stopped; "
                               "checking Slack before sending them again", n)
            self._recovered = True
        if self.paused_until and now < self.paused_until:
            stats.paused = self.paused_reason
            return stats
        rows = self.store.lease_due(limit=self.settings.batch_size, lease=LEASE, now=now,
                                    kinds=SLACK_KINDS)
        for i, row in enumerate(rows):
            try:
                self._deliver(row, stats)
            except _Wait as wait:
                self.store.mark_retry(row.id, error=str(wait), at=now + timedelta(seconds=5),
                                      refund_attempt=True)
            except DeliveryError as e:
                if self._failed(row, e, stats, now):
                    # fatal: put back every row leased in this run, untouched
                    for later in rows[i + 1:]:
                        self.store.mark_retry(later.id, error="delivery paused", at=now,
                                              refund_attempt=True)
                    break
        if stats.sent or stats.dead or stats.retried:
            logger.info("outbox: sent %d (reconciled %d), retrying %d, dead %d",
                        stats.sent, stats.reconciled, stats.retried, stats.dead)
        return stats

    def drain(self, *, now: datetime | None = None, max_rounds: int = 50) -> int:
        """Run until nothing more is due (or delivery pauses); the number of calls delivered.
        For one-shot runs (`run --once`, the demo); the daemon calls run_once on a schedule."""
        sent = 0
        for _ in range(max_rounds):
            stats = self.run_once(now=now)
            sent += stats.sent
            if not stats.sent or stats.paused:
                break
        return sent

    def _deliver(self, row: OutboxEntry, stats: OutboxStats) -> None:
        thread_ts = self._thread_ts(row)
        if row.status == OutboxStatus.UNKNOWN:
            found = self.delivery.find(channel=row.channel, key=row.key, since=row.created_at,
                                       thread_ts=thread_ts)
            if found:
                self._sent(row, found[0], found[1])
                stats.sent += 1
                stats.reconciled += 1
                logger.info("outbox: %s was already in Slack (ts %s); not posting again",
                            row.key, found[1])
                return
        if row.kind == OutboxKind.UPLOAD:
            channel, _file_id = self._upload(row)
            self._sent(row, channel, None)  # a file share has no message ts to thread under
            stats.sent += 1
            return
        if row.kind == OutboxKind.UPDATE:
            view = self.store.get_case(int(row.payload["case_id"]))
            if view is None or not view.case.slack_ts:
                # no message to update yet: the post will be rendered in the current state
                self.store.mark_sent(row.id, channel=None, ts=None)
                return
            case = view.case
            # renders itself, until Slack shows the newest state even if an agent clicks meanwhile
            refresh_message(self.store, self.delivery, case.id, view=view,
                            max_text_chars=self.slack.max_text_chars)
            self._sent(row, case.slack_channel, case.slack_ts)
            stats.sent += 1
            return
        rendered = self._render(row)
        if rendered is None:  # nothing to send any more (case gone, no history to show)
            self.store.mark_sent(row.id, channel=None, ts=None)
            return
        text, blocks = rendered
        channel, ts = self.delivery.post(channel=row.channel, text=text, blocks=blocks,
                                         key=row.key, thread_ts=thread_ts)
        self._sent(row, channel, ts)
        stats.sent += 1

    def _sent(self, row: OutboxEntry, channel: str | None, ts: str | None) -> None:
        self.store.mark_sent(row.id, channel=channel, ts=ts)
        if row.kind == OutboxKind.POST and row.case_id is not None and channel and ts:
            self.store.set_slack_message(row.case_id, channel=channel, ts=ts)

    def _thread_ts(self, row: OutboxEntry) -> str | None:
        if not row.thread_key:
            return None
        parent = self.store.outbox_row(row.thread_key)
        if parent is None:
            return None
        if parent.status == OutboxStatus.DEAD:
            raise DeliveryError(f"thread parent {row.thread_key} could not be posted",
                                retryable=False)
        if not parent.slack_ts:
            raise _Wait(f"waiting for {row.thread_key}")
        return parent.slack_ts

    def _render(self, row: OutboxEntry) -> tuple[str, list[dict[str, Any]]] | None:
        payload = row.payload or {}
        if row.kind == OutboxKind.POST:
            found = self.store.get_case(int(payload["case_id"]))
            if found is None:
                return None
            case, stored = found
            return render_case(case, stored, max_text_chars=self.slack.max_text_chars)
        if row.kind == OutboxKind.HISTORY:
            found = self.store.get_case(int(payload["case_id"]))
            if found is None:
                return None
            mention = found.mention.mention
            since = mention.created_at - timedelta(days=self.slack.history_days)
            earlier = self.store.author_history(source=mention.source,
                                                handle=mention.author.handle, since=since,
                                                before=mention.created_at)
            if not earlier:
                return None  # no thread reply when there is no history to show
            return render_history(mention.author.handle, self.slack.history_days, earlier)
        return str(payload.get("text", "")), list(payload.get("blocks") or [])

    def _upload(self, row: OutboxEntry) -> tuple[str, str | None]:
        """An "upload" row: payload {"filename", "title", "content_b64", "initial_comment"}."""
        payload = row.payload or {}
        try:
            content = base64.b64decode(payload["content_b64"], validate=True)
        except (KeyError, ValueError) as e:
            raise DeliveryError(f"outbox row {row.key}: no valid file content",
                                retryable=False) from e
        return self.delivery.upload(channel=row.channel, filename=str(payload["filename"]),
                                    content=content, title=str(payload.get("title") or ""),
                                    initial_comment=str(payload.get("initial_comment") or ""),
                                    key=row.key)

    def _failed(self, row: OutboxEntry, e: DeliveryError, stats: OutboxStats, now: datetime
                ) -> bool:
        """Record a failed delivery; True if delivery must pause (fatal)."""
        stats.errors.append(str(e))
        if e.fatal:
            self.paused_reason = str(e)
            self.paused_until = now + timedelta(minutes=10)
            stats.paused = self.paused_reason
            self.store.mark_retry(row.id, error=str(e), at=now, refund_attempt=True)
            logger.error("outbox: delivery paused: %s", e)
            return True
        if not e.retryable or row.attempts >= self.settings.max_attempts:
            self.store.mark_dead(row.id, error=str(e))
            stats.dead += 1
            logger.error("outbox: giving up on %s after %d attempt(s): %s", row.key,
                         row.attempts, e)
            return False
        if e.retry_after is not None:
            wait = e.retry_after
            refund = True  # being asked to wait is not a failed attempt
        else:
            wait = backoff_delay(row.attempts, base=self.settings.backoff_base,
                                 cap=self.settings.backoff_max, rng=self.rng,
                                 spread=(0.5, 1.5))
            refund = False
        self.store.mark_retry(row.id, error=str(e), at=now + timedelta(seconds=wait),
                              refund_attempt=refund)
        stats.retried += 1
        logger.warning("outbox: %s failed (%s); retrying in %.0fs", row.key, e, wait)
        return False
