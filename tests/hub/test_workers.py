"""Several hub workers over one PostgreSQL: wake-ups across processes, background work once, no lost acks."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from lienthong.cli.main import app as cli
from lienthong.hub import directory
from lienthong.hub.config import HubConfig
from lienthong.hub.service import Hub
from lienthong.store.leader import Leader
from lienthong.store.tables import Package
from tests.hub.conftest import document, make_hub, send, system

pg_only = pytest.mark.parametrize(
    "db_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)


@pg_only
def test_a_receiver_waiting_in_one_worker_is_woken_by_mail_accepted_in_another(
    hub: Hub, tmp_path: Path
) -> None:
    other = Hub(HubConfig(data_dir=tmp_path / "data", db_url=hub.config.db_url))
    try:
        hub.listen()
        assert hub.listener is not None and hub.listener.ready.wait(10)
        nghean = system(hub, "nghean.sys")
        result: dict[str, int] = {}
        loop = asyncio.new_event_loop()
        waiter = threading.Thread(
            target=lambda: result.update(count=loop.run_until_complete(hub.wait_for_mail(nghean, 30)))
        )
        waiter.start()
        time.sleep(0.5)  # the receiver is waiting, with nothing pending
        send(other, "vpcp.sys", document(recipients=("000.00.00.H41",)))  # the other worker accepts
        waiter.join(40)
        loop.close()
        assert result == {"count": 1}  # woken with the mail, not by the 30 s timeout (which answers 0)
    finally:
        other.close()


@pg_only
def test_background_work_runs_in_exactly_one_worker_and_moves_when_it_dies(hub: Hub) -> None:
    runs: list[str] = []
    first = Leader(hub.engine, lambda: runs.append("first"), retry=0.2)
    second = Leader(hub.engine, lambda: runs.append("second"), retry=0.2)
    first.start()
    assert first.elected.wait(10)
    second.start()
    time.sleep(1.0)  # several election rounds of the second worker
    assert runs == ["first"]
    first.stop()  # the first worker goes away: its session ends and the lock with it
    assert second.elected.wait(10)
    assert runs == ["first", "second"]
    second.stop()


def test_sqlite_refuses_several_workers_with_a_clear_message(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["hub", "serve", "--data-dir", str(tmp_path), "--workers", "2"])
    assert result.exit_code == 1
    assert "HUB.OPERATION" in result.output and "PostgreSQL" in result.output


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(data: Path, db_url: str, workers: int) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = _port()
    command = [str(Path(sys.executable).with_name("lienthong")), "hub", "serve", "--db", db_url]
    command += ["--data-dir", str(data), "--port", str(port), "--workers", str(workers), "--no-watch"]
    command += ["--rate", "100000", "--burst", "100000"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/health/live", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "hub serve did not start"
            time.sleep(0.2)
        yield url, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(30)


def _tokens(tmp_path: Path, db_url: str) -> tuple[str, str]:
    hub = make_hub(tmp_path, db_url)
    with hub.write() as s:
        sender = directory.issue_token(s, "vpcp.sys", hub.clock())
        receiver = directory.issue_token(s, "nghean.sys", hub.clock())
    hub.close()
    return sender, receiver


@pg_only
def test_hub_serve_with_two_workers_accepts_and_wakes_receivers(tmp_path: Path, db_url: str) -> None:
    sender, receiver = _tokens(tmp_path, db_url)
    with serving(tmp_path / "data", db_url, 2) as (url, _):
        post = {"Authorization": f"Bearer {sender}", "Content-Type": "application/xml"}
        wait = {"Authorization": f"Bearer {receiver}"}
        for round_ in range(3):  # each wait lands on either worker; each send on either
            got: dict[str, int] = {}

            def waiting(into: dict[str, int] = got) -> None:
                answer = httpx.get(
                    f"{url}/api/v1/inbox/wait", params={"timeout": 30}, headers=wait, timeout=60
                )
                into["pending"] = answer.json()["pending"]

            waiter = threading.Thread(target=waiting)
            waiter.start()
            time.sleep(0.5)
            body = document(number=str(500 + round_), recipients=("000.00.00.H41",))
            assert httpx.post(f"{url}/api/v1/packages", content=body, headers=post).status_code == 201
            waiter.join(60)
            assert got == {"pending": 1}
            items = httpx.get(f"{url}/api/v1/inbox", headers=wait).json()["items"]
            for item in items:
                httpx.get(f"{url}/api/v1/inbox/{item['delivery_id']}/content", headers=wait)
                ack = {"status": "done"}
                httpx.post(f"{url}/api/v1/inbox/{item['delivery_id']}/ack", json=ack, headers=wait)


@pytest.mark.parametrize(
    "db_url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_a_worker_killed_mid_batch_loses_nothing_it_acknowledged(tmp_path: Path, db_url: str) -> None:
    sender, _ = _tokens(tmp_path, db_url)
    acknowledged: list[str] = []
    lock = threading.Lock()
    with serving(tmp_path / "data", db_url, 1) as (url, process):
        stop = threading.Event()

        def client(n: int) -> None:
            headers = {"Authorization": f"Bearer {sender}", "Content-Type": "application/xml"}
            with httpx.Client(base_url=url, headers=headers, timeout=30) as http:
                for k in range(1000):
                    if stop.is_set():
                        return
                    body = document(number=str(10_000 + n * 1000 + k), recipients=("000.00.00.H41",))
                    try:
                        answer = http.post("/api/v1/packages", content=body)
                    except httpx.HTTPError:
                        return  # the server died under this request: not acknowledged
                    if answer.status_code == 201:
                        with lock:
                            acknowledged.append(answer.json()["doc_id"])

        with ThreadPoolExecutor(6) as pool:
            futures = [pool.submit(client, n) for n in range(6)]
            deadline = time.monotonic() + 30
            while len(acknowledged) < 20 and time.monotonic() < deadline:
                time.sleep(0.05)
            process.send_signal(signal.SIGKILL)  # mid-batch: requests are in flight
            process.wait(10)
            stop.set()
            for f in futures:
                f.result()
    assert len(acknowledged) >= 20
    hub = Hub(HubConfig(data_dir=tmp_path / "data", db_url=db_url))
    try:
        with hub.read() as s:
            stored = dict(s.execute(select(Package.doc_id, Package.blob_key)).tuples().all())
        missing = [doc_id for doc_id in acknowledged if doc_id not in stored]
        assert missing == []
        assert all(hub.blobs.exists(stored[doc_id]) for doc_id in acknowledged)
        assert hub.verify_audit().ok
    finally:
        hub.close()
