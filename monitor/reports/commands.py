"""`brand-monitor report`: the numbers as a terminal table or JSON, and a PNG chart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from monitor.cliopts import ConfigOpt, demo_config_path
from monitor.errors import ConfigError
from monitor.reports import copy


def report(
    since: Annotated[str, typer.Option("--since", help=copy.HELP_SINCE)] = "30d",
    brand: Annotated[str | None, typer.Option("--brand", help=copy.HELP_BRAND)] = None,
    json_out: Annotated[bool, typer.Option("--json", help=copy.HELP_JSON)] = False,
    png: Annotated[Path | None, typer.Option("--png", help=copy.HELP_PNG)] = None,
    config: ConfigOpt = None,
) -> None:
    """Volumes by brand, label, source and day; first-response and resolution times."""
    from rich.console import Console

    from monitor.clock import utcnow
    from monitor.config import load_settings
    from monitor.logs import setup_logging
    from monitor.periods import parse_period
    from monitor.reports.period import compute, print_report, resolve_brand, write_png
    from monitor.store import Store

    parse_period(since)  # a bad period fails before anything is opened
    settings = load_settings(config)
    setup_logging(settings.log_level)
    db_file = settings.data_dir / "brand-monitor.sqlite"
    if settings.database_url is None and not db_file.exists():
        # a report never creates a database: a missing one is almost always the wrong config
        message = copy.NO_DATABASE.format(path=db_file)
        demo = demo_config_path()
        if demo.exists() and demo.parent != settings.data_dir:
            message += copy.NO_DATABASE_DEMO.format(demo=demo)
        raise ConfigError(message, key="data_dir")
    if brand is not None:
        brand = resolve_brand(settings, brand)
    store = Store.from_settings(settings)
    try:
        result = compute(store, settings, since=since, brand=brand, now=utcnow())
    finally:
        store.close()
    if png is not None:
        write_png(result, png)
    if json_out:
        typer.echo(json.dumps(result.to_json(), indent=2))
        if png is not None:
            typer.echo(copy.WROTE_PNG.format(path=png), err=True)
        return
    console = Console()
    print_report(result, console)
    if png is not None:
        console.print(copy.WROTE_PNG.format(path=png))


