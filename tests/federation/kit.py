"""Three hubs for the federation tests: a national hub and two provincial hubs relaying to it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from lienthong.hub import directory, upstream
from lienthong.hub.config import HubConfig
from lienthong.hub.service import Hub, HubEvent

SECRET = "federation-test-secret"
NATIONAL_UNITS = {"000.00.00.G22": "Văn phòng Chính phủ", "000.00.00.G17": "Bộ Xây dựng"}
PROVINCE_A = {"000.00.00.H41": "UBND tỉnh Nghệ An", "000.00.00.H40": "Sở Nội vụ Nghệ An"}
PROVINCE_B = {"000.00.00.H14": "UBND tỉnh Cao Bằng", "000.00.00.H15": "Sở Nội vụ Cao Bằng"}
HUB_CODES = {"A": "000.00.00.W41", "B": "000.00.00.W14"}


def unit_system(code: str) -> str:
    return f"sys-{code}"


@dataclass
class Events:
    seen: list[HubEvent] = field(default_factory=list)

    def __call__(self, event: HubEvent) -> None:
        self.seen.append(event)

    def kinds(self) -> list[str]:
        return [e.kind for e in self.seen]


def add_units(hub: Hub, units: dict[str, str]) -> None:
    now = datetime.now(UTC)
    with hub.write() as s:
        for code, name in units.items():
            directory.add_agency(s, directory.AgencyInput(code, name, emails=(f"{code}@example.test",)), now)
        for code in units:
            directory.add_system(s, hub.keys, unit_system(code), [code], now, secret=SECRET)


def national(data: Path, db_url: str) -> Hub:
    """The national hub: its own units, and one system per province acting for the province's units."""
    hub = Hub(HubConfig(data_dir=data, db_url=db_url, hub_code="000.00.00.W00"))
    add_units(hub, NATIONAL_UNITS)
    now = datetime.now(UTC)
    with hub.write() as s:
        for units in (PROVINCE_A, PROVINCE_B):
            for code, name in units.items():
                directory.add_agency(s, directory.AgencyInput(code, name), now)
        directory.add_system(s, hub.keys, "hub-A", list(PROVINCE_A), now, secret=SECRET)
        directory.add_system(s, hub.keys, "hub-B", list(PROVINCE_B), now, secret=SECRET)
    return hub


def province(data: Path, db_url: str, units: dict[str, str]) -> Hub:
    hub = Hub(HubConfig(data_dir=data, db_url=db_url))
    add_units(hub, units)
    return hub


def link(hub: Hub, name: str, protocol: str, url: str, credential: str, system_id: str = "") -> None:
    settings = upstream.LinkSettings(protocol, url, credential, HUB_CODES[name], system_id)
    with hub.write() as s:
        upstream.set_link(s, hub.keys, settings, datetime.now(UTC))


def token(hub: Hub, system_id: str) -> str:
    with hub.write() as s:
        return directory.issue_token(s, system_id, datetime.now(UTC))
