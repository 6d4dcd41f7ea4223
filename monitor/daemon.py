"""The daemon: one APScheduler job per source, plus outbox, rules-reload and the parts' jobs.

Several replicas may run on one PostgreSQL database (monitor.fleet): each checks every source
and job often, and polls or runs it only when it is due and no other replica is at it."""

from __future__ import annotations

import logging
import random
import signal
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from apscheduler.schedulers.background import BackgroundScheduler

from monitor import metrics
from monitor.backoff import backoff_delay
from monitor.clock import utcnow
from monitor.errors import RateLimited, SourceAuthError, SourceError
from monitor.fleet import Turns, replica_id
from monitor.store.keys import RULES_STATUS_KEY

if TYPE_CHECKING:
    from connectors.base import Connector
    from monitor.jobs import Job, Service
    from monitor.pipeline import Pipeline, PollStats
    from monitor.rules.watcher import RulesWatcher
    from monitor.slack.outbox import OutboxWorker
    from monitor.store import Store

logger = logging.getLogger(__name__)


class Daemon:
    """Runs what monitor.app built: polls each connector on its interval through the pipeline,
    delivers the outbox, reloads rules, runs the parts' jobs and services."""

    def __init__(self, *, connectors: Mapping[str, Connector], pipeline: Pipeline,
                 rules: RulesWatcher, store: Store, outbox: OutboxWorker,
                 jobs: Sequence[Job] = (), services: Sequence[Service] = (),
                 outbox_interval: float = 5.0, rules_reload_seconds: float = 5.0,
                 check_seconds: float = 15.0, replica: str | None = None,
                 rng: random.Random | None = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.connectors = dict(connectors)
        self.pipeline = pipeline
        self.rules = rules
        self.store = store
        self.outbox = outbox
        self.jobs = tuple(jobs)
        self.services = tuple(services)
        self.outbox_interval = outbox_interval
        self.rules_reload_seconds = rules_reload_seconds
        self.rng = rng or random.Random()
        self.clock = clock
        self.check_seconds = check_seconds
        self.replica = replica or replica_id()
        self.turns = Turns(store, replica=self.replica, clock=clock)
        self._stop = threading.Event()
        self._backoff_until: dict[str, datetime] = {}
        self._disabled: dict[str, str] = {}
        self._local_failures: dict[str, int] = {}
        self._rules_state: dict[str, object] | None = None

    # -- one source ------------------------------------------------------------------------

    def poll_source(self, name: str) -> PollStats | None:
        """Poll one source once and process what it returned. Never raises: a failing source
        backs off (jittered exponential, or as long as the source asked) and the others go on."""
        now = self.clock()
        if name in self._disabled:
            return None
        until = self._backoff_until.get(name)
        if until and now < until:
            logger.debug("%s: backing off until %s", name, until.isoformat())
            return None
        connector = self.connectors[name]
        started = time.perf_counter()
        try:
            queries = self.rules.current().source_queries(name)
            cursor = self.store.get_cursor(name)
            batch = connector.poll(queries, cursor)
            stats = self.pipeline.process(name, batch)
            # when the next poll is due, one interval after this one began: the replicas'
            # checks poll it then (and `status` in another process tells a stalled source)
            self.store.record_poll(name, at=self.clock(), by=self.replica,
                                   next_poll_at=now + timedelta(
                                       seconds=connector.settings.interval))
        except RateLimited as e:
            self._fail(name, e, wait=e.retry_after)
            return None
        except SourceAuthError as e:
            self._disabled[name] = str(e)
            metrics.SOURCE_UP.labels(name).set(0)
            logger.error("%s: disabled until its credentials are fixed: %s", name, e)
            self._record(name, error=str(e), disabled_reason=str(e))
            return None
        except SourceError as e:
            self._fail(name, e)
            return None
        except Exception as e:  # a source's bug must not stop the others
            logger.exception("%s: poll failed", name)
            self._fail(name, e)
            return None
        finally:
            metrics.POLL_SECONDS.labels(name).observe(time.perf_counter() - started)
        self._backoff_until.pop(name, None)
        self._local_failures.pop(name, None)
        self._observe(stats)
        logger.info("%s", stats.summary(), extra={"source": name, "requests": stats.requests})
        return stats

    def _fail(self, name: str, error: Exception, *, wait: float | None = None) -> None:
        """Back off after a failed poll, whatever failed (the database too: then the failure
        is counted here, as it cannot be recorded)."""
        metrics.ERRORS.labels(f"source:{name}").inc()
        metrics.SOURCE_UP.labels(name).set(0)
        failures = self._failures(name) + 1
        options = self.connectors[name].settings
        if wait is None:  # jitter so sources do not align
            wait = backoff_delay(failures, base=options.interval, cap=options.backoff_max,
                                 rng=self.rng)
        until = self.clock() + timedelta(seconds=wait)
        self._backoff_until[name] = until
        self._record(name, error=str(error), next_poll_at=until)
        logger.warning("%s: poll failed (%s); next try in %.0fs", name,
                       str(error).split("\n", 1)[0], wait, extra={"source": name})

    def _failures(self, name: str) -> int:
        try:
            state = self.store.source_state(name)
        except Exception:  # the database is down: count from what this process saw
            return self._local_failures.get(name, 0)
        return state.failures if state else 0

    def _record(self, name: str, **outcome: object) -> None:
        """Record a failed poll; a database that cannot take it is logged, not raised."""
        self._local_failures[name] = self._local_failures.get(name, 0) + 1
        try:
            self.store.record_poll(name, by=self.replica, **outcome)  # type: ignore[arg-type]
        except Exception as e:  # the database itself: the poll's failure stands as it is
            metrics.DATABASE_UP.set(0)
            logger.warning("%s: cannot record the poll's failure: %s", name,
                           str(e).split("\n", 1)[0], extra={"source": name})

    def poll_if_due(self, name: str) -> PollStats | None:
        """The scheduled check: poll `name` if its next poll is due and no other replica is
        polling it (its lock is free). Never raises."""
        try:
            if name in self._disabled or not self.turns.source_due(name, self.clock()):
                return None
            with self.turns.take(name, kind="source") as mine:
                # due again under the lock: another replica may have polled it just now
                if not mine or not self.turns.source_due(name, self.clock()):
                    return None
                return self.poll_source(name)
        except Exception as e:  # the database is unreachable: the source is not polled
            self._fail(name, e)
            return None

    @staticmethod
    def _observe(stats: PollStats) -> None:
        s = stats.source
        metrics.FETCHED.labels(s).inc(stats.fetched)
        metrics.NEW.labels(s).inc(stats.new)
        for label, n in stats.labels.items():
            metrics.STORED.labels(s, label).inc(n)
        for reason, n in stats.dropped.items():
            metrics.DROPPED.labels(s, metrics.reason_label(reason)).inc(n)
        if stats.errors:
            metrics.ERRORS.labels(f"mention:{s}").inc(stats.errors)
        metrics.SOURCE_UP.labels(s).set(1)
        metrics.SOURCE_LAST_SUCCESS.labels(s).set(time.time())

    # -- the other jobs ----------------------------------------------------------------------

    def deliver(self) -> None:
        """Deliver what is due, then read the fleet's state into the gauges. A database that
        does not answer is one warning line and every source down, not a traceback a tick."""
        try:
            stats = self.outbox.run_once(now=self.clock())
            metrics.OUTBOX_SENT.inc(stats.sent)
            self.observe()
        except Exception as e:  # the database (or a bug): the next tick tries again
            metrics.DATABASE_UP.set(0)
            metrics.sources_down(self.connectors)
            logger.warning("outbox: cannot deliver now: %s", str(e).split("\n", 1)[0])

    def observe(self) -> None:
        """Gauges that read the database: the same on every replica."""
        metrics.observe_outbox(self.store.outbox_backlog(unsent=True))
        metrics.observe_sources(self.store.source_states(), self.connectors)
        replicas = self.store.replicas()
        metrics.REPLICAS.set(len(replicas) or 1)  # SQLite: this process, the only one
        metrics.DATABASE_UP.set(1)

    def reload_rules(self) -> None:
        """Pick up edited rules files; a broken edit keeps the last good set, and the state is
        recorded for `brand-monitor status` (which runs in another process)."""
        self.rules.refresh()
        state = self.rules.status()
        if state != self._rules_state:
            self.store.kv_set(RULES_STATUS_KEY, state)
            self._rules_state = state

    # -- running -----------------------------------------------------------------------------

    def run_once(self, *, max_outbox_rounds: int = 50) -> list[PollStats]:
        """Poll every enabled source once, process, deliver what is due, and return. A source
        or job another replica is at right now is left to it."""
        self.reload_rules()
        results = []
        for name in self.connectors:
            with self.turns.take(name, kind="source") as mine:
                if mine and (stats := self.poll_source(name)):
                    results.append(stats)
        for job in self.jobs:
            with self.turns.take(job.name, kind="job") as mine:
                if mine:
                    self._run_job(job)
        self.outbox.drain(now=self.clock(), max_rounds=max_outbox_rounds)
        return results

    def _run_job(self, job: Job) -> None:
        try:
            job.func()
        except Exception:  # one job's failure must not stop the scheduler
            metrics.ERRORS.labels(f"job:{job.name}").inc()
            logger.exception("job %s failed", job.name)

    def job_if_due(self, job: Job) -> None:
        """The scheduled check of a job: run it if its period is up across the fleet and no
        other replica is running it. Jobs that share their work out themselves (the reply
        worker leases rows) run on every replica."""
        if not job.once_per_fleet:
            self._run_job(job)
            return
        try:
            if not self.turns.job_due(job.name, self.clock()):
                return
            with self.turns.take(job.name, kind="job") as mine:
                started = self.clock()
                if not mine or not self.turns.job_due(job.name, started):
                    return
                self._run_job(job)
                self.turns.job_ran(job.name, next_at=started + timedelta(seconds=job.seconds))
        except Exception as e:  # the database is unreachable: the next check tries again
            metrics.ERRORS.labels(f"job:{job.name}").inc()
            logger.warning("job %s: cannot run now: %s", job.name, str(e).split("\n", 1)[0])

    def run_forever(self) -> None:
        """Run until SIGTERM/SIGINT; the batch in flight is finished before exiting."""
        sched = BackgroundScheduler(timezone="UTC", job_defaults={
            "coalesce": True, "max_instances": 1, "misfire_grace_time": 300})
        for name, connector in self.connectors.items():
            check = min(connector.settings.interval, self.check_seconds)
            sched.add_job(self.poll_if_due, "interval", args=[name], seconds=check,
                          jitter=check * 0.1, id=f"source:{name}",
                          next_run_time=datetime.now().astimezone())
        sched.add_job(self.deliver, "interval", seconds=self.outbox_interval,
                      id="outbox", next_run_time=datetime.now().astimezone())
        sched.add_job(self.reload_rules, "interval", seconds=self.rules_reload_seconds,
                      id="rules")
        for job in self.jobs:
            check = min(job.seconds, self.check_seconds) if job.once_per_fleet else job.seconds
            sched.add_job(self.job_if_due, "interval", args=[job], seconds=check,
                          id=f"job:{job.name}")
        # a check that comes while the work it checks still runs is skipped by design
        logging.getLogger("apscheduler.scheduler").addFilter(_still_running)
        previous = {sig: signal.signal(sig, self._on_signal)
                    for sig in (signal.SIGTERM, signal.SIGINT)}
        sched.start()
        for service in self.services:
            self._call(service.name, service.start)
        logger.info("brand-monitor running: %d source(s), outbox every %.0fs, replica %s",
                    len(self.connectors), self.outbox_interval, self.replica,
                    extra={"replica": self.replica})
        try:
            self._stop.wait()
        finally:
            logger.info("stopping: finishing the work in flight")
            for service in self.services:
                self._call(service.name, service.stop)
            sched.shutdown(wait=True)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            logger.info("stopped")

    @staticmethod
    def _call(name: str, hook: Callable[[], object]) -> None:
        try:
            hook()
        except Exception:  # a service failing to start/stop must not take the daemon down
            logger.exception("service %s failed", name)

    def _on_signal(self, signum: int, _frame: object) -> None:
        logger.info("received %s", signal.Signals(signum).name)
        self._stop.set()

    def stop(self) -> None:
        self._stop.set()


def _still_running(record: logging.LogRecord) -> bool:
    return "maximum number of running instances reached" not in record.getMessage()
