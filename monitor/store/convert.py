"""Rows in, read models out: the one place that turns ORM rows into the values others see."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Integer
from sqlalchemy.orm import Session

from connectors.registry import TARGET_SOURCES
from monitor.models import Author, Mention, TriageItem
from monitor.readmodels import Case, Event, FollowUp, OutboxEntry, SourceState, StoredMention
from monitor.store.tables import (
    CaseRow,
    EventRow,
    FollowUpRow,
    MentionRow,
    OutboxRow,
    SourceStateRow,
)

R = TypeVar("R", MentionRow, CaseRow, FollowUpRow)
ID_COLUMNS = frozenset({"external_id", "parent_id", "author_id"})  # digested, never cut
EXTERNAL_ID_CHARS: int = MentionRow.__table__.c.external_id.type.length  # type: ignore[attr-defined]
INT_MIN, INT_MAX = -(2**31), 2**31 - 1  # Integer is 32-bit on PostgreSQL


def mention_of(row: MentionRow) -> Mention:
    return Mention(
        source=row.source,
        external_id=row.external_id,
        text=row.text,
        created_at=row.created_at,
        author=Author(
            handle=row.author_handle,
            name=row.author_name,
            id=row.author_id,
            followers=row.author_followers,
            verified=row.author_verified,
            url=row.author_url,
        ),
        url=row.url,
        title=row.title,
        lang=row.lang,
        rating=row.rating,
        # a target source's item belongs to the brand whose rules list the target (an app,
        # a feed): keep it, so a replay matches it the way the pipeline did
        brand=row.brand if row.kind == "review" or row.source in TARGET_SOURCES else None,
        kind=row.kind,
        parent_id=row.parent_id,
        is_retweet=row.is_retweet,
        is_quote=row.is_quote,
        extra=dict(row.extra or {}),
    )


def stored_mention_of(row: MentionRow, *, status: str | None = None) -> StoredMention:
    return StoredMention(
        id=row.id, mention=mention_of(row), brand=row.brand, rule=row.rule, label=row.label,
        confidence=float(row.confidence or 0.0), uncertain=bool(row.uncertain),
        reasons=tuple(row.reasons or ()), scores=dict(row.scores or {}), model=row.model or "",
        priority=int(row.priority if row.priority is not None else 1),
        priority_reasons=tuple(row.priority_reasons or ()),
        matched_terms=tuple(row.matched_terms or ()), status=status,
    )


def case_of(row: CaseRow) -> Case:
    return Case(
        id=row.id, mention_id=row.mention_id, status=row.status, label=row.label,
        priority=int(row.priority if row.priority is not None else 1), channel=row.channel,
        created_at=row.created_at, updated_at=row.updated_at, version=row.version or 0,
        owner=row.owner, slack_channel=row.slack_channel, slack_ts=row.slack_ts,
        reply_text=row.reply_text, reply_template=row.reply_template,
        reply_final=row.reply_final, kb_entry=row.kb_entry, kb_url=row.kb_url,
        claimed_at=row.claimed_at, handled_at=row.handled_at, reminded_at=row.reminded_at,
        reminders=row.reminders or 0, reopened=row.reopened or 0,
        reply_state=row.reply_state, reply_attempt=row.reply_attempt or 0,
        reply_by=row.reply_by, replied_at=row.replied_at, reply_url=row.reply_url,
        reply_platform_id=row.reply_platform_id, reply_error=row.reply_error,
        follow_ups=row.follow_ups or 0, follow_up_at=row.follow_up_at,
        follow_up_label=row.follow_up_label, follow_up_signal=row.follow_up_signal,
        follow_up_rating=row.follow_up_rating,
    )


def follow_up_of(row: FollowUpRow) -> FollowUp:
    return FollowUp(
        id=row.id, case_id=row.case_id, source=row.source, external_id=row.external_id,
        kind=row.kind, text=row.text, author_handle=row.author_handle, posted_at=row.posted_at,
        label=row.label, revision=row.revision or "", title=row.title, url=row.url,
        rating=row.rating, previous_rating=row.previous_rating,
        confidence=float(row.confidence or 0.0), model=row.model or "", signal=row.signal,
        reopened=bool(row.reopened), fetched_at=row.fetched_at,
    )


def event_of(row: EventRow) -> Event:
    return Event(id=row.id, case_id=row.case_id, actor=row.actor, action=row.action, at=row.at,
                 from_status=row.from_status, to_status=row.to_status,
                 detail=dict(row.detail or {}))


def state_of(row: SourceStateRow) -> SourceState:
    return SourceState(
        source=row.source, cursor=row.cursor, last_poll_at=row.last_poll_at,
        last_success_at=row.last_success_at, last_error=row.last_error,
        last_error_at=row.last_error_at, failures=row.failures or 0,
        disabled_reason=row.disabled_reason, next_poll_at=row.next_poll_at,
        stored_total=row.stored_total or 0, polled_by=row.polled_by,
    )


def entry_of(row: OutboxRow, *, status: str | None = None) -> OutboxEntry:
    return OutboxEntry(
        id=row.id, key=row.key, kind=row.kind, channel=row.channel,
        status=status or row.status, attempts=row.attempts or 0,
        next_attempt_at=row.next_attempt_at, created_at=row.created_at, case_id=row.case_id,
        thread_key=row.thread_key, payload=dict(row.payload or {}), last_error=row.last_error,
        sent_at=row.sent_at, slack_channel=row.slack_channel, slack_ts=row.slack_ts,
        attempted_at=row.attempted_at, lease_owner=row.lease_owner,
    )


def mention_row(item: TriageItem) -> MentionRow:
    """The row a processed mention is stored as, with what the pipeline decided; every field
    fitted to its column (see `fit`)."""
    m, c, r = item.mention, item.classification, item.match
    return fit(MentionRow(
        source=m.source, external_id=m.external_id, kind=m.kind, brand=r.brand, rule=r.rule,
        text=m.text, title=m.title, url=m.url, lang=m.lang, rating=m.rating,
        parent_id=m.parent_id, is_retweet=m.is_retweet, is_quote=m.is_quote,
        author_handle=m.author.handle, author_name=m.author.name, author_id=m.author.id,
        author_followers=m.author.followers, author_verified=m.author.verified,
        author_url=m.author.url, extra=jsonable(m.extra), created_at=m.created_at,
        label=c.label.value, confidence=float(c.confidence), uncertain=c.uncertain,
        reasons=list(c.reasons), scores={k: float(v) for k, v in c.scores.items()},
        model=c.model, priority=int(r.priority), priority_reasons=list(r.priority_reasons),
        matched_terms=list(r.terms),
    ))


def row_values(row: Any) -> dict[str, Any]:
    """A new mapped object's values for a Core INSERT: every column, a None taking the
    column's Python default as the ORM would; an unset primary key is left to the database."""
    values: dict[str, Any] = {}
    for c in row.__table__.columns:
        value = getattr(row, c.key, None)
        if value is None and c.default is not None:
            value = c.default.arg(None) if c.default.is_callable else c.default.arg
        if value is None and c.primary_key:
            continue
        values[c.name] = value
    return values


