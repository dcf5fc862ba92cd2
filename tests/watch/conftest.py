"""Warning-system fixtures: the hub fixtures (SQLite and PostgreSQL), a settable clock, a day of trouble."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pytest

from lienthong.hub import directory
from lienthong.hub.intake import Refused
from lienthong.hub.service import Hub
from tests.hub.conftest import db_url, document, hub, pg_available, send, status, system

__all__ = ["db_url", "hub", "pg_available"]  # the hub fixtures, on both databases

G22, H41, H14, G17, UNIT = "000.00.00.G22", "000.00.00.H41", "000.00.00.H14", "000.00.00.G17", "000.00.10.H41"
REPORT_DAY = date(2026, 12, 3)  # a Thursday; its report covers Wednesday 07:00 to Thursday 07:00


class Clock:
    """The hub's clock, moved by the test."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def at(self, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> Clock:
        self.now = datetime(year, month, day, hour, minute, tzinfo=UTC)
        return self


@dataclass
class Day:
    """What the scenario did, to compare with what the report finds."""

    hub: Hub
    clock: Clock
    docs: dict[str, str] = field(default_factory=dict)  # name -> doc_id
    refused: list[str] = field(default_factory=list)


def docid(sender: str, day: str, number: str, notation: str = "VPCP-KSTT") -> str:
    return f"{sender},{day},{number}/{notation}"


def build_day(hub: Hub) -> Day:
    """Every condition of the report, made through the hub's own API, dated Monday to Wednesday."""
    clock = Clock(datetime(2026, 11, 30, 1, 0, tzinfo=UTC))
    hub.clock = clock
    day = Day(hub, clock)
    with hub.write() as s:
        directory.add_agency(
            s,
            directory.AgencyInput(UNIT, "Sở Nội vụ tỉnh Nghệ An", emails=("sonoivu@example.test",)),
            clock(),
        )
    nghean, caobang, bxd = system(hub, "nghean.sys"), system(hub, "caobang.sys"), system(hub, "bxd.sys")
    vpcp = system(hub, "vpcp.sys")
    # Monday 09:00 (Vietnam): Cao Bằng's system calls for the last time.
    clock.at(2026, 11, 30, 2, 0)
    hub.touch(caobang)
    # Document A to Nghệ An and Cao Bằng; document E to a unit of Nghệ An.
    a = send(hub, "vpcp.sys", document(G22, (H41, H14), "801", day="2026/11/30"))
    e = send(hub, "vpcp.sys", document(G22, (UNIT,), "805", day="2026/11/30"))
    day.docs |= {"A": a.doc_id, "E": e.doc_id}
    # Nghệ An fetches A at 10:00, acknowledges it, says "arrived" (01) and never accepts it (03).
    clock.at(2026, 11, 30, 3, 0)
    delivery = next(i for i in hub.pending(nghean) if i.sender == G22)
    hub.fetch(nghean, delivery.delivery_id)
    hub.ack(nghean, delivery.delivery_id, "done")
    send(hub, "nghean.sys", status(H41, G22, docid(G22, "2026/11/30", "801"), "01"))
    # Wednesday 10:00: document B to an unknown code and to the Ministry of Construction, which
    # fetches it and answers 01 then 03 (the agency with nothing wrong).
    clock.at(2026, 12, 2, 3, 0)
    b = send(hub, "vpcp.sys", document(G22, ("000.00.00.H99", G17), "802", day="2026/12/02"))
    day.docs["B"] = b.doc_id
    item = hub.pending(bxd)[0]
    hub.fetch(bxd, item.delivery_id)
    hub.ack(bxd, item.delivery_id, "done")
    send(hub, "bxd.sys", status(G17, G22, docid(G22, "2026/12/02", "802"), "01"))
    send(hub, "bxd.sys", status(G17, G22, docid(G22, "2026/12/02", "802"), "03", "Tiếp nhận"))
    # 11:00: a package the hub cannot read is refused.
    clock.at(2026, 12, 2, 4, 0)
    try:
        send(hub, "vpcp.sys", b"<edXML><MessageHeader>")
    except Refused as refused:
        day.refused.append(refused.problem.code)
    # 12:00: document C to Nghệ An, whose system reports the fetch as failed.
    clock.at(2026, 12, 2, 5, 0)
    c = send(hub, "vpcp.sys", document(G22, (H41,), "803", day="2026/12/02"))
    day.docs["C"] = c.doc_id
    item = next(i for i in hub.pending(nghean) if i.notation == "803/VPCP-KSTT")
    hub.fetch(nghean, item.delivery_id)
    hub.ack(nghean, item.delivery_id, "fail", "không giải mã được tệp đính kèm")
    # 13:00: Cao Bằng sends (twice, same bytes) a document signed on 20/11 with a 600-character summary.
    clock.at(2026, 12, 2, 6, 0)
    late = document(H14, (G22,), "45", notation="UBND-VP", day="2026/11/20", subject="Về việc " + "x" * 600)
    d = send(hub, "caobang.sys", late)
    send(hub, "caobang.sys", late)
    day.docs["D"] = d.doc_id
    # 14:00: the Government Office fetches D and accepts it (03).
    clock.at(2026, 12, 2, 7, 0)
    item = next(i for i in hub.pending(vpcp) if i.kind == "edoc")
    hub.fetch(vpcp, item.delivery_id)
    hub.ack(vpcp, item.delivery_id, "done")
    send(hub, "vpcp.sys", status(G22, H14, docid(H14, "2026/11/20", "45", "UBND-VP"), "03", "Tiếp nhận"))
    # 16:00: every system but Cao Bằng's has called the hub recently.
    clock.at(2026, 12, 2, 9, 0)
    for system_id in ("vpcp.sys", "nghean.sys", "bxd.sys"):
        hub.touch(system(hub, system_id))
    # The report is made on Thursday at 07:00 (Vietnam), 00:00 UTC.
    clock.at(2026, 12, 3, 0, 0)
    return day


@pytest.fixture
def day(hub: Hub) -> Day:
    return build_day(hub)


def codes(items: list[Any]) -> list[str]:
    return sorted(i.code for i in items)
