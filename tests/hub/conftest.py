"""Hub fixtures: a hub on SQLite and on the real PostgreSQL, a small directory, package builders."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import uvicorn

from lienthong.edxml import to_bytes
from lienthong.edxml.builder import attachment_from_bytes, build_document
from lienthong.hub import directory
from lienthong.hub.config import HubConfig, Policy
from lienthong.hub.intake import Accepted
from lienthong.hub.service import Hub
from lienthong.store.db import make_engine

PG_ADMIN = os.environ.get("LIENTHONG_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")

AGENCIES = {
    "000.00.00.G22": "Văn phòng Chính phủ",
    "000.00.00.H41": "UBND tỉnh Nghệ An",
    "000.00.00.H14": "UBND tỉnh Cao Bằng",
    "000.00.00.G17": "Bộ Xây dựng",
    "002.00.20.H13": "Đơn vị thử nghiệm",
}
SYSTEMS = {
    "vpcp.sys": ["000.00.00.G22", "002.00.20.H13"],
    "nghean.sys": ["000.00.00.H41"],
    "caobang.sys": ["000.00.00.H14"],
    "bxd.sys": ["000.00.00.G17"],
}
SECRET = "local-test-secret"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(scope="session")
def pg_available() -> bool:
    engine = make_engine(PG_ADMIN)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        return True
    except sa.exc.OperationalError:
        # CI starts PostgreSQL before the tests; a missing server is a failure, not a skip.
        pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN} (.ci/run starts it)")
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hub.sqlite3'}"
        return
    request.getfixturevalue("pg_available")
    with pg_database() as url:
        yield url


@contextmanager
def pg_database() -> Iterator[str]:
    """A new, uniquely named PostgreSQL database, dropped afterwards."""
    name = f"lt_test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def make_hub(tmp_path: Path, db_url: str, **kwargs: Any) -> Hub:
    hub = Hub(HubConfig(data_dir=tmp_path / "data", db_url=db_url, **kwargs))
    now = datetime.now(UTC)
    with hub.write() as s:
        for code, name in AGENCIES.items():
            directory.add_agency(s, directory.AgencyInput(code, name, emails=(f"{code}@example.test",)), now)
        directory.add_agency(s, directory.AgencyInput("28.22.H17", "UBND xã Hòa Sơn", legacy=True), now)
        for system_id, codes in SYSTEMS.items():
            directory.add_system(s, hub.keys, system_id, codes, now, secret=SECRET)
    return hub


@pytest.fixture
def hub(tmp_path: Path, db_url: str) -> Iterator[Hub]:
    h = make_hub(tmp_path, db_url)
    yield h
    h.close()


@pytest.fixture
def strict_hub(tmp_path: Path) -> Iterator[Hub]:
    h = make_hub(tmp_path, f"sqlite:///{tmp_path / 'strict.sqlite3'}", policy=Policy.STRICT)
    yield h
    h.close()


def document(
    sender: str = "000.00.00.G22",
    recipients: tuple[str, ...] = ("000.00.00.H41", "000.00.00.H14"),
    number: str = "807",
    notation: str = "VPCP-KSTT",
    day: str = "2026/11/20",
    business: dict[str, Any] | None = None,
    response_for: list[dict[str, str]] | None = None,
    document_id: str | None = None,
    subject: str = "V/v tăng cường gửi, nhận văn bản điện tử",
    content: bytes = PDF,
) -> bytes:
    """A valid Công văn package from ``sender`` to ``recipients``."""
    meta: dict[str, Any] = {
        "from": {"organ_id": sender, "organ_name": AGENCIES.get(sender, "Cơ quan gửi")},
        "to": [{"organ_id": r, "organ_name": AGENCIES.get(r, "Cơ quan nhận")} for r in recipients],
        "code": {"code_number": number, "code_notation": notation},
        "promulgation_info": {"place": "Hà Nội", "promulgation_date": day},
        "document_type": {"type": "1", "type_name": "Công văn"},
        "subject": subject,
        "signer_info": {"competence": "KT. BỘ TRƯỞNG", "position": "Thứ trưởng", "full_name": "Nguyễn Văn A"},
    }
    if document_id:
        meta["document_id"] = document_id
    if response_for:
        meta["response_for"] = response_for
    if business:
        meta["business"] = business
    message = build_document(
        meta, [attachment_from_bytes(f"{number}.pdf", content)], clock=lambda: datetime(2026, 11, 20, 9, 0)
    )
    return to_bytes(message)


def status(
    sender: str,
    original_sender: str,
    document_id: str,
    code: str = "01",
    description: str = "Đã đến",
) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"><edXMLEnvelope><edXMLHeader><MessageHeader>
<From><OrganId>{sender}</OrganId><OrganName>{AGENCIES.get(sender, "x")}</OrganName></From>
<ResponseFor><OrganId>{original_sender}</OrganId><Code>807/VPCP-KSTT</Code>
<PromulgationDate>2026/11/20</PromulgationDate><DocumentId>{document_id}</DocumentId></ResponseFor>
<StatusCode>{code}</StatusCode><Description>{description}</Description>
<Timestamp>2026/11/20 10:00:00</Timestamp></MessageHeader></edXMLHeader></edXMLEnvelope></edXML>
""".encode()


def send(hub: Hub, system_id: str, data: bytes, extra_to: tuple[str, ...] = ()) -> Accepted:
    return hub.accept(system_id, hub.stage([data]), extra_to)


def system(hub: Hub, system_id: str) -> Any:
    found = hub.system(system_id)
    assert found is not None
    return found


class Server:
    """A real uvicorn server on a loopback port, in a thread."""

    def __init__(self, app: Any, **options: Any) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, **{"log_level": "warning", **options})
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
