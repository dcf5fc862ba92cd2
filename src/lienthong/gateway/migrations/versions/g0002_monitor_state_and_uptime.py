"""monitor state and uptime (the gateway's contact with the hub)

Revision ID: g0002
Revises: g0001
Create Date: 2026-11-25 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "g0002"
down_revision = "g0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The same tables as the hub's 0003m: lienthong.monitor keeps its conditions and uptime there.
    op.create_table(
        "monitor_state",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "monitor_uptime",
        sa.Column("peer", sa.String(length=128), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("up_seconds", sa.Float(), nullable=False),
        sa.Column("observed_seconds", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("peer", "day"),
    )


def downgrade() -> None:
    op.drop_table("monitor_uptime")
    op.drop_table("monitor_state")
