"""Background work exactly once across processes: the holder of a PostgreSQL advisory lock runs it.

Every hub worker (on one machine or several) runs a ``Leader``; the one whose session holds the
lock starts the background work (monitor sweeps, the warning system's schedule). If that process
dies its session ends, the lock is released, and another worker takes over within ``retry``
seconds. On SQLite there is one process by design: the work starts at once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy import Connection, Engine, text

from lienthong.store.loop import Loop

log = logging.getLogger(__name__)
BACKGROUND_LOCK = 770781  # the write lock is 770780


class Leader(Loop):
    name = "lienthong-leader"

    def __init__(
        self,
        engine: Engine,
        on_elected: Callable[[], None],
        key: int = BACKGROUND_LOCK,
        retry: float = 5.0,
    ) -> None:
        super().__init__()
        self.engine = engine
        self.on_elected = on_elected
        self.key = key
        self.retry = retry
        self.elected = threading.Event()

    def start(self) -> None:
        if self.engine.dialect.name != "postgresql":
            self._elect()
            return
        super().start()

    def _elect(self) -> None:
        self.elected.set()
        try:
            self.on_elected()
        except Exception:
            log.exception("background work failed to start")

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar()
                    if got:
                        log.info("this worker runs the background work")
                        self._elect()
                        self._hold(conn)
                        return
            except Exception as exc:  # the database is away: try again later
                log.warning("background-work election failed: %s", exc)
            self._stop.wait(self.retry)

    def _hold(self, conn: Connection) -> None:
        """Keep the session (and so the lock) until stopped; ending it releases the lock."""
        while not self._stop.wait(self.retry):
            try:
                conn.execute(text("SELECT 1"))
            except Exception as exc:
                log.error("lost the database session holding the background lock: %s", exc)
                return
        conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
