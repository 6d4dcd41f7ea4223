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
from monitor.slack import copy
from monitor.slack.blocks import render_case, render_history
from monitor.slack.faults import unanswered
from monitor.slack.gate import DeliveryGate
from monitor.slack.refresh import refresh_message
from monitor.slack.text import escape
from monitor.store.keys import SLACK_KINDS, OutboxKind, OutboxStatus

if TYPE_CHECKING:
    from monitor.config import OutboxSettings, SlackSettings
    from monitor.readmodels import OutboxEntry
    from monitor.slack.delivery import Delivery
    from monitor.store import Store

logger = logging.getLogger(__name__)

# How long a leased row stays this worker's without being renewed (each row's lease is renewed
# right before its calls); a killed replica's rows are taken over once it runs out. Never less
# than LEASE_TIMEOUTS Slack timeouts, so a call in flight ends before another replica may look.
LEASE = timedelta(minutes=5)
LEASE_TIMEOUTS = 4


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


class _Failed(Exception):  # an internal signal carrying the DeliveryError
    """An attempt failed; `maybe_sent` if it may have reached Slack and no lookup has ruled
    that out since (the row stays 'unknown': the next attempt looks before it sends)."""

    def __init__(self, error: DeliveryError, *, maybe_sent: bool) -> None:
        super().__init__(str(error))
        self.error = error
        self.maybe_sent = maybe_sent


