"""Per-process helpers of the hub's request path: staging uploads, long-poll wake-ups, rate limits."""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Protocol

from lienthong.hub import problems as HP
from lienthong.hub.intake import Refused, Upload
from lienthong.store.blobs import FileBlobStore


class Tally(Protocol):
    """Where the hub counts what happens (monitoring metrics); the hub itself keeps no counts."""

    def count(self, event: str, **labels: str) -> None: ...


class NoTally:
    def count(self, event: str, **labels: str) -> None:
        pass


class Notifier:
    """Wakes waiting receivers (long poll) when something arrives for one of their agencies."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: list[tuple[frozenset[str], asyncio.AbstractEventLoop, asyncio.Event]] = []

    def notify(self, codes: Iterable[str]) -> None:
        wanted = set(codes)
        with self._lock:
            for watched, loop, event in self._waiters:
                if watched & wanted:
                    loop.call_soon_threadsafe(event.set)

    @contextmanager
    def watching(self, codes: Iterable[str]) -> Iterator[asyncio.Event]:
        event = asyncio.Event()
        entry = (frozenset(codes), asyncio.get_running_loop(), event)
        with self._lock:
            self._waiters.append(entry)
        try:
            yield event
        finally:
            with self._lock:
                self._waiters.remove(entry)


class Stager:
    """Takes a body chunk by chunk into a staging file: size limit, SHA-256 with and without a final CRLF."""

    def __init__(self, blobs: FileBlobStore, limit: int) -> None:
        fd, self.path = blobs.new_staging()  # locked while written: a start-up sweep spares it
        self._fh = os.fdopen(fd, "wb")
        self.limit = limit
        self.size = 0
        self._digest = hashlib.sha256()
        self._tail = b""  # the last two bytes, kept out of the digest until more arrive

    def write(self, chunk: bytes) -> None:
        if not chunk:
            return
        self.size += len(chunk)
        if self.size > self.limit:
            self.abort()
            raise Refused(HP.TOO_LARGE("", limit=self.limit))
        data = self._tail + chunk
        self._digest.update(data[:-2])
        self._tail = data[-2:]
        self._fh.write(chunk)

    def finish(self) -> Upload:
        self._fh.close()
        before_tail = self._digest.copy()
        self._digest.update(self._tail)
        without = before_tail.hexdigest() if self._tail == b"\r\n" else None
        return Upload(self.path, self._digest.hexdigest(), self.size, without)

    def abort(self) -> None:
        self._fh.close()
        self.path.unlink(missing_ok=True)
