"""systems: operator role, registration permission, per-system rate limits

Revision ID: 0004h
Revises: 0004s
Create Date: 2026-11-30 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004h"
down_revision = "0004s"  # after the accounts and the indexes (three branches started from 0003m)
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("systems", schema=None) as batch_op:
        batch_op.add_column(sa.Column("operator", sa.Boolean(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("can_register", sa.Boolean(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("rate_per_second", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("rate_burst", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("systems", schema=None) as batch_op:
        batch_op.drop_column("rate_burst")
        batch_op.drop_column("rate_per_second")
        batch_op.drop_column("can_register")
        batch_op.drop_column("operator")
