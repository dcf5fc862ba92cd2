"""Security fixtures: the hub test directory, a real server with the hub's protocol, SDK signing."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from lienthong.api.app import create_app
from lienthong.api.server import server_options
from lienthong.hub import directory
from lienthong.hub.service import Hub
from tests.hub.conftest import SECRET, Server, db_url, pg_available  # noqa: F401  (fixtures)
from tests.hub.conftest import hub as hub

OPS_TOKEN = "ops-test-token"


class HubServer(Server):
    """The hub app on a loopback port, served as ``lienthong hub serve`` serves it (HubH11Protocol)."""

    def __init__(self, hub: Hub) -> None:
        super().__init__(create_app(hub), log_level="critical", **server_options())

    def __enter__(self) -> HubServer:
        super().__enter__()
        return self

    def alive(self) -> bool:
        return httpx.get(f"{self.url}/health/live", timeout=5).status_code == 200


def sdk_headers(system_id: str, secret: str = SECRET, **params: str) -> dict[str, str]:
    """The SDK's signed headers: every XroadVnpt-* parameter, its JSON, and the HMAC over it."""
    signed = {"XroadVnpt-systemid": system_id, **{f"XroadVnpt-{k}": v for k, v in params.items()}}
    sign = json.dumps(signed, separators=(",", ":"))
    mac = hmac.new(secret.encode(), sign.encode("utf-8"), hashlib.sha256).hexdigest()
    return {**signed, "XroadVnpt-sign-header": sign, "XroadVnpt-hash-header": mac}


def sdk_post(
    http: httpx.Client, operation: str, system_id: str, body: bytes = b"{}", /, **params: str
) -> dict[str, Any]:
    """One SDK call as the 2.0.3 client makes it (POST); the answer must be JSON."""
    answer = http.post(f"/{operation}", content=body, headers=sdk_headers(system_id, **params))
    data: dict[str, Any] = answer.json()
    return data


def raw_exchange(port: int, request: bytes, timeout: float = 10) -> bytes:
    """Send raw bytes, read the whole answer (headers and body) until the server closes or is done."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(request)
        data = b""
        try:
            while chunk := sock.recv(65536):
                data += chunk
                if _complete(data):
                    break
        except (ConnectionResetError, TimeoutError):
            pass
        return data


def _complete(data: bytes) -> bool:
    if b"\r\n\r\n" not in data:
        return False
    head, body = data.split(b"\r\n\r\n", 1)
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":", 1)[1])
    return False


def token(hub: Hub, system_id: str) -> dict[str, str]:
    from datetime import UTC, datetime

    with hub.write() as s:
        value = directory.issue_token(s, system_id, datetime.now(UTC), "security")
    return {"Authorization": f"Bearer {value}"}


@pytest.fixture
def live(hub: Hub) -> Iterator[tuple[Hub, HubServer, httpx.Client]]:
    with HubServer(hub) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        yield hub, server, http


def staging_files(hub: Hub) -> list[Path]:
    return sorted(hub.blobs.tmp.glob("upload-*"))
