"""Persistence: SQLAlchemy 2 models, Alembic migrations, the outbox and triage state."""

from monitor.store.store import Store

__all__ = ["Store"]
