"""`brand-monitor status`: what an operator needs to know at a glance, from the store.

Healthy means the installation is doing its job: a database that exists, rules that load, every
enabled source able to run and polled on time, Slack messages delivered, the buttons' Socket
Mode connection up when it is configured. Status never creates anything (no database, no
directory)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import InterfaceError, OperationalError

from connectors import registry
from monitor.clock import utcnow
from monitor.errors import MonitorError, NotConfigured, StoreError
from monitor.store import Store
from monitor.store.keys import RULES_STATUS_KEY, SLACK_DELIVERY_KEY, SOCKET_STATUS_KEY
from monitor.store.store import unreachable

if TYPE_CHECKING:
    from datetime import datetime

    from monitor.config import Secrets, Settings
    from monitor.readmodels import SourceState


SLACK_NOTHING_RECORDED = {"state": "ok", "failures": 0}  # no delivery has failed yet


def _stale(st: SourceState | None, now: datetime) -> bool:
    """The source's next poll (as the daemon scheduled it) is long overdue: the poll interval
    again past it, and a minute's grace."""
    if st is None or st.last_success_at is None:
        return False
    due = st.next_poll_at
    if due is None or st.last_poll_at is None:
        return False
    return now > due + (due - st.last_poll_at) * 2 + timedelta(seconds=60)


def health_report(settings: Settings, *, secrets: Secrets | None = None) -> dict[str, Any]:
    """The health of the installation `settings` describe; `secrets` (default: none) tell
    which enabled sources can run."""
    problems: list[str] = []
    database = settings.db_url.split("@")[-1]  # never print credentials
    if not settings.data_dir.is_dir():
        problems.append(f"data_dir {settings.data_dir} does not exist")
    db_file = settings.data_dir / "brand-monitor.sqlite"
    if settings.database_url is None and not db_file.exists():
        problems.append(f"no database at {db_file}: the daemon has not run with this config")
        problems += _config_problems(settings, secrets, None)
        return _unknown(problems, database)
    try:
        store = Store.from_settings(settings)
    except StoreError as e:  # one clear line, not a traceback: the rest cannot be known
        problems.append(f"database {database}: {e}")
        problems += _config_problems(settings, secrets, None)
        return _unknown(problems, database)
    try:
        return _report(store, settings, secrets, problems, database)
    except (OperationalError, InterfaceError) as e:  # it went away while we read
        problems.append(f"database {database}: cannot reach the database: {unreachable(e)}")
        return _unknown(problems, database)
    finally:
        store.close()


def _unknown(problems: list[str], database: str) -> dict[str, Any]:
    """The report when the database cannot tell more."""
    return {"healthy": False, "problems": problems, "sources": [], "outbox": {},
            "slack": dict(SLACK_NOTHING_RECORDED), "rules": None, "socket_mode": None,
            "mentions": 0, "database": database, "replicas": []}


def _config_problems(settings: Settings, secrets: Secrets | None,
                     rules: dict[str, Any] | None) -> list[str]:
    """What the configuration alone says: sources that cannot run, rules that cannot load."""
    out = []
    enabled = settings.enabled_sources()
    if not enabled:
        out.append("no source is enabled (sources.<name>.enabled in the config)")
    for name in enabled:
        why = _cannot_run(name, settings.sources[name], secrets)
        if why:
            out.append(f"{name} is enabled but cannot run: {why}")
    if rules is None:  # the daemon has not reported on the rules: read them here
        out += _rules_problems(settings.rules_dir)
    return out


def _cannot_run(name: str, section: dict[str, Any], secrets: Secrets | None) -> str | None:
    """Why the daemon would skip this enabled source (missing credentials …), or None."""
    from monitor.config import Secrets

    if name not in registry.SOURCES:
        return "unknown source"
    try:
        registry.load(name).from_settings(section, environ=secrets or Secrets()).close()
    except NotConfigured as e:
        return e.reason
    except (MonitorError, ImportError) as e:
        return str(e)
    return None


def _rules_problems(rules_dir: Path) -> list[str]:
    from monitor.rules.loader import load_rules

    if not rules_dir.exists():
        return [f"rules directory {rules_dir} not found"]
    try:
        load_rules(rules_dir)
    except MonitorError as e:
        return [f"rules: {e}"]
    return []


def _report(store: Store, settings: Settings, secrets: Secrets | None, problems: list[str],
            database: str) -> dict[str, Any]:
    now = utcnow()
    states = {s.source: s for s in store.source_states()}
    enabled = set(settings.enabled_sources())
    rules = store.kv_get(RULES_STATUS_KEY)
    problems += _config_problems(settings, secrets, rules)
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
        elif on and (st is None or st.last_poll_at is None):
            problems.append(f"{name} has never been polled: is the daemon running?")
    backlog = store.outbox_backlog()  # rows as they are now: a retried row is not dead
    if backlog.get("dead"):
        problems.append(f"{backlog['dead']} Slack message(s) could not be delivered (dead); "
                        "fix the cause, then `brand-monitor outbox retry --dead`")
    slack = store.kv_get(SLACK_DELIVERY_KEY) or dict(SLACK_NOTHING_RECORDED)
    problems += _slack_problems(slack)
    if rules and rules.get("last_error"):
        problems.append(f"rules: keeping the last good set; {rules['last_error']}")
    socket = store.kv_get(SOCKET_STATUS_KEY)
    if socket and socket.get("state") not in ("connected", "stopped"):
        problems.append(f"Slack Socket Mode {socket.get('state')} since {socket.get('since')}"
                        f" ({socket.get('error') or 'no error given'}): buttons do not answer")
    return {
        "healthy": not problems,
        "problems": problems,
        "sources": sources,
        "outbox": backlog,
        "slack": slack,
        "rules": rules,
        "socket_mode": socket,
        "mentions": store.count_mentions(),
        "database": database,
        "replicas": store.replicas(),  # daemons connected now (PostgreSQL)
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
    socket = report.get("socket_mode") or {}
    if socket:
        console.print(f"Slack Socket Mode: {socket.get('state')} since {socket.get('since')}",
                      markup=False)
    console.print(f"mentions stored: {report['mentions']}  (database: {report['database']})")
    if report.get("replicas"):
        console.print(f"replicas connected: {len(report['replicas'])} "
                      f"({', '.join(report['replicas'])})", markup=False)
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
