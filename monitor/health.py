"""`brand-monitor status`: what an operator needs to know at a glance, from the store."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from monitor.clock import utcnow
from monitor.store import Store
from monitor.store.keys import RULES_STATUS_KEY, SLACK_DELIVERY_KEY

if TYPE_CHECKING:
    from datetime import datetime

    from monitor.config import Settings
    from monitor.readmodels import SourceState


def _stale(st: SourceState | None, now: datetime) -> bool:
    """The source's next poll (as the daemon scheduled it) is long overdue: the poll interval
    again past it, and a minute's grace."""
    if st is None or st.last_success_at is None:
        return False
    due = st.next_poll_at
    if due is None or st.last_poll_at is None:
        return False
    return now > due + (due - st.last_poll_at) * 2 + timedelta(seconds=60)


def health_report(settings: Settings) -> dict[str, Any]:
    store = Store.from_settings(settings)
    try:
        return _report(store, settings)
    finally:
        store.close()


def _report(store: Store, settings: Settings) -> dict[str, Any]:
    now = utcnow()
    problems: list[str] = []
    states = {s.source: s for s in store.source_states()}
    enabled = set(settings.enabled_sources())
    sources = []
    for name in sorted(set(states) | enabled):
        st = states.get(name)
        on = name in enabled
        stale = on and _stale(st, now)
        entry = {
            "source": name,
            "enabled": on,
            "last_success_at": st.last_success_at if st else None,
            "last_error": st.last_error if st else None,
            "last_error_at": st.last_error_at if st else None,
            "failures": st.failures if st else 0,
            "disabled_reason": st.disabled_reason if st else None,
            "next_poll_at": st.next_poll_at if st else None,
            "stored_total": st.stored_total if st else 0,
            "stale": stale,
        }
        sources.append(entry)
        if entry["disabled_reason"]:
            problems.append(f"{name} is disabled: {entry['disabled_reason']}")
        elif on and entry["failures"]:
            problems.append(f"{name} failing ({entry['failures']}x): {entry['last_error']}")
        elif stale:
            problems.append(f"{name} has not succeeded since {entry['last_success_at']}")
    backlog = store.outbox_backlog()  # rows as they are now: a retried row is not dead
    if backlog.get("dead"):
        problems.append(f"{backlog['dead']} Slack message(s) could not be delivered (dead); "
                        "fix the cause, then `brand-monitor outbox retry --dead`")
    slack = store.kv_get(SLACK_DELIVERY_KEY) or {"state": "ok", "failures": 0}
    problems += _slack_problems(slack)
    rules = store.kv_get(RULES_STATUS_KEY)
    if rules and rules.get("last_error"):
        problems.append(f"rules: keeping the last good set; {rules['last_error']}")
    return {
        "healthy": not problems,
        "problems": problems,
        "sources": sources,
        "outbox": backlog,
        "slack": slack,
        "rules": rules,
        "mentions": store.count_mentions(),
        "database": settings.db_url.split("@")[-1],  # never print credentials
    }


def print_health(report: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title="sources")
    for col in ("source", "enabled", "last success", "failures", "next poll", "stored", "error"):
        table.add_column(col)
    for s in report["sources"]:
        table.add_row(
            s["source"], "yes" if s["enabled"] else "no",
            _fmt(s["last_success_at"]), str(s["failures"]), _fmt(s["next_poll_at"]),
            str(s["stored_total"]), s["disabled_reason"] or s["last_error"] or "",
        )
    console.print(table)
    backlog = ", ".join(f"{k} {v}" for k, v in sorted(report["outbox"].items())) or "empty"
    console.print(f"outbox: {backlog}")
    console.print(f"slack delivery: {_slack_line(report.get('slack') or {})}", markup=False)
    rules = report["rules"] or {}
    if rules:
        console.print(f"rules: {rules.get('brands', '?')} brand(s) from {rules.get('files', '?')} "
                      f"file(s), loaded {rules.get('loaded_at', '?')}")
    console.print(f"mentions stored: {report['mentions']}  (database: {report['database']})")
    if report["problems"]:
        console.print("[bold red]unhealthy[/]")
        for p in report["problems"]:
            console.print(f"  - {p}", markup=False)
    else:
        console.print("[bold green]healthy[/]")


def _fmt(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "-"


FAILING_AFTER = 3  # Slack calls failing in a row before `status` calls it a problem


def _slack_problems(slack: dict[str, Any]) -> list[str]:
    """Slack's delivery state as the daemon stored it (monitor.slack.gate)."""
    if slack.get("state") == "paused":
        return [f"Slack delivery paused since {_iso(slack.get('since'))}: {slack.get('reason')}; "
                f"checking the token again at {_iso(slack.get('next_probe_at'))}"]
    if slack.get("state") == "failing" and int(slack.get("failures") or 0) >= FAILING_AFTER:
        return [f"Slack delivery failing ({slack['failures']}x since "
                f"{_iso(slack.get('since'))}): {slack.get('last_error')}"]
    return []


def _slack_line(slack: dict[str, Any]) -> str:
    state = str(slack.get("state") or "ok")
    if state == "paused":
        return (f"paused since {_iso(slack.get('since'))} ({slack.get('reason')}); next token "
                f"check {_iso(slack.get('next_probe_at'))}")
    if state == "failing":
        return (f"failing {slack.get('failures')}x since {_iso(slack.get('since'))}: "
                f"{slack.get('last_error')}")
    last = slack.get("last_success_at")
    return f"ok (last delivered {_iso(last)})" if last else "ok"


def _iso(value: Any) -> str:
    """A time from the kv table (ISO text) or this process (datetime), to the second."""
    if value is None:
        return "-"
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return text[:19].replace("T", " ")
