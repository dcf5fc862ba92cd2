"""The migrations create exactly the tables of the models, up to the head (SQLite and PostgreSQL)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from lienthong.hub.service import Hub
from lienthong.store.tables import Base


def test_migrations_match_the_models(hub: Hub) -> None:
    with hub.engine.connect() as conn:
        context = MigrationContext.configure(conn)
        assert context.get_current_revision() == "0005f"  # … 0004s → 0004h → 0005f (federation)
        assert compare_metadata(context, Base.metadata) == []
