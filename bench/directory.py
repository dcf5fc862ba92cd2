"""The national directory at full size: 111,339 agencies imported, paged and synced, on both engines.

Run: ``.venv/bin/python bench/directory.py [--engines sqlite,postgresql] [--count 111339]``.

For each engine: a fresh hub imports a CSV of ``--count`` agencies (levels 1 to 4, Decision-20
codes) with ``lienthong.hub.directory.import_agencies`` (as ``lienthong hub agency import`` does),
then a real uvicorn server on loopback answers ``GET /api/v1/agencies?limit=1000`` page after page
(keyset, ``after``), one filtered list (level 1), and the SDK protocol's full sync
(``getSynchronizeUnit`` from version 0, the whole directory in one answer).
"""

from __future__ import annotations

import argparse
import csv
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import sqlalchemy as sa
import uvicorn

from lienthong.api.app import create_app
from lienthong.client.sdk import sign_headers
from lienthong.hub import directory
from lienthong.hub.config import HubConfig
from lienthong.hub.service import Hub
from lienthong.store.db import make_engine

PG_ADMIN = os.environ.get("LIENTHONG_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def codes(count: int) -> list[tuple[str, str]]:
    """``count`` Decision-20 codes with their parents: 100 level-1 bodies, then levels 2, 3 and 4."""
    level1 = [f"000.00.00.{letter}{n:02d}" for letter in "GH" for n in range(1, 51)]
    out = [(c, "") for c in level1]
    level2 = [(f"000.00.{b:02d}.{c[-3:]}", c) for c in level1 for b in range(1, 31)]
    out += level2
    for code, _ in level2:
        l2, l1 = code.split(".")[2], code[-3:]
        out += [(f"000.{k:02d}.{l2}.{l1}", code) for k in range(1, 100)]
        if len(out) >= count:
            break
    n = 0
    while len(out) < count:
        code, _ = out[100 + n]
        rest = code.split(".", 1)[1]
        out += [(f"{m:03d}.{rest}", code) for m in range(1, 10)]
        n += 1
    return out[:count]


def write_csv(path: Path, count: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["code", "name", "parent", "emails"])
        for code, parent in codes(count):
            writer.writerow([code, f"Đơn vị {code}", parent, f"vanthu@{code.replace('.', '-')}.gov.vn"])


class Server:
    def __init__(self, hub: Hub) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        config = uvicorn.Config(create_app(hub), host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        while not self.server.started:
            time.sleep(0.02)
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def database(kind: str, folder: Path) -> tuple[str, str]:
    if kind == "sqlite":
        return f"sqlite:///{folder / 'dir.sqlite3'}", ""
    name = f"lt_bench_{uuid.uuid4().hex[:10]}"
    with make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", name


def drop(name: str) -> None:
    if name:
        with make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def run(kind: str, csv_path: Path, count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url, name = database(kind, Path(tmp))
        try:
            hub = Hub(HubConfig(data_dir=Path(tmp) / "data", db_url=url))
            start = time.perf_counter()
            with hub.write() as s:
                added, _ = directory.import_agencies(s, csv_path, datetime.now(UTC))
            imported = time.perf_counter() - start
            now = datetime.now(UTC)
            with hub.write() as s:
                directory.add_system(s, hub.keys, "bench.sys", ["000.00.00.G01"], now, secret="s")
                token = directory.issue_token(s, "bench.sys", now)
            print(f"{kind:10} import {added} agencies: {imported:.1f} s", flush=True)
            server = Server(hub)
            try:
                http_figures(kind, server.url, token, count)
            finally:
                server.stop()
            hub.close()
        finally:
            drop(name)


def http_figures(kind: str, url: str, token: str, count: int) -> None:
    pages: list[float] = []
    seen = 0
    after: str | None = None
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=120) as http:
        start_all = time.perf_counter()
        while True:
            params: dict[str, str | int] = {"limit": 1000}
            if after:
                params["after"] = after
            start = time.perf_counter()
            body = http.get("/api/v1/agencies", params=params).json()
            pages.append(time.perf_counter() - start)
            seen += len(body["items"])
            after = body.get("next")
            if not after:
                break
        walk = time.perf_counter() - start_all
        start = time.perf_counter()
        level1 = http.get("/api/v1/agencies", params={"level": 1, "limit": 1000}).json()["items"]
        filtered = time.perf_counter() - start
        headers = sign_headers("bench.sys", "s", {}, "application/json", "30112026T000000+0000")
        start = time.perf_counter()
        sync = http.post("/getSynchronizeUnit", headers=headers, content=b"{}")
        synced = time.perf_counter() - start
        units = len(sync.json().get("data", []))
        if not units:
            print(sync.text[:300])
    assert seen == count, (seen, count)
    print(
        f"{kind:10} GET /api/v1/agencies?limit=1000: {len(pages)} pages, median "
        f"{statistics.median(pages) * 1000:.0f} ms, max {max(pages) * 1000:.0f} ms, all {walk:.1f} s | "
        f"level 1 only: {len(level1)} in {filtered * 1000:.0f} ms | "
        f"full sync (getSynchronizeUnit, {units} units, {len(sync.content) / 1e6:.0f} MB): {synced:.1f} s",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--count", type=int, default=111_339)
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "agencies.csv"
        write_csv(csv_path, args.count)
        for kind in args.engines.split(","):
            run(kind, csv_path, args.count)


if __name__ == "__main__":
    main()
