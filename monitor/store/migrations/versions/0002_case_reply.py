"""case reply: where a public reply stands (state, attempt, who) and what the platform answered

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import monitor.store.tables

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reply_state", sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column("reply_attempt", sa.Integer(), nullable=False,
                                      server_default="0"))
        batch_op.add_column(sa.Column("reply_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("replied_at",
                                      monitor.store.tables.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column("reply_url", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("reply_platform_id", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("reply_error", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        for name in ("reply_error", "reply_platform_id", "reply_url", "replied_at", "reply_by",
                     "reply_attempt", "reply_state"):
            batch_op.drop_column(name)
