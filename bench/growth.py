"""Does the hub stay as fast as it grows? Accept time and the receiver's queries, empty to 1 M deliveries.

Run: ``.venv/bin/python bench/growth.py [--engines sqlite,postgresql] [--steps 0,100000,1000000]``.

For each engine and each size, the hub's tables are filled directly (bulk inserts, as years of
traffic would leave them: packages with two deliveries each, 99.5 % of deliveries closed, the open
ones spread over 1,000 agencies), then it times, in process: accepting a 300 KB package
(``Hub.stage`` + ``Hub.accept``, median of 30), a receiver's pending count and its first page of 100
(medians of 50). At the largest size it prints the query plans of the count and the page.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import insert, text

from lienthong.edxml import to_bytes
from lienthong.edxml.builder import attachment_from_bytes, build_document
from lienthong.hub import directory
from lienthong.hub.config import HubConfig
from lienthong.hub.directory import SystemRef
from lienthong.hub.service import Hub
from lienthong.store.db import make_engine
from lienthong.store.tables import Agency, Delivery, Package

PG_ADMIN = os.environ.get("LIENTHONG_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
SENDER, RECEIVER = "000.00.00.G22", "000.00.00.H41"
TOP = 100_000_000  # old packages count down from here; accepted ones take ids above (SQLite) or below
AGENCIES = [f"000.{n // 99 + 1:02d}.{n % 99 + 1:02d}.H01" for n in range(1000)]


def package(n: int) -> bytes:
    meta = {
        "from": {"organ_id": SENDER, "organ_name": "Văn phòng Chính phủ"},
        "to": [{"organ_id": RECEIVER, "organ_name": "UBND tỉnh Nghệ An"}],
        "code": {"code_number": str(n), "code_notation": "VPCP-KSTT"},
        "promulgation_info": {"place": "Hà Nội", "promulgation_date": "2026/11/20"},
        "document_type": {"type": "1", "type_name": "Công văn"},
        "subject": "V/v đo hiệu năng",
        "signer_info": {"position": "Thứ trưởng", "full_name": "Nguyễn Văn A"},
    }
    pdf = b"%PDF-1.4\n" + os.urandom(225_000)
    return to_bytes(build_document(meta, [attachment_from_bytes("vb.pdf", pdf)]))


def setup(hub: Hub) -> None:
    now = datetime.now(UTC)
    rows = [
        {"code": c, "name": c, "level": 3, "legacy": False, "state": "active", "emails": ""}
        | {"version": 1, "created_at": now, "updated_at": now}
        for c in AGENCIES
    ]
    with hub.write() as s:
        directory.add_agency(s, directory.AgencyInput(SENDER, "Văn phòng Chính phủ"), now)
        directory.add_agency(s, directory.AgencyInput(RECEIVER, "UBND tỉnh Nghệ An"), now)
        s.execute(insert(Agency), rows)
        directory.add_system(s, hub.keys, "bench.sender", [SENDER], now, secret="s")
        directory.add_system(s, hub.keys, "bench.receiver", [RECEIVER], now, secret="r")
        directory.add_system(s, hub.keys, "bench.many", AGENCIES[:5], now, secret="m")


_PG_PACKAGES = """
INSERT INTO packages (id, doc_id, kind, sender_code, system_id, sha256, size, blob_key, document_id,
  notation_key, notation, business_type, priority, problems_json, problem_count, repeat_count, received_at)
SELECT CAST(:top AS bigint) - n, 'old-' || n, 'edoc', CAST(:sender AS text), 'bench.sender',
  lpad(to_hex(n), 64, '0'), 300000, lpad(to_hex(n), 64, '0'), 'old-' || n,
  CAST(:sender AS text) || '|2025|' || n || '/VPCP-KSTT', n || '/VPCP-KSTT',
  0, 0, '[]', 0, 0, timestamptz '2025-01-01 00:00:00+00' + n * interval '1 second'
FROM generate_series(CAST(:start AS int), CAST(:stop AS int) - 1) AS n
"""
_PG_DELIVERIES = """
INSERT INTO deliveries (delivery_id, package_id, recipient_code, kind, state, created_at, fetch_count)
SELECT 'old-' || n || '-' || r, CAST(:top AS bigint) - n,
  (CAST(:agencies AS text[]))[1 + (n * 2 + r) % CAST(:count AS int)], 'edoc',
  CASE WHEN (n * 2 + r) % 199 = 0 THEN 'pending' ELSE 'done' END,
  timestamptz '2025-01-01 00:00:00+00' + n * interval '1 second', 1
