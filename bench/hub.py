"""Hub acceptance throughput and latency, beside the floor (parse + SHA-256 + fsync), and memory.

Run: ``.venv/bin/python bench/hub.py [--quick]``. Prints one line per configuration:
packages/s, p50/p95 latency, the floor for the same bytes, and the ratio; then the peak memory of
accepting a 200 MB package (in a fresh process) and the long-poll wake-up latency.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from lienthong.edxml import parse, to_bytes
from lienthong.edxml.builder import attachment_from_bytes, build_document
from lienthong.edxml.validate import validate
from lienthong.hub import directory
from lienthong.hub.config import HubConfig
from lienthong.hub.service import Hub
from lienthong.store.db import make_engine

PG_ADMIN = os.environ.get("LIENTHONG_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
SENDER = "000.00.00.G22"
PLACEHOLDER = "99999999"


def recipients(count: int) -> list[str]:
    return [f"000.00.{i:02d}.H41" if i else "000.00.00.H41" for i in range(count)]


def template(size: int, to: list[str]) -> bytes:
    content = b"%PDF-1.4\n" + os.urandom(size)
    meta = {
        "from": {"organ_id": SENDER, "organ_name": "Văn phòng Chính phủ"},
        "to": [{"organ_id": code, "organ_name": "Đơn vị nhận"} for code in to],
        "code": {"code_number": PLACEHOLDER, "code_notation": "VPCP-KSTT"},
        "promulgation_info": {"place": "Hà Nội", "promulgation_date": "2026/11/20"},
        "document_type": {"type": "1", "type_name": "Công văn"},
        "subject": "V/v đo hiệu năng",
        "signer_info": {"position": "Thứ trưởng", "full_name": "Nguyễn Văn A"},
    }
    return to_bytes(build_document(meta, [attachment_from_bytes("vb.pdf", content)]))


def variant(data: bytes, n: int) -> bytes:
    return data.replace(PLACEHOLDER.encode(), f"{n:08d}".encode())


def make_hub(folder: Path, url: str, agencies: list[str]) -> Hub:
    hub = Hub(HubConfig(data_dir=folder, db_url=url, rate_per_second=1e9, rate_burst=10**9))
    now = datetime.now(UTC)
    with hub.write() as s:
        directory.add_agency(s, directory.AgencyInput(SENDER, "Văn phòng Chính phủ"), now)
        for code in agencies:
            directory.add_agency(s, directory.AgencyInput(code, f"Đơn vị {code}"), now)
        directory.add_system(s, hub.keys, "bench.sender", [SENDER], now, secret="s")
        directory.add_system(s, hub.keys, "bench.receiver", agencies, now, secret="r")
    return hub


class Database:
    def __init__(self, kind: str, folder: Path) -> None:
        self.kind = kind
        self.name = f"lt_bench_{uuid.uuid4().hex[:10]}"
        if kind == "sqlite":
            self.url = f"sqlite:///{folder / 'bench.sqlite3'}"
        else:
            self.url = PG_ADMIN.rsplit("/", 1)[0] + f"/{self.name}"
            with make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT").connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{self.name}"'))

    def drop(self) -> None:
        if self.kind != "sqlite":
            with make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT").connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))


def floor(data: bytes, folder: Path, runs: int) -> float:
    """Seconds per package for the unavoidable work: parse and check, hash, write and fsync."""
    times = []
    for n in range(runs):
        body = variant(data, n)
        start = time.perf_counter()
        message = parse(body)
        validate(message)
        hashlib.sha256(body).hexdigest()
        path = folder / f"floor-{n}"
        with path.open("wb") as fh:
            fh.write(body)
            fh.flush()
            os.fsync(fh.fileno())
        times.append(time.perf_counter() - start)
        path.unlink()
    return statistics.median(times)


def accept_run(kind: str, size: int, fanout: int, runs: int, workers: int = 4) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = Database(kind, folder)
        try:
            to = recipients(fanout)
            hub = make_hub(folder / "data", db.url, to)
            data = template(size, to)
            for n in range(3):  # warm up
                hub.accept("bench.sender", hub.stage([variant(data, 10**7 + n)]))
            latencies = []
            start_all = time.perf_counter()
            for n in range(runs):
                body = variant(data, n)
                start = time.perf_counter()
                hub.accept("bench.sender", hub.stage([body]))
                latencies.append(time.perf_counter() - start)
            sequential = runs / (time.perf_counter() - start_all)
            # Several submitters at once, as a hub serves many agencies: parsing overlaps the commits.
            bodies = [variant(data, 10**6 + n) for n in range(runs)]
            start_all = time.perf_counter()
            with ThreadPoolExecutor(workers) as pool:
                list(pool.map(lambda b: hub.accept("bench.sender", hub.stage([b])), bodies))
            concurrent = runs / (time.perf_counter() - start_all)
            base = floor(data, folder, max(5, runs // 4))
            p50 = statistics.median(latencies)
            p95 = sorted(latencies)[int(len(latencies) * 0.95) - 1]
            print(
                f"{kind:10} {len(data) / 1e6:5.2f} MB x{fanout:<3}: {sequential:6.1f}/s sequential, "
                f"{concurrent:6.1f}/s with {workers} submitters | p50 {p50 * 1000:6.1f} ms, "
                f"p95 {p95 * 1000:6.1f} ms | floor {base * 1000:5.1f} ms ({1 / base:6.1f}/s) | "
                f"ratio to floor: sequential {base / p50:.2f}, concurrent {concurrent * base:.2f}"
            )
            hub.close()
        finally:
            db.drop()


def big_package_child(path: Path) -> None:
    """In a fresh process: accept the package at ``path``, streamed from the file; print peak RSS growth."""
    size = path.stat().st_size
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        hub = make_hub(folder / "data", f"sqlite:///{folder / 'big.sqlite3'}", ["000.00.00.H41"])
        before = rss()
        peak = [before]
        done = threading.Event()

        def sample() -> None:  # ru_maxrss cannot be reset, so sample the resident size instead
            while not done.is_set():
                peak[0] = max(peak[0], rss())
                time.sleep(0.002)

        sampler = threading.Thread(target=sample)
        sampler.start()
        start = time.perf_counter()

        def chunks() -> Iterator[bytes]:
            with path.open("rb") as fh:
                while chunk := fh.read(1 << 20):
                    yield chunk

        hub.accept("bench.sender", hub.stage(chunks()))
        took = time.perf_counter() - start
        done.set()
        sampler.join()
        growth = peak[0] - before
        print(
            f"accepting a {size / 1e6:.0f} MB package: {took:.1f} s, peak RSS growth "
            f"{growth / 1e6:.0f} MB = {growth / size:.2f} x its size (goal <= 0.5)"
        )


def rss() -> int:
    """Resident set size of this process in bytes."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize()


