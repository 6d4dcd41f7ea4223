"""The report for a period: computed from the store, printed as tables, drawn as a chart."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from connectors.registry import source_title
from monitor.clock import utcnow
from monitor.errors import ConfigError, MonitorError
from monitor.periods import parse_period
from monitor.readmodels import Window
from monitor.reports import copy
from monitor.reports.followup import follow_up_lines
from monitor.reports.metrics import Durations, Report, Target, build_report

if TYPE_CHECKING:
    from datetime import datetime

    from monitor.config import Settings
    from monitor.store import Store


def compute(store: Store, settings: Settings, *, since: str, brand: str | None = None,
            now: datetime | None = None) -> Report:
    """The report for the period `since` ending `now` (default: the current time)."""
    end = now or utcnow()
    window = Window(end - parse_period(since), end, brand)
    facts = store.report_facts(window)
    return build_report(facts, targets=settings.reports.response_target_minutes, now=end)


def resolve_brand(settings: Settings, brand: str) -> str:
    """The brand id for what a person typed: an id or a name from the rules files, in any case.
    Without readable rules the text is taken as an id."""
    from monitor.rules.loader import load_rules

    try:
        brands = load_rules(settings.rules_dir).brands
    except MonitorError:  # no rules here (a report run elsewhere): take it as an id
        return brand
    wanted = brand.strip().casefold()
    for b in brands:
        if wanted in {b.id.casefold(), b.name.casefold(), *(n.casefold() for n in b.names)}:
            return b.id
    known = ", ".join(f"{b.id} ({b.name})" if b.name != b.id else b.id for b in brands)
    raise ConfigError(copy.UNKNOWN_BRAND.format(brand=brand, known=known or "none"),
                      key="--brand")


def write_png(report: Report, path: Path) -> None:
    from monitor.reports.chart import render_png  # matplotlib loads only when a chart is asked

    try:
        path.write_bytes(render_png(report))
    except OSError as e:
        raise ConfigError(copy.BAD_PNG.format(path=path, reason=e.strerror or e),
                          key="--png") from e


def _targets(title: str, rows: list[Target], console: Console) -> None:
    targets = Table(title=title, title_justify="left")
    for col in ("priority", "target", "cases", "due", "within", "share"):
        targets.add_column(col, justify="left" if col == "priority" else "right")
    for t in rows:
        targets.add_row(t.priority, copy.duration(t.target_minutes * 60), str(t.cases),
                        str(t.due), str(t.within), copy.percent(t.share) if t.due else
                        copy.NO_VALUE)
    console.print(targets)


def _counts(title: str, counts: dict[str, int], name: Callable[[str], str] = str) -> Table:
    table = Table(title=title, title_justify="left", show_edge=False)
    table.add_column(title.split()[-1], style="bold")
    table.add_column("mentions", justify="right")
    for key, n in counts.items():
        table.add_row(escape(name(key)), str(n))
    return table


def print_report(r: Report, console: Console) -> None:
    brand = f" · {escape(r.brand)}" if r.brand else ""
    console.rule(copy.TABLE_TITLE.format(start=r.start.strftime("%Y-%m-%d %H:%M"),
                                         end=r.end.strftime("%Y-%m-%d %H:%M"), brand=brand))
    change = f", {r.praise.change_pct:+.0f}%" if r.praise.change_pct else ""
    console.print(copy.TABLE_HEAD.format(mentions=r.mentions, praise=r.praise.current,
                                         previous=r.praise.previous, change=change))
    grid = Table.grid(padding=(0, 4))
    grid.add_row(_counts(copy.TABLE_BY["brand"], r.by_brand),
                 _counts(copy.TABLE_BY["label"], r.by_label),
                 _counts(copy.TABLE_BY["source"], r.by_source, source_title))
    console.print(grid)

    resp = Table(title=copy.TABLE_RESPONSE, title_justify="left")
    for col in ("", "cases", "median", "p90"):
        resp.add_column(col, justify="right" if col else "left")
    resp.add_row(copy.TABLE_FIRST_RESPONSE, str(r.first_response.count),
                 copy.duration(r.first_response.median_seconds if r.first_response.count else None),
                 copy.duration(r.first_response.p90_seconds if r.first_response.count else None))
    resp.add_row(copy.TABLE_RESOLUTION, str(r.resolution.count),
                 copy.duration(r.resolution.median_seconds if r.resolution.count else None),
                 copy.duration(r.resolution.p90_seconds if r.resolution.count else None))
    console.print(resp)
    due = sum(t.due for t in r.within_target)
    within = copy.percent(r.within_target_share) if due else copy.NO_VALUE
    fcr = copy.percent(r.first_contact_resolution) if r.handled else copy.NO_VALUE
    console.print(copy.TABLE_SUMMARY.format(answered=r.answered, cases=r.cases, within=within,
                                            fcr=fcr, handled=r.handled))

    _targets(copy.TABLE_TARGETS, r.within_target, console)
    print_team(r, console)
    if lines := follow_up_lines(r.follow_up):
        console.print(f"[bold]{copy.TABLE_FOLLOW_UP}[/]\n" + "\n".join(lines))

    days = Table(title=copy.TABLE_DAYS, title_justify="left")
    days.add_column("day")
    for label in copy.LABEL_TITLE:
        days.add_column(label, justify="right")
    days.add_column(copy.TABLE_DAY_RESPONSE, justify="right")
    for day, counts in r.by_day.items():
        if sum(counts.values()) or r.first_response_by_day.get(day) is not None:
            days.add_row(day, *(str(counts.get(lb, 0)) for lb in copy.LABEL_TITLE),
                         copy.duration(r.first_response_by_day.get(day)))
    console.print(days)

    authors = Table(title=copy.TABLE_AUTHORS, title_justify="left")
    for col in ("author", "source", "mentions", "followers", "labels"):
        authors.add_column(col, justify="right" if col in ("mentions", "followers") else "left")
    for a in r.top_authors:
        authors.add_row(escape(a.handle), source_title(a.source),
                        str(a.mentions),
                        copy.NO_VALUE if a.followers is None else f"{a.followers:,}",
                        ", ".join(f"{k} {v}" for k, v in sorted(a.labels.items())))
    console.print(authors)


def _durations_row(table: Table, name: str, d: Durations) -> None:
    table.add_row(name, str(d.count), copy.duration(d.median_seconds if d.count else None),
                  copy.duration(d.p90_seconds if d.count else None))


def print_team(r: Report, console: Console) -> None:
    """Public replies, handle time, reopen rate, the agents and the open backlog."""
    public = Table(title=copy.TABLE_PUBLIC, title_justify="left")
    for col in ("", "cases", "median", "p90"):
        public.add_column(col, justify="right" if col else "left")
    _durations_row(public, copy.TABLE_PUBLIC_ROWS["posted"], r.public_response)
    _durations_row(public, copy.TABLE_PUBLIC_ROWS["fetched"], r.public_response_from_fetch)
    _durations_row(public, copy.TABLE_PUBLIC_ROWS["handle"], r.handle_time)
    console.print(public)
    due = sum(t.due for t in r.public_within_target)
    console.print(copy.TABLE_PUBLIC_SUMMARY.format(
        replied=r.public_response.count, cases=r.cases,
        within=copy.percent(r.public_within_target_share) if due else copy.NO_VALUE,
        rate=copy.percent(r.reopen_rate) if r.closed else copy.NO_VALUE,
        reopened=r.reopened, closed=r.closed))
    _targets(copy.TABLE_PUBLIC_TARGETS, r.public_within_target, console)

    agents = Table(title=copy.TABLE_AGENTS, title_justify="left")
    for i, col in enumerate(copy.TABLE_AGENT_COLUMNS):
        agents.add_column(col, justify="left" if i == 0 else "right")
    for a in r.agents:
        agents.add_row(escape(a.agent), str(a.claimed), str(a.handled), str(a.replied),
                       str(a.approved), copy.duration(a.public_response_median_seconds),
                       copy.duration(a.handle_median_seconds))
    console.print(agents)

    backlog = Table(title=copy.TABLE_BACKLOG.format(n=r.open_backlog), title_justify="left")
    for i, col in enumerate(copy.TABLE_BACKLOG_COLUMNS):
        backlog.add_column(col, justify="right" if i == 1 else "left")
    for b in r.backlog:
        backlog.add_row(b.age, str(b.cases),
                        ", ".join(f"{p} {n}" for p, n in b.by_priority.items()))
    console.print(backlog)
