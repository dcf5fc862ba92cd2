"""The accounts tables on a metadata of their own (as a gateway will hold them): migration = models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import MetaData, inspect

from lienthong.accounts.migration_ops import create_v1, drop_v1
from lienthong.accounts.tables import define_tables
from lienthong.store.db import make_engine
from tests.hub.conftest import db_url, pg_available  # noqa: F401  (fixtures)


def test_the_shared_migration_creates_exactly_the_tables(db_url: str) -> None:  # noqa: F811
    metadata = MetaData()
    define_tables(metadata)
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            context = MigrationContext.configure(conn)
            create_v1(Operations(context))
            assert compare_metadata(context, metadata) == []
            drop_v1(Operations(context))
            assert not [t for t in inspect(conn).get_table_names() if t.startswith("account_")]
    finally:
        engine.dispose()
