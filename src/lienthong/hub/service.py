"""The hub as one object: storage, keys, directory, intake, inboxes, statuses, audit, notifications."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

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
from lienthong.hub.runtime import NoTally, Notifier, Stager, Tally
from lienthong.problems import LienthongError, Problem
from lienthong.store import wakeups
from lienthong.store.blobs import FileBlobStore, private_dir
from lienthong.store.db import Checkpointer, make_engine, migrate, reader, session_factory
from lienthong.store.tables import OPEN_DELIVERY, Agency, Delivery, Package, Refusal, StatusEvent, System
from lienthong.store.writer import Batch, GroupWriter

Clock = Callable[[], datetime]
log = logging.getLogger(__name__)
ACK_STATES = {"done": "done", "fail": "failed", "processing": "fetched"}
MAX_REASON = 2000
RELAY_WAKE = "~relay"  # not an agency code: a package was queued for the upstream hub (issue 16)


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
    route: str = "local"  # issue 16: delivered here, or relayed to the upstream hub
    error_text: str | None = None


@dataclass(frozen=True)
class HubEvent:
    """Something the sender must hear of at once: its package was refused, or a copy undeliverable."""

    kind: str  # refused | undeliverable | relay_late | relay_resumed
    system_id: str
    sender: str | None
    doc_id: str | None
    recipient: str | None
    problem: Problem | None
    at: datetime


class Hub:
    def __init__(self, config: HubConfig, clock: Clock = utc_now) -> None:
        self.config = config
        self.clock = clock
        private_dir(config.data_dir)  # 0700: package metadata and encrypted secrets (issue 12, defect 9)
        _private_sqlite_file(config.database_url)
        self.engine = make_engine(config.database_url)
        self.checkpointer: Checkpointer | None = None
        if self.engine.dialect.name == "sqlite":
            self.checkpointer = Checkpointer(self.engine)  # before the first connection
        migrate(self.engine)
        if self.checkpointer is not None:
            self.checkpointer.start()
        self.sessions = session_factory(self.engine)
        self.read_sessions = session_factory(reader(self.engine))  # never takes SQLite's write lock
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
        self._tokens: dict[str, tuple[float, SystemRef | None]] = {}
        # Every write of the request path goes through the one writer (group commit, FIFO).
        self.writer = GroupWriter(
            self.write, self._finish_batch, lambda: self.clock()
        )  # clock may be swapped
        self._touched: dict[str, float] = {}
        self._listeners: list[Callable[[HubEvent], None]] = []
        self.listener: wakeups.Listener | None = None
        self.tally: Tally = NoTally()  # monitoring replaces it (lienthong.monitor.hub)
        self.relay_wake = threading.Event()  # set when a package is queued for the upstream hub

    def close(self) -> None:
        if self.listener is not None:
            self.listener.stop()
        self.writer.stop()
        if self.checkpointer is not None:
            self.checkpointer.stop()
        self.engine.dispose()

    def _finish_batch(self, session: Session, batch: Batch) -> None:
        """A batch's shared work before its commit: the bodies placed and synced, one audit append."""
        self.blobs.place_many(batch.bodies)
        audit.append_many(session, batch.now, batch.entries)
        if self.is_postgres and batch.wake:
            wakeups.announce(session, batch.wake)  # sent at commit, to every worker

    def listen(self) -> None:
        """Wake this process's long-polling receivers for mail accepted by other workers (PostgreSQL)."""
        if self.is_postgres and self.listener is None:
            self.listener = wakeups.Listener(self.engine, self._woken)
            self.listener.start()

    def _woken(self, codes: list[str]) -> None:
        """Another worker committed: wake its long-polling receivers here, and the relay if it queued one."""
        self.notifier.notify(codes)
        if RELAY_WAKE in codes:
            self.relay_wake.set()

    # --- transactions --------------------------------------------------------------------------

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session that only reads (on SQLite it never takes the write lock; it must not write)."""
        with self.read_sessions() as session:
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
        """Drop cached systems and tokens (called on every change made through this process)."""
        self._systems.clear()
        self._tokens.clear()

    def secret_of(self, system_id: str) -> str | None:
        system = self.system(system_id)
        if system is None or system.state != "active":
            return None
        return self.keys.decrypt_secret(system.secret_encrypted)

    def system_for_token(self, token: str) -> SystemRef | None:
        """The token's active system, cached like systems (by the token's hash, never the token)."""
        key = directory.hash_token(token)
        now = time.monotonic()
        cached = self._tokens.get(key)
        if cached is not None and now - cached[0] < self.config.cache_seconds:
            return cached[1]
        with self.read() as s:
            row = directory.system_for_token(s, token)
            ref = SystemRef.of(row) if row is not None and row.state == "active" else None
        if len(self._tokens) > 10_000:
            self._tokens.clear()  # bounded: a flood of unknown tokens cannot grow it
        self._tokens[key] = (now, ref)
        return ref

    def touch(self, system: SystemRef) -> None:
        """Record the system's (and its agencies') last contact, at most once a minute."""
        now = time.monotonic()
        if now - self._touched.get(system.system_id, -1e9) < 60:
            return
        self._touched[system.system_id] = now

        def job(s: Session, batch: Batch) -> None:
            row = s.get(System, system.id)
            if row is not None:
                row.last_contact_at = batch.now
                for a in s.execute(select(Agency).where(Agency.code.in_(system.agency_codes))).scalars():
                    a.last_contact_at = batch.now

        self.writer.run(job)

    # --- send -------------------------------------------------------------------------------------

    def stager(self) -> Stager:
        return Stager(self.blobs, self.config.max_package_bytes)

    def stage(self, chunks: Iterable[bytes]) -> Upload:
        """Stream a body to a staging file, hashing it and enforcing the size limit."""
        return self.stager().take(chunks)

    def accept(self, system_id: str, upload: Upload, extra_to: Iterable[str] = ()) -> Accepted:
        """Accept or refuse a staged package from a system. Refusals are recorded, then raised."""
        # Packages pulled from the upstream hub come through its internal system (issue 16).
        system = (
            directory.UPSTREAM_SYSTEM if system_id == directory.UPSTREAM_SYSTEM_ID else self.system(system_id)
        )
        try:
            if system is None or system.state != "active":
                raise Refused(HP.AUTH_FAILED("", detail=f"unknown or disabled system {system_id}"))
            if not system.upstream and not self.limiter.allow(
                system_id, system.rate_per_second, system.rate_burst
            ):
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
            self.blobs.sync_staged(upload.path)  # concurrently, before the batch places it
        except Refused as refused:
            self._refused(system_id, refused, upload, recorded=False)
            raise
        assert system is not None

        def job(s: Session, batch: Batch) -> Accepted:
            try:
                done = intake.commit(s, prepared, upload, upload.sha256, system, batch.now, batch.entries)
            except Refused as refused:
                self._refusal_rows(s, batch, system_id, refused, upload)
                raise
            batch.bodies.append((upload.path, upload.sha256))
            batch.wake.update(done.notified)
            if done.relay_id is not None:
                batch.wake.add(RELAY_WAKE)  # the leader may be another worker: it hears this at commit
            return done

        try:
            accepted = self.writer.run(job)
        except Refused as refused:
            self._refused(system_id, refused, upload, recorded=True)
            raise
        except BaseException:  # a crash of the store or the database: the staging file goes too
            upload.path.unlink(missing_ok=True)
            raise
        self.notifier.notify(accepted.notified)
        if accepted.relay_id is not None:
            self.relay_wake.set()  # the relay worker sends it upstream now (in this process)
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

    def emit(self, event: HubEvent) -> None:
        """Tell the listeners (the warning system) of something found outside a request (the relay)."""
        self._emit(event)

    def subscribe(self, listener: Callable[[HubEvent], None]) -> None:
        """Be told at once of refusals and failed deliveries (the warning system's alerts)."""
        self._listeners.append(listener)

    def _emit(self, event: HubEvent) -> None:
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:  # a failing listener must never undo or block an accepted package
                log.exception("hub event listener failed for %s", event.kind)

    def _refused(self, system_id: str, refused: Refused, upload: Upload, recorded: bool) -> None:
        """After a refusal: drop the staged body, record it (unless its batch did), tell listeners."""
        upload.path.unlink(missing_ok=True)
        if not recorded:
            self.writer.run(lambda s, batch: self._refusal_rows(s, batch, system_id, refused, upload))
        self.tally.count("refused", reason=refused.problem.code)  # monitor
        self._emit(HubEvent("refused", system_id, refused.sender, None, None, refused.problem, self.clock()))

    @staticmethod
    def _refusal_rows(s: Session, batch: Batch, system_id: str, refused: Refused, upload: Upload) -> None:
        s.add(
            Refusal(
                system_id=system_id,
                sender_code=refused.sender,
                code=refused.problem.code,
                detail=refused.problem.message_en,
                sha256=upload.sha256,
                size=upload.size,
                at=batch.now,
            )
        )
        details = {
            "code": refused.problem.code,
            "detail": refused.problem.message_en,
            "original": refused.original,
        }
        batch.entries.append((system_id, "package.refuse", upload.sha256, details))

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

    @staticmethod
    def _open_for(system: SystemRef, kind: str | None) -> list[Any]:
        """The receiver's open deliveries: answered from the partial index ``ix_deliveries_open``."""
        where = [Delivery.recipient_code.in_(system.agency_codes), OPEN_DELIVERY]
        if kind:
            where.append(Delivery.kind == kind)
        return where

    def pending(
        self,
        system: SystemRef,
        kind: str | None = None,
        limit: int = 1000,
        offset: int = 0,
        after: str | None = None,
    ) -> list[InboxItem]:
        """Open deliveries in arrival order; ``after`` (a delivery id) pages by key, not by offset."""
        query = (
            select(
                Delivery.delivery_id,
                Delivery.kind,
                Package.sender_code,
                Delivery.recipient_code,
                Delivery.state,
                Delivery.created_at,
                Delivery.fetched_at,
                Package.subject,
                Package.notation,
                Package.size,
            )
            .join(Package, Delivery.package_id == Package.id)
            .where(*self._open_for(system, kind))
        )
        if after:
            mark = select(Delivery.id).where(Delivery.delivery_id == after).scalar_subquery()
            query = query.where(Delivery.id > mark)
        with self.read() as s:
            rows = s.execute(query.order_by(Delivery.id).limit(limit).offset(offset)).all()
        return [
            InboxItem(
                delivery_id=r.delivery_id,
                kind=r.kind,
                sender=r.sender_code,
                recipient=r.recipient_code,
                state=r.state,
                created_at=as_utc(r.created_at),
                updated_at=as_utc(r.fetched_at or r.created_at),
                subject=r.subject,
                notation=r.notation,
                size=r.size,
            )
            for r in rows
        ]

    def count_pending(self, system: SystemRef, kind: str | None = None) -> int:
        query = select(func.count()).select_from(Delivery).where(*self._open_for(system, kind))
        with self.read() as s:
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

        def job(s: Session, batch: Batch) -> tuple[Package, str]:
            delivery, package = self._own_delivery(s, system, delivery_id)
            delivery.fetch_count += 1
            if delivery.state == "pending":
                delivery.state = "fetched"
            delivery.fetched_at = delivery.fetched_at or batch.now
            details = {"count": delivery.fetch_count}
            batch.entries.append((system.system_id, "delivery.fetch", delivery_id, details))
            return package, delivery.kind

        package, kind = self.writer.run(job)
        self.tally.count("fetched", kind=kind)  # monitor
        key = package.blob_key
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

        def job(s: Session, batch: Batch) -> str:
            delivery, _ = self._own_delivery(s, system, delivery_id)
            delivery.state = ACK_STATES[value]
            delivery.acked_at = batch.now if value != "processing" else delivery.acked_at
            if value == "fail":
                delivery.error_code = "HUB.RECEIVE_FAILED"
                delivery.error_text = reason or "the recipient reported the fetch as failed"
            batch.entries.append((system.system_id, f"delivery.ack.{value}", delivery_id, {"reason": reason}))
            return delivery.state

        state = self.writer.run(job)
        self.tally.count("acked", status=value)  # monitor
        return state

    def reoffer(self, delivery_id: str, actor: str = "operator", system: SystemRef | None = None) -> None:
        """Offer a failed delivery again (the operator, or the agency itself)."""

        def job(s: Session, batch: Batch) -> str:
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
            batch.entries.append((actor, "delivery.reoffer", delivery_id, {}))
            batch.wake.add(delivery.recipient_code)
            return delivery.recipient_code

        self.notifier.notify([self.writer.run(job)])

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
                    route=d.route,
                    error_text=d.error_text,
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

    def missing_bodies(self) -> list[str]:
        """Packages whose stored body is not in the blob store (after a restore, say)."""
        with self.read() as s:
            rows = s.execute(select(Package.doc_id, Package.blob_key)).all()
        return [doc_id for doc_id, key in rows if not self.blobs.exists(key)]

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
