"""Alembic environment: runs migrations on the engine handed over by ``lienthong.store.db``."""

from __future__ import annotations

from alembic import context

from lienthong.store.tables import Base

config = context.config
engine = config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()
