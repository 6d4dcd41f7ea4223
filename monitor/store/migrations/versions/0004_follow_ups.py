"""follow-ups: the customer's answers after our reply, and the latest one on the case

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 10:00:00

Safe to interrupt: monitor.store.migrate runs the whole upgrade in one transaction (PostgreSQL
and SQLite both have transactional DDL), so a killed upgrade leaves revision 0003 as it was.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import monitor.store.tables

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "follow_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.Column("revision", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("author_handle", sa.String(length=128), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("previous_rating", sa.Integer(), nullable=True),
        sa.Column("posted_at", monitor.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("fetched_at", monitor.store.tables.UTCDateTime(timezone=True),
                  nullable=False),
        sa.Column("label", sa.String(length=16), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("model", sa.String(length=128), nullable=False),
        sa.Column("signal", sa.String(length=16), nullable=True),
        sa.Column("reopened", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"],
                                name=op.f("fk_follow_ups_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_ups")),
        sa.UniqueConstraint("source", "external_id", "revision",
                            name="uq_follow_ups_source_external_id_revision"),
    )
    op.create_index("ix_follow_ups_case", "follow_ups", ["case_id"], unique=False)
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("follow_ups", sa.Integer(), nullable=False,
                                      server_default="0"))
        batch_op.add_column(sa.Column("follow_up_at",
                                      monitor.store.tables.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column("follow_up_label", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("follow_up_signal", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("follow_up_rating", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        for name in ("follow_up_rating", "follow_up_signal", "follow_up_label", "follow_up_at",
                     "follow_ups"):
            batch_op.drop_column(name)
    op.drop_index("ix_follow_ups_case", table_name="follow_ups")
    op.drop_table("follow_ups")
