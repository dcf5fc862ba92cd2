"""federation: agency and delivery routes, the upstream link, the relay queue, pulled upstream ids

Revision ID: 0005f
Revises: 0004h
Create Date: 2026-12-01 00:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005f"
down_revision = "0004h"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agencies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("route", sa.String(length=8), server_default="local", nullable=False))
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("route", sa.String(length=8), server_default="local", nullable=False))
    op.create_table(
        "upstream_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("protocol", sa.String(length=8), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("system_id", sa.String(length=128), nullable=False),
        sa.Column("credential_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("hub_code", sa.String(length=64), nullable=False),
        sa.Column("directory_version", sa.BigInteger(), nullable=False),
        sa.Column("last_sync_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_pull_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_ok_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "relays",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("relay_id", sa.String(length=64), nullable=False),
        sa.Column("package_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_try_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recipients", sa.Text(), nullable=False),
        sa.Column("blob_key", sa.String(length=64), nullable=True),
        sa.Column("signed", sa.Boolean(), nullable=False),
        sa.Column("upstream_doc_id", sa.String(length=128), nullable=True),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("error_text", sa.Text(), nullable=True),
        sa.Column("warned_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["package_id"], ["packages.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("package_id"),
        sa.UniqueConstraint("relay_id"),
    )
    op.create_index("ix_relays_due", "relays", ["state", "next_attempt_at"], unique=False)
    op.create_table(
        "upstream_pulls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("upstream_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("local_doc_id", sa.String(length=64), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("pulled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("upstream_id"),
    )


def downgrade() -> None:
    op.drop_table("upstream_pulls")
    op.drop_index("ix_relays_due", table_name="relays")
    op.drop_table("relays")
    op.drop_table("upstream_link")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("route")
    with op.batch_alter_table("agencies", schema=None) as batch_op:
        batch_op.drop_column("route")
