"""Gateway fixtures: a live hub on loopback and gateways of three agencies talking to it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from lienthong.api.app import create_app
from lienthong.gateway.config import GatewayConfig, HubLink
from lienthong.gateway.service import Gateway
from lienthong.hub import directory
from lienthong.hub.service import Hub
from tests.hub.conftest import SECRET, Server, db_url, hub, pg_available  # noqa: F401  (fixtures)


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
def make_gateway(live_hub: tuple[Hub, Server], tmp_path: Path) -> Iterator[Callable[..., Gateway]]:
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
        config = GatewayConfig(
            agency_code=code,
            agency_name=f"Cơ quan {code}",
            data_dir=tmp_path / f"gw-{code}",
            hub=link,
            backoff_seconds=0.0,
            **kwargs,
        )
        gateway = Gateway(config, clock=clock)
        made.append(gateway)
        return gateway

    yield make
    for gateway in made:
        gateway.close()
