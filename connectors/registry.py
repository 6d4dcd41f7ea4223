"""Registered sources: what each one is, and where its connector is (imported only when enabled)."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from connectors.base import Connector


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """A source's facts, the one vocabulary every part uses.

    `keyword`: polled with each brand's search query (X, Reddit); otherwise the source polls
    targets the rules list per brand (an app id, a business unit, a feed URL), so every item it
    returns is a mention of that brand. `review`: its items are customer reviews, with star
    ratings, answered as reviews."""

    name: str
    title: str
    path: str  # "module:Class" of the connector
    keyword: bool = False
    review: bool = False


SOURCES: dict[str, SourceInfo] = {info.name: info for info in (
    SourceInfo("x", "X", "connectors.x:XConnector", keyword=True),
    SourceInfo("reddit", "Reddit", "connectors.reddit:RedditConnector", keyword=True),
    SourceInfo("appstore", "App Store", "connectors.appstore:AppStoreConnector", review=True),
    SourceInfo("googleplay", "Google Play", "connectors.googleplay:GooglePlayConnector",
               review=True),
    SourceInfo("trustpilot", "Trustpilot", "connectors.trustpilot:TrustpilotConnector",
               review=True),
    SourceInfo("rss", "Feed", "connectors.rss:FeedConnector"),
    SourceInfo("sample", "Sample", "connectors.sample:SampleConnector"),
)}
KEYWORD_SOURCES = tuple(name for name, info in SOURCES.items() if info.keyword)
# sources whose items belong to the brand whose rules list the target (not searched by query)
TARGET_SOURCES = tuple(name for name, info in SOURCES.items()
                       if not info.keyword and name != "sample")
REVIEW_SOURCES = tuple(name for name, info in SOURCES.items() if info.review)


def source_title(name: str) -> str:
    """How people call the source ("App Store"); an unknown name is shown as it is."""
    info = SOURCES.get(name)
    return info.title if info else name


def load(name: str) -> type[Connector]:
    """Import and return the connector class registered as `name` (KeyError if unknown)."""
    from connectors.base import Connector

    module_name, _, attr = SOURCES[name].path.partition(":")
    cls = getattr(importlib.import_module(module_name), attr)
    if not (isinstance(cls, type) and issubclass(cls, Connector)):
        raise TypeError(f"{SOURCES[name].path} is not a Connector")
    return cls
