"""`brand-monitor demo`: the bundled sample mentions through the real pipeline, model and outbox."""

from __future__ import annotations

import logging
import time
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

import monitor
from monitor.app import App, build_app, build_daemon
from monitor.config import Secrets, Settings, load_settings
from monitor.errors import ConfigError
from monitor.logs import setup_logging
from monitor.models import LABELS
from monitor.pipeline import PollStats

logger = logging.getLogger(__name__)

BUNDLED_RULES = Path(monitor.__file__).resolve().parent.parent / "rules"


def demo_settings(*, data_dir: Path | None, rules_dir: Path | None) -> Settings:
    rules = rules_dir or BUNDLED_RULES
    if not rules.is_dir():
        raise ConfigError(f"rules directory {rules} not found; pass --rules DIR", key="rules_dir")
    overrides: dict[str, object] = {
        "rules_dir": str(rules),
        "sources": {"sample": {"enabled": True, "interval": 10}},
        "log_level": "WARNING",
    }
    base = load_settings(None, environ={})
    overrides["data_dir"] = str(data_dir or base.data_dir / "demo")
    return load_settings(None, environ={}, overrides=overrides)


def run_demo(*, data_dir: Path | None = None, rules_dir: Path | None = None,
             follow: bool = False, reset: bool = False, console: Console | None = None) -> None:
    console = console or Console()
    secrets = Secrets.from_environ()
    settings = demo_settings(data_dir=data_dir, rules_dir=rules_dir)
    setup_logging(settings.log_level)
    db_file = settings.data_dir / "brand-monitor.sqlite"
    if reset:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_file}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    where = "Slack" if secrets.get("SLACK_BOT_TOKEN") else "the terminal (no SLACK_BOT_TOKEN set)"
    console.rule("[bold]brand-monitor demo")
    console.print(f"database: {db_file}\nrules: {settings.rules_dir}\n"
                  f"messages go to: {where}\nloading the classifier …")
    app = build_app(settings, secrets=secrets, console=console)
    connector = app.connectors["sample"]
    totals: list[PollStats] = []
    cursor: str | None = None  # every demo run replays the samples: dedupe must hold them back
    round_no = 0
    try:
        while True:
            batch = connector.poll([], cursor)
            if not batch.mentions and not batch.dropped:
                break
            round_no += 1
            console.rule(f"polling round {round_no}: {len(batch.mentions)} item(s) fetched")
            stats = app.pipeline.process("sample", batch)
            totals.append(stats)
            sent = app.outbox.drain(max_rounds=100)
            console.print(f"{stats.summary()}; {sent} Slack message(s) delivered",
                          style="dim", markup=False, highlight=False)
            cursor = batch.next_cursor
        _summary(console, app, totals, time.perf_counter() - started)
        if follow:
            console.print("following (Ctrl-C to stop) …")
            build_daemon(app).run_forever()
    finally:
        app.close()


def _summary(console: Console, app: App, totals: list[PollStats], seconds: float) -> None:
    dropped: Counter[str] = Counter()
    for s in totals:
        for reason, n in s.dropped.items():
            dropped[reason.split(":", 1)[0] if reason.startswith("excluded") else reason] += n
    new = sum(s.stored for s in totals)
    queued = sum(s.queued for s in totals)
    table = Table(title="mentions in the database, by brand and label")
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
    console.print(
        f"fetched {sum(s.fetched for s in totals)}, new {new}, queued for Slack {queued}, "
        f"dropped: " + (", ".join(f"{k} {v}" for k, v in sorted(dropped.items())) or "none")
        + f"; {seconds:.1f}s",
        highlight=False,
    )
    if judged:
        console.print(f"the classifier agrees with the sample's human label on {agree} of "
                      f"{judged} stored mentions ({agree / judged:.0%})", highlight=False)
    if new == 0 and totals:
        console.print("Nothing new: every sample was already stored and posted by an earlier "
                      "run, so nothing was posted twice. Use --reset to start over.")
