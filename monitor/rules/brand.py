"""A brand as loaded from a rules file: queries, exclusions, priorities, routing, examples."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.registry import KEYWORD_SOURCES, TARGET_SOURCES
from monitor.models import Label, Priority
from monitor.rules.query import Node, Term

ALL_SOURCES = (*KEYWORD_SOURCES, *TARGET_SOURCES, "sample")


@dataclass(frozen=True, slots=True)
class Query:
    """A named boolean query; `rule` is what RuleMatch.rule reports, e.g. "parcelly.query"."""

    rule: str
    text: str
    node: Node


@dataclass(frozen=True, slots=True)
class PriorityRule:
    name: str
    level: Priority
    node: Node
    reason: str | None = None  # None: the reason names the matched terms / the query
    terms_only: bool = False  # declared with `terms:`: the reason lists the terms found


@dataclass(frozen=True, slots=True)
class Override:
    """A sub-rule that forces a label when it matches a mention of the brand."""

    name: str
    label: Label
    node: Node


@dataclass(frozen=True, slots=True)
class Exclusions:
    terms: tuple[Term, ...] = ()
    authors: frozenset[str] = frozenset()
    own_accounts: bool = True
    retweets: bool = True
    quotes: bool = False
    query: Node | None = None


@dataclass(frozen=True, slots=True)
class ReviewTarget:
    """What a review source fetches for this brand: an app id, business unit or feed URL."""

    source: str
    target: str
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Example:
    """One `must_match` / `must_not_match` entry: a text plus optional mention fields
    (`fields`: source, author, followers, rating, lang, subreddit, title, retweet, quote) and
    optional expectations (`expect`: priority, label, rule)."""

    text: str
    must_match: bool
    fields: Mapping[str, Any] = field(default_factory=dict)
    expect: Mapping[str, str] = field(default_factory=dict)
    file: str = ""
    line: int = 0


@dataclass(frozen=True, slots=True)
class Brand:
    id: str
    name: str
    queries: tuple[Query, ...]
    names: tuple[str, ...] = ()
    handles: tuple[str, ...] = ()  # without '@', as written
    domains: tuple[str, ...] = ()
    sources: frozenset[str] | None = None  # None: every source
    reviews: tuple[ReviewTarget, ...] = ()
    exclude: Exclusions = Exclusions()
    default_priority: Priority = Priority.NORMAL
    priorities: tuple[PriorityRule, ...] = ()
    overrides: tuple[Override, ...] = ()
    channels: Mapping[str, str] = field(default_factory=dict)  # label value -> channel
    replies: Mapping[str, str] = field(default_factory=dict)  # "label" / "label.topic" -> text
    examples: tuple[Example, ...] = ()
    file: str = ""
    line: int = 0

    @property
    def own_handles(self) -> frozenset[str]:
        return frozenset(h.lower() for h in self.handles)

    def watches(self, source: str) -> bool:
        """Whether mentions from `source` count for this brand ("sample" always does: demo)."""
        return self.sources is None or source in self.sources or source == "sample"
