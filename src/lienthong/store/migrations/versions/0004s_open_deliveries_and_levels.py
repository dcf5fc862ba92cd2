"""open deliveries index, agencies by level, audit entries by subject

Revision ID: 0004s
Revises: 0004p
Create Date: 2026-11-30 20:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004s"
down_revision = "0004p"  # after the accounts (both branches started from 0003m)
branch_labels = None
depends_on = None

OPEN = sa.text("state IN ('pending', 'fetched')")


def upgrade() -> None:
    op.create_index(
        "ix_deliveries_open",
        "deliveries",
        ["recipient_code", "kind", "id"],
        unique=False,
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )
    op.create_index("ix_agencies_level_code", "agencies", ["level", "code"], unique=False)
    op.create_index("ix_audit_subject", "audit_log", ["subject"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_audit_subject", table_name="audit_log")
    op.drop_index("ix_agencies_level_code", table_name="agencies")
    op.drop_index("ix_deliveries_open", table_name="deliveries")
