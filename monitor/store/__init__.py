"""Persistence: SQLAlchemy 2 models, Alembic migrations, the outbox and triage state."""
