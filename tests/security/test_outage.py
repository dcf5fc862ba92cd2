"""Outages: PostgreSQL unreachable under a live hub (503 + Retry-After, then it resumes by itself),
and a full disk on the data folder (new packages refused with HUB.STORAGE_FULL, reads still served)."""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from lienthong.hub.service import Hub
from lienthong.store.db import make_engine
from tests.hub.conftest import (
    PG_ADMIN,
    document,
    make_hub,
)
from tests.security.conftest import HubServer, sdk_headers, staging_files, token


class Proxy:
    """A TCP relay to PostgreSQL that can be cut (every connection closed, new ones refused) and restored."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self._listener: socket.socket | None = None
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        self.port = listener.getsockname()[1]
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        with self._lock:
            if self._listener is not None:
                with contextlib.suppress(OSError):  # wakes the thread blocked in accept()
                    self._listener.shutdown(socket.SHUT_RDWR)
                self._listener.close()
                self._listener = None
            for conn in self._conns:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
                conn.close()
            self._conns.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.close()


@pytest.fixture
def pg_through_proxy(pg_available: bool) -> Iterator[tuple[str, Proxy]]:
    name = f"lt_test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(PG_ADMIN)
    proxy = Proxy((url.host or "127.0.0.1", url.port or 5432))
    proxy.up()
    try:
        yield url.set(host="127.0.0.1", port=proxy.port, database=name).render_as_string(False), proxy
    finally:
        proxy.down()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_postgresql_restart_is_503_with_retry_after_then_resumes(
    tmp_path: Path, pg_through_proxy: tuple[str, Proxy]
) -> None:
    url, proxy = pg_through_proxy
    hub = make_hub(tmp_path, url, cache_seconds=0.0)
    vpcp = token(hub, "vpcp.sys")
    try:
        with HubServer(hub) as server, httpx.Client(base_url=server.url, timeout=60) as http:
            assert (
                http.post("/api/v1/packages", content=document(number="1"), headers=vpcp).status_code == 201
            )
            proxy.down()  # the database goes away under load
            answer = http.post("/api/v1/packages", content=document(number="2"), headers=vpcp)
            assert answer.status_code == 503 and answer.headers["retry-after"]
            assert answer.headers["content-type"] == "application/problem+json"
            assert answer.json()["code"] == "HUB.UNAVAILABLE"
            sdk = http.post("/getReceivedEdocList", content=b"{}", headers=sdk_headers("nghean.sys"))
            assert sdk.status_code == 503 and sdk.headers["retry-after"]
            assert sdk.json()["status"] == "FAIL" and sdk.json()["data"] == ""
            assert http.get("/health/live").status_code == 200
            assert staging_files(hub) == []
            proxy.up()  # PostgreSQL is back: the hub resumes without a restart
            deadline, status = time.monotonic() + 30, 0
            while status != 201 and time.monotonic() < deadline:
                status = http.post("/api/v1/packages", content=document(number="2"), headers=vpcp).status_code
                time.sleep(0.2)
            assert status == 201
            assert http.get("/api/v1/inbox", headers=token(hub, "nghean.sys")).json()["items"]
    finally:
        hub.close()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MB tmpfs for the data folder (needs root, as CI has); skipped elsewhere."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if (
        os.geteuid() != 0
        or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)]).returncode
    ):
        pytest.skip("mounting a small tmpfs needs root")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(folder: Path) -> Path:
    filler = folder / "filler"
    with filler.open("wb") as fh, contextlib.suppress(OSError):
        while True:
            fh.write(b"\0" * 65536)
            fh.flush()
    return filler


def test_a_full_disk_refuses_new_packages_and_keeps_serving_reads(tmp_path: Path, small_disk: Path) -> None:
    hub: Hub = make_hub(small_disk, f"sqlite:///{tmp_path / 'hub.sqlite3'}")  # data folder on the small disk
    vpcp, nghean = token(hub, "vpcp.sys"), token(hub, "nghean.sys")
    try:
        with HubServer(hub) as server, httpx.Client(base_url=server.url, timeout=60) as http:
            body = document(recipients=("000.00.00.H41",), number="1")
            assert http.post("/api/v1/packages", content=body, headers=vpcp).status_code == 201
            filler = _fill(small_disk)
            big = document(recipients=("000.00.00.H41",), number="2", content=os.urandom(300_000))
            answer = http.post("/api/v1/packages", content=big, headers=vpcp)
            assert answer.status_code == 507 and answer.json()["code"] == "HUB.STORAGE_FULL", answer.text
            sdk = http.post("/sendEdoc", content=big, headers=sdk_headers("vpcp.sys")).json()
            assert sdk["status"] == "FAIL" and sdk["ErrorDesc"].startswith("HUB.STORAGE_FULL:")
            assert staging_files(hub) == []
            inbox = http.get("/api/v1/inbox", headers=nghean).json()["items"]  # reads go on
            content = http.get(f"/api/v1/inbox/{inbox[0]['delivery_id']}/content", headers=nghean)
            assert content.status_code == 200 and content.content == body
            filler.unlink()  # space again: new packages are taken
            assert http.post("/api/v1/packages", content=big, headers=vpcp).status_code == 201
    finally:
        hub.close()
    assert errno.ENOSPC  # the code the hub turns into HUB.STORAGE_FULL
