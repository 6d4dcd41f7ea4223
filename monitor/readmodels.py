"""Read models the store hands out: frozen values, never ORM rows (imports only models)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from monitor.models import Mention


@dataclass(frozen=True, slots=True)
class StoredMention:
    """A mention as stored, with what the pipeline decided about it when it was processed.
    `label` is the classifier's (or a rule's) label then; the case may carry a corrected one.
    `status` is the case's status where the query joined it (backtest), else None."""

    id: int
    mention: Mention
    brand: str | None
    rule: str | None
    label: str
    confidence: float = 0.0
    uncertain: bool = False
    reasons: tuple[str, ...] = ()
    scores: Mapping[str, float] = field(default_factory=dict)
    model: str = ""
    priority: int = 1
    priority_reasons: tuple[str, ...] = ()
    matched_terms: tuple[str, ...] = ()
    status: str | None = None

    @property
    def source(self) -> str:
        return self.mention.source


@dataclass(frozen=True, slots=True)
class Case:
    """The triage case of one mention as it is now (see monitor.triage for its transitions)."""

    id: int
    mention_id: int
    status: str
    label: str  # current label (may be changed in Slack)
    priority: int
    channel: str | None  # routed channel (name or id); None: stored, not posted
    created_at: datetime
    updated_at: datetime
    version: int = 0  # every transition increments it (compare-and-set)
    owner: str | None = None  # Slack user id
    slack_channel: str | None = None  # channel id Slack returned for the post
    slack_ts: str | None = None
    reply_text: str | None = None  # suggested reply
    reply_template: str | None = None
    reply_final: str | None = None  # what the agent edited
    kb_entry: str | None = None
    kb_url: str | None = None
    claimed_at: datetime | None = None
    handled_at: datetime | None = None
    reminded_at: datetime | None = None
    reminders: int = 0
    reopened: int = 0
    # the public reply (monitor.replies.flow): the current attempt and what the platform answered
    reply_state: str | None = None
    reply_attempt: int = 0
    reply_by: str | None = None  # Slack user id of who drafted (and so answered) it
    replied_at: datetime | None = None
    reply_url: str | None = None
    reply_platform_id: str | None = None
    reply_error: str | None = None
    # the customer's latest answer after our reply (monitor.followup)
    follow_ups: int = 0
    follow_up_at: datetime | None = None
    follow_up_label: str | None = None
    follow_up_signal: str | None = None  # "satisfaction" | "dissatisfaction" | None
    follow_up_rating: int | None = None  # a review's stars as the customer left them


class CaseView(NamedTuple):
    """A case with its mention: what Slack renders, reminders read and triage decides on."""

    case: Case
    mention: StoredMention


@dataclass(frozen=True, slots=True)
class Event:
    """One audit event: who did what to a case, when."""

    id: int
    case_id: int
    actor: str  # "system" or a Slack user id
    action: str
    at: datetime
    from_status: str | None = None
    to_status: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FollowUp:
    """The customer's answer after our reply, as stored with its case (monitor.followup):
    their post or comment (`kind` "reply"), or their review as updated ("review_update")."""

    id: int
    case_id: int
    source: str
    external_id: str
    kind: str
    text: str
    author_handle: str
    posted_at: datetime
    label: str
    revision: str = ""
    title: str | None = None
    url: str | None = None
    rating: int | None = None
    previous_rating: int | None = None
    confidence: float = 0.0
    model: str = ""
    signal: str | None = None
    reopened: bool = False
    fetched_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class WatchedCase:
    """An answered case the follow-up watch looks at: the case with its mention, every public
    reply of ours on it (platform ids, oldest first) and the answers recorded so far."""

    view: CaseView
    reply_ids: tuple[str, ...] = ()
    follow_ups: tuple[FollowUp, ...] = ()


@dataclass(frozen=True, slots=True)
class SourceState:
    """A source's cursor and health as the daemon last recorded them."""

    source: str
    cursor: str | None = None
    last_poll_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    failures: int = 0
    disabled_reason: str | None = None
    next_poll_at: datetime | None = None
    stored_total: int = 0
    polled_by: str | None = None  # the replica that polled it last


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One outbox row: an external write to make exactly once (see monitor.store.keys)."""

    id: int
    key: str
    kind: str
    channel: str
    status: str
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    case_id: int | None = None
    thread_key: str | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)
    last_error: str | None = None
    sent_at: datetime | None = None
    slack_channel: str | None = None
    slack_ts: str | None = None
    attempted_at: datetime | None = None  # the first attempt that may have reached Slack
    lease_owner: str | None = None  # the replica that leased it last


# -- what reports read: one time window's facts (monitor.store.report_queries) ----------------

@dataclass(frozen=True, slots=True)
class Window:
    """Mentions posted in [start, end), optionally of one brand."""

    start: datetime
    end: datetime
    brand: str | None = None

    def previous(self) -> Window:
        """The window of the same length just before this one."""
        return Window(self.start - (self.end - self.start), self.start, self.brand)


@dataclass(frozen=True, slots=True)
class MentionFact:
    id: int
    brand: str | None
    source: str
    label: str
    created_at: datetime
    author_handle: str
    author_followers: int | None


@dataclass(frozen=True, slots=True)
class EventFact:
    """The fields of an audit event the metrics read."""

    id: int
    action: str
    actor: str
    at: datetime


@dataclass(frozen=True, slots=True)
class CaseFact:
    id: int
    label: str
    priority: int
    status: str
    created_at: datetime  # when the case was opened (the mention fetched)
    reopened: int
    events: tuple[EventFact, ...]
    posted_at: datetime | None = None  # when the customer posted (the mention's created_at)
    fetched_at: datetime | None = None  # when we fetched the mention


@dataclass(frozen=True, slots=True)
class FollowUpFact:
    """One answer of a customer after our reply, on one of the window's actionable cases."""

    case_id: int
    source: str
    kind: str
    label: str
    at: datetime  # when the customer posted it (or updated the review)
    signal: str | None = None
    rating: int | None = None  # the review's stars after the update
    rating_before: int | None = None  # the review's stars when we fetched it (the mention's)
    reopened: bool = False  # it reopened the case


@dataclass(frozen=True, slots=True)
class Facts:
    """Everything a report is computed from."""

    window: Window
    mentions: list[MentionFact]
    cases: list[CaseFact]  # actionable cases only
    previous_praise: int
    backlog: tuple[CaseFact, ...] = ()  # actionable cases open now, whenever posted (no events)
    follow_ups: tuple[FollowUpFact, ...] = ()  # customers' answers on `cases`, oldest first


@dataclass(frozen=True, slots=True)
class Quote:
    """A mention worth quoting in Slack (praise for the digest, complaints for a spike)."""

    text: str
    url: str | None
    source: str
    author_handle: str
    author_followers: int | None
    confidence: float
    created_at: datetime
