"""The follow-up watch: every watched case looked up per platform in batches, answers recorded."""

from __future__ import annotations

import logging
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from connectors.replies.watch import Answer, Watched, Watcher, watcher_for
from monitor.backoff import backoff_delay
from monitor.classify.base import ClassifierInput
from monitor.clock import utcnow
from monitor.errors import PublishAuthError, PublishError, PublishRateLimited
from monitor.followup import watchlist
from monitor.followup.record import Notify, no_notice, record
from monitor.jobs import Job
from monitor.store.follow_ups import Outcome

if TYPE_CHECKING:
    from monitor.classify.base import Classifier
    from monitor.config import FollowUpSettings
    from monitor.models import Mention
    from monitor.replies.publishing import Publishing
    from monitor.store import Store

logger = logging.getLogger(__name__)

AUTH_WAIT = 3600.0  # seconds a platform that refused our credentials is left alone


@dataclass
class WatchStats:
    """What one look at every watched case did; logged as one line."""

    watched: Counter[str] = field(default_factory=Counter)  # cases looked up, by source
    left: Counter[str] = field(default_factory=Counter)  # cases left for the next look
    requests: Counter[str] = field(default_factory=Counter)  # HTTP requests, by source
    answers: int = 0  # new answers fetched
    recorded: int = 0
    reopened: int = 0
    signals: Counter[str] = field(default_factory=Counter)
    errors: int = 0
    paused: list[str] = field(default_factory=list)

    def per_case(self, source: str | None = None) -> float:
        """Requests per watched case (of one source, or of all)."""
        cases = self.watched[source] if source else sum(self.watched.values())
        asked = self.requests[source] if source else sum(self.requests.values())
        return asked / cases if cases else 0.0

    def summary(self) -> str:
        sources = ", ".join(f"{s} {n} ({self.requests[s]} req)"
                            for s, n in sorted(self.watched.items())) or "none"
        left = f", {sum(self.left.values())} left for the next look" if self.left else ""
        return (f"follow-up: watched {sum(self.watched.values())} case(s) [{sources}]{left}, "
                f"{self.per_case():.2f} request(s) per case; {self.answers} new answer(s), "
                f"recorded {self.recorded}, reopened {self.reopened}, "
                f"satisfaction {self.signals['satisfaction']}, "
                f"dissatisfaction {self.signals['dissatisfaction']}, errors {self.errors}")


