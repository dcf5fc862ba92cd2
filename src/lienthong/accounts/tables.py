"""The accounts tables, added to any metadata (the hub's, a gateway's) under ``account_*`` names."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)


@dataclass(frozen=True)
class AccountTables:
    users: Table
    sessions: Table
    attempts: Table
    tokens: Table


def define_tables(metadata: MetaData) -> AccountTables:
    """Create the four tables in ``metadata`` (call once per metadata)."""
    users = Table(
        "account_users",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("username", String(64), nullable=False, unique=True),
        Column("display_name", String(200), nullable=False, default=""),
        Column("role", String(32), nullable=False),
        # The agency code a scoped role is limited to (a level-1 body on the hub, the agency on a gateway).
        Column("scope", String(64)),
        Column("password_hash", String(200), nullable=False),
        Column("state", String(16), nullable=False, default="active"),  # active | disabled
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
    )
    sessions = Table(
        "account_sessions",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("token_hash", String(64), nullable=False, unique=True),  # the cookie is never stored
        Column("user_id", ForeignKey("account_users.id", ondelete="CASCADE"), nullable=False, index=True),
        Column("csrf", String(64), nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("expires_at", DateTime(timezone=True), nullable=False),
        Column("ip", String(64), nullable=False, default=""),
    )
    attempts = Table(
        "account_attempts",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("username", String(64), nullable=False),
        Column("ip", String(64), nullable=False),
        Column("ok", Boolean, nullable=False),
        Column("at", DateTime(timezone=True), nullable=False),
        Index("ix_account_attempts_user", "username", "at"),
        Index("ix_account_attempts_ip", "ip", "at"),
    )
    tokens = Table(
        "account_tokens",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("token_hash", String(64), nullable=False, unique=True),
        Column("user_id", ForeignKey("account_users.id", ondelete="CASCADE"), nullable=False, index=True),
        Column("label", String(200), nullable=False, default=""),
        Column("scopes", Text, nullable=False, default=""),  # space-separated, e.g. "read send"
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("revoked_at", DateTime(timezone=True)),
        Column("last_used_at", DateTime(timezone=True)),
    )
    return AccountTables(users, sessions, attempts, tokens)
