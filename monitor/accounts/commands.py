"""`brand-monitor accounts check`: which platform accounts can post our replies."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer

from monitor.accounts import copy
from monitor.cliopts import ConfigOpt

app = typer.Typer(help="The brand's accounts our replies are posted with.",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)



@app.command()
def check(
    config: ConfigOpt = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """For each platform: is an account configured, and may it post? Exit 1 if a configured
    account cannot post (the line says what is missing)."""
    from monitor.accounts.check import check_accounts
    from monitor.config import Secrets, load_settings
    from monitor.logs import setup_logging

    settings = load_settings(config)
    setup_logging("WARNING")
    statuses = check_accounts(settings, Secrets.from_environ())
    failing = [s for s in statuses if s.state == "cannot_write"]
    if json_out:
        typer.echo(json.dumps([asdict(s) for s in statuses], indent=2))
    else:
        for status in statuses:
            typer.echo(copy.LINE.format(title=status.title, state=copy.STATE[status.state]))
            for detail in status.details:
                typer.echo(copy.DETAIL.format(detail=detail))
        if failing:
            typer.echo(copy.SUMMARY_FAIL.format(count=len(failing)))
        elif any(s.state == "ok" for s in statuses):
            typer.echo(copy.SUMMARY_OK)
        else:
            typer.echo(copy.SUMMARY_NONE)
    if failing:
        raise typer.Exit(1)