class FollowUpWatch:
    """Looks up the watched cases of each platform with its watcher (one batched call per
    platform per run), classifies the new answers in one batch with the pipeline's classifier
    and records each with its case. A platform that fails backs off; the others go on."""

    def __init__(self, *, store: Store, watchers: Mapping[str, Watcher], classifier: Classifier,
                 settings: FollowUpSettings, notify: Notify = no_notice,
                 clock: Callable[[], datetime] = utcnow, rng: random.Random | None = None
                 ) -> None:
        self.store = store
        self.watchers = dict(watchers)
        self.classifier = classifier
        self.settings = settings
        self.notify = notify
        self.clock = clock
        self.rng = rng or random.Random()
        self._paused: dict[str, datetime] = {}
        self._failures: Counter[str] = Counter()
        # when each case was last looked up (run number): the longest-waiting go first
        self._looked: dict[str, dict[str, int]] = defaultdict(dict)
        self._runs = 0

    def watch_list(self, *, now: datetime, sources: Sequence[str] | None = None
                   ) -> list[Watched]:
        """The cases watched now: our latest reply within the window, and not closed and
        quiet."""
        since = now - timedelta(days=self.settings.window_days)
        cases = self.store.watch_list(sources=sources or list(self.watchers),
                                      replied_since=since)
        quiet = timedelta(hours=self.settings.quiet_hours)
        return [watchlist.watched(wc) for wc in watchlist.due(cases, now=now, quiet=quiet)]

    def run_once(self, *, now: datetime | None = None) -> WatchStats:
        now = now or self.clock()
        stats = WatchStats()
        by_source: dict[str, list[Watched]] = defaultdict(list)
        for w in self.watch_list(now=now):
            by_source[w.target.source].append(w)
        fetched: list[Answer] = []
        for source, cases in by_source.items():
            if (until := self._paused.get(source)) and now < until:
                stats.paused.append(source)
                continue
            fetched += self._fetch(source, cases, stats, now)
        new = self._unrecorded(fetched)
        stats.answers = len(new)
        if new:
            self._record(new, stats, now)
        if stats.watched:
            logger.info("%s", stats.summary(), extra={
                "requests_per_case": round(stats.per_case(), 3), "answers": stats.answers})
        return stats

    def _fetch(self, source: str, cases: list[Watched], stats: WatchStats, now: datetime
               ) -> list[Answer]:
        """One batched look at the platform within the request budget, the cases looked up
        longest ago first: those a look did not reach go first next time, so a busy or
        rate-limited platform starves none."""
        looked = self._looked[source]
        cases = sorted(cases, key=lambda w: looked.get(w.ref, -1))  # stable: oldest reply first
        self._runs += 1
        try:
            found = self.watchers[source].answers(cases, budget=self.settings.max_requests)
        except PublishRateLimited as e:
            self._pause(source, now, e, wait=e.retry_after, stats=stats)
            return []
        except PublishAuthError as e:
            self._pause(source, now, e, wait=AUTH_WAIT, stats=stats)
            return []
        except PublishError as e:
            self._pause(source, now, e, wait=None, stats=stats)
            return []
        except Exception as e:  # one platform's bug must not stop the others
            logger.exception("follow-up: %s watcher failed", source, extra={"source": source})
            self._pause(source, now, e, wait=None, stats=stats)
            return []
        left = set(found.left)
        self._looked[source] = {w.ref: self._runs if w.ref not in left else looked.get(w.ref, -1)
                                for w in cases}  # (cases no longer watched are forgotten)
        stats.watched[source] += len(cases) - len(found.left)
        stats.requests[source] += found.requests
        stats.left[source] += len(found.left)
        if found.stopped is not None:  # the platform asked to wait part-way
            wait = found.stopped.retry_after if isinstance(found.stopped, PublishRateLimited) \
                else None
            self._pause(source, now, found.stopped, wait=wait, stats=stats)
        else:
            self._failures.pop(source, None)
        return list(found.answers)

    def _pause(self, source: str, now: datetime, error: Exception, *, wait: float | None,
               stats: WatchStats) -> None:
        self._failures[source] += 1
        if wait is None:
            wait = backoff_delay(self._failures[source], base=self.settings.interval,
                                 cap=AUTH_WAIT, rng=self.rng)
        self._paused[source] = now + timedelta(seconds=max(1.0, wait))
        stats.errors += 1
        logger.warning("follow-up: %s: %s; next look in %.0fs", source, error, wait,
                       extra={"source": source})

    def _unrecorded(self, answers: list[Answer]) -> list[Answer]:
        """The answers not recorded yet (each once, even if two cases listed it)."""
        by_source: dict[str, list[Answer]] = defaultdict(list)
        for a in answers:
            by_source[a.source].append(a)
        out: list[Answer] = []
        for source, items in by_source.items():
            known = self.store.recorded_follow_ups(
                source, [(a.external_id, a.revision) for a in items])
            seen: set[tuple[str, str]] = set()
            for a in items:
                key = (a.external_id, a.revision)
                if key not in known and key not in seen:
                    seen.add(key)
                    out.append(a)
        return sorted(out, key=lambda a: a.posted_at)

    def _record(self, answers: list[Answer], stats: WatchStats, now: datetime) -> None:
        inputs = [ClassifierInput(text=f"{a.title}\n{a.text}" if a.title and a.text
                                  else a.title or a.text, rating=a.rating, source=a.source)
                  for a in answers]
        try:
            labels = self.classifier.classify(inputs)  # one batch per run
        except Exception:  # the model failing must not lose answers: they are fetched again
            stats.errors += 1
            logger.exception("follow-up: classifying %d answer(s) failed", len(answers))
            return
        for answer, cls in zip(answers, labels, strict=True):
            try:
                done = record(self.store, int(answer.ref), answer, cls, notify=self.notify,
                              at=now)
            except Exception:  # one answer's bug must not cost the others
                stats.errors += 1
                logger.exception("follow-up: recording %s/%s failed", answer.source,
                                 answer.external_id[:100])
                continue
            if done.outcome == Outcome.RECORDED and done.follow_up is not None:
                stats.recorded += 1
                stats.reopened += done.reopened
                if done.follow_up.signal:
                    stats.signals[done.follow_up.signal] += 1

    def claims(self, source: str, mentions: Sequence[Mention]) -> dict[str, int]:
        """The pipeline's hook: which fetched mentions are customers' answers to our replies
        (recorded already, or answers the watcher will fetch), with their case, so that none
        becomes a new case of its own."""
        watcher = self.watchers.get(source)
        if watcher is None or not mentions:
            return {}
        found = self.store.follow_up_cases(source, [m.external_id for m in mentions])
        # an answer is the customer's own reply to something: root posts are never one
        pending = [m for m in mentions if m.parent_id and m.external_id not in found]
        if pending and type(watcher).is_answer is not Watcher.is_answer:
            by_author: dict[str, list[Watched]] = defaultdict(list)
            for w in self.watch_list(now=self.clock(), sources=[source]):
                by_author[_handle(w.target.author_handle)].append(w)
            for m in pending:
                try:
                    case = next((int(w.ref) for w in by_author.get(_handle(m.author.handle), ())
                                 if watcher.is_answer(w, m)), None)
                except Exception:  # a watcher's bug must not fail the source's poll
                    logger.exception("follow-up: %s: matching %s failed", source,
                                     m.external_id[:100], extra={"source": source})
                    continue
                if case is not None:
                    found[m.external_id] = case
        return found


def _handle(handle: str | None) -> str:
    return (handle or "").strip().lstrip("@").lower()


def build_watch(settings: FollowUpSettings, *, store: Store, publishing: Publishing,
                classifier: Classifier, notify: Notify = no_notice,
                clock: Callable[[], datetime] = utcnow) -> FollowUpWatch | None:
    """A watch over every platform we can post replies on (its watcher shares the publisher's
    account); None when `follow_up.enabled` is false or nothing can be answered."""
    if not settings.enabled:
        logger.info("follow-up watch: disabled in config (follow_up.enabled)")
        return None
    watchers = {name: w for name, pub in publishing.publishers.items()
                if (w := watcher_for(pub)) is not None}
    if not watchers:
        return None
    logger.info("follow-up watch: %s, every %.0fs, %g day(s) after our reply",
                ", ".join(sorted(watchers)), settings.interval, settings.window_days)
    return FollowUpWatch(store=store, watchers=watchers, classifier=classifier,
                         settings=settings, notify=notify, clock=clock)


def follow_up_jobs(watch: FollowUpWatch | None, *, clock: Callable[[], datetime] = utcnow
                   ) -> list[Job]:
    if watch is None:
        return []
    return [Job("follow-up", lambda: watch.run_once(now=clock()), watch.settings.interval)]