def big_package(size_mb: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.edxml"
        path.write_bytes(template(size_mb * 3 * (1 << 20) // 4, ["000.00.00.H41"]))
        subprocess.run([sys.executable, __file__, "--big-child", str(path)], check=True)


def wake_latency(runs: int) -> None:
    """A receiver waiting on /api/v1/inbox/wait: time from the send returning to the waiter waking."""
    import asyncio

    from lienthong.hub.service import Hub as _Hub

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        hub: _Hub = make_hub(folder / "data", f"sqlite:///{folder / 'wake.sqlite3'}", ["000.00.00.H41"])
        receiver = hub.system("bench.receiver")
        assert receiver is not None
        data = template(300_000, ["000.00.00.H41"])
        delays = []
        for n in range(runs):
            woke: dict[str, float] = {}
            loop = asyncio.new_event_loop()

            async def wait(into: dict[str, float]) -> None:
                await hub.wait_for_mail(receiver, 10)
                into["at"] = time.perf_counter()

            task = loop.create_task(wait(woke))
            thread = threading.Thread(target=loop.run_until_complete, args=(task,))
            thread.start()
            time.sleep(0.05)
            sent = time.perf_counter()
            hub.accept("bench.sender", hub.stage([variant(data, n)]))
            thread.join()
            loop.close()
            delays.append(woke["at"] - sent)
            for item in hub.pending(receiver):
                hub.ack(receiver, item.delivery_id, "done")
        print(
            f"long-poll wake-up after a send: p50 {statistics.median(delays) * 1000:.1f} ms over {runs} sends"
        )
        hub.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer runs, no 200 MB package")
    parser.add_argument("--big-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.big_child:
        big_package_child(args.big_child)
        return
    runs = 30 if args.quick else 200
    for kind in ("sqlite", "postgresql"):
        accept_run(kind, 300_000, 1, runs)
        accept_run(kind, 300_000, 100, runs // 2)
        accept_run(kind, 5_000_000, 1, max(10, runs // 10))
    wake_latency(20)
    big_package(40 if args.quick else 200)


if __name__ == "__main__":
    main()
