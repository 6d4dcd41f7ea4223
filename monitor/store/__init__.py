"""Persistence: SQLAlchemy 2 models, Alembic migrations, the outbox and triage state."""

from monitor.store.store import Store, StoredMention, row_to_mention

__all__ = ["Store", "StoredMention", "row_to_mention"]
