"""The hub's accept path as users feel it: a real ``lienthong hub serve`` process driven over HTTP.

(Named ``accept_http.py``, not ``http.py``: a file named like the standard library's ``http`` in
``bench/`` would shadow it for every other bench script run from that folder.)

Run: ``.venv/bin/python bench/accept_http.py [--engines sqlite,postgresql] [--clients 1,4,16] [--workers 1]``.

For each engine it prepares a hub (directory, systems, a bearer token), starts ``lienthong hub serve``
as its own process, and has 1, 4 and 16 clients (threads, one keep-alive connection each) send
distinct 300 KB packages to ``POST /api/v1/packages`` for ``--seconds`` each. Beside it, in the same
run, it measures the *floor*: a raw lxml parse + SHA-256 + write and fsync of the same bytes, one
after the other in this process. It prints packages/s, p50/p99 latency and the ratio
``accepted per second ÷ floor per second``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import httpx
import sqlalchemy as sa
from lxml import etree

from lienthong.edxml import to_bytes
from lienthong.edxml.builder import attachment_from_bytes, build_document
from lienthong.hub import directory
from lienthong.hub.config import HubConfig
from lienthong.hub.service import Hub
from lienthong.store.db import make_engine

PG_ADMIN = os.environ.get("LIENTHONG_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
SENDER = "000.00.00.G22"
RECEIVER = "000.00.00.H41"
PLACEHOLDER = b"99999999"


def package(size: int) -> bytes:
    """A Công văn of ``size`` bytes of PDF content to one recipient; its number is ``PLACEHOLDER``."""
    meta = {
        "from": {"organ_id": SENDER, "organ_name": "Văn phòng Chính phủ"},
        "to": [{"organ_id": RECEIVER, "organ_name": "UBND tỉnh Nghệ An"}],
        "code": {"code_number": PLACEHOLDER.decode(), "code_notation": "VPCP-KSTT"},
        "promulgation_info": {"place": "Hà Nội", "promulgation_date": "2026/11/20"},
        "document_type": {"type": "1", "type_name": "Công văn"},
        "subject": "V/v đo hiệu năng",
        "signer_info": {"position": "Thứ trưởng", "full_name": "Nguyễn Văn A"},
    }
    content = b"%PDF-1.4\n" + os.urandom(size * 3 // 4)
    return to_bytes(build_document(meta, [attachment_from_bytes("vb.pdf", content)]))


def variant(data: bytes, n: int) -> bytes:
    return data.replace(PLACEHOLDER, f"{n:08d}".encode())


class Database:
    """A fresh database: a SQLite file in the folder, or a new PostgreSQL database dropped after."""

    def __init__(self, kind: str, folder: Path) -> None:
        self.kind = kind
        self.name = f"lt_bench_{uuid.uuid4().hex[:10]}"
        if kind == "sqlite":
            self.url = f"sqlite:///{folder / 'hub.sqlite3'}"
            return
        self.url = PG_ADMIN.rsplit("/", 1)[0] + f"/{self.name}"
        with make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{self.name}"'))

    def drop(self) -> None:
        if self.kind != "sqlite":
            with make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT").connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))


def prepare(folder: Path, url: str) -> str:
    """The directory, the two systems and a bearer token for the sender; returns the token."""
    hub = Hub(HubConfig(data_dir=folder, db_url=url))
    now = datetime.now(UTC)
    with hub.write() as s:
        directory.add_agency(s, directory.AgencyInput(SENDER, "Văn phòng Chính phủ"), now)
        directory.add_agency(s, directory.AgencyInput(RECEIVER, "UBND tỉnh Nghệ An"), now)
        directory.add_system(s, hub.keys, "bench.sender", [SENDER], now, secret="s")
        directory.add_system(s, hub.keys, "bench.receiver", [RECEIVER], now, secret="r")
        token = directory.issue_token(s, "bench.sender", now)
    hub.close()
    return token


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """``lienthong hub serve`` as a child process on a loopback port."""

    def __init__(self, folder: Path, url: str, workers: int, extra: list[str] | None = None) -> None:
        self.port = free_port()
        self.log: IO[bytes] = (folder / "serve.log").open("wb")
        command = [
            str(Path(sys.executable).with_name("lienthong")),
            "hub",
            "serve",
            "--db",
            url,
            "--data-dir",
            str(folder),
            "--port",
            str(self.port),
            "--no-watch",
            "--rate",
            "1000000",
            "--burst",
            "1000000",
        ]
        if workers > 1:
            command += ["--workers", str(workers)]
        command += extra or []
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/health/live", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"hub serve did not start; see {folder / 'serve.log'}")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


def floor(data: bytes, folder: Path, runs: int) -> float:
    """Seconds per package for the unavoidable work: raw lxml parse, SHA-256, write and fsync."""
    parser = etree.XMLParser(huge_tree=True)
    times = []
    for n in range(runs):
        body = variant(data, n)
        start = time.perf_counter()
        etree.fromstring(body, parser)
        hashlib.sha256(body).hexdigest()
        path = folder / f"floor-{n}"
        with path.open("wb") as fh:
            fh.write(body)
            fh.flush()
            os.fsync(fh.fileno())
        times.append(time.perf_counter() - start)
        path.unlink()
    return statistics.median(times)


class Load:
    """``clients`` threads sending distinct packages for ``seconds``; latencies of the 201s."""

    def __init__(self, url: str, token: str, data: bytes, first: int) -> None:
        self.url, self.token, self.data = url, token, data
        self.next = first
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.errors: dict[int, int] = {}

    def number(self) -> int:
        with self.lock:
            self.next += 1
            return self.next

    def client(self, until: float) -> None:
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/xml"}
        with httpx.Client(base_url=self.url, headers=headers, timeout=60) as http:
            while time.perf_counter() < until:
                body = variant(self.data, self.number())
                start = time.perf_counter()
                status = http.post("/api/v1/packages", content=body).status_code
                took = time.perf_counter() - start
                with self.lock:
                    if status == 201:
                        self.latencies.append(took)
                    else:
                        self.errors[status] = self.errors.get(status, 0) + 1

    def run(self, clients: int, seconds: float) -> float:
        until = time.perf_counter() + seconds
        threads = [threading.Thread(target=self.client, args=(until,)) for _ in range(clients)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return time.perf_counter() - start


def run_engine(kind: str, args: argparse.Namespace, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = Database(kind, folder)
        try:
            token = prepare(folder / "data", db.url)
            for workers in args.workers:
                if kind == "sqlite" and workers > 1:
                    continue  # SQLite has one writer process by design
                server = Server(folder / "data", db.url, workers)
                try:
                    measure(kind, workers, server, token, data, folder, args)
                finally:
                    server.stop()
        finally:
            db.drop()


def measure(
    kind: str, workers: int, server: Server, token: str, data: bytes, folder: Path, args: argparse.Namespace
) -> None:
    Load(server.url, token, data, 90_000_000 + workers * 1_000_000).run(1, 1.0)  # warm up
    for clients in args.clients:
        base = floor(data, folder, 40)  # the floor beside each figure, in the same run
        load = Load(server.url, token, data, clients * 10_000_000 + workers * 1_000_000)
        took = load.run(clients, args.seconds)
        done = len(load.latencies)
        rate = done / took
        lat = sorted(load.latencies) or [0.0]
        p50 = statistics.median(lat)
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
        errors = f" errors {load.errors}" if load.errors else ""
        print(
            f"{kind:10} workers {workers} clients {clients:2}: {rate:6.1f} /s "
            f"p50 {p50 * 1000:6.1f} ms p99 {p99 * 1000:7.1f} ms | floor {base * 1000:5.2f} ms "
            f"({1 / base:6.0f} /s) | ratio {rate * base:.3f}{errors}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--clients", default="1,4,16")
    parser.add_argument("--workers", default="1", help="comma-separated worker counts (PostgreSQL)")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--size", type=int, default=300_000, help="package size in bytes (about)")
    args = parser.parse_args()
    args.clients = [int(c) for c in args.clients.split(",")]
    args.workers = [int(w) for w in args.workers.split(",")]
    data = package(args.size)
    print(f"package {len(data) / 1000:.0f} KB, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    for kind in args.engines.split(","):
        run_engine(kind, args, data)


if __name__ == "__main__":
    main()
