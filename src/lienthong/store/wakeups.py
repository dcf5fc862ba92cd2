"""Wake-ups across processes: PostgreSQL ``NOTIFY`` at commit, a ``LISTEN`` thread in every worker.

A batch that makes mail wait for some agencies sends ``pg_notify(CHANNEL, 'code,code,...')`` inside
its transaction, so the notice goes out only if the batch commits. Every worker listens and wakes
its own long-polling receivers for those codes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

import psycopg
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from lienthong.store.loop import Loop

log = logging.getLogger(__name__)
CHANNEL = "lienthong_mail"
_PAYLOAD = 7000  # NOTIFY payloads stop at 8000 bytes


def announce(session: Session, codes: Iterable[str]) -> None:
    """Queue a notice for ``codes`` in the session's transaction (sent by PostgreSQL at commit)."""
    payload = ""
    for code in sorted(set(codes)):
        if payload and len(payload) + len(code) + 1 > _PAYLOAD:
            session.execute(text("SELECT pg_notify(:c, :p)"), {"c": CHANNEL, "p": payload})
            payload = ""
        payload = f"{payload},{code}" if payload else code
    if payload:
        session.execute(text("SELECT pg_notify(:c, :p)"), {"c": CHANNEL, "p": payload})


class Listener(Loop):
    """A thread holding one connection that LISTENs and hands each notice's codes to ``wake``."""

    name = "lienthong-listen"

    def __init__(self, engine: Engine, wake: Callable[[list[str]], None], retry: float = 2.0) -> None:
        super().__init__()
        url = engine.url.set(drivername="postgresql")
        self.conninfo = url.render_as_string(hide_password=False)
        self.wake = wake
        self.retry = retry
        self.ready = threading.Event()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.conninfo, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.ready.set()
                    while not self._stop.is_set():
                        for notice in conn.notifies(timeout=1.0):
                            self.wake([c for c in notice.payload.split(",") if c])
            except psycopg.Error as exc:
                self.ready.clear()
                log.warning("listening for wake-ups failed (%s); retrying", exc)
                self._stop.wait(self.retry)
