"""`replies.<source>` sections: validated in one place, `enabled: false` turns an account off."""

from __future__ import annotations

import importlib

import pytest

from connectors.registry import PUBLISH_SOURCES, SOURCES
from monitor.errors import ConfigError, NotConfigured


def publisher_class(source: str) -> type:
    module, name = (SOURCES[source].publisher or "").split(":")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


@pytest.mark.parametrize("source", PUBLISH_SOURCES)
def test_from_settings__enabled_false_is_not_configured_whatever_the_environment(
        source: str) -> None:
    with pytest.raises(NotConfigured, match=rf"^{source}: replies\.{source}\.enabled is false$"):
        publisher_class(source).from_settings({"enabled": False}, environ={})


@pytest.mark.parametrize("source", PUBLISH_SOURCES)
def test_from_settings__an_unknown_key_names_it(source: str) -> None:
    with pytest.raises(ConfigError, match=rf"replies\.{source}\.colour"):
        publisher_class(source).from_settings({"colour": "red"}, environ={})
