"""Gateway fixtures: a live hub on loopback and gateways of three agencies talking to it.

Every test runs twice: hub and gateways on SQLite, then hub and gateways on PostgreSQL (each
gateway with its own database, as each agency has its own).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from lienthong.api.app import create_app
from lienthong.gateway.config import GatewayConfig, HubLink
from lienthong.gateway.service import Gateway
from lienthong.hub import directory
from lienthong.hub.service import Hub
from lienthong.store.db import make_engine
from tests.gateway.fakehub import FakeHub
from tests.hub.conftest import PG_ADMIN, SECRET, Server, db_url, hub, pg_available  # noqa: F401  (fixtures)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 09:00 in Hà Nội

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def live_hub(hub: Hub) -> Iterator[tuple[Hub, Server]]:  # noqa: F811
    with Server(create_app(hub)) as server:
        yield hub, server


@pytest.fixture
def gateway_db(db_url: str, tmp_path: Path) -> Iterator[Callable[[str], str]]:  # noqa: F811
    """A fresh database URL for one gateway, on the engine the test runs on."""
    created: list[str] = []

    def make(code: str) -> str:
        if not db_url.startswith("postgresql"):
            return f"sqlite:///{tmp_path / f'gw-{code}.sqlite3'}"
        name = f"lt_gw_{uuid.uuid4().hex[:12]}"
        with _admin().connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"

    yield make
    admin = _admin()
    with admin.connect() as conn:
        for name in created:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _admin() -> sa.Engine:
    return make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")


@pytest.fixture
def make_gateway(
    live_hub: tuple[Hub, Server], tmp_path: Path, gateway_db: Callable[[str], str]
) -> Iterator[Callable[..., Gateway]]:
    central, server = live_hub
    made: list[Gateway] = []

    def make(code: str, system_id: str, protocol: str = "lienthong", **kwargs: Any) -> Gateway:
        clock = kwargs.pop("clock", None) or Clock()
        if protocol == "sdk":
            link = HubLink(protocol="sdk", url=server.url, system_id=system_id, secret=SECRET)
        else:
            with central.write() as s:
                token = directory.issue_token(s, system_id, datetime.now(UTC), f"gateway {code}")
            link = HubLink(url=server.url, token=token)
        kwargs.setdefault("backoff_seconds", 0.0)
        config = GatewayConfig(
            agency_code=code,
            agency_name=f"Cơ quan {code}",
            data_dir=tmp_path / f"gw-{code}",
            database=kwargs.pop("database", None) or gateway_db(code),
            hub=link,
            **kwargs,
        )
        gateway = Gateway(config, clock=clock)
        made.append(gateway)
        return gateway

    yield make
    for gateway in made:
        gateway.close()


@pytest.fixture
def fake_hub() -> FakeHub:
    return FakeHub()


@pytest.fixture
def local_gateway(
    fake_hub: FakeHub, tmp_path: Path, gateway_db: Callable[[str], str]
) -> Iterator[Callable[..., Gateway]]:
    """Gateways talking to the in-memory hub (each stage's unit tests), on SQLite and PostgreSQL."""
    made: list[Gateway] = []

    def make(code: str, clock: Clock | None = None, **kwargs: Any) -> Gateway:
        kwargs.setdefault("backoff_seconds", 0.0)
        config = GatewayConfig(
            agency_code=code,
            agency_name=f"Cơ quan {code}",
            data_dir=tmp_path / f"gw-{code}",
            database=gateway_db(code),
            **kwargs,
        )
        gateway = Gateway(config, port=fake_hub.port(code), clock=clock or Clock())
        made.append(gateway)
        return gateway

    yield make
    for gateway in made:
        gateway.close()


def exchange(gateways: Iterable[Gateway], rounds: int = 3) -> None:
    """Let every gateway work: send what is queued, take in what waits."""
    for _ in range(rounds):
        for g in gateways:
            g.process_outbox()
            g.poll_inbox()
            g.process_outbox()


def person(gateway: Gateway, username: str, role: str = "clerk", password: str = "mat-khau-dai-1") -> str:
    """Add a person to a gateway's accounts; returns the password."""
    store = gateway.accounts
    with store.write() as s:
        store.accounts.add(s, username, password, role, store.clock(), display_name=f"Người {username}")
    return password


def api_token(
    gateway: Gateway,
    username: str = "hethong",
    role: str = "leader",
    scopes: tuple[str, ...] = ("read", "send", "answer"),
) -> str:
    """A document system's API token at a gateway (its owner is added first when missing)."""
    store = gateway.accounts
    with store.read() as s:
        known = {p.username for p in store.accounts.people(s)}
    if username not in known:
        person(gateway, username, role)
    with store.write() as s:
        _, secret = store.accounts.issue_token(s, username, list(scopes), store.clock(), "test")
    return secret
