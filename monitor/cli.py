"""The `brand-monitor` command line (typer); expected errors print one line, never a traceback.

Every command imports what it runs inside its function, so `--help` stays fast."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from monitor.classify.commands import app as model_app
from monitor.errors import MonitorError
from monitor.reports.commands import report
from monitor.rules.commands import app as rules_app
from monitor.slack.commands import app as slack_app
from monitor.slack.outbox_commands import app as outbox_app

app = typer.Typer(
    help="Watch Reddit, X and review sites for brand mentions and triage them in Slack.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(rules_app, name="rules")
app.add_typer(model_app, name="model")
app.add_typer(slack_app, name="slack")
app.add_typer(outbox_app, name="outbox")
app.command("report")(report)

NO_SOURCE = ("no source is enabled: set sources.<name>.enabled in the config "
             "(and the source's credentials in the environment)")

ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="YAML config file (default: $BRAND_MONITOR_CONFIG)."),
]


@app.command()
def run(
    config: ConfigOpt = None,
    once: Annotated[bool, typer.Option("--once", help="Poll every source once, deliver, exit.")]
    = False,
) -> None:
    """Run the daemon (or one round with --once)."""
    from monitor.app import build_app, build_daemon
    from monitor.config import Secrets, load_settings
    from monitor.logs import setup_logging

    settings = load_settings(config)
    setup_logging(settings.log_level)
    if not settings.enabled_sources():
        raise MonitorError(NO_SOURCE)
    application = build_app(settings, secrets=Secrets.from_environ())
    if not application.connectors:
        raise MonitorError(NO_SOURCE + "; see the warnings above for why each was skipped")
    daemon = build_daemon(application)
    try:
        if once:
            results = daemon.run_once()
            typer.echo(f"polled {len(application.connectors)} source(s); "
                       f"stored {sum(s.stored for s in results)} new mention(s)")
        else:
            if settings.metrics_port:
                from monitor import metrics

                metrics.serve(settings.metrics_port)
            daemon.run_forever()
    finally:
        application.close()


@app.command()
def demo(
    data_dir: Annotated[Path | None, typer.Option(help="Where the demo keeps its SQLite file.")]
    = None,
    rules: Annotated[Path | None, typer.Option(help="Rules directory (default: bundled).")]
    = None,
    follow: Annotated[bool, typer.Option("--follow", help="Keep running after the rounds.")]
    = False,
    reset: Annotated[bool, typer.Option("--reset", help="Start from an empty database.")]
    = False,
) -> None:
    """The embedded default: bundled sample mentions through the real pipeline and model."""
    from monitor.demo.run import run_demo

    run_demo(data_dir=data_dir, rules_dir=rules, follow=follow, reset=reset)


@db_app.command("upgrade")
def db_upgrade(config: ConfigOpt = None) -> None:
    """Apply Alembic migrations up to head."""
    from monitor.config import load_settings
    from monitor.logs import setup_logging
    from monitor.store import Store

    settings = load_settings(config)
    setup_logging(settings.log_level)
    store = Store.from_settings(settings, migrate_schema=False)
    before, after = store.upgrade()
    typer.echo(f"database at revision {after} (was {before or 'empty'})")


@app.command()
def status(
    config: ConfigOpt = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Health: last success per source, errors, outbox backlog, rules. Exit 1 if unhealthy."""
    from monitor.config import load_settings
    from monitor.health import health_report, print_health

    settings = load_settings(config)
    report = health_report(settings)
    if json_out:
        import json

        typer.echo(json.dumps(report, indent=2, default=str))
    else:
        print_health(report)
    if not report["healthy"]:
        raise typer.Exit(1)


def main() -> None:
    try:
        app()
    except MonitorError as e:
        typer.echo(f"error: {e}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
