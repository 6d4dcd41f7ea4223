"""The reply worker: post queued replies on the platforms exactly once, reconciling before resends.

A reply row whose earlier attempt may have reached the platform (the process died while it was
'sending', a timeout, a 5xx) is 'unknown': it is looked up with `Publisher.find` before anything
is posted again, and stays unknown until a lookup has answered. Rate limits pause the source
until the platform's time is up (one audited notice per attempt, no retry storm); refusals
(duplicate, deleted target, locked thread, removed review, missing write access) end the attempt
with an audited `reply_failed` and a line in the case's Slack thread."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from monitor.backoff import backoff_delay
from monitor.clock import utcnow
from monitor.errors import PublishAuthError, PublishError, PublishRateLimited, PublishRejected
from monitor.replies import flow
from monitor.replies.flow import ReplyState
from monitor.replies.notices import AUTH, NOT_SET_UP, UNCONFIRMED, Notice, Notify, Outcome
from monitor.replies.notices import no_notices as _no_notices
from monitor.replies.publishing import target_of
from monitor.store.keys import REPLY_KINDS, OutboxStatus

if TYPE_CHECKING:
    from connectors.replies.base import PublishedReply, Publisher, ReplyTarget
    from monitor.config import OutboxSettings
    from monitor.readmodels import CaseView, OutboxEntry
    from monitor.replies.publishing import Publishing
    from monitor.store import Store

logger = logging.getLogger(__name__)

# Longer than any publisher request can take, so a live process is never raced for its row:
# a row left 'sending' by a dead process is looked up once its lease has expired.
LEASE = timedelta(minutes=5)
# find(since=…) starts this long before the row was queued (clocks differ a little).
CLOCK_SLACK = timedelta(minutes=2)


@dataclass
class ReplyStats:
    sent: int = 0
    reconciled: int = 0  # of `sent`: found on the platform, not posted again
    retried: int = 0
    waiting: int = 0  # rate limited
    failed: int = 0


class _Unsure(Exception):  # internal signal: the lookup did not answer, the row stays unknown
    pass


class ReplyWorker:
    """Leases only reply rows (the Slack outbox worker never does) and delivers each through the
    publisher of its source."""

    def __init__(self, *, store: Store, publishing: Publishing, settings: OutboxSettings,
                 notify: Notify = _no_notices, rng: random.Random | None = None,
                 owner: str | None = None) -> None:
        self.store = store
        self.owner = owner  # this replica: the rows it leases carry its name
        self.publishing = publishing
        self.settings = settings
        self.notify = notify
        self.rng = rng or random.Random()
        self._paused: dict[str, tuple[datetime, str]] = {}  # source -> (until, why)

    def run_once(self, *, now: datetime | None = None) -> ReplyStats:
        """Deliver the reply rows that are due. Never raises for a platform's failure."""
        now = now or utcnow()
        stats = ReplyStats()
        rows = self.store.lease_due(limit=self.settings.batch_size, lease=LEASE, now=now,
                                    kinds=REPLY_KINDS, owner=self.owner)
        for row in rows:
            # renewed before the platform is called: a row whose lease ran out meanwhile and
            # that another replica took over is that replica's now
            if not self.store.renew_lease(row.id, owner=self.owner,
                                          until=max(now, utcnow()) + LEASE):
                logger.warning("replies: %s is no longer this replica's; leaving it", row.key,
                               extra={"outbox_key": row.key, "replica": self.owner})
                continue
            try:
                self._deliver(row, now, stats)
            except Exception as e:  # a publisher's bug must not stop the other replies
                logger.exception("replies: %s failed unexpectedly", row.key,
                                 extra={"outbox_key": row.key, "case_id": row.case_id})
                self._maybe_posted(row, None, now, stats, f"unexpected error: {e}")
        if rows:
            logger.info("replies: sent %d (reconciled %d), retrying %d, waiting %d, failed %d",
                        stats.sent, stats.reconciled, stats.retried, stats.waiting, stats.failed)
        return stats

    # -- one row ---------------------------------------------------------------------------

    def _deliver(self, row: OutboxEntry, now: datetime, stats: ReplyStats) -> None:
        payload = row.payload
        case_id, attempt = int(payload["case_id"]), int(payload["attempt"])
        text, source = str(payload["text"]), row.channel
        view = self.store.get_case(case_id)
        if view is None:
            self.store.mark_dead(row.id, error="the case no longer exists", maybe_sent=False)
            return
        case = view.case
        if case.reply_attempt != attempt or case.reply_state != ReplyState.QUEUED:
            # settled before a crash (the case already says so), or superseded: post nothing
            if case.reply_attempt == attempt and case.reply_state == ReplyState.REPLIED:
                self.store.mark_sent(row.id, channel=None, ts=None)
            else:
                self.store.mark_dead(row.id, error=f"attempt {attempt} is no longer queued",
                                     maybe_sent=False)
            return
        paused = self._paused.get(source)
        if paused and now < paused[0]:
            self._later(row, at=paused[0], error=paused[1])
            stats.waiting += 1
            return
        publisher = self.publishing.publishers.get(source)
        if publisher is None:
            self._fail(row, view, NOT_SET_UP, self.publishing.why_not(source), stats)
            return
        target = target_of(view.mention)
        if row.status == OutboxStatus.UNKNOWN or payload.get("check_first"):
            try:
                found = self._find(publisher, row, view, target, text, now, stats)
            except _Unsure:
                return
            if found is not None:
                self._replied(row, view, found, stats, reconciled=True)
                return
        try:
            published = publisher.publish(target, text)
        except PublishRateLimited as e:
            self._rate_limited(row, view, e, now, stats, unknown=False)
        except PublishAuthError as e:
            self._fail(row, view, AUTH, str(e), stats)
        except PublishRejected as e:
            if e.reason == "duplicate":  # the same text is there: maybe our own earlier try
                try:
                    found = self._find(publisher, row, view, target, text, now, stats)
                except _Unsure:
                    return
                if found is not None:
                    self._replied(row, view, found, stats, reconciled=True)
                    return
            self._fail(row, view, e.reason, str(e), stats)
        except PublishError as e:
            if e.retryable:  # PublishUnavailable: it may have been posted
                self._maybe_posted(row, view, now, stats, str(e))
            else:
                self._fail(row, view, "other", str(e), stats)
        else:
            self._replied(row, view, published, stats, reconciled=False)

    def _find(self, publisher: Publisher, row: OutboxEntry, view: CaseView,
              target: ReplyTarget, text: str, now: datetime, stats: ReplyStats
              ) -> PublishedReply | None:
        """Our reply to `target` if the platform has it; raises _Unsure (after recording what
        happens next) when the platform could not tell."""
        try:
            return publisher.find(target, text=text, since=row.created_at - CLOCK_SLACK)
        except PublishRateLimited as e:
            self._rate_limited(row, view, e, now, stats, unknown=True)
        except PublishAuthError as e:
            self._fail(row, view, AUTH, str(e), stats)
        except PublishError as e:
            self._maybe_posted(row, view, now, stats, f"lookup failed: {e}")
        raise _Unsure()

    # -- outcomes --------------------------------------------------------------------------

    def _rows(self, notice: Notice) -> flow.Rows:
        def rows(view: CaseView, _attempt: int) -> list[dict[str, object]]:
            row = self.notify(view, notice)
            return [row] if row else []

        return rows

    def _notice(self, outcome: Outcome, row: OutboxEntry, view: CaseView, **kw: object
                ) -> Notice:
        return Notice(outcome, view.case.id, int(row.payload["attempt"]), row.channel,
                      drafted_by=view.case.reply_by, **kw)  # type: ignore[arg-type]

    def _replied(self, row: OutboxEntry, view: CaseView, published: PublishedReply,
                 stats: ReplyStats, *, reconciled: bool) -> None:
        notice = self._notice(Outcome.REPLIED, row, view, url=published.url,
                              reconciled=reconciled)
        flow.record_replied(self.store, view.case.id, attempt=notice.attempt,
                            platform_id=published.platform_id, url=published.url,
                            published_at=published.at, reconciled=reconciled,
                            rows=self._rows(notice))
        self.store.mark_sent(row.id, channel=None, ts=None)
        stats.sent += 1
        stats.reconciled += reconciled
        logger.info("replies: case %s answered on %s (%s)%s", view.case.id, row.channel,
                    published.platform_id, " — found, not posted again" if reconciled else "",
                    extra={"case_id": view.case.id, "outbox_key": row.key})

    def _fail(self, row: OutboxEntry, view: CaseView, reason: str, message: str,
              stats: ReplyStats) -> None:
        notice = self._notice(Outcome.FAILED, row, view, reason=reason, message=message)
        flow.record_failed(self.store, view.case.id, attempt=notice.attempt, reason=reason,
                           message=message, rows=self._rows(notice))
        self.store.mark_dead(row.id, error=message, maybe_sent=reason == UNCONFIRMED)
        stats.failed += 1
        logger.warning("replies: case %s not answered on %s (%s): %s", view.case.id,
                       row.channel, reason, message,
                       extra={"case_id": view.case.id, "outbox_key": row.key})

    def _rate_limited(self, row: OutboxEntry, view: CaseView, e: PublishRateLimited,
                      now: datetime, stats: ReplyStats, *, unknown: bool) -> None:
        until = now + timedelta(seconds=max(1.0, e.retry_after))
        self._paused[row.channel] = (until, str(e))  # the whole account waits, not just this row
        attempt = int(row.payload["attempt"])
        told = any(ev.detail.get("attempt") == attempt for ev in
                   self.store.case_events(view.case.id, actions=["reply_rate_limited"]))
        if not told:
            notice = self._notice(Outcome.RATE_LIMITED, row, view, retry_at=until,
                                  message=str(e))
            flow.record_waiting(self.store, view.case.id, attempt=attempt, retry_at=until,
                                message=str(e), rows=self._rows(notice))
        self.store.mark_retry(row.id, error=str(e), at=until, refund_attempt=True,
                              maybe_sent=unknown)
        stats.waiting += 1
        logger.warning("replies: %s rate limited until %s", row.channel, until.isoformat(),
                       extra={"case_id": view.case.id, "outbox_key": row.key})

    def _maybe_posted(self, row: OutboxEntry, view: CaseView | None, now: datetime,
                      stats: ReplyStats, error: str) -> None:
        """The reply may be on the platform: look it up next time (backing off), or give up
        after max_attempts with a clear line (the next Send looks it up first)."""
        if row.attempts >= self.settings.max_attempts:
            view = view or self.store.get_case(int(row.payload["case_id"]))
            if view is not None:
                self._fail(row, view, UNCONFIRMED, error, stats)
            else:
                self.store.mark_dead(row.id, error=error, maybe_sent=True)
            return
        wait = backoff_delay(row.attempts, base=self.settings.backoff_base,
                             cap=self.settings.backoff_max, rng=self.rng, spread=(0.5, 1.5))
        self.store.mark_retry(row.id, error=error, at=now + timedelta(seconds=wait),
                              maybe_sent=True)
        stats.retried += 1
        logger.warning("replies: %s unconfirmed (%s); looking it up in %.0fs", row.key, error,
                       wait, extra={"outbox_key": row.key, "case_id": row.case_id})

    def _later(self, row: OutboxEntry, *, at: datetime, error: str) -> None:
        """Not now (the account is rate limited): keep what we know about the row."""
        self.store.mark_retry(row.id, error=error, at=at, refund_attempt=True,
                              maybe_sent=row.status == OutboxStatus.UNKNOWN)
