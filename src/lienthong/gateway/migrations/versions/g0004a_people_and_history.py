"""people: accounts, sessions, sign-in attempts, API tokens, the history of who did what, urgency

Revision ID: g0004a
Revises: g0003
Create Date: 2026-11-30 21:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lienthong.accounts.migration_ops import create_v1, drop_v1

revision = "g0004a"
down_revision = "g0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_v1(op)
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_events_subject", "events", ["subject"])
    with op.batch_alter_table("incoming", schema=None) as batch_op:
        batch_op.add_column(sa.Column("priority", sa.String(length=4), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("incoming", schema=None) as batch_op:
        batch_op.drop_column("priority")
    op.drop_index("ix_events_subject", table_name="events")
    op.drop_table("events")
    drop_v1(op)
