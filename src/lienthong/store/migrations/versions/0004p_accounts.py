"""people: accounts, sessions, sign-in attempts, API tokens

Revision ID: 0004p
Revises: 0003m
Create Date: 2026-11-30 20:45:00
"""

from __future__ import annotations

from alembic import op

from lienthong.accounts.migration_ops import create_v1, drop_v1

revision = "0004p"
down_revision = "0003m"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_v1(op)


def downgrade() -> None:
    drop_v1(op)
