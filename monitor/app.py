"""Build every component from Settings (Scrapy's from_crawler, in one place)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from connectors import registry
from connectors.base import Connector
from monitor.config import Settings, secret
from monitor.errors import ConfigError, NotConfigured
from monitor.outbox import OutboxWorker
from monitor.pipeline import Pipeline
from monitor.replies import build_suggester
from monitor.slack.delivery import Delivery, SlackDelivery, TerminalDelivery
from monitor.store import Store

if TYPE_CHECKING:
    from rich.console import Console

    from monitor.classify.base import Classifier
    from monitor.rules.watcher import RulesWatcher

logger = logging.getLogger(__name__)


@dataclass
class App:
    settings: Settings
    store: Store
    rules: RulesWatcher
    classifier: Classifier
    pipeline: Pipeline
    delivery: Delivery
    outbox: OutboxWorker
    connectors: dict[str, Connector] = field(default_factory=dict)
    not_enabled: dict[str, str] = field(default_factory=dict)

    def close(self) -> None:
        for c in self.connectors.values():
            c.close()
        self.store.close()


def build_delivery(settings: Settings, *, console: Console | None = None) -> Delivery:
    token = secret("SLACK_BOT_TOKEN")
    if token:
        return SlackDelivery.from_token(token, base_url=settings.slack.base_url,
                                        timeout=settings.slack.timeout)
    logger.info("SLACK_BOT_TOKEN is not set: Slack messages are rendered in the terminal")
    return TerminalDelivery(console, files_dir=settings.data_dir / "uploads")


def build_connectors(
    settings: Settings, *, environ: Mapping[str, str] | None = None
) -> tuple[dict[str, Connector], dict[str, str]]:
    """Instantiate every enabled source; the others are reported with the reason."""
    import os

    env = os.environ if environ is None else environ
    enabled: dict[str, Connector] = {}
    skipped: dict[str, str] = {}
    for name in registry.SOURCES:
        cfg = settings.sources.get(name)
        if cfg is None or not cfg.enabled:
            skipped[name] = "disabled in config"
            continue
        try:
            cls = registry.load(name)
            options: dict[str, Any] = {**cfg.model_dump(), **cfg.options()}
            enabled[name] = cls.from_settings(options, environ=env)
        except NotConfigured as e:
            skipped[name] = e.reason
        except ConfigError:
            raise
        except ImportError as e:
            skipped[name] = f"cannot import its library ({e})"
    unknown = set(settings.sources) - set(registry.SOURCES)
    if unknown:
        known = ", ".join(sorted(registry.SOURCES))
        raise ConfigError(f"unknown source (known: {known})", key=f"sources.{sorted(unknown)[0]}")
    for name in enabled:
        logger.info("source %s enabled (every %.0fs)", name, settings.source(name).interval)
    for name, reason in skipped.items():
        log = logger.info if reason == "disabled in config" else logger.warning
        log("source %s not enabled: %s", name, reason)
    return enabled, skipped


def _brand_name(rules: RulesWatcher, brand: str) -> str:
    try:
        return rules.current().brand(brand).name or brand
    except KeyError:  # a brand removed by a rules reload since the mention matched
        return brand


def build_app(settings: Settings, *, console: Console | None = None,
              store: Store | None = None, delivery: Delivery | None = None) -> App:
    from monitor.classify import build_classifier
    from monitor.rules.watcher import RulesWatcher

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = store or Store.from_settings(settings)
    rules = RulesWatcher(settings.rules_dir)
    classifier = build_classifier(settings)
    suggester = build_suggester(
        settings,
        templates=lambda brand: rules.current().reply_templates(brand),
        brand_name=lambda brand: _brand_name(rules, brand),
    )
    pipeline = Pipeline(store=store, rules=rules.current, classifier=classifier,
                        suggester=suggester, slack=settings.slack)
    delivery = delivery or build_delivery(settings, console=console)
    outbox = OutboxWorker(store=store, delivery=delivery, settings=settings.outbox,
                          slack=settings.slack)
    connectors, skipped = build_connectors(settings)
    return App(settings=settings, store=store, rules=rules, classifier=classifier,
               pipeline=pipeline, delivery=delivery, outbox=outbox, connectors=connectors,
               not_enabled=skipped)
