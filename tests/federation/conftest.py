"""Federation fixtures: the hub tests' PostgreSQL check."""

from tests.hub.conftest import pg_available

__all__ = ["pg_available"]
