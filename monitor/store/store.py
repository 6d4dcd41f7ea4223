"""The Store facade: mentions, cases and cursors written together, read back for every part."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, text, tuple_
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from monitor.clock import utcnow
from monitor.errors import StoreError
from monitor.models import Status, TriageItem
from monitor.readmodels import SourceState, StoredMention
from monitor.store import migrate
from monitor.store.cases import CasesMixin
from monitor.store.convert import (
    fit,
    insert_row,
    insert_rows,
    jsonable,
    mention_row,
    state_of,
    stored_id,
    stored_mention_of,
)
from monitor.store.db import begin_now, make_engine
from monitor.store.follow_ups import FollowUpsMixin
from monitor.store.keys import OutboxKind, OutboxStatus, history_key, post_key
from monitor.store.locks import Locks
from monitor.store.outbox import OutboxMixin, new_outbox_row
from monitor.store.report_queries import ReportQueriesMixin
from monitor.store.tables import (
    CaseRow,
    EventRow,
    KeyValueRow,
    LabelFeedbackRow,
    MentionRow,
    OutboxRow,
    SourceStateRow,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from monitor.config import Settings

logger = logging.getLogger(__name__)

REPLICA_PREFIX = "brand-monitor "  # application_name of a daemon's sessions: prefix + replica


def unreachable(error: Exception) -> str:
    """The driver's reason, first line only (psycopg adds hints on more lines)."""
    orig = getattr(error, "orig", None) or error
    return str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__


def _ids_by(s: Session, table: Any, keys: Sequence[Any], *columns: Any) -> dict[Any, int]:
    """{unique key: id} for rows just inserted, read back in chunks (`columns` form the
    key; one column gives plain values, several give tuples)."""
    out: dict[Any, int] = {}
    key = columns[0] if len(columns) == 1 else tuple_(*columns)
    for i in range(0, len(keys), 500):
        chunk = keys[i:i + 500]
        for row in s.execute(select(table.id, *columns).where(key.in_(chunk))):
            out[row[1] if len(columns) == 1 else tuple(row[1:])] = row[0]
    return out