FROM generate_series(CAST(:start AS int), CAST(:stop AS int) - 1) AS n, generate_series(0, 1) AS r
"""


def fill(hub: Hub, start: int, stop: int) -> None:
    """Packages ``start``..``stop`` (two deliveries each) as old traffic; 1 in 200 deliveries open."""
    if start >= stop:
        return
    if hub.is_postgres:  # generated in the server: row-by-row inserts take minutes per 100,000
        params = {"top": TOP, "sender": SENDER, "start": start, "stop": stop}
        with hub.write() as s:
            s.execute(text(_PG_PACKAGES), params)
            s.execute(text(_PG_DELIVERIES), params | {"agencies": AGENCIES, "count": len(AGENCIES)})
        with hub.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
        return
    base = datetime(2025, 1, 1, tzinfo=UTC)
    chunk = 5000
    for first in range(start, stop, chunk):
        packages: list[dict[str, Any]] = []
        deliveries: list[dict[str, Any]] = []
        for n in range(first, min(stop, first + chunk)):
            at = base + timedelta(seconds=n)
            packages.append(
                {"id": TOP - n, "doc_id": f"old-{n}", "kind": "edoc", "sender_code": SENDER}
                | {
                    "system_id": "bench.sender",
                    "sha256": f"{n:064x}",
                    "size": 300_000,
                    "blob_key": f"{n:064x}",
                }
                | {"business_type": 0, "priority": 0, "problems_json": "[]", "problem_count": 0}
                | {"repeat_count": 0, "received_at": at, "document_id": f"old-{n}"}
                | {"notation_key": f"{SENDER}|2025|{n}/VPCP-KSTT", "notation": f"{n}/VPCP-KSTT"}
            )
            for r in range(2):
                recipient = AGENCIES[(n * 2 + r) % len(AGENCIES)]
                state = "pending" if (n * 2 + r) % 199 == 0 else "done"  # spread over the agencies
                deliveries.append(
                    {"delivery_id": f"old-{n}-{r}", "package_id": TOP - n, "recipient_code": recipient}
                    | {"kind": "edoc", "state": state, "created_at": at, "fetch_count": 1}
                )
        with hub.write() as s:
            s.execute(insert(Package), packages)
            s.execute(insert(Delivery), deliveries)
    with hub.engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()


def median_ms(fn: Any, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def measure(kind: str, hub: Hub, size: int, counter: list[int]) -> None:
    receiver = hub.system("bench.many")
    assert isinstance(receiver, SystemRef)

    template = package(99_999_999)
    bodies = [template.replace(b"99999999", f"{counter[0] + n:08d}".encode()) for n in range(30)]
    counter[0] += 30

    def accept() -> None:
        hub.accept("bench.sender", hub.stage([bodies.pop()]))

    accept_ms = median_ms(accept, 30)
    count_ms = median_ms(lambda: hub.count_pending(receiver), 50)
    page_ms = median_ms(lambda: hub.pending(receiver, limit=100), 50)
    pending = hub.count_pending(receiver)
    print(
        f"{kind:10} {size:>9,} deliveries: accept {accept_ms:5.1f} ms | receiver of 5 agencies "
        f"({pending} open): count {count_ms:6.2f} ms, first page of 100 {page_ms:6.2f} ms",
        flush=True,
    )


def explain(hub: Hub) -> None:
    receiver = hub.system("bench.many")
    assert receiver is not None
    count = sa.select(sa.func.count()).select_from(Delivery).where(*hub._open_for(receiver, None))
    sql = str(count.compile(hub.engine, compile_kwargs={"literal_binds": True}))
    prefix = "EXPLAIN ANALYZE" if hub.is_postgres else "EXPLAIN QUERY PLAN"
    with hub.engine.connect() as conn:
        rows = conn.execute(text(f"{prefix} {sql}")).all()
    print("  plan of the count:")
    for row in rows:
        print("   ", row[-1])


def run(kind: str, steps: list[int]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        name = ""
        if kind == "sqlite":
            url = f"sqlite:///{Path(tmp) / 'growth.sqlite3'}"
        else:
            name = f"lt_bench_{uuid.uuid4().hex[:10]}"
            with make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT").connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
        try:
            hub = Hub(
                HubConfig(data_dir=Path(tmp) / "data", db_url=url, rate_per_second=1e9, rate_burst=10**9)
            )
            setup(hub)
            filled, counter = 0, [1]
            for size in steps:
                start = time.perf_counter()
                fill(hub, filled // 2, size // 2)
                if size > filled:
                    print(f"{kind:10} filled to {size:,} deliveries in {time.perf_counter() - start:.0f} s")
                filled = size
                measure(kind, hub, size, counter)
            explain(hub)
            hub.close()
        finally:
            if name:
                with make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT").connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--steps", default="0,100000,1000000")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    for kind in args.engines.split(","):
        run(kind, [int(x) for x in args.steps.split(",")])


if __name__ == "__main__":
    main()
