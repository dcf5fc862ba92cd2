"""Standard health checks: database reachable and writable, storage with space, trust store, certificates."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Protocol

from sqlalchemy import Engine, create_engine, insert, update
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.pool import NullPool

from lienthong.display import human_size
from lienthong.monitor import certs as C
from lienthong.monitor import problems as MP
from lienthong.monitor.health import CheckResult, Clock, Status
from lienthong.store.tables import MonitorState


def probe_engine(url: str | URL, timeout: float = 5.0) -> Engine:
    """An engine that opens a fresh connection for every probe, so a check sees the database as it is now.

    The serving pool keeps connections (and, on SQLite, open files) that outlive a broken database;
    a probe must not. A SQLite file is opened in ``rw`` mode so a missing file is an error rather
    than silently created.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database or ""
        if path and path != ":memory:" and not path.startswith("file:"):
            parsed = parsed.set(database=f"file:{path}", query={"mode": "rw", "uri": "true"})
        return create_engine(parsed, poolclass=NullPool, connect_args={"timeout": timeout})
    # Bounded waits: a probe stuck behind a lock must answer, not hang the readiness endpoint.
    wait_ms = int(timeout * 1000)
    return create_engine(
        parsed,
        poolclass=NullPool,
        connect_args={
            "connect_timeout": max(1, int(timeout)),
            "options": f"-c lock_timeout={wait_ms} -c statement_timeout={2 * wait_ms}",
        },
    )


@dataclass
class DatabaseCheck:
    """Reachable (a fresh connection answers) and writable (a probe row is updated and committed)."""

    url: str | URL
    clock: Clock
    name: str = "database"
    probe_key: str = "probe:database"
    timeout: float = 5.0
    _engine: Engine | None = field(default=None, init=False, repr=False)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = probe_engine(self.url, self.timeout)
        return self._engine

    def run(self) -> CheckResult:
        now = self.clock()
        try:
            conn = self.engine.connect()
        except DBAPIError as exc:
            return CheckResult.of(MP.DATABASE_UNREACHABLE("", detail=_first_line(exc)))
        with conn:
            try:
                conn.exec_driver_sql("SELECT 1")
                conn.rollback()  # end the implicit read transaction; the write below is its own
            except DBAPIError as exc:
                return CheckResult.of(MP.DATABASE_UNREACHABLE("", detail=_first_line(exc)))
            try:
                with conn.begin():
                    values = {"status": "ok", "reason": "OK", "detail": "", "updated_at": now}
                    done = conn.execute(
                        update(MonitorState).where(MonitorState.key == self.probe_key).values(**values)
                    )
                    if done.rowcount == 0:
                        conn.execute(insert(MonitorState).values(key=self.probe_key, since=now, **values))
            except IntegrityError:
                pass  # another process inserted the probe row first: the write went through to the check
            except DBAPIError as exc:
                detail = _first_line(exc)
                if _is_busy(detail):  # writes are slow, not impossible: degraded, still ready
                    return CheckResult.of(MP.DATABASE_BUSY("", detail=detail), Status.WARN)
                return CheckResult.of(MP.DATABASE_READONLY("", detail=detail))
        return CheckResult.ok(f"{self.engine.dialect.name} reachable and writable")

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


class StorageProbe(Protocol):
    """What a storage check needs of a store (``FileBlobStore`` has both)."""

    def check_writable(self) -> None: ...

    def free_bytes(self) -> int: ...


class FolderProbe:
    """A plain folder as a `StorageProbe` (a gateway's outbox or inbox folder)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def check_writable(self) -> None:
        probe = self.path / f".probe-{os.getpid()}"
        with probe.open("wb") as fh:
            fh.write(b"ok")
            fh.flush()
            os.fsync(fh.fileno())
        probe.unlink()

    def free_bytes(self) -> int:
        return shutil.disk_usage(self.path).free


@dataclass
class StorageCheck:
    """Free space above ``min_free_bytes`` (checked first: a full disk says so), then a real write."""

    probe: StorageProbe
    path: Path
    min_free_bytes: int
    name: str = "storage"

    def run(self) -> CheckResult:
        where = str(self.path)
        try:
            free = self.probe.free_bytes()
        except OSError as exc:
            return CheckResult.of(MP.STORAGE_NOT_WRITABLE("", folder=where, detail=_os_error(exc)))
        if free < self.min_free_bytes:
            return CheckResult.of(
                MP.STORAGE_LOW_SPACE(
                    "", folder=where, free=human_size(free), minimum=human_size(self.min_free_bytes)
                ),
                free_bytes=free,
            )
        try:
            self.probe.check_writable()
        except OSError as exc:
            return CheckResult.of(
                MP.STORAGE_NOT_WRITABLE("", folder=where, detail=_os_error(exc)), free_bytes=free
            )
        return CheckResult.ok(f"{human_size(free)} trống / free", free_bytes=free)


@dataclass
class TrustStoreCheck:
    """The trust store folder exists and at least one CA certificate in it loads."""

    path: Path
    name: str = "trust_store"

    def run(self) -> CheckResult:
        if not self.path.is_dir():
            return CheckResult.of(MP.TRUST_STORE_MISSING("", folder=str(self.path)))
        result = C.scan_path(self.path, "trust")
        if not result.certificates:
            return CheckResult.of(
                MP.TRUST_STORE_EMPTY("", folder=str(self.path), unreadable=len(result.unreadable))
            )
        return CheckResult.ok(
            f"{len(result.certificates)} certificates",
            certificates=len(result.certificates),
            unreadable=len(result.unreadable),
        )


@dataclass
class CertificateCheck:
    """The worst of the process's own certificates: expiring warns, an expired ``fail_kinds`` one fails.

    An expired TLS certificate takes the process off the network (clients refuse it), so it fails
    readiness; an expired trust anchor or agency certificate hurts some agencies only: a warning.
    """

    sources: Callable[[], C.ScanResult]
    clock: Clock
    warn_days: Sequence[int] = C.WARN_DAYS
    fail_kinds: frozenset[str] = frozenset({"tls"})
    name: str = "certificates"

    def run(self) -> CheckResult:
        now = self.clock()
        result = self.sources()
        graded = sorted(
            result.certificates, key=lambda c: C.severity_rank(c.level(now, self.warn_days)), reverse=True
        )
        data = {"certificates": len(result.certificates), "unreadable": len(result.unreadable)}
        if not graded or graded[0].level(now, self.warn_days) == C.FINE:
            if result.unreadable:
                return CheckResult.of(result.unreadable[0], Status.WARN, **data)
            soonest = min((c.days_left(now) for c in graded), default=None)
            return CheckResult.ok("" if soonest is None else f"first expiry in {soonest} days", **data)
        top = graded[0]
        problem = top.problem(now, self.warn_days)
        assert problem is not None
        expired = top.level(now, self.warn_days) == C.EXPIRED
        status = Status.FAIL if expired and top.kind in self.fail_kinds else Status.WARN
        return CheckResult.of(problem, status, sha256=top.sha256, days_left=top.days_left(now), **data)


def _first_line(exc: BaseException) -> str:
    inner = getattr(exc, "orig", None) or exc
    return (str(inner).strip().splitlines() or [type(inner).__name__])[0][:300]


def _is_busy(detail: str) -> bool:
    text = detail.lower()
    return "database is locked" in text or "lock timeout" in text or "statement timeout" in text


def _os_error(exc: OSError) -> str:
    return f"{exc.strerror or type(exc).__name__} (errno {exc.errno})" if exc.errno else str(exc)


DEFAULT_SCHEDULER_MAX_AGE = timedelta(minutes=5)