class Store(CasesMixin, OutboxMixin, ReportQueriesMixin, FollowUpsMixin):
    """All database access. Thread-safe: each method opens its own session."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self.locks = Locks(engine)  # who polls a source / runs a job now, across replicas

    @classmethod
    def from_url(cls, url: str, *, migrate_schema: bool = True,
                 application_name: str | None = None) -> Store:
        store = cls(make_engine(url, application_name=application_name))
        if migrate_schema:
            store.upgrade()
        return store

    @classmethod
    def from_settings(cls, settings: Settings, *, migrate_schema: bool = True,
                      application_name: str | None = None) -> Store:
        return cls.from_url(settings.db_url, migrate_schema=migrate_schema,
                            application_name=application_name)

    def upgrade(self) -> tuple[str | None, str | None]:
        try:
            return migrate.upgrade(self.engine)
        except (OperationalError, InterfaceError) as e:
            raise StoreError(f"cannot reach the database: {unreachable(e)}") from e

    def ping(self) -> None:
        """Raise StoreError (one line) unless the database answers a query."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except (OperationalError, InterfaceError) as e:
            raise StoreError(f"cannot reach the database: {unreachable(e)}") from e

    def replicas(self) -> list[str]:
        """The daemons connected to this database now, by the application_name their sessions
        carry (PostgreSQL; SQLite has no sessions to list: [])."""
        if self.engine.dialect.name != "postgresql":
            return []
        with self.engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT DISTINCT application_name FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name LIKE :p "
                "ORDER BY 1"), {"p": f"{REPLICA_PREFIX}%"})
            return [str(r[0])[len(REPLICA_PREFIX):] for r in rows]

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error."""
        with self._sessions() as s, s.begin():
            yield s

    # -- mentions ---------------------------------------------------------------------------

    def seen_ids(self, source: str, external_ids: Iterable[str]) -> set[str]:
        """The ids (as given) already stored for `source`; an over-long id is looked up in the
        form it is stored in (convert.stored_id)."""
        asked = {stored_id(i): i for i in dict.fromkeys(external_ids)}
        ids = list(asked)
        seen: set[str] = set()
        with self.session() as s:
            for i in range(0, len(ids), 500):
                chunk = ids[i : i + 500]
                rows = s.scalars(
                    select(MentionRow.external_id).where(
                        MentionRow.source == source, MentionRow.external_id.in_(chunk)
                    )
                )
                seen.update(asked[r] for r in rows)
        return seen

    def save_batch(
        self, source: str, items: Sequence[TriageItem], cursor: str | None, *, fetched: int = 0,
        on_error: Callable[[TriageItem, Exception], None] | None = None,
    ) -> list[int]:
        """Persist mentions, their cases, 'created' events, outbox rows and the source's new
        cursor in ONE transaction, so a crash leaves either all of it or none. Returns the case
        ids of the stored items, in order.

        An item the database refuses (a duplicate, a value it cannot hold) is rolled back to
        its savepoint, logged, passed to `on_error` and left out: the others and the cursor are
        stored. Only a failure of the database itself fails the batch."""
        now = utcnow()
        with self.session() as s:
            begin_now(s.connection())  # SQLite: SAVEPOINTs below nest inside one transaction
            together = self._save_together(s, source, items, now)
            case_ids: list[int] = together if together is not None else []
            for item in items if together is None else ():
                try:
                    with s.begin_nested():
                        case_ids.append(self._save_item(s, item, now))
                except (OperationalError, InterfaceError):
                    raise  # the database is gone or locked: no item, no cursor
                except IntegrityError as e:
                    if self._stored(s, source, item):  # stored meanwhile (another replica):
                        # one line, never the driver's text (it quotes the SQL and the mention)
                        logger.warning("%s/%s not stored: already stored by another process",
                                       source, item.mention.external_id[:200],
                                       extra={"source": source})
                        if on_error is not None:
                            on_error(item, e)
                        continue
                    self._refused(source, item, e, on_error)
                except Exception as e:  # one mention's data must not cost the batch
                    self._refused(source, item, e, on_error)
            state = s.get(SourceStateRow, source) or SourceStateRow(source=source)
            state.cursor = cursor
            state.last_poll_at = now
            state.last_success_at = now
            state.failures = 0
            state.last_error = None
            state.disabled_reason = None
            state.next_poll_at = None
            state.stored_total = (state.stored_total or 0) + len(case_ids)
            s.add(state)
        return case_ids

    @staticmethod
    def _stored(s: Session, source: str, item: TriageItem) -> bool:
        return s.scalar(select(MentionRow.id).where(
            MentionRow.source == source,
            MentionRow.external_id == stored_id(item.mention.external_id))) is not None

    @staticmethod
    def _refused(source: str, item: TriageItem, e: Exception,
                 on_error: Callable[[TriageItem, Exception], None] | None) -> None:
        m = item.mention
        logger.error("%s/%s not stored: %s", m.source, m.external_id[:200],
                     str(e).split("\n", 1)[0][:300], exc_info=True, extra={"source": source})
        if on_error is not None:
            on_error(item, e)

    def _save_together(self, s: Session, source: str, items: Sequence[TriageItem],
                       now: datetime) -> list[int] | None:
        """Every item's rows in a few multi-row INSERTs under one SAVEPOINT (a poll of 100
        is ~5 statements, not ~500); None when the database refuses any of them, so that
        each is then stored under its own savepoint and only the refused one is left out."""
        if len(items) < 2:
            return None
        try:
            with s.begin_nested():
                rows = [mention_row(item) for item in items]
                insert_rows(s, rows)
                mention_ids = _ids_by(s, MentionRow, [(r.source, r.external_id) for r in rows],
                                      MentionRow.source, MentionRow.external_id)
                cases = [self._case_row(item, mention_ids[(r.source, r.external_id)], now)
                         for item, r in zip(items, rows, strict=True)]
                insert_rows(s, cases)
                by_mention = _ids_by(s, CaseRow, [c.mention_id for c in cases], CaseRow.mention_id)
                case_ids = [by_mention[c.mention_id] for c in cases]
                created = [self._created(item, row, case, case_id, now) for item, row, case,
                           case_id in zip(items, rows, cases, case_ids, strict=True)]
                insert_rows(s, [event for event, _ in created])
                insert_rows(s, [out for _, outbox in created for out in outbox])
                return case_ids
        except (OperationalError, InterfaceError):
            raise  # the database is gone or locked: no item, no cursor
        except Exception as e:  # one item is refused: find it, keep the others
            logger.info("%s: a poll's rows were refused together (%s); storing them one by "
                        "one", source, type(e).__name__, extra={"source": source})
            return None

    def _save_item(self, s: Session, item: TriageItem, now: datetime) -> int:
        """One mention with its case, 'created' event and outbox rows; returns the case id."""
        row = mention_row(item)
        mention_id = insert_row(s, row)  # a refused row fails here, inside its savepoint
        case = self._case_row(item, mention_id, now)
        case_id = insert_row(s, case)
        event, outbox = self._created(item, row, case, case_id, now)
        for new in (event, *outbox):
            insert_row(s, new)
        return case_id

    @staticmethod
    def _case_row(item: TriageItem, mention_id: int, now: datetime) -> CaseRow:
        status = Status.NEW if item.channel else Status.IGNORED
        return fit(CaseRow(
            mention_id=mention_id,
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
        ))

    @staticmethod
    def _created(item: TriageItem, row: MentionRow, case: CaseRow, case_id: int,
                 now: datetime) -> tuple[EventRow, list[OutboxRow]]:
        """A new case's 'created' event and, when it is posted, its post and history rows.
        Case ids are never reused (no case is deleted), so these keys are new: not looked up;
        the unique key would still refuse a duplicate."""
        event = EventRow(case_id=case_id, actor="system", action="created",
                         to_status=case.status, at=now,
                         detail={"label": item.label.value, "brand": row.brand})
        if not case.channel:
            return event, []
        return event, [
            new_outbox_row(key=post_key(case_id), kind=OutboxKind.POST, case_id=case_id,
                           channel=case.channel, payload={"case_id": case_id}),
            new_outbox_row(key=history_key(case_id), kind=OutboxKind.HISTORY, case_id=case_id,
                           channel=case.channel, thread_key=post_key(case_id),
                           payload={"case_id": case_id}),
        ]

    def iter_mentions(self, since: datetime | None = None) -> Iterator[StoredMention]:
        stmt = select(MentionRow, CaseRow.status).join(
            CaseRow, CaseRow.mention_id == MentionRow.id, isouter=True
        ).order_by(MentionRow.id)
        if since is not None:
            stmt = stmt.where(MentionRow.created_at >= since)
        with self._sessions() as s:
            for row, status in s.execute(stmt.execution_options(yield_per=500)):
                yield stored_mention_of(row, status=status)

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

    def source_state(self, source: str) -> SourceState | None:
        with self.session() as s:
            row = s.get(SourceStateRow, source)
            return state_of(row) if row is not None else None

    def record_poll(
        self,
        source: str,
        *,
        error: str | None = None,
        next_poll_at: datetime | None = None,
        disabled_reason: str | None = None,
        at: datetime | None = None,
        by: str | None = None,
    ) -> None:
        """Record how a poll ended: a success (and when the next one is due) or an error (and
        when the backoff ends); `by`: the replica that polled. What a poll stored is recorded
        with it by `save_batch`."""
        now = at or utcnow()
        with self.session() as s:
            state = s.get(SourceStateRow, source) or SourceStateRow(source=source, failures=0)
            state.last_poll_at = now
            if by is not None:
                state.polled_by = by
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

    def source_states(self) -> list[SourceState]:
        with self.session() as s:
            return [state_of(r) for r in
                    s.scalars(select(SourceStateRow).order_by(SourceStateRow.source))]

    def kv_get(self, key: str) -> dict[str, Any] | None:
        with self.session() as s:
            row = s.get(KeyValueRow, key)
            return dict(row.value) if row else None

    def kv_set(self, key: str, value: dict[str, Any]) -> None:
        """Write `key`; when another replica inserts it between our read and our insert, the
        second try updates its row."""
        for last in (False, True):
            try:
                with self.session() as s:
                    row = s.get(KeyValueRow, key) or KeyValueRow(key=key)
                    row.value = jsonable(value)
                    row.updated_at = utcnow()
                    s.add(row)
                return
            except IntegrityError:
                if last:
                    raise

    def outbox_backlog(self, *, unsent: bool = False) -> dict[str, int]:
        """Rows by status; `unsent`: only those not delivered (pending, sending, unknown, dead),
        counted without reading the sent rows, which only grow."""
        stmt = select(OutboxRow.status, func.count()).group_by(OutboxRow.status)
        if unsent:
            stmt = stmt.where(OutboxRow.status.in_(
                (OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.UNKNOWN,
                 OutboxStatus.DEAD)))
        with self.session() as s:
            return {status: int(n) for status, n in s.execute(stmt)}
