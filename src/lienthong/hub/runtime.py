"""Per-process helpers of the hub's request path: staging uploads, long-poll wake-ups, rate limits."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Protocol

from lienthong.hub import problems as HP
from lienthong.hub.intake import Refused, Upload
from lienthong.store.blobs import FileBlobStore
from lienthong.store.blobs import Stager as BlobStager


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


class Stager(BlobStager):
    """The store's stager speaking the hub's refusal (HUB.TOO_LARGE) and giving an ``Upload``."""

    def __init__(self, blobs: FileBlobStore, limit: int) -> None:
        super().__init__(blobs, limit, lambda limit: Refused(HP.TOO_LARGE("", limit=limit)))

    def finish(self) -> Upload:
        staged = super().finish()
        return Upload(staged.path, staged.sha256, staged.size, staged.sha256_without_crlf)

    def take(self, chunks: Iterable[bytes]) -> Upload:
        staged = super().take(chunks)  # the store's loop; our finish made it an Upload
        assert isinstance(staged, Upload)
        return staged
