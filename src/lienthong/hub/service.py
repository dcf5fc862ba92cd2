"""The hub as one object: storage, keys, directory, intake, inboxes, statuses, audit, notifications."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Protocol

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from lienthong.checks.policy import DEFAULT_POLICY, load_policy
from lienthong.edxml import ParseLimits
from lienthong.hub import audit, directory, intake
from lienthong.hub import problems as HP
from lienthong.hub.config import HubConfig
from lienthong.hub.directory import SystemRef
from lienthong.hub.intake import Accepted, Refused, Upload
from lienthong.hub.keys import KeyRing
from lienthong.hub.ratelimit import RateLimiter
from lienthong.problems import LienthongError, Problem
from lienthong.store.blobs import FileBlobStore, private_dir
from lienthong.store.db import make_engine, migrate, session_factory
from lienthong.store.tables import Agency, Delivery, Package, Refusal, StatusEvent, System

Clock = Callable[[], datetime]
log = logging.getLogger(__name__)
ACK_STATES = {"done": "done", "fail": "failed", "processing": "fetched"}
MAX_REASON = 2000


def utc_now() -> datetime:
    return datetime.now(UTC)


class HubError(LienthongError):
    pass


@dataclass(frozen=True)
class InboxItem:
    delivery_id: str
    kind: str
    sender: str
    recipient: str
    state: str
    created_at: datetime
    updated_at: datetime
    subject: str | None
    notation: str | None
    size: int


@dataclass(frozen=True)
class SentRow:
    doc_id: str
    kind: str
    sender: str
    recipient: str
    delivery_id: str
    state: str
    error_code: str | None
    subject: str | None
    notation: str | None
    sent_at: datetime
    fetched_at: datetime | None
    acked_at: datetime | None
    last_status_code: str | None
    last_status_at: datetime | None


@dataclass(frozen=True)
class HubEvent:
    """Something the sender must hear of at once: its package was refused, or a copy undeliverable."""

    kind: str  # refused | undeliverable
    system_id: str
    sender: str | None
    doc_id: str | None
    recipient: str | None
    problem: Problem | None
    at: datetime


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
        fd, self.path = blobs.new_staging()
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


class Hub:
    def __init__(self, config: HubConfig, clock: Clock = utc_now) -> None:
        self.config = config
        self.clock = clock
        private_dir(config.data_dir)  # 0700: package metadata and encrypted secrets (issue 12, defect 9)
        _private_sqlite_file(config.database_url)
        self.engine = make_engine(config.database_url)
        migrate(self.engine)
        self.sessions = session_factory(self.engine)
        self.blobs = FileBlobStore(config.blob_dir)
        self.keys = KeyRing(config.key_dir)
        self.notifier = Notifier()
        # Shared by every worker on this data folder (issue 12): one bucket per system.
        self.limiter = RateLimiter(config.data_dir / "ratelimit", config.rate_per_second, config.rate_burst)
        self.is_postgres = self.engine.dialect.name == "postgresql"
        # A server parses many packages at once: keep little attachment text in memory per package.
        self.parse_limits = ParseLimits(max_bytes=config.max_package_bytes, spool_in_memory=4 << 20)
        self.checks_policy = load_policy(config.checks_policy) if config.checks_policy else DEFAULT_POLICY
        self._systems: dict[str, tuple[float, SystemRef | None]] = {}
        self._touched: dict[str, float] = {}
        self._listeners: list[Callable[[HubEvent], None]] = []
        self.tally: Tally = NoTally()  # monitoring replaces it (lienthong.monitor.hub)

    def close(self) -> None:
        self.engine.dispose()

    # --- transactions --------------------------------------------------------------------------

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self.sessions() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction; writers are serialised (the audit chain is one sequence)."""
        with self.sessions() as session, session.begin():
            if self.is_postgres:
                session.execute(text("SELECT pg_advisory_xact_lock(770780)"))
            yield session

    # --- identities -----------------------------------------------------------------------------

    def system(self, system_id: str) -> SystemRef | None:
        """The system, from a cache of ``cache_seconds`` (directory changes show within that time)."""
        now = time.monotonic()
        cached = self._systems.get(system_id)
        if cached is not None and now - cached[0] < self.config.cache_seconds:
            return cached[1]
        with self.read() as s:
            row = s.execute(select(System).where(System.system_id == system_id)).scalar_one_or_none()
            ref = SystemRef.of(row) if row is not None else None
        self._systems[system_id] = (now, ref)
        return ref

    def forget_cached(self) -> None:
        self._systems.clear()

    def secret_of(self, system_id: str) -> str | None:
        system = self.system(system_id)
        if system is None or system.state != "active":
            return None
        return self.keys.decrypt_secret(system.secret_encrypted)

    def system_for_token(self, token: str) -> SystemRef | None:
        with self.read() as s:
            row = directory.system_for_token(s, token)
            return SystemRef.of(row) if row is not None and row.state == "active" else None

    def touch(self, system: SystemRef) -> None:
        """Record the system's (and its agencies') last contact, at most once a minute."""
        now = time.monotonic()
        if now - self._touched.get(system.system_id, -1e9) < 60:
            return
        self._touched[system.system_id] = now
        moment = self.clock()
        with self.write() as s:
            row = s.get(System, system.id)
            if row is not None:
                row.last_contact_at = moment
                for a in s.execute(select(Agency).where(Agency.code.in_(system.agency_codes))).scalars():
                    a.last_contact_at = moment

    # --- send -------------------------------------------------------------------------------------

    def stager(self) -> Stager:
        return Stager(self.blobs, self.config.max_package_bytes)

    def stage(self, chunks: Iterable[bytes]) -> Upload:
        """Stream a body to a staging file, hashing it and enforcing the size limit."""
        stager = self.stager()
        try:
            for chunk in chunks:
                stager.write(chunk)
            return stager.finish()
        except BaseException:
            stager.abort()
            raise

    def accept(self, system_id: str, upload: Upload, extra_to: Iterable[str] = ()) -> Accepted:
        """Accept or refuse a staged package from a system. Refusals are recorded, then raised."""
        system = self.system(system_id)
        try:
            if system is None or system.state != "active":
                raise Refused(HP.AUTH_FAILED("", detail=f"unknown or disabled system {system_id}"))
            if not self.limiter.allow(system_id, system.rate_per_second, system.rate_burst):
                raise Refused(HP.RATE_LIMITED("", limit=self.limiter.limit_of(system)))
            prepared = intake.prepare(
                upload,
                system,
                self.config.policy,
                list(extra_to),
                self.config.max_recipients,
                self.parse_limits,
                now=self.clock(),  # issue 5: the preflight checks' time limits use the hub's clock
                checks_policy=self.checks_policy,
            )
            intake.check_lengths(prepared)
            key = self.blobs.put_file(upload.path, upload.sha256)  # fsynced before the commit
            with self.write() as s:
                if not self.blobs.exists(key):  # a refusal of the same bytes just took them back
                    raise Refused(HP.UNAVAILABLE("", detail="please send the package again"))
                accepted = intake.commit(s, prepared, upload, key, system, self.clock())
        except Refused as refused:
            upload.path.unlink(missing_ok=True)
            self._drop_unreferenced(upload.sha256)  # a refusal in the commit stores nothing
            self._record_refusal(system_id, refused, upload)
            self.tally.count("refused", reason=refused.problem.code)  # monitor
            self._emit(
                HubEvent("refused", system_id, refused.sender, None, None, refused.problem, self.clock())
            )
            raise
        except BaseException:  # a crash of the store or the database: the staging file goes too
            upload.path.unlink(missing_ok=True)
            raise
        self.notifier.notify(accepted.notified)
        # --- monitor: count new packages, their copies and routed statuses (a repeat is none of these)
        if not accepted.repeat:
            self.tally.count("accepted", kind=accepted.kind)
            for outcome in accepted.deliveries:
                self.tally.count("delivery", kind=accepted.kind, outcome=outcome.state)
            if accepted.status_code:
                self.tally.count("status", code=accepted.status_code)
        # --- end monitor
        for outcome in accepted.deliveries:
            if outcome.state == "undeliverable" and not accepted.repeat:
                self._emit(
                    HubEvent(
                        "undeliverable",
                        system_id,
                        accepted.sender,
                        accepted.doc_id,
                        outcome.recipient,
                        outcome.problem,
                        accepted.accepted_at,
                    )
                )
        return accepted

    def _drop_unreferenced(self, key: str) -> None:
        """Remove a stored body no package refers to (under the write lock, like every accept)."""
        with self.write() as s:
            used = s.execute(select(Package.id).where(Package.blob_key == key).limit(1)).first()
            if used is None and self.blobs.exists(key):
                self.blobs.remove(key)

    def subscribe(self, listener: Callable[[HubEvent], None]) -> None:
        """Be told at once of refusals and failed deliveries (the warning system's alerts)."""
        self._listeners.append(listener)

    def _emit(self, event: HubEvent) -> None:
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:  # a failing listener must never undo or block an accepted package
                log.exception("hub event listener failed for %s", event.kind)

    def _record_refusal(self, system_id: str, refused: Refused, upload: Upload) -> None:
        now = self.clock()
        with self.write() as s:
            s.add(
                Refusal(
                    system_id=system_id,
                    sender_code=refused.sender,
                    code=refused.problem.code,
                    detail=refused.problem.message_en,
                    sha256=upload.sha256,
                    size=upload.size,
                    at=now,
                )
            )
            audit.append(
                s,
                now,
                system_id,
                "package.refuse",
                upload.sha256,
                {
                    "code": refused.problem.code,
                    "detail": refused.problem.message_en,
                    "original": refused.original,
                },
            )

    def receipt(self, accepted: Accepted) -> dict[str, Any]:
        """A signed acceptance receipt the sender can verify offline with the hub's public key."""
        return self.keys.sign_receipt(
            {
                "hub": self.config.hub_code,
                "doc_id": accepted.doc_id,
                "sender": accepted.sender,
                "sha256": accepted.sha256,
                "size": accepted.size,
                "accepted_at": as_utc(accepted.accepted_at).isoformat(),
            }
        )

    # --- receive ------------------------------------------------------------------------------------

    def _inbox_query(self, system: SystemRef, kind: str | None) -> Any:
        query = (
            select(Delivery, Package)
            .join(Package, Delivery.package_id == Package.id)
            .where(
                Delivery.recipient_code.in_(system.agency_codes), Delivery.state.in_(("pending", "fetched"))
            )
        )
        if kind:
            query = query.where(Delivery.kind == kind)
        return query

    def pending(
        self, system: SystemRef, kind: str | None = None, limit: int = 1000, offset: int = 0
    ) -> list[InboxItem]:
        with self.read() as s:
            rows = s.execute(
                self._inbox_query(system, kind).order_by(Delivery.id).limit(limit).offset(offset)
            ).all()
            return [
                InboxItem(
                    delivery_id=d.delivery_id,
                    kind=d.kind,
                    sender=p.sender_code,
                    recipient=d.recipient_code,
                    state=d.state,
                    created_at=as_utc(d.created_at),
                    updated_at=as_utc(d.fetched_at or d.created_at),
                    subject=p.subject,
                    notation=p.notation,
                    size=p.size,
                )
                for d, p in rows
            ]

    def count_pending(self, system: SystemRef, kind: str | None = None) -> int:
        with self.read() as s:
            query = self._inbox_query(system, kind).with_only_columns(func.count(Delivery.id))
            return int(s.execute(query).scalar_one())

    def _own_delivery(self, s: Session, system: SystemRef, delivery_id: str) -> tuple[Delivery, Package]:
        row = s.execute(
            select(Delivery, Package)
            .join(Package, Delivery.package_id == Package.id)
            .where(Delivery.delivery_id == delivery_id)
        ).first()
        # Another agency's delivery is reported exactly like a missing one: nothing leaks.
        if (
            row is None
            or row[0].recipient_code not in system.agency_codes
            or row[0].state
            in (
                "undeliverable",
                "withdrawn",
            )
        ):
            raise HubError(HP.NOT_FOUND("", what="package", id=delivery_id))
        return row[0], row[1]

    def fetch(self, system: SystemRef, delivery_id: str) -> tuple[Path, Package]:
        """Mark a delivery fetched and give the stored body's path."""
        now = self.clock()
        with self.write() as s:
            delivery, package = self._own_delivery(s, system, delivery_id)
            delivery.fetch_count += 1
            if delivery.state == "pending":
                delivery.state = "fetched"
            delivery.fetched_at = delivery.fetched_at or now
            audit.append(
                s, now, system.system_id, "delivery.fetch", delivery_id, {"count": delivery.fetch_count}
            )
            key = package.blob_key
            kind = delivery.kind
        self.tally.count("fetched", kind=kind)  # monitor
        return self.blobs.root / key[:2] / key[2:4] / key, package

    def open_body(self, package: Package) -> IO[bytes]:
        return self.blobs.open(package.blob_key)

    def ack(self, system: SystemRef, delivery_id: str, status: str, reason: str = "") -> str:
        """done/fail take the delivery off the pending list (fail is a receive error); processing keeps it."""
        value = status.strip().lower()
        if value not in ACK_STATES:
            raise HubError(HP.BAD_ACK("", value=status[:32]))
        if len(reason) > MAX_REASON:  # the reason goes into the audit log (issue 12, defect 6)
            raise HubError(HP.BAD_REQUEST("", detail=f"the reason is longer than {MAX_REASON} characters"))
        now = self.clock()
        with self.write() as s:
            delivery, _ = self._own_delivery(s, system, delivery_id)
            delivery.state = ACK_STATES[value]
            delivery.acked_at = now if value != "processing" else delivery.acked_at
            if value == "fail":
                delivery.error_code = "HUB.RECEIVE_FAILED"
                delivery.error_text = reason or "the recipient reported the fetch as failed"
            audit.append(s, now, system.system_id, f"delivery.ack.{value}", delivery_id, {"reason": reason})
            state = delivery.state
        self.tally.count("acked", status=value)  # monitor
        return state

    def reoffer(self, delivery_id: str, actor: str = "operator", system: SystemRef | None = None) -> None:
        """Offer a failed delivery again (the operator, or the agency itself)."""
        now = self.clock()
        with self.write() as s:
            if system is not None:
                delivery, _ = self._own_delivery(s, system, delivery_id)
            else:
                found = s.execute(
                    select(Delivery).where(Delivery.delivery_id == delivery_id)
                ).scalar_one_or_none()
                if found is None:
                    raise HubError(HP.NOT_FOUND("", what="delivery", id=delivery_id))
                delivery = found
            if delivery.state not in ("failed", "done"):
                raise HubError(HP.BAD_REQUEST("", detail=f"delivery is {delivery.state}, not failed"))
            delivery.state = "pending"
            code = delivery.recipient_code
            audit.append(s, now, actor, "delivery.reoffer", delivery_id, {})
        self.notifier.notify([code])

    def sent(
        self, system: SystemRef, doc_id: str | None = None, limit: int = 1000, offset: int = 0
    ) -> list[SentRow]:
        """Per-recipient tracking of what the system's agencies sent."""
        with self.read() as s:
            query = (
                select(Delivery, Package)
                .join(Package, Delivery.package_id == Package.id)
                .where(Package.sender_code.in_(system.agency_codes))
            )
            if doc_id:
                query = query.where(Package.doc_id == doc_id)
            rows = s.execute(query.order_by(Package.id.desc(), Delivery.id).limit(limit).offset(offset)).all()
            return [
                SentRow(
                    doc_id=p.doc_id,
                    kind=p.kind,
                    sender=p.sender_code,
                    recipient=d.recipient_code,
                    delivery_id=d.delivery_id,
                    state=d.state,
                    error_code=d.error_code,
                    subject=p.subject,
                    notation=p.notation,
                    sent_at=as_utc(p.received_at),
                    fetched_at=as_utc(d.fetched_at) if d.fetched_at else None,
                    acked_at=as_utc(d.acked_at) if d.acked_at else None,
                    last_status_code=d.last_status_code,
                    last_status_at=as_utc(d.last_status_at) if d.last_status_at else None,
                )
                for d, p in rows
            ]

    def status_history(self, system: SystemRef, delivery_id: str) -> list[tuple[str, datetime, str | None]]:
        with self.read() as s:
            delivery = s.execute(
                select(Delivery).where(Delivery.delivery_id == delivery_id)
            ).scalar_one_or_none()
            if delivery is None or delivery.package.sender_code not in system.agency_codes:
                raise HubError(HP.NOT_FOUND("", what="delivery", id=delivery_id))
            events = s.execute(
                select(StatusEvent).where(StatusEvent.delivery_pk == delivery.id).order_by(StatusEvent.id)
            ).scalars()
            return [(e.status_code, as_utc(e.at), e.description) for e in events]

    async def wait_for_mail(self, system: SystemRef, timeout: float, kind: str | None = None) -> int:
        """Return as soon as the system has pending mail (or after ``timeout`` seconds): the count."""
        loop = asyncio.get_running_loop()
        with self.notifier.watching(system.agency_codes) as event:
            count = await loop.run_in_executor(None, self.count_pending, system, kind)
            if count:
                return count
            try:
                await asyncio.wait_for(event.wait(), timeout)
            except TimeoutError:
                return 0
        return await loop.run_in_executor(None, self.count_pending, system, kind)

    # --- audit ----------------------------------------------------------------------------------------

    def verify_audit(self) -> audit.ChainReport:
        with self.read() as s:
            return audit.verify(s)


def _private_sqlite_file(url: str) -> None:
    """Create the SQLite file 0600 before SQLite does (its -wal and -shm files take the same mode)."""
    path = make_url(url).database if url.startswith("sqlite") else None
    if not path or path == ":memory:":
        return
    db = Path(path)
    db.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(db, os.O_WRONLY | os.O_CREAT, 0o600))
    for found in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        if found.exists() and found.stat().st_mode & 0o077:
            found.chmod(0o600)


def as_utc(moment: datetime) -> datetime:
    """Datetimes read back from SQLite are naive UTC: make every one aware."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
