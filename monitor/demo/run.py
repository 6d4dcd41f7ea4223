"""`brand-monitor demo`: the bundled sample mentions through the real pipeline, model and outbox."""

from __future__ import annotations

import logging
import os
import shlex
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.table import Table

from monitor.app import App, build_app, build_daemon
from monitor.cliopts import demo_config_path, invocation
from monitor.config import Secrets, Settings, load_settings
from monitor.demo import copy
from monitor.errors import ConfigError, MonitorError
from monitor.logs import setup_logging
from monitor.models import LABELS
from monitor.pending import undelivered
from monitor.pipeline import PollStats
from monitor.store.keys import OutboxStatus

logger = logging.getLogger(__name__)

# The rules and knowledge base of the three demo brands: the repository's rules/ directory
# (a symlink in a checkout), copied into the wheel as package data (see pyproject.toml).
BUNDLED_RULES = Path(__file__).resolve().parent / "rules"
DATABASE_URL_ENV = "BRAND_MONITOR_DATABASE_URL"


def demo_settings(*, config: Path | None = None, data_dir: Path | None = None,
                  rules_dir: Path | None = None, environ: Mapping[str, str] | None = None
                  ) -> Settings:
    """The user's settings (config file, BRAND_MONITOR_* variables: Slack, database_url,
    classifier …) with the demo's own: the bundled rules, only the sample source, and a data
    directory of its own (`<data_dir>/demo`) unless --data-dir says otherwise."""
    rules = rules_dir or BUNDLED_RULES
    if not rules.is_dir():
        raise ConfigError(copy.RULES_MISSING.format(path=rules), key="rules_dir")
    base = load_settings(config, environ=environ)
    where = data_dir.absolute() if data_dir else base.data_dir / "demo"
    sample = {**base.sources.get("sample", {}), "enabled": True}
    sample.setdefault("interval", 10)
    level = base.log_level if base.log_level == "DEBUG" else "WARNING"
    return base.model_copy(update={
        "data_dir": where, "rules_dir": rules.absolute(), "knowledge_dir": None,
        "sources": {"sample": sample}, "log_level": level,
    })


def write_demo_config(settings: Settings, *, environ: Mapping[str, str]) -> Path:
    """The config the printed commands use: the demo's data, rules and source. A database_url
    from the environment is left to the environment (the same shell runs the commands)."""
    path = demo_config_path(settings.data_dir)
    data: dict[str, Any] = {"data_dir": str(settings.data_dir),
                            "rules_dir": str(settings.rules_dir),
                            "sources": {"sample": settings.sources["sample"]}}
    if DATABASE_URL_ENV not in environ:
        data["database_url"] = settings.db_url
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(copy.CONFIG_HEADER + yaml.safe_dump(data, sort_keys=False))
    return path


def run_demo(*, config: Path | None = None, data_dir: Path | None = None,
             rules_dir: Path | None = None, follow: bool = False, reset: bool = False,
             console: Console | None = None, environ: Mapping[str, str] | None = None) -> None:
    """Run the demo; MonitorError (exit 1) when Slack messages are left undelivered."""
    console = console or Console()
    env = os.environ if environ is None else environ
    secrets = Secrets.from_environ(env)
    settings = demo_settings(config=config, data_dir=data_dir, rules_dir=rules_dir, environ=env)
    setup_logging(settings.log_level)
    db_file = settings.data_dir / "brand-monitor.sqlite"
    if reset and settings.database_url is not None:
        raise ConfigError(copy.RESET_URL, key="database_url")
    if reset:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_file}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    where = (copy.TO_SLACK.format(url=settings.slack.base_url)
             if secrets.get("SLACK_BOT_TOKEN") else copy.TO_TERMINAL)
    console.rule(f"[bold]{copy.TITLE}")
    console.print(copy.HEADER.format(database=settings.db_url.split("@")[-1],
                                     rules=settings.rules_dir, where=where),
                  markup=False, highlight=False)
    console.print(copy.LOADING, highlight=False)
    with console.status(copy.LOADING):
        app = build_app(settings, secrets=secrets, console=console)
    console.print(copy.LOADED.format(name=app.classifier.name,
                                     seconds=time.perf_counter() - started), highlight=False)
    try:
        totals = _rounds(console, app)
        _summary(console, app, totals, time.perf_counter() - started)
        config_file = write_demo_config(settings, environ=env)
        _next_steps(console, config_file)
        if follow:
            console.print(copy.FOLLOWING)
            build_daemon(app).run_forever()
        left = undelivered(app.store)
    finally:
        app.close()
    if left:
        raise MonitorError(left.message())


