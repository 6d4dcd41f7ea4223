"""The composition root: every part the daemon runs is built here from Settings and Secrets.

Read this file to see the whole daemon: the store, the rules watcher, the classifier, the reply
suggester, the pipeline, Slack delivery and its outbox worker, the enabled connectors, the
publishers that post replies and their worker, the follow-up watch on answered cases, and the
jobs and services the parts hand over (reminders, digest, spike alerts, replies, follow-ups,
Socket Mode). `cli run`
and `demo` both call `build_app` and `build_daemon`; nothing else assembles these parts."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from rich.console import Console

from connectors import registry
from connectors.base import Connector
from monitor.classify import build_classifier
from monitor.classify.base import Classifier
from monitor.clock import utcnow
from monitor.config import Secrets, Settings
from monitor.daemon import Daemon
from monitor.errors import ConfigError, MonitorError, NotConfigured
from monitor.fleet import replica_id
from monitor.followup.watch import FollowUpWatch, build_watch, follow_up_jobs
from monitor.jobs import Job, Service
from monitor.language.stage import LanguageStage
from monitor.pipeline import Pipeline
from monitor.replies import build_suggester
from monitor.replies.publishing import Publishing, build_publishing
from monitor.replies.sender import ReplyWorker
from monitor.reports.jobs import report_jobs
from monitor.rules.watcher import RulesWatcher
from monitor.slack.delivery import Delivery, SlackDelivery, TerminalDelivery
from monitor.slack.follow_up_notices import follow_up_row
from monitor.slack.outbox import OutboxWorker
from monitor.slack.reminders import reminder_jobs
from monitor.slack.reply_notices import notice_row
from monitor.slack.socket import socket_service
from monitor.store import Store
from monitor.store.store import REPLICA_PREFIX

logger = logging.getLogger(__name__)


@dataclass
class App:
    """The built parts, for the daemon and for the commands that run them once (demo)."""

    settings: Settings
    secrets: Secrets
    store: Store
    rules: RulesWatcher
    classifier: Classifier
    pipeline: Pipeline
    delivery: Delivery
    outbox: OutboxWorker
    publishing: Publishing = field(default_factory=Publishing)
    replies: ReplyWorker | None = None
    follow_up: FollowUpWatch | None = None
    connectors: dict[str, Connector] = field(default_factory=dict)
    not_enabled: dict[str, str] = field(default_factory=dict)
    replica: str = field(default_factory=replica_id)  # this process among the replicas

    def readiness_problems(self) -> list[str]:
        """What keeps this process from doing its job now (/readyz): the rules and the model
        are loaded once the app is built; the database must answer."""
        problems = []
        try:
            self.store.ping()
        except MonitorError as e:
            problems.append(str(e))
        try:
            self.rules.current()
        except MonitorError as e:
            problems.append(f"rules: {e}")
        return problems

    def close(self) -> None:
        for c in self.connectors.values():
            c.close()
        self.publishing.close()
        self.store.close()


def build_delivery(settings: Settings, secrets: Secrets | None = None, *,
                   console: Console | None = None) -> Delivery:
    """Slack's Web API when SLACK_BOT_TOKEN is set, else each message rendered in the terminal."""
    token = (secrets or Secrets()).get("SLACK_BOT_TOKEN")
    if token:
        return SlackDelivery.from_token(token, base_url=settings.slack.base_url,
                                        timeout=settings.slack.timeout)
    logger.info("SLACK_BOT_TOKEN is not set: Slack messages are rendered in the terminal")
    return TerminalDelivery(console, files_dir=settings.data_dir / "uploads")


def build_connectors(
    settings: Settings, *, environ: Mapping[str, str] | None = None
) -> tuple[dict[str, Connector], dict[str, str]]:
    """Instantiate every enabled source with its credentials from `environ` (the secrets);
    the others are reported with the reason."""
    env = Secrets() if environ is None else environ
    unknown = set(settings.sources) - set(registry.SOURCES)
    if unknown:
        known = ", ".join(sorted(registry.SOURCES))
        raise ConfigError(f"unknown source (known: {known})", key=f"sources.{sorted(unknown)[0]}")
    wanted = set(settings.enabled_sources())
    enabled: dict[str, Connector] = {}
    skipped: dict[str, str] = {}
    for name in registry.SOURCES:
        if name not in wanted:
            skipped[name] = "disabled in config"
            continue
        try:
            enabled[name] = registry.load(name).from_settings(settings.sources[name],
                                                              environ=env)
        except NotConfigured as e:
            skipped[name] = e.reason
        except ImportError as e:
            skipped[name] = f"cannot import its library ({e})"
    for name, connector in enabled.items():
        logger.info("source %s enabled (every %.0fs)", name, connector.settings.interval)
    for name, reason in skipped.items():
        log = logger.info if reason == "disabled in config" else logger.warning
        log("source %s not enabled: %s", name, reason)
    return enabled, skipped


