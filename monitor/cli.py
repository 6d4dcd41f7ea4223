"""The `brand-monitor` command line (typer); expected errors print one line, never a traceback.

Every command imports what it runs inside its function, so `--help` stays fast."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from monitor.accounts.commands import app as accounts_app
from monitor.classify.commands import app as model_app
from monitor.cliopts import PROG, ConfigOpt
from monitor.errors import ConfigError, MonitorError
from monitor.reports.commands import report
from monitor.rules.commands import app as rules_app
from monitor.slack.commands import app as slack_app
from monitor.slack.outbox_commands import app as outbox_app

app = typer.Typer(
    help="Watch Reddit, X and review sites for brand mentions and triage them in Slack.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(rules_app, name="rules")
app.add_typer(model_app, name="model")
app.add_typer(slack_app, name="slack")
app.add_typer(accounts_app, name="accounts")
app.add_typer(outbox_app, name="outbox")
app.command("report")(report)

NO_SOURCE = ("no source is enabled: set sources.<name>.enabled in the config "
             "(and the source's credentials in the environment)")


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"{PROG} {version(PROG)}")
        except PackageNotFoundError:  # a source tree on PYTHONPATH, never installed
            typer.echo(f"{PROG} (not installed: running from a source tree)")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Print the version and exit.")]
    = False,
) -> None:
    """Watch Reddit, X and review sites for brand mentions and triage them in Slack."""


@app.command()
def run(
    config: ConfigOpt = None,
    once: Annotated[bool, typer.Option("--once", help="Poll every source once, deliver, exit.")]
    = False,
) -> None:
    """Run the daemon (or one round with --once)."""
    from monitor.config import Secrets, load_settings
    from monitor.logs import setup_logging
    from monitor.serve import run_daemon

    settings = load_settings(config)
    setup_logging(settings.log_level, fmt=settings.log_format)
    if not settings.enabled_sources():
        raise MonitorError(NO_SOURCE)
    ensure_data_dir(settings.data_dir)
    done = run_daemon(settings, secrets=Secrets.from_environ(), once=once,
                      no_source=NO_SOURCE + "; see the warnings above for why each was skipped")
    if done is not None:
        typer.echo(f"polled {done.polled} source(s); stored {done.stored} new mention(s)")
        if done.undelivered:
            raise MonitorError(done.undelivered)


@app.command()
def demo(
    config: ConfigOpt = None,
    data_dir: Annotated[Path | None, typer.Option(
        help="Where the demo keeps its SQLite file (default: <data_dir>/demo).")] = None,
    rules: Annotated[Path | None, typer.Option(
        help="Rules directory (default: the bundled demo brands).")] = None,
    follow: Annotated[bool, typer.Option("--follow", help="Keep running after the rounds.")]
    = False,
    reset: Annotated[bool, typer.Option("--reset", help="Start from an empty database.")]
    = False,
) -> None:
    """The embedded default: bundled sample mentions through the real pipeline and model.

    It honours the config file and BRAND_MONITOR_* (Slack, database_url) and exits 1 when Slack
    messages are left undelivered."""
    from monitor.demo.run import run_demo

    run_demo(config=config, data_dir=data_dir, rules_dir=rules, follow=follow, reset=reset)


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(
        help="Directory to write config.yaml and rules/ into (created if missing).")]
    = Path("."),
) -> None:
    """Write a starter config and a rules directory with one example brand; print next steps."""
    from monitor.init.write import init_site

    init_site(directory)


@db_app.command("upgrade")
def db_upgrade(config: ConfigOpt = None) -> None:
    """Apply Alembic migrations up to head."""
    from monitor.config import load_settings
    from monitor.logs import setup_logging
    from monitor.store import Store

    settings = load_settings(config)
    setup_logging(settings.log_level)
    if settings.database_url is None:
        ensure_data_dir(settings.data_dir)
    store = Store.from_settings(settings, migrate_schema=False)
    before, after = store.upgrade()
    typer.echo(f"database at revision {after} (was {before or 'empty'})")


@app.command()
def status(
    config: ConfigOpt = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Health: last success per source, errors, outbox backlog, rules. Exit 1 if unhealthy."""
    from monitor.config import Secrets, load_settings
    from monitor.health import health_report, print_health

    settings = load_settings(config)
    report = health_report(settings, secrets=Secrets.from_environ())
    if json_out:
        import json

        typer.echo(json.dumps(report, indent=2, default=str))
    else:
        print_health(report)
    if not report["healthy"]:
        raise typer.Exit(1)


def ensure_data_dir(path: Path) -> None:
    """Create the data directory, or say in one line why it cannot be written."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        # a name of its own: replicas sharing the folder probe it at the same moment
        fd, probe = tempfile.mkstemp(dir=path, prefix=".write-test-")
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise ConfigError(f"cannot write {e.filename or path} ({e.strerror or e}); set data_dir "
                          "to a directory this user may write", key="data_dir") from e


def main() -> None:
    try:
        app(prog_name=PROG)
    except MonitorError as e:
        typer.echo(f"error: {e}", err=True)
        sys.exit(1)
    except OSError as e:  # a file or directory we may not read or write: say which, one line
        where = f"{e.filename}: " if e.filename else ""
        typer.echo(f"error: {where}{e.strerror or e}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
