"""What every stage of the gateway shares: settings, clock, database, package files, registers, hub port."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from lienthong.client.models import HubPort
from lienthong.codes.calendar import WorkingCalendar
from lienthong.gateway.config import GatewayConfig
from lienthong.gateway.problems import not_found
from lienthong.gateway.tables import Incoming, Outgoing, Sequence
from lienthong.signing.pki import load_credential
from lienthong.signing.token import open_token
from lienthong.signing.xmldsig import PackageSigner
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

    def store(self, data: bytes) -> tuple[str, str]:
        """Keep package bytes under their SHA-256 (written, then renamed: a crash leaves no half file)."""
        digest = hashlib.sha256(data).hexdigest()
        path = self.config.blob_dir / f"{digest}.edxml"
        if not path.exists():
            partial = path.with_suffix(".partial")
            with partial.open("wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            partial.replace(path)
        return str(path), digest

    @staticmethod
    def read_blob(path: str) -> bytes:
        return Path(path).read_bytes()

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
