"""Registered sources: what each one is, and where its connector is (imported only when enabled)."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from connectors.base import Connector
    from connectors.replies.base import Publisher


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """A source's facts, the one vocabulary every part uses.

    `keyword`: polled with each brand's search query (X, Reddit); otherwise the source polls
    targets the rules list per brand (an app id, a business unit, a feed URL), so every item it
    returns is a mention of that brand. `review`: its items are customer reviews, with star
    ratings, answered as reviews. `publisher`: "module:Class" of the Publisher that posts our
    reply there as the brand's account; None where a mention cannot be answered (feeds)."""

    name: str
    title: str
    path: str  # "module:Class" of the connector
    keyword: bool = False
    review: bool = False
    publisher: str | None = None


SOURCES: dict[str, SourceInfo] = {info.name: info for info in (
    SourceInfo("x", "X", "connectors.x:XConnector", keyword=True,
               publisher="connectors.replies.x:XPublisher"),
    SourceInfo("reddit", "Reddit", "connectors.reddit:RedditConnector", keyword=True,
               publisher="connectors.replies.reddit:RedditPublisher"),
    SourceInfo("appstore", "App Store", "connectors.appstore:AppStoreConnector", review=True,
               publisher="connectors.replies.appstore:AppStorePublisher"),
    SourceInfo("googleplay", "Google Play", "connectors.googleplay:GooglePlayConnector",
               review=True, publisher="connectors.replies.googleplay:GooglePlayPublisher"),
    SourceInfo("trustpilot", "Trustpilot", "connectors.trustpilot:TrustpilotConnector",
               review=True, publisher="connectors.replies.trustpilot:TrustpilotPublisher"),
    SourceInfo("rss", "Feed", "connectors.rss:FeedConnector"),
    SourceInfo("sample", "Sample", "connectors.sample:SampleConnector"),
)}
KEYWORD_SOURCES = tuple(name for name, info in SOURCES.items() if info.keyword)
# sources whose items belong to the brand whose rules list the target (not searched by query)
TARGET_SOURCES = tuple(name for name, info in SOURCES.items()
                       if not info.keyword and name != "sample")
REVIEW_SOURCES = tuple(name for name, info in SOURCES.items() if info.review)
# sources where our reply can be posted (the others: the Slack button links the original)
PUBLISH_SOURCES = tuple(name for name, info in SOURCES.items() if info.publisher)


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


def load_publisher(name: str) -> type[Publisher] | None:
    """Import and return the Publisher class of source `name`; None when that source cannot be
    answered (no publisher registered). KeyError if the source is unknown."""
    from connectors.replies.base import Publisher

    path = SOURCES[name].publisher
    if path is None:
        return None
    module_name, _, attr = path.partition(":")
    cls = getattr(importlib.import_module(module_name), attr)
    if not (isinstance(cls, type) and issubclass(cls, Publisher)):
        raise TypeError(f"{path} is not a Publisher")
    return cls
