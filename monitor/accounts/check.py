"""Check each platform account our replies are posted with: configured? allowed to write?"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from connectors import registry
from monitor.config import Settings
from monitor.errors import MonitorError, NotConfigured

logger = logging.getLogger(__name__)

State = Literal["ok", "cannot_write", "not_configured", "cannot_answer"]
# `replies.<source>` keys that `check` reads targets from, filled from `sources.<source>`
_CHECK_TARGETS = {"googleplay": ("apps", "apps"), "appstore": ("apps", "apps"),
                  "trustpilot": ("business_units", "business_units")}


@dataclass(frozen=True, slots=True)
class AccountStatus:
    source: str
    title: str
    state: State
    details: list[str] = field(default_factory=list)


def publisher_options(settings: Settings, name: str) -> dict[str, Any]:
    """`replies.<name>`, with the apps/business units to check taken from `sources.<name>`
    when the replies section lists none."""
    options = settings.replies.section(name)
    if name in _CHECK_TARGETS:
        key, source_key = _CHECK_TARGETS[name]
        if not options.get(key):
            listed = settings.sources.get(name, {}).get(source_key) or []
            options[key] = [str(t["id"]) for t in listed
                            if isinstance(t, Mapping) and t.get("id")]
    return options


def check_accounts(settings: Settings, secrets: Mapping[str, str]) -> list[AccountStatus]:
    """One status per registered source (the bundled sample source left out)."""
    out: list[AccountStatus] = []
    for name, info in registry.SOURCES.items():
        if name == "sample":
            continue
        cls = registry.load_publisher(name)
        if cls is None:
            out.append(AccountStatus(name, info.title, "cannot_answer"))
            continue
        try:
            publisher = cls.from_settings(publisher_options(settings, name), environ=secrets)
        except NotConfigured as exc:
            out.append(AccountStatus(name, info.title, "not_configured", [exc.reason]))
            continue
        except MonitorError as exc:  # a credential that is set but unusable (bad key file)
            out.append(AccountStatus(name, info.title, "cannot_write", [str(exc)]))
            continue
        try:
            problems = publisher.check()
        finally:
            publisher.close()
        out.append(AccountStatus(name, info.title, "cannot_write" if problems else "ok",
                                 problems))
        logger.info("accounts: %s %s", name, "cannot write" if problems else "can write",
                    extra={"source": name})
    return out
