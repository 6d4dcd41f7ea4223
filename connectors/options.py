"""Settings every source shares (`sources.<name>` in the config) and their validation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from monitor.errors import ConfigError


class SourceOptions(BaseModel):
    """The keys of every `sources.<name>` section; each connector's Settings extends it and is
    the one schema of its section, defaults included.

    The daemon schedules the source every `interval` seconds when `enabled`, and backs off up
    to `backoff_max` seconds while it fails; `timeout` bounds every request. A source overrides
    a default (e.g. a shorter `interval`) by declaring the field again.
    """

    model_config = ConfigDict(extra="forbid")
    enabled: bool = False
    interval: float = Field(900.0, gt=0)
    timeout: float = Field(20.0, gt=0)
    backoff_max: float = Field(3600.0, gt=0)


class _Common(SourceOptions):
    model_config = ConfigDict(extra="ignore")


def common_options(section: Any, name: str) -> SourceOptions:
    """The shared keys of a `sources.<name>` section, checked; the connector's own keys are
    left to its Settings. (Only `enabled` is meaningful here: defaults such as `interval` belong
    to the connector — read them from the built connector.)"""
    if not isinstance(section, Mapping):
        raise ConfigError("must be a mapping of keys", key=f"sources.{name}")
    return validate_settings(_Common, section, name)


def validate_settings(model: type[BaseModel], options: Mapping[str, Any], name: str) -> Any:
    """Validate a `sources.<name>` section with `model`; ConfigError names the offending key."""
    try:
        return model.model_validate(dict(options))
    except ValidationError as exc:
        err = exc.errors()[0]
        key = f"sources.{name}"
        for part in err["loc"]:
            key += f"[{part}]" if isinstance(part, int) else f".{part}"
        msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        raise ConfigError(msg, key=key) from exc
