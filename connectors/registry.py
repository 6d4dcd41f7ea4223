"""Registered sources: name -> dotted path, imported only when that source is enabled."""

from __future__ import annotations

import importlib

from connectors.base import Connector

SOURCES: dict[str, str] = {
    "sample": "connectors.sample:SampleConnector",
    "reddit": "connectors.reddit:RedditConnector",
    "x": "connectors.x:XConnector",
    "appstore": "connectors.appstore:AppStoreConnector",
    "googleplay": "connectors.googleplay:GooglePlayConnector",
    "trustpilot": "connectors.trustpilot:TrustpilotConnector",
    "rss": "connectors.rss:FeedConnector",
}


def load(name: str) -> type[Connector]:
    """Import and return the connector class registered as `name` (KeyError if unknown)."""
    module_name, _, attr = SOURCES[name].partition(":")
    cls = getattr(importlib.import_module(module_name), attr)
    if not (isinstance(cls, type) and issubclass(cls, Connector)):
        raise TypeError(f"{SOURCES[name]} is not a Connector")
    return cls
