"""What every stage of the gateway shares: settings, clock, database, package files, registers, hub port."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from lienthong.client.models import HubPort
from lienthong.codes.calendar import WorkingCalendar
from lienthong.edxml import DEFAULT_LIMITS, ParseLimits
from lienthong.gateway import problems as GP
from lienthong.gateway.config import GatewayConfig
from lienthong.gateway.problems import GatewayError, not_found
from lienthong.gateway.tables import Incoming, Outgoing, Sequence
from lienthong.signing.pki import load_credential
from lienthong.signing.token import open_token
from lienthong.signing.xmldsig import PackageSigner
from lienthong.store.blobs import FileBlobStore, Staged, Stager, file_chunks, fsync_dir
from lienthong.store.db import make_engine, migrate, session_factory

Clock = Callable[[], datetime]
MIGRATIONS = Path(__file__).with_name("migrations")


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class Core:
    """The gateway's shared parts; each stage holds one and nothing else in common."""

    def __init__(self, config: GatewayConfig, port: HubPort, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.port = port
        config.data_dir.mkdir(parents=True, exist_ok=True)
        config.blob_dir.mkdir(parents=True, exist_ok=True)
        # Packages are staged under blob_dir/tmp (the store's one way to take a body in), then
        # renamed to blob_dir/<sha256>.edxml, where the register's rows point.
        self.blobs = FileBlobStore(config.blob_dir)
        # Every parse of a package spills attachment text to disk past this: never the whole package.
        self.limits: ParseLimits = dataclasses.replace(
            DEFAULT_LIMITS,
            max_bytes=config.max_package_bytes,
            spool_in_memory=min(config.spool_in_memory, DEFAULT_LIMITS.spool_in_memory),
        )
        self.engine = make_engine(config.database_url)
        migrate(self.engine, MIGRATIONS)
        self.sessions = session_factory(self.engine)
        self.calendar = WorkingCalendar.load(config.holidays_file)
        self.signer: PackageSigner | None = None
        self._token: ExitStack | None = None
        if config.signing_key is not None:
            self.signer = PackageSigner(load_credential(config.signing_key, config.signing_cert))
        elif config.signing_token is not None:
            # The session stays open while the gateway runs: the key never leaves the token.
            self._token = ExitStack()
            session = self._token.enter_context(open_token(config.signing_token))
            self.signer = PackageSigner(session.credential())

    @contextmanager
    def tx(self) -> Iterator[Session]:
        with self.sessions() as session, session.begin():
            yield session

    def stager(self) -> Stager:
        """A staging file for a package arriving in chunks, bounded by ``max_package_bytes``."""
        limit = self.config.max_package_bytes
        return Stager(self.blobs, limit, lambda limit: GatewayError(GP.TOO_LARGE(limit=limit), 413))

    def stage(self, chunks: Iterable[bytes]) -> Staged:
        """Stream ``chunks`` to a staging file, hashing them (never held whole in memory)."""
        return self.stager().take(chunks)

    def keep(self, staged: Staged) -> tuple[str, str]:
        """A staged package under its SHA-256, synced then renamed (a crash leaves no half file)."""
        path = self.config.blob_dir / f"{staged.sha256}.edxml"
        if path.exists():
            staged.path.unlink(missing_ok=True)  # the same bytes are already kept
            return str(path), staged.sha256
        self.blobs.sync_staged(staged.path)
        os.replace(staged.path, path)
        fsync_dir(path.parent)
        return str(path), staged.sha256

    def store(self, data: bytes) -> tuple[str, str]:
        """Keep package bytes under their SHA-256 (the small ones the gateway builds itself)."""
        return self.keep(self.stage([data]))

    @staticmethod
    def read_blob(path: str) -> bytes:
        return Path(path).read_bytes()

    @staticmethod
    def blob_chunks(path: str) -> Iterator[bytes]:
        return file_chunks(Path(path))

    def sign_file(self, path: str) -> tuple[str, str]:
        """The kept package at ``path`` signed (streamed through the signer), kept in turn."""
        assert self.signer is not None, "only a gateway with a signing key signs"
        stager = self.stager()
        try:
            with Path(path).open("rb") as source:
                self.signer.sign_stream(source, stager)
            staged = stager.finish()
        except BaseException:
            stager.abort()
            raise
        return self.keep(staged)

    def sign(self, data: bytes) -> bytes:
        return self.signer.sign(data) if self.signer is not None else data

    @staticmethod
    def next_number(session: Session, name: str) -> int:
        """The next number of a register (one row per register, issuer and year, locked while counted)."""
        row = session.execute(
            select(Sequence).where(Sequence.name == name).with_for_update()
        ).scalar_one_or_none()
        if row is None:
            row = Sequence(name=name, value=0)
            session.add(row)
        row.value += 1
        return row.value

    @staticmethod
    def outgoing(session: Session, local_id: str) -> Outgoing:
        row = session.execute(select(Outgoing).where(Outgoing.local_id == local_id)).scalar_one_or_none()
        if row is None:
            raise not_found("gói tin đi", "outgoing package", local_id)
        return row

    @staticmethod
    def incoming(session: Session, incoming_id: int) -> Incoming:
        row = session.get(Incoming, incoming_id)
        if row is None:
            raise not_found("văn bản đến", "incoming document", incoming_id)
        return row

    def close(self) -> None:
        self.port.close()
        self.engine.dispose()
        if self._token is not None:
            self._token.close()
