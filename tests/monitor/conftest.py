"""Monitoring fixtures: a settable clock, generated certificates, tiny tmpfs quotas, a real SMTP server."""

from __future__ import annotations

import os
import socket
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from lienthong.hub import directory
from lienthong.hub.config import HubConfig
from lienthong.hub.service import Hub
from tests.hub.conftest import AGENCIES, SECRET, SYSTEMS, db_url, pg_available  # noqa: F401  (fixtures shared with the hub tests)

START = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)  # 10:00 in Hà Nội


class Clock:
    """A clock the test moves by hand: deadlines, since-when and uptime without sleeping."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make_certificate(
    common_name: str, not_after: datetime, not_before: datetime | None = None, ca: bool = False
) -> x509.Certificate:
    """A self-signed certificate valid until ``not_after``."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or not_after - timedelta(days=730))
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    return builder.sign(key, hashes.SHA256())


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def new_hub(tmp_path: Path, url: str, clock: Callable[[], datetime], data_dir: Path | None = None) -> Hub:
    """A hub with the test directory (agencies and systems of tests/hub), on the given clock."""
    hub = Hub(HubConfig(data_dir=data_dir or tmp_path / "data", db_url=url), clock=clock)
    now = clock()
    with hub.write() as s:
        for code, name in AGENCIES.items():
            directory.add_agency(s, directory.AgencyInput(code, name, emails=(f"{code}@example.test",)), now)
        for system_id, codes in SYSTEMS.items():
            directory.add_system(s, hub.keys, system_id, codes, now, secret=SECRET)
    return hub


def _mount_tmpfs(path: Path, size: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)], capture_output=True
    )
    return done.returncode == 0


@dataclass
class Tmpfs:
    """A real small file system: fill it, or remount it read-only, to break storage for real."""

    path: Path

    def read_only(self) -> None:
        """Lay a read-only bind mount over the folder: every new open through the path is read-only.

        (Remounting the tmpfs itself read-only is refused while the hub holds files open for writing.)
        """
        subprocess.run(["mount", "--bind", str(self.path), str(self.path)], check=True)
        subprocess.run(["mount", "-o", "remount,bind,ro", str(self.path)], check=True)

    def writable(self) -> None:
        subprocess.run(["umount", str(self.path)], check=True)

    def fill(self) -> Path:
        """Write until the disk is full (ENOSPC); returns the file to delete to free it."""
        big = self.path / f"filler-{uuid.uuid4().hex}"
        with big.open("wb") as fh:
            try:
                while True:
                    fh.write(b"\0" * 65536)
                    fh.flush()
            except OSError:
                pass
        return big


@pytest.fixture
def tmpfs_factory(tmp_path: Path) -> Iterator[Callable[[str, str], Tmpfs]]:
    """Mounts tmpfs file systems (root only); each is unmounted at the end, even after a failure."""
    mounted: list[Path] = []
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs quota needs root (the CI container runs as root)")

    def make(name: str, size: str = "1m") -> Tmpfs:
        path = tmp_path / name
        if not _mount_tmpfs(path, size):
            pytest.skip("mount -t tmpfs is not permitted here")
        mounted.append(path)
        return Tmpfs(path)

    yield make
    for path in reversed(mounted):
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


@dataclass
class Mailbox:
    host: str
    port: int
    messages: list[Message]

    def wait_for(self, count: int) -> list[Message]:
        # smtplib returns only once the server accepted the DATA: the messages are already here.
        assert len(self.messages) >= count, [m["Subject"] for m in self.messages]
        return self.messages


class _Handler:
    def __init__(self, box: list[Message]) -> None:
        self.box = box

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.box.append(message)
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[Mailbox]:
    """A real SMTP server (aiosmtpd) on a loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    box: list[Message] = []
    controller = Controller(_Handler(box), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield Mailbox("127.0.0.1", port, box)
    finally:
        controller.stop()