def _brand_name(rules: RulesWatcher, brand: str) -> str:
    try:
        return rules.current().brand(brand).name or brand
    except KeyError:  # a brand removed by a rules reload since the mention matched
        return brand


def build_app(settings: Settings, *, secrets: Secrets | None = None,
              console: Console | None = None, store: Store | None = None,
              delivery: Delivery | None = None) -> App:
    """Every part, wired: raises ConfigError / RulesInvalid / ModelError for what cannot run."""
    secrets = secrets if secrets is not None else Secrets()
    replica = replica_id()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # its sessions carry the replica's name: pg_stat_activity shows who holds what
    store = store or Store.from_settings(settings, application_name=REPLICA_PREFIX + replica)
    rules = RulesWatcher.from_settings(settings)
    classifier = build_classifier(settings)
    suggester = build_suggester(
        settings,
        templates=lambda brand: rules.current().reply_templates(brand),
        brand_name=lambda brand: _brand_name(rules, brand),
    )
    connectors, skipped = build_connectors(settings, environ=secrets)
    # replies go out as the brand's own accounts, on the sources this daemon polls
    publishing = build_publishing(settings, environ=secrets, sources=list(connectors))
    # the customers' answers to those replies join their case, never a case of their own
    follow_up = build_watch(settings.follow_up, store=store, publishing=publishing,
                            classifier=classifier, notify=follow_up_row)
    pipeline = Pipeline(store=store, rules=rules.current, classifier=classifier,
                        suggester=suggester, slack=settings.slack,
                        follow_ups=follow_up.claims if follow_up else None,
                        languages=LanguageStage.from_settings(settings))
    delivery = delivery or build_delivery(settings, secrets, console=console)
    outbox = OutboxWorker(store=store, delivery=delivery, settings=settings.outbox,
                          slack=settings.slack, owner=replica,
                          lease_seconds=settings.fleet.lease_seconds)
    replies = ReplyWorker(store=store, publishing=publishing, settings=settings.outbox,
                          notify=notice_row, owner=replica)
    return App(settings=settings, secrets=secrets, store=store, rules=rules,
               classifier=classifier, pipeline=pipeline, delivery=delivery, outbox=outbox,
               publishing=publishing, replies=replies, follow_up=follow_up,
               connectors=connectors, not_enabled=skipped, replica=replica)


def app_jobs(app: App, *, clock: Callable[[], datetime] = utcnow) -> list[Job]:
    """The periodic jobs of the parts: Slack reminders, the weekly digest, spike alerts, the
    reply worker (it delivers the outbox's platform replies; the thread lines it queues go out
    with the Slack outbox) and the follow-up watch on answered cases."""
    jobs = [*reminder_jobs(app.store, app.settings.slack, clock=clock),
            *report_jobs(app.store, app.settings, clock=clock,
                         brand_name=lambda brand: _brand_name(app.rules, brand))]
    if app.replies is not None:
        worker = app.replies
        # every replica delivers replies: the worker leases its rows (SKIP LOCKED)
        jobs.append(Job("replies", lambda: worker.run_once(now=clock()),
                        app.settings.outbox.interval, once_per_fleet=False))
    jobs += follow_up_jobs(app.follow_up, clock=clock)
    for job in jobs:
        logger.info("job %s every %.0fs", job.name, job.seconds)
    return jobs


def app_services(app: App) -> list[Service]:
    """Long-running services beside the scheduler: Slack Socket Mode when configured."""
    socket = socket_service(store=app.store, slack=app.settings.slack,
                            bot_token=app.secrets.get("SLACK_BOT_TOKEN"),
                            app_token=app.secrets.get("SLACK_APP_TOKEN"),
                            publishing=app.publishing)
    return [socket] if socket else []


def build_daemon(app: App, *, clock: Callable[[], datetime] = utcnow,
                 rng: random.Random | None = None) -> Daemon:
    """The daemon over the built parts, with every job and service the parts hand over."""
    return Daemon(connectors=app.connectors, pipeline=app.pipeline, rules=app.rules,
                  store=app.store, outbox=app.outbox, jobs=app_jobs(app, clock=clock),
                  services=app_services(app), outbox_interval=app.settings.outbox.interval,
                  rules_reload_seconds=app.settings.rules_reload_seconds,
                  check_seconds=app.settings.fleet.check_seconds, replica=app.replica,
                  rng=rng, clock=clock)
