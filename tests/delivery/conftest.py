"""Delivery fixtures: the hub's database fixtures (SQLite and PostgreSQL) serve the queue's tests too."""

from tests.hub.conftest import db_url, pg_available  # noqa: F401  (fixtures)
