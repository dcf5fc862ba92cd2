"""Time to build the day's reports for 1,000 and 10,000 agencies over a realistic day of traffic.

Run: ``.venv/bin/python bench/reports.py [--quick] [--pg]``. For each configuration it fills a
fresh database directly (agencies in a ministry/province hierarchy, one connected system per
level-1 body, a day of document packages with one to three recipients each, their deliveries in
realistic states, statuses, refusals, recorded problems), then prints the seconds to build every
agency's report and the national summary (``build_daily``), the cost per agency and per
thousand deliveries, and the time to render the HTML of every report and the PDF of a few.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from lienthong.hub.config import HubConfig
from lienthong.hub.service import Hub
from lienthong.store.db import make_engine
from lienthong.store.tables import Agency, Delivery, Package, Refusal, System, SystemAgency
from lienthong.watch import render
from lienthong.watch.config import WatchConfig
from lienthong.watch.rules import build_daily

PG_ADMIN = os.environ.get("LIENTHONG_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
DAY = date(2026, 12, 3)  # Thursday: the report covers Wednesday 07:00 to Thursday 07:00 (Vietnam)
START = datetime(2026, 12, 2, 0, 0, tzinfo=UTC)  # Wednesday 07:00 in Hà Nội
ROOTS = [f"000.00.00.G{n:02d}" for n in range(1, 33)] + [f"000.00.00.H{n:02d}" for n in range(1, 64)]
PROBLEMS = json.dumps(
    [{"code": "EDXML.TOO_LONG", "severity": "error", "path": "Subject", "message_vi": "x", "message_en": "x"}]
)


def agency_codes(count: int) -> list[tuple[str, str | None, int]]:
    """(code, parent, level): the 95 level-1 bodies, then units spread under them (levels 2 and 3)."""
    out: list[tuple[str, str | None, int]] = [(code, None, 1) for code in ROOTS[:count]]
    n = 0
    while len(out) < count:
        root = ROOTS[n % len(ROOTS)]
        k = n // len(ROOTS)
        l2, l3 = k % 99 + 1, k // 99
        suffix = root.split(".")[-1]
        if l3 == 0:
            out.append((f"000.00.{l2:02d}.{suffix}", root, 2))
        else:
            out.append((f"000.{l3:02d}.{l2:02d}.{suffix}", f"000.00.{l2:02d}.{suffix}", 3))
        n += 1
    return out


def fill(engine: sa.Engine, agencies: int, packages: int, seed: int = 7) -> int:
    """Insert the directory and a day of traffic in bulk; returns the number of deliveries."""
    rng = random.Random(seed)
    codes = agency_codes(agencies)
    created = START - timedelta(days=400)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(Agency),
            [
                {
                    "code": c,
                    "name": f"Đơn vị {c}",
                    "parent_code": p,
                    "level": lv,
                    "legacy": False,
                    "state": "active",
                    "emails": f"{c}@example.test",
                    "version": i + 1,
                    "created_at": created,
                    "updated_at": created,
                    # Most systems called within the hour; a few have gone quiet for days.
                    "last_contact_at": START + timedelta(hours=23) if rng.random() > 0.03 else created,
                }
                for i, (c, p, lv) in enumerate(codes)
            ],
        )
        roots = [c for c, _, lv in codes if lv == 1]
        conn.execute(
            sa.insert(System),
            [
                {
                    "id": i + 1,
                    "system_id": f"sys{i}",
                    "secret_encrypted": b"x",
                    "state": "active",
                    "created_at": created,
                }
                for i in range(len(roots))
            ],
        )
        conn.execute(
            sa.insert(SystemAgency), [{"system_pk": i + 1, "agency_code": c} for i, c in enumerate(roots)]
        )
    names = [c for c, _, _ in codes]
    # Traffic is skewed: level-1 bodies send and receive far more than a commune.
    weights = [40.0 if lv == 1 else 4.0 if lv == 2 else 1.0 for _, _, lv in codes]
    senders = rng.choices(names, weights, k=packages)
    deliveries = 0
    batch = 20_000
    pk = 0
    dk = 0
    for first in range(0, packages, batch):
        prows: list[dict[str, Any]] = []
        drows: list[dict[str, Any]] = []
        for n in range(first, min(first + batch, packages)):
            pk += 1
            at = START + timedelta(seconds=rng.random() * 86_000)
            sender = senders[n]
            signed = (at - timedelta(days=rng.choice([0, 0, 0, 0, 1, 1, 6]))).strftime("%Y/%m/%d")
            problem = rng.random() < 0.08
            prows.append(
                {
                    "id": pk,
                    "doc_id": str(uuid.UUID(int=rng.getrandbits(128))),
                    "kind": "edoc",
                    "sender_code": sender,
                    "system_id": "sys0",
                    "sha256": f"{pk:064x}",
                    "size": 300_000,
                    "blob_key": f"{pk:064x}",
                    "document_id": f"{sender},{signed},{n}/VP",
                    "notation": f"{n}/VP",
                    "business_type": 0,
                    "subject": "V/v đo hiệu năng báo cáo",
                    "priority": 0,
                    "problems_json": PROBLEMS if problem else "[]",
                    "problem_count": 1 if problem else 0,
                    "repeat_count": 1 if rng.random() < 0.01 else 0,
                    "received_at": at,
                }
            )
            for recipient in {rng.choices(names, weights)[0] for _ in range(rng.choice([1, 1, 2, 3]))}:
                dk += 1
                roll = rng.random()
                state: str = "done"
                status: str | None = "03"
                fetched: datetime | None = at + timedelta(minutes=20)
                error: str | None = None
                if roll < 0.05:
                    state, status, fetched = "pending", None, None
                elif roll < 0.10:
                    state, status = "fetched", "01"
                elif roll < 0.12:
                    state, status, error = "failed", None, "HUB.RECEIVE_FAILED"
                elif roll < 0.13:
                    state, status, fetched, error = "undeliverable", None, None, "HUB.RECIPIENT_SUSPENDED"
                drows.append(
                    {
                        "id": dk,
                        "delivery_id": f"d{dk}",
                        "package_id": pk,
                        "recipient_code": recipient,
                        "kind": "edoc",
                        "state": state,
                        "error_code": error,
                        "error_text": "lỗi giải mã" if error else None,
                        "created_at": at,
                        "fetched_at": fetched,
                        "acked_at": fetched,
                        "fetch_count": 1 if fetched else 0,
                        "last_status_code": status,
                        "last_status_at": fetched,
                    }
                )
        with engine.begin() as conn:
            conn.execute(sa.insert(Package), prows)
            conn.execute(sa.insert(Delivery), drows)
        deliveries += len(drows)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(Refusal),
            [
                {
                    "system_id": "sys0",
                    "sender_code": rng.choice(names),
                    "code": "HUB.MALFORMED",
                    "detail": "The package cannot be read",
                    "sha256": None,
                    "size": 0,
                    "at": START + timedelta(seconds=rng.random() * 86_000),
                }
                for _ in range(packages // 100)
            ],
        )
    return deliveries


def measure(url: str, agencies: int, packages: int, repeat: int) -> dict[str, float]:
    data = Path(tempfile.mkdtemp(prefix="lt-bench-reports-"))
    hub = Hub(HubConfig(data_dir=data, db_url=url))
    t0 = time.perf_counter()
    deliveries = fill(hub.engine, agencies, packages)
    filled = time.perf_counter() - t0
    config = WatchConfig()
    times = []
    reports = None
    for _ in range(repeat):
        t = time.perf_counter()
        with hub.read() as s:
            reports = build_daily(s, DAY, config)
        times.append(time.perf_counter() - t)
    assert reports is not None and len(reports.agencies) == agencies
    t = time.perf_counter()
    for report in reports.agencies.values():
        render.to_html(report)
    html = time.perf_counter() - t
    sample = list(reports.agencies.values())[:: max(agencies // 5, 1)][:5]
    t = time.perf_counter()
    for report in sample:
        render.to_pdf(report)
    pdf = (time.perf_counter() - t) / len(sample)
    hub.close()
    build = statistics.median(times)
    return {
        "agencies": agencies,
        "packages": packages,
        "deliveries": deliveries,
        "fill_s": filled,
        "build_s": build,
        "ms_per_agency": 1000 * build / agencies,
        "ms_per_1k_deliveries": 1000 * build / (deliveries / 1000),
        "html_all_s": html,
        "pdf_each_s": pdf,
        "issues": float(reports.national.totals.issues),
    }


def pg_database() -> tuple[str, sa.Engine, str]:
    name = f"lt_bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", admin, name


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller traffic (12,000 packages)")
    parser.add_argument("--pg", action="store_true", help="also on PostgreSQL (127.0.0.1:5432)")
    args = parser.parse_args(argv)
    day = 12_000 if args.quick else 120_000
    configs = [(1_000, day), (10_000, day), (10_000, day * 2)]
    engines = ["sqlite"] + (["postgresql"] if args.pg else [])
    print(
        f"{'engine':<10} {'agencies':>8} {'packages':>9} {'deliveries':>10} {'build s':>8} "
        f"{'ms/agency':>9} {'ms/1k deliv':>11} {'html all s':>10} {'pdf each s':>10}"
    )
    for engine in engines:
        for agencies, packages in configs:
            if engine == "sqlite":
                url = f"sqlite:///{tempfile.mkdtemp(prefix='lt-bench-')}/hub.sqlite3"
                r = measure(url, agencies, packages, repeat=3)
            else:
                url, admin, name = pg_database()
                try:
                    r = measure(url, agencies, packages, repeat=3)
                finally:
                    with admin.connect() as conn:
                        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                    admin.dispose()
            print(
                f"{engine:<10} {r['agencies']:>8.0f} {r['packages']:>9.0f} {r['deliveries']:>10.0f} "
                f"{r['build_s']:>8.2f} {r['ms_per_agency']:>9.3f} {r['ms_per_1k_deliveries']:>11.1f} "
                f"{r['html_all_s']:>10.1f} {r['pdf_each_s']:>10.2f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
