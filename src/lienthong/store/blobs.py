"""Content-addressed storage of package bodies: a port, and the local-folder implementation.

A body is written to a temporary file, fsynced, then renamed to its SHA-256 name and the folder
fsynced, all before the database commit that refers to it, so a committed package always has its
bytes. A shared disk or an S3-compatible store can implement the same port.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

import pybase64


class BlobStore(Protocol):
    """Where package bodies live, addressed by their SHA-256."""

    def put_file(self, path: Path, sha256: str) -> str:
        """Move a fully written, hashed temporary file into the store; return its key."""
        ...

    def open(self, key: str) -> IO[bytes]: ...

    def size(self, key: str) -> int: ...

    def exists(self, key: str) -> bool: ...

    @contextmanager
    def staging(self) -> Iterator[tuple[IO[bytes], Path]]:
        """A temporary file on the same device, for streaming an upload into."""
        ...

    def check_writable(self) -> None:
        """Raise OSError if the store cannot take a new body now."""
        ...


class FileBlobStore:
    """Bodies as files under ``root/aa/bb/<sha256>``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.tmp = self.root / "tmp"
        private_dir(self.root)
        private_dir(self.tmp)
        self.sweep_staging()  # what a crashed or killed process left behind (issue 12, defect 5)

    def new_staging(self) -> tuple[int, Path]:
        """A private (0600) staging file, locked while its writer lives so a sweep never takes it."""
        fd, name = tempfile.mkstemp(dir=self.tmp, prefix="upload-")
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return fd, Path(name)

    def sweep_staging(self) -> int:
        """Delete staging files no living writer holds (its lock dies with its process); the count."""
        removed = 0
        for path in self.tmp.glob("upload-*"):
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                path.unlink(missing_ok=True)
                removed += 1
            except BlockingIOError:
                pass  # an upload in progress in this or another worker
            finally:
                os.close(fd)
        return removed

    def _path(self, key: str) -> Path:
        if len(key) != 64 or not all(c in "0123456789abcdef" for c in key):
            raise ValueError(f"not a blob key: {key!r}")
        return self.root / key[:2] / key[2:4] / key

    def put_file(self, path: Path, sha256: str) -> str:
        target = self._path(sha256)
        if target.exists():
            path.unlink(missing_ok=True)  # identical content already stored
            return sha256
        _private_parents(target)
        with path.open("rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(path, target)
        fsync_dir(target.parent)
        return sha256

    def sync_staged(self, path: Path) -> None:
        """Make a staged file's bytes durable (done by each request, concurrently, before its batch)."""
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def place_many(self, bodies: list[tuple[Path, str]]) -> None:
        """Move synced staging files to their names, then sync each folder once (before the commit).

        All renames go first: on a journalling file system the first folder sync commits every
        rename of the batch, and the others find nothing left to write.
        """
        folders: set[Path] = set()
        for path, sha256 in bodies:
            target = self._path(sha256)
            if target.exists():
                path.unlink(missing_ok=True)  # identical content already stored
                continue
            try:
                os.replace(path, target)  # the fan-out folders exist after the first few bodies
            except FileNotFoundError:
                _private_parents(target)
                os.replace(path, target)
            folders.add(target.parent)
        for folder in sorted(folders):
            fsync_dir(folder)

    def put_bytes(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        with self.staging() as (fh, path):
            fh.write(data)
            fh.flush()
        return self.put_file(path, digest)

    def open(self, key: str) -> IO[bytes]:
        return self._path(key).open("rb")

    def read(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def size(self, key: str) -> int:
        return self._path(key).stat().st_size

    def exists(self, key: str) -> bool:
        return self._path(key).exists()

    def remove(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    @contextmanager
    def staging(self) -> Iterator[tuple[IO[bytes], Path]]:
        fd, path = self.new_staging()
        try:
            with os.fdopen(fd, "wb") as fh:
                yield fh, path
        except BaseException:
            path.unlink(missing_ok=True)
            raise

    def check_writable(self) -> None:
        probe = self.tmp / ".probe"
        probe.write_bytes(b"ok")
        probe.unlink()

    def free_bytes(self) -> int:
        return shutil.disk_usage(self.root).free


@dataclass(frozen=True)
class Staged:
    """A body streamed to a staging file: its path, SHA-256, size, and its digest without a final CRLF."""

    path: Path
    sha256: str
    size: int
    sha256_without_crlf: str | None = None  # when the body ends with CRLF


class Stager:
    """Takes a body chunk by chunk into a staging file: size limit, SHA-256 with and without a final CRLF.

    The one way a body of any size is taken in (the hub's uploads, the gateway's submissions and
    fetches): it is never held whole in memory. ``too_large`` makes the refusal the caller speaks.
    """

    def __init__(
        self, blobs: FileBlobStore, limit: int, too_large: Callable[[int], BaseException] | None = None
    ) -> None:
        fd, self.path = blobs.new_staging()  # locked while written: a start-up sweep spares it
        self._fh = os.fdopen(fd, "wb")
        self.limit = limit
        self.too_large = too_large or (lambda limit: ValueError(f"the body is larger than {limit} bytes"))
        self.size = 0
        self._digest = hashlib.sha256()
        self._tail = b""  # the last two bytes, kept out of the digest until more arrive

    def write(self, chunk: bytes) -> None:
        if not chunk:
            return
        self.size += len(chunk)
        if self.size > self.limit:
            self.abort()
            raise self.too_large(self.limit)
        data = self._tail + chunk if len(chunk) < 2 else None
        if data is None:  # the usual case: no copy of a large chunk
            self._digest.update(self._tail)
            self._digest.update(memoryview(chunk)[:-2])
            self._tail = chunk[-2:]
        else:
            self._digest.update(data[:-2])
            self._tail = data[-2:]
        self._fh.write(chunk)

    def finish(self) -> Staged:
        self._fh.close()
        before_tail = self._digest.copy()
        self._digest.update(self._tail)
        without = before_tail.hexdigest() if self._tail == b"\r\n" else None
        return Staged(self.path, self._digest.hexdigest(), self.size, without)

    def abort(self) -> None:
        self._fh.close()
        self.path.unlink(missing_ok=True)

    def take(self, chunks: Iterable[bytes]) -> Staged:
        """All of ``chunks``, then ``finish``; the staging file is removed if anything fails."""
        try:
            for chunk in chunks:
                self.write(chunk)
            return self.finish()
        except BaseException:
            self.abort()
            raise


def file_chunks(path: Path, size: int = 1 << 20) -> Iterator[bytes]:
    """A file's bytes, ``size`` at a time."""
    with path.open("rb") as fh:
        while chunk := fh.read(size):
            yield chunk


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def base64_chunks(path: Path, chunk: int = 3 << 20) -> Iterator[bytes]:
    """A file as base64, a few MB at a time (``chunk`` is a multiple of 3: no padding mid-stream)."""
    assert chunk % 3 == 0
    with path.open("rb") as fh:
        while data := fh.read(chunk):
            yield pybase64.b64encode(data)


def base64_size(size: int) -> int:
    return 4 * ((size + 2) // 3)


def _private_parents(target: Path) -> None:
    """The two fan-out folders of a body, each readable by the hub's user only (issue 12)."""
    target.parent.parent.mkdir(mode=0o700, exist_ok=True)
    target.parent.mkdir(mode=0o700, exist_ok=True)


def private_dir(path: Path) -> None:
    """Create ``path`` readable by the hub's user only (0700), tightening one that exists."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
