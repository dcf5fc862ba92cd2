"""Thousands of agencies, some traffic, a refusal and three operators: the console tests' hub."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select

from lienthong.hub.people import hub_accounts
from lienthong.hub.service import Hub
from lienthong.store.tables import Agency
from tests.hub.conftest import document, send

PASSWORD = "mật-khẩu-thử-1"
PROVINCES = [
    "Hà Giang", "Lào Cai", "Điện Biên", "Sơn La", "Yên Bái", "Hòa Bình", "Thái Nguyên", "Lạng Sơn",
    "Quảng Ninh", "Bắc Giang", "Phú Thọ", "Vĩnh Phúc", "Bắc Ninh", "Hải Dương", "Hưng Yên", "Thái Bình",
    "Hà Nam", "Nam Định", "Ninh Bình", "Thanh Hóa", "Hà Tĩnh", "Quảng Bình", "Quảng Trị", "Huế",
    "Quảng Nam", "Quảng Ngãi", "Bình Định", "Phú Yên", "Khánh Hòa", "Ninh Thuận", "Bình Thuận",
    "Kon Tum", "Gia Lai", "Đắk Lắk", "Đắk Nông", "Lâm Đồng", "Bình Phước", "Tây Ninh", "Bình Dương",
    "Đồng Nai", "Long An", "Tiền Giang",
]  # fmt: skip
UNITS = [
    "Sở Nội vụ", "Sở Tài chính", "Sở Xây dựng", "Sở Y tế", "Sở Giáo dục và Đào tạo", "Sở Tư pháp",
    "Sở Công Thương", "Sở Nông nghiệp và Môi trường", "Sở Khoa học và Công nghệ",
    "Sở Văn hóa, Thể thao và Du lịch", "Thanh tra tỉnh", "Văn phòng UBND tỉnh",
]  # fmt: skip
WARDS = 66  # communes per province: 42 provinces x (12 + 66 + 1) = 3,318 agencies


def row(code: str, name: str, parent: str | None, level: int, now: datetime) -> dict[str, Any]:
    return {
        "code": code, "name": name, "parent_code": parent, "level": level, "legacy": False, "state": "active",
        "emails": "", "version": 1, "created_at": now, "updated_at": now,
    }  # fmt: skip


def agency_rows(now: datetime) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []

    def add(code: str, name: str, parent: str | None, level: int) -> None:
        rows.append(row(code, name, parent, level, now))

    for i, province in enumerate(PROVINCES):
        body = f"000.00.00.H{50 + i:02d}"
        add(body, f"UBND tỉnh {province}", None, 1)
        for k, unit in enumerate(UNITS, start=1):
            add(f"000.00.{k:02d}.H{50 + i:02d}", f"{unit} tỉnh {province}", body, 2)
        for w in range(1, WARDS + 1):
            add(f"000.{w:02d}.31.H{50 + i:02d}", f"UBND xã số {w}, tỉnh {province}", body, 3)
    return rows


def seed(hub: Hub) -> None:
    now = datetime.now(UTC)
    accounts = hub_accounts()
    with hub.write() as s:
        s.execute(insert(Agency), agency_rows(now))
        units = [("000.00.01.H41", "Sở Nội vụ tỉnh Nghệ An"), ("000.00.02.H41", "Sở Tài chính tỉnh Nghệ An")]
        s.execute(insert(Agency), [row(c, n, "000.00.00.H41", 2, now) for c, n in units])
        accounts.add(s, "ops", PASSWORD, "operator", now, display_name="Trần Thị Vận Hành")
        accounts.add(s, "nghean", PASSWORD, "province-operator", now, scope="000.00.00.H41",
                     display_name="Sở KH&CN Nghệ An")  # fmt: skip
        accounts.add(
            s, "bxd", PASSWORD, "ministry-operator", now, scope="000.00.00.G17", display_name="Bộ Xây dựng"
        )
    for n in range(3):
        send(hub, "vpcp.sys", document(number=str(800 + n)))
    send(hub, "nghean.sys", document("000.00.00.H41", ("000.00.00.G22",), number="12", notation="UBND-VP"))
    with contextlib.suppress(Exception):  # the refusal is recorded, then raised: the console shows it
        hub.accept("caobang.sys", hub.stage([b"<not-edxml/>"]))
    with hub.read() as s:
        assert s.execute(select(Agency.id).where(Agency.code == "000.00.00.H50")).first()
