"""The country demo's moving parts: a hub process, a gateway process per body, a local SMTP server.

Every process is a real ``lienthong hub serve`` / ``lienthong gateway serve`` talking HTTP on
loopback; the demo starts, stops and restarts them to inject faults, and stops all of them on the
way out whatever happens.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path
from typing import IO, Any

import httpx

from lienthong.demo.cast import Body


class DemoFailed(Exception):
    """An expected outcome did not happen; the message says which."""


def free_port() -> int:
    """A free port below the kernel's ephemeral range (32768 and up on Linux).

    A service the demo stops and starts again gets its port back only if no outgoing connection has
    taken it meanwhile: ports the kernel hands to outgoing connections come from the ephemeral range.
    """
    for port in random.sample(range(20000, 32000), 200):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise DemoFailed("no free port between 20000 and 32000 on 127.0.0.1")


def wait_until(what: str, check: Callable[[], bool], timeout: float = 60.0) -> None:
    """Poll ``check`` until it holds; a timeout is a failed expectation, named."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (httpx.HTTPError, KeyError, StopIteration, ValueError):
            pass
        time.sleep(0.25)
    raise DemoFailed(f"timed out after {timeout:.0f} s waiting for: {what}")


def waited(what: str, check: Callable[[], bool], timeout: float = 60.0) -> bool:
    """Like ``wait_until``, but a timeout is an answer (False), for expectations the demo records."""
    try:
        wait_until(what, check, timeout)
    except DemoFailed:
        return False
    return True


def _answers(url: str) -> Callable[[], bool]:
    return lambda: httpx.get(url, timeout=5).status_code < 500


@dataclass
class Service:
    """One process of the demo, restartable with the same command line and log file."""

    name: str
    command: list[str]
    log: Path
    ready_url: str
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    _log_file: IO[bytes] | None = None

    def start(self) -> None:
        self._log_file = self.log.open("ab")
        self.process = subprocess.Popen(
            self.command,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            env={**os.environ, **self.env},
        )

    def wait_ready(self, timeout: float = 90.0) -> None:
        def ready() -> bool:
            if self.process is not None and self.process.poll() is not None:
                raise DemoFailed(f"{self.name} exited with {self.process.returncode} (log: {self.log})")
            return _answers(self.ready_url)()

        wait_until(f"{self.name} to answer", ready, timeout)

    def stop(self, *, kill: bool = False) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


class Mailroom:
    """A real SMTP server on loopback that files each message as an .eml; it can be taken down."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.count = 0
        self._controller: Any = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content: bytes = envelope.original_content or envelope.content
        self.count += 1
        message = message_from_bytes(content, policy=policy.default)
        stamp = datetime.now(UTC).strftime("%H%M%S")
        to = str(message.get("To", "unknown")).split(",")[0].strip().split("@")[0]
        (self.folder / f"{self.count:03d}-{stamp}-{to}.eml").write_bytes(content)
        return "250 Message accepted for delivery"

    def up(self) -> None:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def down(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def messages(self) -> list[Path]:
        return sorted(self.folder.glob("*.eml"))

    def texts(self) -> list[str]:
        """Each message's subject and plain-text body, decoded."""
        out = []
        for path in self.messages():
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
            body = message.get_body(("plain", "html")) if hasattr(message, "get_body") else None
            text = body.get_content() if body is not None else ""
            out.append(f"{message.get('Subject', '')}\n{text}")
        return out


class Cluster:
    """The hub and the gateways of one demo run."""

    def __init__(self, workdir: Path, database: str | None) -> None:
        self.workdir = workdir
        self.database = database
        self.hub_port = free_port()
        self.hub_url = f"http://127.0.0.1:{self.hub_port}"
        self.python = [sys.executable, "-m", "lienthong.cli.main"]
        self.services: dict[str, Service] = {}
        self.gateway_urls: dict[str, str] = {}
        self.logs = workdir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)

    def add_hub(self, data_dir: Path, env: dict[str, str]) -> Service:
        command = [*self.python, "hub", "serve", "--data-dir", str(data_dir), "--port", str(self.hub_port)]
        if self.database:
            command += ["--db", self.database]
        service = Service("hub", command, self.logs / "hub.log", f"{self.hub_url}/health/live", env)
        self.services["hub"] = service
        return service

    def add_gateway(self, body: Body, config: Path, port: int) -> Service:
        url = f"http://127.0.0.1:{port}"
        self.gateway_urls[body.code] = url
        command = [*self.python, "gateway", "serve", "--config", str(config)]
        service = Service(body.code, command, self.logs / f"gateway-{body.code}.log", f"{url}/health/live")
        self.services[body.code] = service
        return service

    def start(self, names: Iterable[str]) -> None:
        chosen = [self.services[n] for n in names]
        for service in chosen:
            service.start()
        for service in chosen:
            service.wait_ready()

    def stop_all(self) -> None:
        for service in self.services.values():
            if service.process is not None and service.process.poll() is None:
                service.process.terminate()
        for service in self.services.values():
            service.stop()
