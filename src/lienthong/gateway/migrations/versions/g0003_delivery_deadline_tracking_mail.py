"""the delivery deadline, batched tracking, the warning e-mail queue

Revision ID: g0003
Revises: g0002
Create Date: 2026-11-30 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "g0003"
down_revision = "g0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outgoing", schema=None) as batch_op:
        batch_op.add_column(sa.Column("queued_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("tracked_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("incoming", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prior_state", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("sender_name", sa.String(length=300), nullable=True))
    with op.batch_alter_table("outgoing_recipients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recipient_name", sa.String(length=300), nullable=True))
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("warning_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["warning_id"], ["warnings.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_mail_outbox_due", ["state", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_mail_outbox_warning_id"), ["warning_id"], unique=False)
    # Documents queued before this revision start their delivery deadline from their approval.
    op.execute("UPDATE outgoing SET queued_at = COALESCE(approved_at, created_at) WHERE queued_at IS NULL")


def downgrade() -> None:
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mail_outbox_warning_id"))
        batch_op.drop_index("ix_mail_outbox_due")
    op.drop_table("mail_outbox")
    with op.batch_alter_table("incoming", schema=None) as batch_op:
        batch_op.drop_column("sender_name")
        batch_op.drop_column("prior_state")
    with op.batch_alter_table("outgoing_recipients", schema=None) as batch_op:
        batch_op.drop_column("recipient_name")
    with op.batch_alter_table("outgoing", schema=None) as batch_op:
        batch_op.drop_column("tracked_at")
        batch_op.drop_column("queued_at")
