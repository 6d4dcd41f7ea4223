"""`brand-monitor outbox …`: see what waits for Slack, and queue dead messages again."""

from __future__ import annotations

from typing import Annotated

import typer

from monitor.cliopts import ConfigOpt
from monitor.errors import MonitorError
from monitor.slack import copy

app = typer.Typer(help="The Slack outbox: messages waiting for Slack, and those that failed.",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)



@app.command()
def retry(
    config: ConfigOpt = None,
    dead: Annotated[bool, typer.Option("--dead", help="Every message that is dead now.")]
    = False,
    key: Annotated[list[str] | None, typer.Option(
        "--key", help="A message's outbox key (repeatable), e.g. post:42.")] = None,
) -> None:
    """Queue messages again once the cause is fixed (the channel exists now, the bot was
    invited): due at once, attempts reset. A dead post brings its dead thread reply along.
    Sent messages are never sent again; one that may already be in Slack is looked up first."""
    from monitor.config import load_settings
    from monitor.store import Store

    keys = list(key or [])
    if not dead and not keys:
        raise MonitorError(copy.OUTBOX["choose"])
    store = Store.from_settings(load_settings(config))
    try:
        done = store.requeue(keys=keys, dead=dead)
    finally:
        store.close()
    for k in done.queued:
        typer.echo(copy.OUTBOX["queued"].format(key=k))
    for k, status in done.skipped.items():
        typer.echo(copy.OUTBOX["skipped"].format(key=k, status=status))
    typer.echo(copy.OUTBOX["summary"].format(n=len(done.queued)))
    if done.missing:
        raise MonitorError("; ".join(copy.OUTBOX["missing"].format(key=k) for k in done.missing))


@app.command("list")
def list_rows(
    config: ConfigOpt = None,
    status: Annotated[str | None, typer.Option(
        help="Only this status: pending, sending, unknown, sent or dead.")] = None,
) -> None:
    """One line per outbox message: key, status, attempts, channel, last error."""
    from monitor.config import load_settings
    from monitor.store import Store

    store = Store.from_settings(load_settings(config))
    try:
        rows = list(store.outbox_rows(status=status))
    finally:
        store.close()
    if not rows:
        typer.echo(copy.OUTBOX["empty"].format(status=f" {status}" if status else ""))
    for r in rows:
        error = f"  {r.last_error}" if r.last_error and r.status != "sent" else ""
        typer.echo(f"{r.key}  {r.status}  attempts {r.attempts}  {r.channel}{error}")