def insert_row(s: Session, row: Any) -> int:
    """INSERT one new mapped object with a Core statement, outside the unit of work (the
    pipeline writes thousands: the ORM's flush costs several times the statement); its id."""
    return int(s.execute(row.__table__.insert(), row_values(row)).inserted_primary_key[0])


def insert_rows(s: Session, rows: Sequence[Any]) -> None:
    """INSERT new objects of one table in as few statements as the driver allows (one
    executemany; the caller reads back ids it needs by a unique key)."""
    if rows:
        s.execute(rows[0].__table__.insert(), [row_values(r) for r in rows])


def fit(row: R) -> R:
    """Make untrusted values storable on every backend, cutting instead of refusing: no NUL
    character in text (PostgreSQL refuses it), no text longer than its String(n) column
    (PostgreSQL raises StringDataRightTruncation), no integer beyond a 32-bit column. Ids are
    not cut but digested (`stored_id`), so an over-long id stays unique and still dedupes."""
    for column in row.__table__.columns:  # type: ignore[attr-defined]
        value = getattr(row, column.key, None)
        if isinstance(value, str):
            value = value.replace("\x00", "")
            limit = getattr(column.type, "length", None)
            if limit is not None and len(value) > limit:
                value = stored_id(value, limit) if column.key in ID_COLUMNS else value[:limit]
            setattr(row, column.key, value)
        elif isinstance(value, int) and not isinstance(value, bool) \
                and isinstance(column.type, Integer) and not INT_MIN <= value <= INT_MAX:
            setattr(row, column.key, max(INT_MIN, min(INT_MAX, value)))
    return row


def stored_id(value: str, limit: int = EXTERNAL_ID_CHARS) -> str:
    """The form of an id that fits `limit` characters: the id itself when it fits, else its
    start and a digest of all of it (the same id always maps to the same form)."""
    if len(value) <= limit:
        return value
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"{value[:limit - len(digest) - 1]}~{digest}"


def jsonable(value: Any) -> Any:
    if isinstance(value, dict) or hasattr(value, "items"):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value
