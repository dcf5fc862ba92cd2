"""The gateway as a process an operator runs: a hub outage mid-send, SIGTERM, a port already taken.

The outage lasts ``LIENTHONG_TEST_HUB_OUTAGE`` seconds (default 12; the issue's scenario is 60):
nothing goes to *Gửi lỗi*, the sender sees "chưa gửi được lên Trục" and sees it resolve, and every
document reaches the hub exactly once.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import text

from lienthong.api.app import create_app
from lienthong.gateway.people import LEADER, open_store
from lienthong.hub import directory
from lienthong.hub.service import Hub
from tests.hub.conftest import document

OUTAGE = float(os.environ.get("LIENTHONG_TEST_HUB_OUTAGE", "12"))
DOCUMENTS = 5


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class HubServer:
    """The hub on a fixed loopback port, which the test stops and starts again."""

    def __init__(self, hub: Hub, port: int) -> None:
        self.app, self.port = create_app(hub), port
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.server = uvicorn.Server(
            uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="error")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "the hub did not start"
            time.sleep(0.02)

    def stop(self) -> None:
        assert self.server is not None and self.thread is not None
        self.server.should_exit = True
        self.thread.join(timeout=10)


def _serve(config: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "lienthong.cli.main", "gateway", "serve", "--config", str(config)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _config(folder: Path, hub_port: int, http_port: int, token: str, database: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "gateway.toml"
    path.write_text(
        f'agency_code = "000.00.00.G22"\nagency_name = "Văn phòng Chính phủ"\ndata_dir = "data"\n'
        f'database = "{database}"\nhttp_port = {http_port}\noutbox_interval = 0.1\nwait_seconds = 1\n'
        "backoff_seconds = 0.2\nbackoff_max_seconds = 1.0\nwarn_after_minutes = 0.05\n"
        "warnings_interval = 0.5\noffice_hours_only = false\n"
        f'[hub]\nurl = "http://127.0.0.1:{hub_port}"\ntoken = "{token}"\n',
        encoding="utf-8",
    )
    return path


def _until(check: Callable[[], Any], seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"not within {seconds} s: {what}")


@pytest.fixture
def running(hub: Hub, tmp_path: Path, gateway_db: Callable[[str], str]) -> Iterator[dict[str, Any]]:
    with hub.write() as s:
        token = directory.issue_token(s, "vpcp.sys", datetime.now(UTC), "process test")
    hub_server = HubServer(hub, free_port())
    hub_server.start()
    http_port = free_port()
    database = gateway_db("G22")
    config = _config(tmp_path / "gw", hub_server.port, http_port, token, database)
    log = tmp_path / "gateway.log"
    process = _serve(config, log)
    url = f"http://127.0.0.1:{http_port}"
    _until(lambda: _alive(url), 30, "the gateway answers")
    auth = {"Authorization": f"Bearer {_document_system_token(database)}"}
    try:
        yield {
            "hub": hub,
            "hub_server": hub_server,
            "process": process,
            "url": url,
            "config": config,
            "log": log,
            "auth": auth,
        }
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if hub_server.server is not None and not hub_server.server.should_exit:
            hub_server.stop()


def _document_system_token(database: str) -> str:
    """The token the agency's document system uses (its owner a leader: it submits and approves)."""
    store = open_store(database)
    with store.write() as s:
        store.accounts.add(s, "hethong", "mat-khau-dai-1", LEADER, store.clock())
        scopes = ["read", "send", "answer"]
        _, secret = store.accounts.issue_token(s, "hethong", scopes, store.clock(), "test")
    return secret


def _alive(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health/live", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_hub_stopped_while_sending_nothing_fails_all_arrive_once_and_sigterm_stops_fast(
    running: dict[str, Any],
) -> None:
    hub, hub_server, url = running["hub"], running["hub_server"], running["url"]
    hub_server.stop()
    stopped_at = time.monotonic()
    with httpx.Client(base_url=url, timeout=10, headers=running["auth"]) as http:
        for n in range(DOCUMENTS):
            data = document(recipients=("000.00.00.H41",), number=str(700 + n))
            local_id = http.post("/outgoing", content=data).json()["local_id"]
            assert http.post(f"/outgoing/{local_id}/approve", json={"clerk": "Văn thư A"}).status_code == 200

        def warned() -> bool:
            assert http.get("/outgoing", params={"state": "send_error"}).json()["total"] == 0
            return any(w["kind"] == "not_yet_sent" for w in http.get("/warnings").json())

        _until(warned, OUTAGE + 30, "the 'chưa gửi được lên Trục' warning")
        while time.monotonic() - stopped_at < OUTAGE:
            assert http.get("/outgoing", params={"state": "send_error"}).json()["total"] == 0  # never Gửi lỗi
            time.sleep(0.5)
        hub_server.start()
        _until(
            lambda: http.get("/outgoing", params={"state": "sent"}).json()["total"] == DOCUMENTS, 60, "sent"
        )
        _until(lambda: not http.get("/warnings").json(), 30, "the warning resolves")
        kinds = {
            (w["kind"], w["state"]) for w in http.get("/warnings", params={"include_resolved": True}).json()
        }
        assert ("not_yet_sent", "resolved") in kinds
    with hub.read() as s:
        assert s.execute(text("SELECT count(*) FROM packages")).scalar_one() == DOCUMENTS  # each exactly once
    process = running["process"]
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=10)
    assert time.monotonic() - started < 2.0  # stops within 2 s, long poll or not
    log = running["log"].read_text(encoding="utf-8")
    assert "INFO lienthong.gateway: sent edoc 700/" in log  # one line per document, with time and level
    assert log.count("hub unreachable:") == 1  # the outage is summarised, not one line per try


def test_a_second_gateway_on_a_taken_port_exits_at_once_with_a_clear_message(
    running: dict[str, Any], tmp_path: Path
) -> None:
    second = tmp_path / "second.log"
    process = _serve(running["config"], second)
    # It exits by itself (a second gateway would otherwise serve nothing, forever); how fast is the
    # machine's business, not the test's: no timing assertion.
    assert process.wait(timeout=120) == 1
    assert "GATEWAY.PORT_IN_USE" in second.read_text(encoding="utf-8")