class OutboxWorker:
    def __init__(self, *, store: Store, delivery: Delivery, settings: OutboxSettings,
                 slack: SlackSettings, rng: random.Random | None = None,
                 gate: DeliveryGate | None = None, owner: str | None = None,
                 lease_seconds: float | None = None) -> None:
        self.store = store
        self.owner = owner  # this replica: the rows it leases carry its name
        self.lease = max(timedelta(seconds=lease_seconds) if lease_seconds else LEASE,
                         timedelta(seconds=LEASE_TIMEOUTS * slack.timeout))
        self.delivery = delivery
        self.settings = settings
        self.slack = slack
        self.rng = rng or random.Random()
        self.gate = gate or DeliveryGate(store=store, delivery=delivery, rng=self.rng)
        self._recovered = False

    def run_once(self, *, now: datetime | None = None) -> OutboxStats:
        """Deliver what is due. Safe to call repeatedly; never raises for a delivery failure."""
        now = now or utcnow()
        stats = OutboxStats()
        if not self._recovered:
            n = self.store.recover_interrupted(kinds=SLACK_KINDS, now=now)
            if n:
                logger.warning("outbox: %d message(s) were in flight when the last run stopped; "
                               "checking Slack before sending them again", n)
            self._recovered = True
        if not self.gate.open(now):
            stats.paused = self.gate.paused
            return stats
        rows = self.store.lease_due(limit=self.settings.batch_size, lease=self.lease, now=now,
                                    kinds=SLACK_KINDS, owner=self.owner)
        for i, row in enumerate(rows):
            if not self._still_mine(row, now):
                continue
            try:
                if self._deliver(row, stats):
                    self.gate.succeeded(now)
            except _Wait as wait:
                self.store.mark_retry(row.id, error=str(wait), at=now + timedelta(seconds=5),
                                      refund_attempt=True, maybe_sent=_in_doubt(row))
            except _Failed as failed:
                if self._failed(row, failed.error, stats, now, maybe_sent=failed.maybe_sent):
                    # fatal: put back every row leased in this run, untouched
                    for later in rows[i + 1:]:
                        self.store.mark_retry(later.id, error="delivery paused", at=now,
                                              refund_attempt=True, maybe_sent=_in_doubt(later))
                    break
            except Exception as e:  # a bug or a database hiccup must not stop the other rows
                logger.exception("outbox: %s failed unexpectedly", row.key,
                                 extra={"outbox_key": row.key})
                # it may have failed after Slack took the message: look before resending
                self._failed(row, DeliveryError(f"{type(e).__name__}: {e}"), stats, now,
                             maybe_sent=row.kind != OutboxKind.UPDATE, slack_fault=False)
        if stats.sent or stats.dead or stats.retried:
            logger.info("outbox: sent %d (reconciled %d), retrying %d, dead %d",
                        stats.sent, stats.reconciled, stats.retried, stats.dead)
        return stats

    def _still_mine(self, row: OutboxEntry, now: datetime) -> bool:
        """Renew the row's lease before calling Slack for it: a row whose lease ran out while
        earlier rows went (and that another replica took over) is left to that replica."""
        if self.store.renew_lease(row.id, owner=self.owner,
                                  until=max(now, utcnow()) + self.lease):
            return True
        logger.warning("outbox: %s is no longer this replica's (its lease ran out); leaving it",
                       row.key, extra={"outbox_key": row.key, "replica": self.owner})
        return False

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

    def _deliver(self, row: OutboxEntry, stats: OutboxStats) -> bool:
        """Deliver one leased row; True if Slack was called and answered. A row that may
        already be in Slack is looked up first, and stays in doubt until a lookup answers."""
        doubt = _in_doubt(row)
        try:
            thread_ts = self._thread_ts(row)
            if doubt:
                since = row.attempted_at or row.created_at
                found = self.delivery.find(channel=row.channel, key=row.key, since=since,
                                           thread_ts=thread_ts)
                if found:
                    self._sent(row, found[0], found[1])
                    stats.sent += 1
                    stats.reconciled += 1
                    logger.info("outbox: %s was already in Slack (ts %s); not posting again",
                                row.key, found[1])
                    return True
                doubt = False  # Slack answered: it has no such message, sending is safe
            return self._send(row, stats, thread_ts)
        except DeliveryError as e:
            # chat.update re-renders: doing it twice is harmless, so it is never in doubt
            maybe = (doubt or e.maybe_sent) and row.kind != OutboxKind.UPDATE
            raise _Failed(e, maybe_sent=maybe) from e

    def _send(self, row: OutboxEntry, stats: OutboxStats, thread_ts: str | None) -> bool:
        if row.kind == OutboxKind.UPDATE:
            view = self.store.get_case(int(row.payload["case_id"]))
            if view is None or not view.case.slack_ts:
                # no message to update yet: the post will be rendered in the current state
                self.store.mark_sent(row.id, channel=None, ts=None)
                return False
            case = view.case
            # renders itself, until Slack shows the newest state even if an agent clicks meanwhile
            refresh_message(self.store, self.delivery, case.id, view=view,
                            max_text_chars=self.slack.max_text_chars)
            self._sent(row, case.slack_channel, case.slack_ts)
            stats.sent += 1
            return True
        unfurl_media = False
        if row.kind == OutboxKind.UPLOAD:
            rendered: tuple[str, list[dict[str, Any]]] | None = (self._upload(row), [])
            unfurl_media = True  # the link to our own file shows the file
        else:
            rendered = self._render(row)
        if rendered is None:  # nothing to send any more (case gone, no history to show)
            self.store.mark_sent(row.id, channel=None, ts=None)
            return False
        text, blocks = rendered
        channel, ts = self.delivery.post(channel=row.channel, text=text, blocks=blocks,
                                         key=row.key, thread_ts=thread_ts,
                                         unfurl_media=unfurl_media)
        self._sent(row, channel, ts)
        stats.sent += 1
        return True

    def _sent(self, row: OutboxEntry, channel: str | None, ts: str | None) -> None:
        # a post records the case's message in the same transaction as the row
        case_id = row.case_id if row.kind == OutboxKind.POST else None
        self.store.mark_sent(row.id, channel=channel, ts=ts, case_id=case_id)

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

    def _upload(self, row: OutboxEntry) -> str:
        """An "upload" row (payload {"filename", "title", "content_b64", "initial_comment"}) is
        a message that carries a file: the file is uploaded unshared (once; its id is kept in
        the row), then posted as a link in a message with the row's key in its metadata, so an
        interrupted share is found in Slack like any post. Returns the message text."""
        payload = row.payload or {}
        title = str(payload.get("title") or payload.get("filename") or "file")
        permalink = payload.get("permalink")
        if not permalink:
            try:
                content = base64.b64decode(payload["content_b64"], validate=True)
            except (KeyError, ValueError) as e:
                raise DeliveryError(f"outbox row {row.key}: no valid file content",
                                    retryable=False) from e
            try:
                file_id, permalink = self.delivery.upload_file(
                    filename=str(payload["filename"]), content=content, title=title)
            except DeliveryError as e:  # a file nobody can see yet: never in doubt
                raise _Failed(e, maybe_sent=False) from e
            self.store.note_upload(row.id, file_id=file_id, permalink=permalink)
        chart = copy.FILE_LINK.format(link=f"<{permalink}|{escape(title)}>")
        return f"{payload.get('initial_comment') or ''}\n{chart}".lstrip("\n")

    def _failed(self, row: OutboxEntry, e: DeliveryError, stats: OutboxStats, now: datetime,
                *, maybe_sent: bool, slack_fault: bool = True) -> bool:
        """Record a failed delivery; True if delivery must pause (fatal). `slack_fault`: the
        failure says something about Slack (not our own bug), for the delivery state."""
        stats.errors.append(str(e))
        if e.fatal:
            self.gate.pause(e, now)
            stats.paused = self.gate.paused
            self.store.mark_retry(row.id, error=str(e), at=now, refund_attempt=True,
                                  maybe_sent=maybe_sent)
            return True
        if slack_fault and e.retryable and e.retry_after is None:
            self.gate.failed(e, now)  # Slack itself is failing, not this one message
        if not e.retryable or row.attempts >= self.settings.max_attempts:
            self.store.mark_dead(row.id, error=str(e), maybe_sent=maybe_sent)
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
        if maybe_sent and unanswered(e):
            # a call that got no answer may still be at work in Slack: give it that long again
            # before the lookup, which could otherwise miss it
            wait = max(wait, self.slack.timeout)
        self.store.mark_retry(row.id, error=str(e), at=now + timedelta(seconds=wait),
                              refund_attempt=refund, maybe_sent=maybe_sent)
        stats.retried += 1
        if maybe_sent:
            logger.warning("outbox: %s failed (%s) and may have reached Slack; looking it up "
                           "before any resend in %.0fs", row.key, e, wait)
        else:
            logger.warning("outbox: %s failed (%s); retrying in %.0fs", row.key, e, wait)
        return False


def _in_doubt(row: OutboxEntry) -> bool:
    """Handed out as 'unknown': an earlier attempt may have reached Slack. An update is a
    re-render that may happen twice, so it is never in doubt."""
    return row.status == OutboxStatus.UNKNOWN and row.kind != OutboxKind.UPDATE
