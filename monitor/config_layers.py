"""Config layers (arguments, BRAND_MONITOR_* variables, the file): parsed, merged, paths resolved.

Each layer remembers where its values came from, so an error names the environment variable
or the file that set the bad value. One rule for every path: a relative path is relative to
the config file when it is written in the file, and to the working directory when it comes
from the command line or the environment (`~` is expanded either way)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor import safeyaml
from monitor.errors import ConfigError, YamlError

logger = logging.getLogger(__name__)

ENV_PREFIX = "BRAND_MONITOR_"
CONFIG_ENV = "BRAND_MONITOR_CONFIG"
# BRAND_MONITOR_* variables that are not settings: the config file's path, and the test suite's
# PostgreSQL server (README, Development).
NOT_SETTINGS = frozenset({CONFIG_ENV, "BRAND_MONITOR_TEST_PG_URL"})
# Every setting that is a filesystem path (database_url is a URL and is used as given).
PATH_KEYS: tuple[tuple[str, ...], ...] = (
    ("data_dir",), ("rules_dir",), ("knowledge_dir",), ("classifier", "artifact"),
    ("sources", "sample", "path"),
)

Loc = tuple[str, ...]


@dataclass
class Layer:
    """One source of settings. `origin` names it in messages; `origins` names the variable
    behind each key path (environment only); relative paths in it start at `base`."""

    origin: str
    data: dict[str, Any]
    base: Path
    origins: dict[Loc, str] = field(default_factory=dict)

    def sets(self, loc: Loc) -> str | None:
        """Where this layer set `loc` (or the section holding it), or None if it did not."""
        node: Any = self.data
        for i, part in enumerate(loc):
            if not isinstance(node, Mapping) or part not in node:
                return None
            node = node[part]
            named = self.origins.get(tuple(loc[:i + 1]))
            if named:
                return named
        return self.origin


def _scalar(raw: str) -> Any:
    """An environment value as YAML reads a scalar or a flow collection (numbers, booleans,
    lists); strings stay verbatim (no YAML date or tag surprises, `#channel` is no comment)."""
    if raw == "":
        return None
    try:
        value = safeyaml.load(raw)
    except YamlError:
        return raw
    if value is None:
        return None if raw.strip().lower() in ("null", "~") else raw
    return value if isinstance(value, (dict, list, bool, int, float)) else raw


def env_layer(environ: Mapping[str, str], *, known: Iterable[str]) -> Layer:
    """BRAND_MONITOR_SLACK__DEFAULT_CHANNEL=#x -> {"slack": {"default_channel": "#x"}}.

    A variable whose first key is no setting is not ours to refuse (the environment is shared
    by every tool in the shell): it is ignored, with a warning naming it."""
    top = set(known)
    layer = Layer("environment", {}, Path.cwd())
    ignored = []
    for name, raw in sorted(environ.items()):
        if not name.startswith(ENV_PREFIX) or name in NOT_SETTINGS:
            continue
        loc = tuple(p.lower() for p in name[len(ENV_PREFIX):].split("__") if p)
        if not loc:
            continue
        if loc[0] not in top:
            ignored.append(name)
            continue
        node = layer.data
        for part in loc[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError("conflicting environment variables", key=".".join(loc),
                                  path=f"environment variable {name}")
        node[loc[-1]] = _scalar(raw)
        layer.origins[loc] = f"environment variable {name}"
    if ignored:
        logger.warning("ignoring %s: not a setting (see config.example.yaml for the keys)",
                       ", ".join(ignored))
    return layer


def resolve_paths(layer: Layer) -> None:
    """Make the layer's relative paths absolute from its base; expand `~`."""
    for loc in PATH_KEYS:
        node: Any = layer.data
        for part in loc[:-1]:
            node = node.get(part) if isinstance(node, Mapping) else None
        if not isinstance(node, dict) or not isinstance(node.get(loc[-1]), (str, os.PathLike)):
            continue
        path = Path(node[loc[-1]]).expanduser()
        node[loc[-1]] = str(path if path.is_absolute() else layer.base / path)


def merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(merged.get(k), Mapping):
            merged[k] = merge(dict(merged[k]), v)
        else:
            merged[k] = v
    return merged


def origin_of(loc: Iterable[Any], layers: Iterable[Layer]) -> str | None:
    """Which layer (highest precedence first) set the value at `loc`, by name."""
    key = tuple(str(p) for p in loc)
    for layer in layers:
        where = layer.sets(key)
        if where:
            return where
    return None
