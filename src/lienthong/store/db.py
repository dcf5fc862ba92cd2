"""Database engines for the embedded default (SQLite, WAL) and the scale path (PostgreSQL), and migrations."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from lienthong.store.loop import Loop

MIGRATIONS = Path(__file__).with_name("migrations")
log = logging.getLogger(__name__)
READ_ONLY = "lienthong_read_only"  # an execution option: this engine's transactions only read


def normalise_url(url: str) -> str:
    """Accept plain ``postgresql://`` and file paths; pick the drivers Lienthong ships with."""
    if "://" not in url:
        return f"sqlite:///{Path(url).resolve()}"
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine with the settings each backend needs for safe concurrent writers."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        path = make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "isolation_level": None}, **kwargs)
        _sqlite_settings(engine)
        return engine
    # No pre-ping: it costs a round trip on every checkout. A connection the server dropped fails
    # its statement once and is discarded by the pool; recycling bounds how stale one can get.
    return create_engine(url, pool_pre_ping=False, pool_recycle=1800, pool_size=10, max_overflow=20, **kwargs)


def _sqlite_settings(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
        cursor.execute("PRAGMA synchronous=FULL")  # an accepted package survives a power cut
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY):
            # A WAL reader takes no lock: it never waits for the writer nor makes it wait.
            connection.exec_driver_sql("BEGIN")
            return
        # Take the write lock at the start, so two writers queue instead of deadlocking on upgrade.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def reader(engine: Engine) -> Engine:
    """The same engine (same pool) for transactions that only read.

    On SQLite its transactions begin DEFERRED instead of IMMEDIATE: a reader that took the write
    lock would queue behind the writer in SQLite's busy handler (sleeps growing to 100 ms) and
    make the writer sleep there in turn — the 1–2 s p99 of issue 15. Elsewhere it changes nothing.
    """
    return engine.execution_options(**{READ_ONLY: True})


class Checkpointer(Loop):
    """SQLite: move the WAL into the database file in a background thread, not in a commit.

    By default the connection whose commit crosses 1,000 WAL pages runs the checkpoint itself
    (fsyncing the database file); with one writer that stalls every request waiting on that batch.
    Here commits never checkpoint; this thread does, every ``every`` seconds (PASSIVE: it never
    blocks the writer or the readers).
    """

    name = "lienthong-checkpoint"

    def __init__(self, engine: Engine, every: float = 1.0) -> None:
        super().__init__()
        self.engine = engine
        self.every = every

        @event.listens_for(engine, "connect")
        def no_auto_checkpoint(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                # On the driver's connection: SQLAlchemy's would open a transaction (BEGIN IMMEDIATE)
                # first, and SQLite refuses a checkpoint inside one.
                raw = self.engine.raw_connection()
                try:
                    raw.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)")  # type: ignore[union-attr]
                finally:
                    raw.close()
            except Exception as exc:  # a busy or missing file: the next round tries again
                log.warning("WAL checkpoint failed: %s", exc)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work commits together, or not at all."""
    with factory() as session, session.begin():
        yield session


def alembic_config(engine: Engine, location: Path = MIGRATIONS) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(location))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine, location: Path = MIGRATIONS) -> None:
    """Bring the schema to the latest revision (run on every start; a no-op when current)."""
    command.upgrade(alembic_config(engine, location), "head")


def ping(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
