"""The frozen records that flow through the pipeline; this module imports nothing of ours."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class Label(enum.StrEnum):
    """What a mention is for the social-care team (see monitor/classify/GUIDE.md)."""

    COMPLAINT = "complaint"
    QUESTION = "question"
    PRAISE = "praise"
    OTHER = "other"

    @property
    def actionable(self) -> bool:
        """Complaints and questions need an answer; praise goes to marketing."""
        return self in (Label.COMPLAINT, Label.QUESTION)


LABELS: tuple[Label, ...] = (Label.COMPLAINT, Label.QUESTION, Label.PRAISE, Label.OTHER)
# the label values the team answers (and is measured on answering)
ACTIONABLE: tuple[str, ...] = tuple(label.value for label in LABELS if label.actionable)


class Priority(enum.IntEnum):
    LOW = 0
    NORMAL = 1
    HIGH = 2
    URGENT = 3

    def __str__(self) -> str:
        return self.name.lower()


class Status(enum.StrEnum):
    """Triage state of a case. Transitions live in monitor.triage."""

    NEW = "new"
    CLAIMED = "claimed"
    HANDLED = "handled"
    NOT_RELEVANT = "not_relevant"
    IGNORED = "ignored"  # label "other": stored, never posted


@dataclass(frozen=True, slots=True)
class Author:
    """Who wrote a mention. `handle` is the platform username without '@'."""

    handle: str
    name: str | None = None
    id: str | None = None
    followers: int | None = None
    verified: bool = False
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Mention:
    """One post, comment or review fetched from a source.

    `source` is the registry key of the connector ("reddit", "x", "appstore", "googleplay",
    "trustpilot", "rss", "sample"); (`source`, `external_id`) is unique. `created_at` is always
    timezone-aware UTC. `brand` is set by connectors of review sources (an app's reviews are
    mentions of that app's brand by definition) and left None for keyword sources.
    """

    source: str
    external_id: str
    text: str
    created_at: datetime
    author: Author
    url: str | None = None
    title: str | None = None
    lang: str | None = None
    rating: int | None = None
    brand: str | None = None
    kind: str = "post"  # post | comment | reply | review | article
    parent_id: str | None = None
    is_retweet: bool = False
    is_quote: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def full_text(self) -> str:
        """Title and body, as matched and classified."""
        if self.title and self.text:
            return f"{self.title}\n{self.text}"
        return self.title or self.text


@dataclass(frozen=True, slots=True)
class Batch:
    """What one poll returned. `next_cursor` is opaque to everyone but its connector and is
    persisted in the same transaction as the mentions it covers."""

    mentions: tuple[Mention, ...]
    next_cursor: str | None
    dropped: Mapping[str, int] = field(default_factory=dict)  # malformed items, by reason
    requests: int = 0  # HTTP requests this poll made, for the summary line


@dataclass(frozen=True, slots=True)
class SourceQuery:
    """What a keyword source is asked for, compiled from one brand's rules.

    `query` is already in the source's own syntax (X search, Reddit search) and within its
    length limit; a brand whose query is too long for one request yields several.
    """

    brand: str
    query: str  # search syntax for keyword sources; the target id for review sources
    params: Mapping[str, str] = field(default_factory=dict)  # e.g. {"country": "us"}


@dataclass(frozen=True, slots=True)
class Span:
    term: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class RuleMatch:
    """Why a mention counts as a mention of `brand`."""

    brand: str
    rule: str  # name of the rule (query) that matched, e.g. "acme.query"
    terms: tuple[str, ...] = ()
    spans: tuple[Span, ...] = ()
    priority: Priority = Priority.NORMAL
    priority_reasons: tuple[str, ...] = ()
    label_override: Label | None = None  # a rule may force a label (e.g. job ads -> other)
    channels: Mapping[str, str] = field(default_factory=dict)  # label value -> Slack channel


@dataclass(frozen=True, slots=True)
class Classification:
    label: Label
    confidence: float  # calibrated probability of `label`
    reasons: tuple[str, ...] = ()
    scores: Mapping[str, float] = field(default_factory=dict)  # label value -> probability
    uncertain: bool = False
    model: str = ""
    # the mention's sentence embedding from the classifier's own pass (a unit-length float32
    # array in the packaged encoder's space), so retrieval needs no second pass; None if the
    # classifier gives none. Not stored, not compared.
    embedding: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class SuggestedReply:
    text: str
    template: str = ""  # which template produced it
    kb_entry: str | None = None  # knowledge-base entry id, if one was used
    kb_url: str | None = None
    kb_score: float | None = None
    reshare: bool = False  # praise marketing may want to reshare (a marker, never automatic)


@dataclass(frozen=True, slots=True)
class TriageItem:
    """A mention with everything the pipeline decided about it, ready to persist and post."""

    mention: Mention
    match: RuleMatch
    classification: Classification
    reply: SuggestedReply | None = None
    channel: str | None = None  # Slack channel it goes to; None = stored, not posted

    @property
    def label(self) -> Label:
        return self.classification.label

    @property
    def priority(self) -> Priority:
        return self.match.priority