def _rounds(console: Console, app: App) -> list[PollStats]:
    _retry_now(app)
    connector = app.connectors["sample"]
    totals: list[PollStats] = []
    cursor: str | None = None  # every demo run replays the samples: dedupe must hold them back
    round_no = 0
    while True:
        batch = connector.poll([], cursor)
        if not batch.mentions and not batch.dropped:
            break
        round_no += 1
        console.rule(copy.ROUND.format(n=round_no, fetched=len(batch.mentions)))
        stats = app.pipeline.process("sample", batch)
        totals.append(stats)
        sent = app.outbox.drain(max_rounds=100)
        console.print(copy.ROUND_DONE.format(summary=stats.summary(), sent=sent),
                      style="dim", markup=False, highlight=False)
        cursor = batch.next_cursor
    # what an earlier run left queued (Slack was down) goes out now
    app.outbox.drain(max_rounds=100)
    return totals


def _retry_now(app: App) -> None:
    """What an earlier run left queued (Slack was down) is due now, whatever its backoff had
    planned: running the demo again is the retry the user asked for. A call that may have
    reached Slack is still looked up before it is sent again (Store.requeue)."""
    left = [e.key for status in (OutboxStatus.PENDING, OutboxStatus.UNKNOWN)
            for e in app.store.outbox_rows(status=status)]
    if left:
        app.store.requeue(keys=left)


def _summary(console: Console, app: App, totals: list[PollStats], seconds: float) -> None:
    dropped: Counter[str] = Counter()
    for s in totals:
        for reason, n in s.dropped.items():
            dropped[reason.split(":", 1)[0] if reason.startswith("excluded") else reason] += n
    new = sum(s.stored for s in totals)
    table = Table(title=copy.TABLE_TITLE)
    table.add_column("brand")
    labels = tuple(label.value for label in LABELS)
    for label in labels:
        table.add_column(label, justify="right")
    by_brand: dict[str, Counter[str]] = {}
    agree = judged = 0
    for case, mention in app.store.cases():
        by_brand.setdefault(mention.brand or "?", Counter())[case.label] += 1
        expect = mention.mention.extra.get("expect")  # the sample's human label
        if expect in labels:
            judged += 1
            agree += expect == mention.label
    for brand, counts in sorted(by_brand.items()):
        table.add_row(brand, *(str(counts[label]) for label in labels))
    console.rule("summary")
    console.print(table)
    console.print(copy.TOTALS.format(
        fetched=sum(s.fetched for s in totals), new=new, queued=sum(s.queued for s in totals),
        dropped=", ".join(f"{k} {v}" for k, v in sorted(dropped.items())) or "none",
        seconds=seconds), highlight=False)
    left = undelivered(app.store)
    console.print(left.message() if left else copy.DELIVERED_ALL, markup=False,
                  highlight=False, style="bold red" if left else None)
    if judged:
        console.print(copy.AGREEMENT.format(agree=agree, judged=judged, share=agree / judged),
                      highlight=False)
    if new == 0 and totals:
        console.print(copy.NOTHING_NEW)


def _next_steps(console: Console, config_file: Path) -> None:
    console.print(copy.NEXT.format(config=config_file), markup=False, highlight=False)
    prog = invocation()
    for command, what in copy.NEXT_COMMANDS:
        line = f"  {prog} {command} --config {shlex.quote(str(config_file))}"
        console.print(line, markup=False, highlight=False, soft_wrap=True)
        console.print(f"      {what}", style="dim", markup=False, highlight=False)
