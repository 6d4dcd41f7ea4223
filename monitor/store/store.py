"""The Store facade: mentions, cases and cursors written together, read back for every part."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from monitor.errors import StoreError
from monitor.models import Author, Mention, Status, TriageItem
from monitor.store import migrate
from monitor.store.cases import CasesMixin
from monitor.store.db import make_engine
from monitor.store.outbox import OutboxMixin
from monitor.store.tables import (
    CaseRow,
    EventRow,
    KeyValueRow,
    LabelFeedbackRow,
    MentionRow,
    OutboxRow,
    SourceStateRow,
    utcnow,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from monitor.config import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StoredMention:
    """A mention as stored, with the brand/rule/label decided when it was processed."""

    id: int
    mention: Mention
    brand: str | None
    rule: str | None
    label: str | None
    status: str | None = None


def row_to_mention(row: MentionRow) -> Mention:
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
        brand=row.brand if row.kind == "review" else None,
        kind=row.kind,
        parent_id=row.parent_id,
        is_retweet=row.is_retweet,
        is_quote=row.is_quote,
        extra=dict(row.extra or {}),
    )


def _mention_row(item: TriageItem) -> MentionRow:
    m, c, r = item.mention, item.classification, item.match
    return MentionRow(
        source=m.source,
        external_id=m.external_id,
        kind=m.kind,
        brand=r.brand,
        rule=r.rule,
        text=m.text,
        title=m.title,
        url=m.url,
        lang=m.lang,
        rating=m.rating,
        parent_id=m.parent_id,
        is_retweet=m.is_retweet,
        is_quote=m.is_quote,
        author_handle=m.author.handle,
        author_name=m.author.name,
        author_id=m.author.id,
        author_followers=m.author.followers,
        author_verified=m.author.verified,
        author_url=m.author.url,
        extra=_jsonable(m.extra),
        created_at=m.created_at,
        label=c.label.value,
        confidence=float(c.confidence),
        uncertain=c.uncertain,
        reasons=list(c.reasons),
        scores={k: float(v) for k, v in c.scores.items()},
        model=c.model,
        priority=int(r.priority),
        priority_reasons=list(r.priority_reasons),
        matched_terms=list(r.terms),
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict) or hasattr(value, "items"):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


class Store(CasesMixin, OutboxMixin):
    """All database access. Thread-safe: each method opens its own session."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def from_url(cls, url: str, *, migrate_schema: bool = True) -> Store:
        store = cls(make_engine(url))
        if migrate_schema:
            store.upgrade()
        return store

    @classmethod
    def from_settings(cls, settings: Settings, *, migrate_schema: bool = True) -> Store:
        return cls.from_url(settings.db_url, migrate_schema=migrate_schema)

    def upgrade(self) -> tuple[str | None, str | None]:
        try:
            return migrate.upgrade(self.engine)
        except OperationalError as e:
            raise StoreError(f"cannot reach the database: {e.orig}") from e

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error."""
        with self._sessions() as s, s.begin():
            yield s

    # -- mentions ---------------------------------------------------------------------------

    def seen_ids(self, source: str, external_ids: Iterable[str]) -> set[str]:
        ids = list(dict.fromkeys(external_ids))
        seen: set[str] = set()
        with self.session() as s:
            for i in range(0, len(ids), 500):
                chunk = ids[i : i + 500]
                rows = s.scalars(
                    select(MentionRow.external_id).where(
                        MentionRow.source == source, MentionRow.external_id.in_(chunk)
                    )
                )
                seen.update(rows)
        return seen

    def save_batch(
        self, source: str, items: Sequence[TriageItem], cursor: str | None, *, fetched: int = 0
    ) -> list[int]:
        """Persist mentions, their cases, 'created' events, outbox rows and the source's new
        cursor in ONE transaction, so a crash leaves either all of it or none. Returns case ids."""
        now = utcnow()
        case_ids: list[int] = []
        with self.session() as s:
            for item in items:
                row = _mention_row(item)
                s.add(row)
                s.flush()
                status = Status.NEW if item.channel else Status.IGNORED
                case = CaseRow(
                    mention_id=row.id,
                    status=status.value,
                    label=item.label.value,
                    priority=int(item.priority),
                    channel=item.channel,
                    reply_text=item.reply.text if item.reply else None,
                    reply_template=item.reply.template if item.reply else None,
                    kb_entry=item.reply.kb_entry if item.reply else None,
                    kb_url=item.reply.kb_url if item.reply else None,
                    created_at=now,
                    updated_at=now,
                )
                s.add(case)
                s.flush()
                s.add(EventRow(case_id=case.id, actor="system", action="created",
                               to_status=status.value, at=now,
                               detail={"label": item.label.value, "brand": item.match.brand}))
                if item.channel:
                    self._enqueue(s, key=f"post:{case.id}", kind="post", case_id=case.id,
                                  channel=item.channel, payload={"case_id": case.id})
                    self._enqueue(s, key=f"history:{case.id}", kind="history", case_id=case.id,
                                  channel=item.channel, thread_key=f"post:{case.id}",
                                  payload={"case_id": case.id})
                case_ids.append(case.id)
            state = s.get(SourceStateRow, source) or SourceStateRow(source=source)
            state.cursor = cursor
            state.last_poll_at = now
            state.last_success_at = now
            state.failures = 0
            state.last_error = None
            state.disabled_reason = None
            state.next_poll_at = None
            state.stored_total = (state.stored_total or 0) + len(items)
            s.add(state)
        return case_ids

    def iter_mentions(self, since: datetime | None = None) -> Iterator[StoredMention]:
        stmt = select(MentionRow, CaseRow.status).join(
            CaseRow, CaseRow.mention_id == MentionRow.id, isouter=True
        ).order_by(MentionRow.id)
        if since is not None:
            stmt = stmt.where(MentionRow.created_at >= since)
        with self._sessions() as s:
            for row, status in s.execute(stmt.execution_options(yield_per=500)):
                yield StoredMention(id=row.id, mention=row_to_mention(row), brand=row.brand,
                                    rule=row.rule, label=row.label, status=status)

    def count_mentions(self) -> int:
        with self.session() as s:
            return int(s.scalar(select(func.count()).select_from(MentionRow)) or 0)

    def iter_label_feedback(self) -> Iterator[tuple[str, str, int | None]]:
        with self._sessions() as s:
            for row in s.scalars(select(LabelFeedbackRow).order_by(LabelFeedbackRow.id)):
                yield row.text, row.new_label, row.rating

    # -- sources ------------------------------------------------------------------------------

    def get_cursor(self, source: str) -> str | None:
        with self.session() as s:
            state = s.get(SourceStateRow, source)
            return state.cursor if state else None

    def record_poll(
        self,
        source: str,
        *,
        error: str | None = None,
        next_poll_at: datetime | None = None,
        disabled_reason: str | None = None,
    ) -> None:
        """Record a poll that stored nothing: an error (with backoff) or an empty success."""
        now = utcnow()
        with self.session() as s:
            state = s.get(SourceStateRow, source) or SourceStateRow(source=source, failures=0)
            state.last_poll_at = now
            if error is None:
                state.last_success_at = now
                state.failures = 0
                state.last_error = None
                state.disabled_reason = None
            else:
                state.failures = (state.failures or 0) + 1
                state.last_error = error
                state.last_error_at = now
                state.disabled_reason = disabled_reason
            state.next_poll_at = next_poll_at
            s.add(state)

    def source_states(self) -> list[SourceStateRow]:
        with self.session() as s:
            return list(s.scalars(select(SourceStateRow).order_by(SourceStateRow.source)))

    def kv_get(self, key: str) -> dict[str, Any] | None:
        with self.session() as s:
            row = s.get(KeyValueRow, key)
            return dict(row.value) if row else None

    def kv_set(self, key: str, value: dict[str, Any]) -> None:
        with self.session() as s:
            row = s.get(KeyValueRow, key) or KeyValueRow(key=key)
            row.value = _jsonable(value)
            row.updated_at = utcnow()
            s.add(row)

    def outbox_backlog(self) -> dict[str, int]:
        with self.session() as s:
            rows = s.execute(select(OutboxRow.status, func.count()).group_by(OutboxRow.status))
            return {status: int(n) for status, n in rows}
