"""A token bucket per connected system, shared by every worker process of a hub on one data folder.

Each system's bucket is 16 bytes (tokens, last refill as wall-clock seconds) in a file of its own
under ``DATA_DIR/ratelimit``, read and written under an exclusive ``flock``: workers of one
``hub serve`` see one bucket, and a restarted worker keeps the state.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import struct
import time
from collections.abc import Callable
from pathlib import Path

from lienthong.hub.directory import SystemRef
from lienthong.store.blobs import private_dir

_STATE = struct.Struct("<dd")


class RateLimiter:
    """``allow(key)`` takes one token from the key's bucket; a system's own limits win over the defaults."""

    def __init__(self, folder: Path, rate: float, burst: int, clock: Callable[[], float] = time.time) -> None:
        self.folder, self.rate, self.burst, self.clock = Path(folder), rate, burst, clock
        private_dir(self.folder)

    def allow(self, key: str, rate: float | None = None, burst: int | None = None) -> bool:
        rate, cap = rate or self.rate, float(burst or self.burst)
        name = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]  # any system id, a safe file name
        fd = os.open(self.folder / name, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            now = self.clock()
            raw = os.pread(fd, _STATE.size, 0)
            tokens, last = _STATE.unpack(raw) if len(raw) == _STATE.size else (cap, now)
            tokens = min(cap, tokens + max(0.0, now - last) * rate)
            allowed = bool(tokens >= 1)
            os.pwrite(fd, _STATE.pack(tokens - 1 if allowed else tokens, now), 0)
            return allowed
        finally:
            os.close(fd)  # closing releases the lock

    def limit_of(self, system: SystemRef) -> float:
        return system.rate_per_second or self.rate
