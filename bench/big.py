"""A 200 MB package through a real ``lienthong hub serve`` process: the hub's peak memory on each path.

Run: ``.venv/bin/python bench/big.py [--mb 200] [--engine sqlite]``.

The package is written to a file, then streamed to ``POST /api/v1/packages``; the receiver takes it
back two ways: the SDK protocol's ``getEdoc`` (base64 in JSON) and ``downloadEdoc`` (raw bytes),
each response streamed to a file. A thread samples
the server process's resident size (``VmRSS`` in ``/proc/<pid>/status``) every 5 ms; each path's
figure is its peak minus the resident size just before it (goal ≤ 0.5 × the package).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx

from lienthong.client.sdk import sign_headers


def _sibling(name: str) -> ModuleType:
    """Another bench script as a module (bench/ is not a package)."""
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


accept_http = _sibling("accept_http")


def rss(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


class Peak:
    """The highest resident size of ``pid`` while the block runs, above its size at the start."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.growth = 0

    def __enter__(self) -> Peak:
        self.before = rss(self.pid)
        self.peak = self.before
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._sample)
        self.thread.start()
        return self

    def _sample(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, rss(self.pid))
            time.sleep(0.005)

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join()
        self.growth = self.peak - self.before


def chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            yield chunk


def save(response: httpx.Response, path: Path) -> int:
    size = 0
    with path.open("wb") as fh:
        for chunk in response.iter_bytes(1 << 20):
            fh.write(chunk)
            size += len(chunk)
    return size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--engine", default="sqlite")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        package = folder / "big.edxml"
        package.write_bytes(accept_http.package(args.mb * (1 << 20)))
        size = package.stat().st_size
        db = accept_http.Database(args.engine, folder)
        try:
            token = accept_http.prepare(folder / "data", db.url)
            server = accept_http.Server(folder / "data", db.url, 1, ["--max-package-mb", str(args.mb * 2)])
            try:
                run(server, token, package, size, folder)
            finally:
                server.stop()
        finally:
            db.drop()


def run(server: Any, token: str, package: Path, size: int, folder: Path) -> None:
    pid = server.process.pid
    print(f"package {size / 1e6:.0f} MB; hub process resident at start {rss(pid) / 1e6:.0f} MB")
    with httpx.Client(base_url=server.url, timeout=600) as http:
        sender = {"Authorization": f"Bearer {token}", "Content-Type": "application/xml"}
        with Peak(pid) as peak:
            start = time.perf_counter()
            sent = http.post("/api/v1/packages", headers=sender, content=chunks(package))
        assert sent.status_code == 201, sent.text[:500]
        report("accept (POST /api/v1/packages)", peak.growth, size, time.perf_counter() - start)
        delivery = sent.json()["deliveries"][0]["delivery_id"]
        sdk = sign_headers(
            "bench.receiver", "r", {"docid": delivery}, "application/json", "30112026T000000+0000"
        )
        for label, method, path, headers in (
            ("getEdoc (base64 in JSON)", "POST", "/getEdoc", sdk),
            ("downloadEdoc (raw bytes)", "GET", "/downloadEdoc", sdk),
        ):
            with Peak(pid) as peak:
                start = time.perf_counter()
                with http.stream(method, path, headers=headers, content=b"{}") as response:
                    got = save(response, folder / "out")
            assert got >= size, (label, got, response.status_code)
            report(label, peak.growth, size, time.perf_counter() - start)


def report(label: str, growth: int, size: int, seconds: float) -> None:
    print(
        f"{label:32}: {seconds:5.1f} s, hub peak RSS growth {growth / 1e6:6.1f} MB = "
        f"{growth / size:.2f} x the package (goal <= 0.5)",
        flush=True,
    )


if __name__ == "__main__":
    main()
