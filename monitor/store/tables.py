"""SQLAlchemy 2 table definitions; Alembic migrations in monitor/store/migrations mirror them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from monitor.clock import utcnow
from monitor.redact import MAX_STORED, redact

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use timezone-aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class ErrorText(TypeDecorator[str]):
    """An error message as stored, whoever writes it (a source's poll, the outbox): secrets
    redacted and cut to a readable length (monitor.redact), so none reaches `status`."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else redact(value, limit=MAX_STORED)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class MentionRow(Base):
    """A stored mention with what the pipeline decided about it at the time."""

    __tablename__ = "mentions"
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_mentions_source_external_id"),
        Index("ix_mentions_created_at", "created_at"),
        Index("ix_mentions_author", "source", "author_handle"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16), default="post")
    brand: Mapped[str | None] = mapped_column(String(64))
    rule: Mapped[str | None] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    lang: Mapped[str | None] = mapped_column(String(16))
    rating: Mapped[int | None] = mapped_column(Integer)
    parent_id: Mapped[str | None] = mapped_column(String(128))
    is_retweet: Mapped[bool] = mapped_column(Boolean, default=False)
    is_quote: Mapped[bool] = mapped_column(Boolean, default=False)
    author_handle: Mapped[str] = mapped_column(String(128))
    author_name: Mapped[str | None] = mapped_column(String(256))
    author_id: Mapped[str | None] = mapped_column(String(128))
    author_followers: Mapped[int | None] = mapped_column(Integer)
    author_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    author_url: Mapped[str | None] = mapped_column(Text)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    label: Mapped[str] = mapped_column(String(16))
    confidence: Mapped[float] = mapped_column(Float)
    uncertain: Mapped[bool] = mapped_column(Boolean, default=False)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    scores: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    model: Mapped[str] = mapped_column(String(128), default="")
    priority: Mapped[int] = mapped_column(Integer, default=1)
    priority_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    matched_terms: Mapped[list[str]] = mapped_column(JSON, default=list)


class CaseRow(Base):
    """The triage case of one mention: its state, owner, Slack message and suggested reply."""

    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_status", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mention_id: Mapped[int] = mapped_column(ForeignKey("mentions.id"), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(16))  # current label (may be changed in Slack)
    priority: Mapped[int] = mapped_column(Integer, default=1)
    owner: Mapped[str | None] = mapped_column(String(64))  # Slack user id
    channel: Mapped[str | None] = mapped_column(String(128))  # routed channel (name or id)
    slack_channel: Mapped[str | None] = mapped_column(String(32))  # channel id Slack returned
    slack_ts: Mapped[str | None] = mapped_column(String(32))
    reply_text: Mapped[str | None] = mapped_column(Text)  # suggested reply
    reply_template: Mapped[str | None] = mapped_column(String(128))
    reply_final: Mapped[str | None] = mapped_column(Text)  # what the agent edited/sent
    kb_entry: Mapped[str | None] = mapped_column(String(128))
    kb_url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminders: Mapped[int] = mapped_column(Integer, default=0)
    reopened: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=0)  # optimistic concurrency
    # the public reply (monitor.replies.flow): where the current attempt stands and its result
    reply_state: Mapped[str | None] = mapped_column(String(24))
    reply_attempt: Mapped[int] = mapped_column(Integer, default=0)  # numbers the outbox key
    reply_by: Mapped[str | None] = mapped_column(String(64))  # who drafted the attempt
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reply_url: Mapped[str | None] = mapped_column(Text)
    reply_platform_id: Mapped[str | None] = mapped_column(String(128))
    reply_error: Mapped[str | None] = mapped_column(Text)  # why the attempt was not posted
    # the customer's latest answer after our reply (monitor.followup): shown on the message
    follow_ups: Mapped[int] = mapped_column(Integer, default=0)
    follow_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    follow_up_label: Mapped[str | None] = mapped_column(String(16))
    follow_up_signal: Mapped[str | None] = mapped_column(String(16))  # latest signal, if any
    follow_up_rating: Mapped[int | None] = mapped_column(Integer)  # the review's stars now


class FollowUpRow(Base):
    """The customer's answer after our public reply, attached to the case it answers: their
    post or comment in the conversation (`revision` ""), or their review as they updated it
    (the review's id, one row per version). (source, external_id, revision) is unique, so an
    answer is recorded once however many watchers or polls see it."""

    __tablename__ = "follow_ups"
    __table_args__ = (
        UniqueConstraint("source", "external_id", "revision",
                         name="uq_follow_ups_source_external_id_revision"),
        Index("ix_follow_ups_case", "case_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    source: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(128))
    revision: Mapped[str] = mapped_column(String(64), default="")
    kind: Mapped[str] = mapped_column(String(16))  # reply | review_update
    text: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    author_handle: Mapped[str] = mapped_column(String(128))
    rating: Mapped[int | None] = mapped_column(Integer)
    previous_rating: Mapped[int | None] = mapped_column(Integer)
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    label: Mapped[str] = mapped_column(String(16))
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    model: Mapped[str] = mapped_column(String(128), default="")
    signal: Mapped[str | None] = mapped_column(String(16))  # satisfaction | dissatisfaction
    reopened: Mapped[bool] = mapped_column(Boolean, default=False)  # it reopened the case


class EventRow(Base):
    """Audit trail: every state change of a case (who, what, when). Metrics are computed here."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_case", "case_id", "at"), Index("ix_events_at", "at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    actor: Mapped[str] = mapped_column(String(64))  # "system" or a Slack user id
    action: Mapped[str] = mapped_column(String(32))  # created, posted, claimed, handled, ...
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SourceStateRow(Base):
    """Per-source cursor and health, written with the batch the cursor covers."""

    __tablename__ = "source_state"

    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    cursor: Mapped[str | None] = mapped_column(Text)
    last_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(ErrorText())
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failures: Mapped[int] = mapped_column(Integer, default=0)
    disabled_reason: Mapped[str | None] = mapped_column(ErrorText())
    next_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    stored_total: Mapped[int] = mapped_column(Integer, default=0)
    polled_by: Mapped[str | None] = mapped_column(String(128))  # the replica that last polled


class OutboxRow(Base):
    """A Slack call to make exactly once. `key` is the idempotency key; `sending` rows found at
    startup are reconciled against Slack (message metadata) before any retry."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(128), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # post | thread | update | upload
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    channel: Mapped[str] = mapped_column(String(128))
    thread_key: Mapped[str | None] = mapped_column(String(128))  # post under this key's message
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(ErrorText())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    slack_channel: Mapped[str | None] = mapped_column(String(32))
    slack_ts: Mapped[str | None] = mapped_column(String(32))
    # when the first attempt that may have reached Slack began (None: nothing is in doubt);
    # the reconciling lookup reads Slack from there on
    attempted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # the replica that leased the row last (a 'sending' row is its own until next_attempt_at)
    lease_owner: Mapped[str | None] = mapped_column(String(128))


class LabelFeedbackRow(Base):
    """A label correction made in Slack: training data for `model train --include-feedback`."""

    __tablename__ = "label_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mention_id: Mapped[int] = mapped_column(ForeignKey("mentions.id"))
    text: Mapped[str] = mapped_column(Text)
    rating: Mapped[int | None] = mapped_column(Integer)
    old_label: Mapped[str] = mapped_column(String(16))
    new_label: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class KeyValueRow(Base):
    """Small named state of jobs (last digest sent, spike cooldowns)."""

    __tablename__ = "kv"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
