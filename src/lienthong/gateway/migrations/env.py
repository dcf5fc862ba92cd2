"""Alembic environment of the gateway's database (its own version table, so it can share a server)."""

from __future__ import annotations

from alembic import context

from lienthong.gateway.tables import GatewayBase

config = context.config
engine = config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=GatewayBase.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        transaction_per_migration=True,
        version_table="gateway_alembic_version",
    )
    with context.begin_transaction():
        context.run_migrations()
