"""The operator console's queries over a national directory of 111,339 agencies.

Run: ``.venv/bin/python bench/console.py [--pg] [--count N]``. Fills a fresh hub database with
N agencies (95 level-1 bodies, units below them, realistic Vietnamese names), then prints the
median milliseconds of each console query: a name search, a code search, a far page, a province
operator's scoped search, an agency page, 30 days of traffic, and one Argon2id password check.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from lienthong.accounts.model import Person
from lienthong.accounts.passwords import hash_password, verify_password
from lienthong.codes.calendar import VIETNAM
from lienthong.hub import console as q
from lienthong.hub.config import HubConfig
from lienthong.hub.service import Hub
from lienthong.store.db import make_engine
from lienthong.store.tables import Agency

PG_ADMIN = os.environ.get("LIENTHONG_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
ROOTS = [f"G{n:02d}" for n in range(1, 33)] + [f"H{n:02d}" for n in range(1, 64)]
KINDS = ["UBND xã", "Trường THCS", "Trạm Y tế", "Phòng Tư pháp", "Ban Quản lý dự án", "Chi cục Thuế"]
OPS = Person(1, "ops", "ops", "operator", None, "active")
PROVINCE = Person(2, "nghean", "nghean", "province-operator", "000.00.00.H41", "active")


def rows(count: int, now: datetime) -> list[dict[str, Any]]:
    out = []
    for i in range(count):
        root = ROOTS[i % len(ROOTS)]
        n = i // len(ROOTS)
        code = f"{n // 100:03d}.{n % 100:02d}.00.{root}"  # n == 0: the level-1 body itself
        name = f"UBND tỉnh số {root}" if n == 0 else f"{KINDS[n % len(KINDS)]} số {n}, đơn vị {root}"
        out.append({"code": code, "name": name, "parent_code": None if n == 0 else f"000.00.00.{root}",
                    "level": 1 if n == 0 else 3, "legacy": False, "state": "active", "emails": "",
                    "version": 1, "created_at": now, "updated_at": now})  # fmt: skip
    return out


def median_ms(run: Callable[[], Any], times: int = 7) -> float:
    run()  # warm the caches once
    samples = []
    for _ in range(times):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def measure(url: str, folder: Path, count: int) -> None:
    hub = Hub(HubConfig(data_dir=folder, db_url=url))
    now = datetime.now(UTC)
    with hub.write() as s:
        data = rows(count, now)
        for start in range(0, len(data), 10_000):
            s.execute(sa.insert(Agency), data[start : start + 10_000])
    today = now.astimezone(VIETNAM).date()
    with hub.read() as s:
        cases: dict[str, Callable[[], Any]] = {
            "name search 'trạm y tế số 12' (page 1)": lambda: q.search_agencies(s, OPS, "trạm y tế số 12"),
            "code search '000.00.00.H4'": lambda: q.search_agencies(s, OPS, "000.00.00.H4"),
            "level-1 group search 'H41'": lambda: q.search_agencies(s, OPS, "H41"),
            "whole directory, page 1000": lambda: q.search_agencies(s, OPS, "", page=1000),
            "province operator, name search": lambda: q.search_agencies(s, PROVINCE, "trường"),
            "agency page (1,172 units)": lambda: q.agency_view(s, OPS, "000.00.00.H41", today),
            "traffic by day, 30 days": lambda: q.traffic_by_day(s, OPS, today),
        }
        stored = hash_password("một mật khẩu dài")
        cases["argon2id password check (sign-in)"] = lambda: verify_password(stored, "một mật khẩu dài")
        total = q.search_agencies(s, OPS, "").total
        print(f"{hub.engine.dialect.name}: {total:,} agencies")
        for label, run in cases.items():
            print(f"  {label:<40} {median_ms(run):8.1f} ms")
    hub.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--count", type=int, default=111_339)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if not args.pg:
            measure(f"sqlite:///{Path(tmp) / 'hub.sqlite3'}", Path(tmp), args.count)
            return 0
        name = f"lt_bench_{uuid.uuid4().hex[:10]}"
        admin = make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            measure(PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", Path(tmp), args.count)
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
