"""The crash harness: the hub as a real process under steady load, killed with SIGKILL and restarted.

Senders post numbered documents (retrying the same bytes until they get an answer), receivers fetch,
keep what they get by delivery id, acknowledge and send a status back; a killer SIGKILLs the hub
at random moments. ``verify`` then checks: every acknowledged package present, each delivered
exactly once per recipient, every status routed, the audit chain intact, no staging file left.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.hub.conftest import document, status

SENDER = "000.00.00.G22"
RECEIVERS = ("000.00.00.H41", "000.00.00.H14")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class HubProcess:
    """``lienthong hub serve`` in its own process."""

    def __init__(self, db_url: str, data_dir: Path, log: Path, extra: tuple[str, ...] = ()) -> None:
        self.db_url, self.data_dir, self.log = db_url, data_dir, log
        self.extra = extra  # more ``hub serve`` options (``--workers 2``)
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        args = [
            "hub",
            "serve",
            "--db",
            self.db_url,
            "--data-dir",
            str(self.data_dir),
            "--port",
            str(self.port),
        ]
        code = "import sys; from lienthong.cli.main import app; app(sys.argv[1:])"
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", code, *args, *self.extra, "--no-watch"], stdout=log, stderr=log
            )
        self.starts += 1
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/health/live", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"the hub did not start: {self.log.read_text()[-2000:]}")

    def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)


@dataclass
class Load:
    url: str
    tokens: dict[str, str]  # agency code -> bearer header value
    packages: int
    acknowledged: dict[int, str] = field(default_factory=dict)  # number -> doc_id
    received: dict[str, dict[str, int]] = field(default_factory=dict)  # agency -> delivery_id -> fetches
    errors: list[str] = field(default_factory=list)
    done_sending: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)

    def _post(self, agency: str, path: str, body: bytes | None = None, json: object = None) -> httpx.Response:
        """Retry through the hub's outages: a connection error or a 5xx means try again."""
        while not self.stop.is_set():
            try:
                answer = httpx.post(
                    f"{self.url}{path}",
                    content=body,
                    json=json,
                    headers={"Authorization": self.tokens[agency]},
                    timeout=30,
                )
                if answer.status_code < 500:
                    return answer
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError("stopped")

    def _get(self, agency: str, path: str) -> httpx.Response | None:
        try:
            answer = httpx.get(
                f"{self.url}{path}", headers={"Authorization": self.tokens[agency]}, timeout=30
            )
        except httpx.HTTPError:
            return None
        return answer if answer.status_code == 200 else None

    def send_all(self) -> None:
        for number in range(1, self.packages + 1):
            body = document(
                recipients=RECEIVERS, number=str(number), notation="CRASH", document_id=docid(number)
            )
            answer = self._post(SENDER, "/api/v1/packages", body)
            if answer.status_code != 201:
                self.errors.append(f"send {number}: {answer.status_code} {answer.text[:200]}")
                continue
            self.acknowledged[number] = answer.json()["doc_id"]
        self.done_sending.set()

    def receive(self, agency: str) -> None:
        seen = self.received.setdefault(agency, {})
        idle = 0
        while not self.stop.is_set():
            inbox = self._get(agency, "/api/v1/inbox?kind=edoc")
            items = inbox.json()["items"] if inbox is not None else []
            for item in items:
                content = self._get(agency, f"/api/v1/inbox/{item['delivery_id']}/content")
                if content is None:
                    continue
                seen[item["delivery_id"]] = seen.get(item["delivery_id"], 0) + 1  # kept by delivery id
                number = int(item["notation"].split("/")[0])
                # Answered again after a re-offer: the same bytes, which the hub takes as a repeat.
                self._post(agency, "/api/v1/packages", status(agency, SENDER, docid(number), "01"))
                self._post(agency, f"/api/v1/inbox/{item['delivery_id']}/ack", json={"status": "done"})
            # Only an answered, empty inbox counts as idle: a hub still restarting is not "nothing left".
            idle = idle + 1 if inbox is not None and not items else 0
            if self.done_sending.is_set() and idle > 5:
                return
            time.sleep(0.05 if items else 0.2)


def docid(number: int) -> str:
    return f"{SENDER},2026/11/20,{number}/CRASH"


def run(hub: HubProcess, load: Load, kills: int, rng: random.Random) -> int:
    """Run the load, SIGKILL the hub ``kills`` times at random moments; return the kills done."""
    threads = [threading.Thread(target=load.send_all)] + [
        threading.Thread(target=load.receive, args=(agency,)) for agency in RECEIVERS
    ]
    for t in threads:
        t.start()
    done = 0
    while done < kills and not load.done_sending.is_set():
        time.sleep(rng.uniform(0.3, 1.5))
        hub.kill()
        done += 1
        hub.start()
    for t in threads:
        t.join(timeout=300)
    load.stop.set()
    return done
