"""The hub's JSON API (``/api/v1``) as a ``HubPort``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from lienthong.client.models import (
    DeliveryResult,
    HubRefused,
    HubUnavailable,
    InboxEntry,
    SendResult,
    SentEntry,
    file_chunks,
)

# Refusals that are about now, not about the package: worth another try later.
TEMPORARY_CODES = frozenset({"HUB.RATE_LIMITED", "HUB.UNAVAILABLE"})


class HubClient:
    def __init__(self, base_url: str, token: str, timeout: float = 30.0) -> None:
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}"},
            timeout=httpx.Timeout(timeout, connect=5.0),
        )

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise HubUnavailable(f"{method} {path}: {exc}") from exc
        return self._check(f"{method} {path}", response)

    @staticmethod
    def _check(what: str, response: httpx.Response) -> httpx.Response:
        method, path = what.split(" ", 1)
        if response.status_code >= 500:
            raise HubUnavailable(f"{method} {path}: HTTP {response.status_code}")
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                raise HubUnavailable(f"{method} {path}: HTTP {response.status_code}") from None
            code = str(body.get("code", f"HTTP.{response.status_code}"))
            if code in TEMPORARY_CODES:
                raise HubUnavailable(f"{code}: {body.get('detail', '')}")
            raise HubRefused(code, str(body.get("detail", "")), body.get("original"))
        return response

    def send(self, package: bytes) -> SendResult:
        return self._sent(self._call("POST", "/api/v1/packages", content=package).json())

    def send_file(self, path: Path) -> SendResult:
        """Send a stored package in chunks, never whole in memory (a hub relaying large packages)."""
        headers = {"Content-Length": str(path.stat().st_size)}
        return self._sent(
            self._call("POST", "/api/v1/packages", content=file_chunks(path), headers=headers).json()
        )

    def fetch_chunks(self, delivery_id: str) -> Iterator[bytes]:
        """A package's bytes as they arrive (a hub taking large packages from its upstream)."""
        try:
            with self._http.stream("GET", f"/api/v1/inbox/{delivery_id}/content") as response:
                if response.status_code >= 400:
                    response.read()
                    self._check(f"GET /api/v1/inbox/{delivery_id}/content", response)
                yield from response.iter_bytes(1 << 20)
        except httpx.HTTPError as exc:
            raise HubUnavailable(f"GET {delivery_id}: {exc}") from exc

    @staticmethod
    def _sent(body: dict[str, Any]) -> SendResult:
        return SendResult(
            doc_id=body["doc_id"],
            repeat=bool(body.get("repeat")),
            deliveries=tuple(
                DeliveryResult(d["recipient"], d["state"], (d.get("error") or {}).get("code"))
                for d in body.get("deliveries", [])
            ),
            problem_codes=tuple(p["code"] for p in body.get("problems", [])),
            receipt=body.get("receipt", {}),
        )

    def inbox(self, kind: str | None = None) -> list[InboxEntry]:
        params = {"kind": kind} if kind else {}
        items = self._call("GET", "/api/v1/inbox", params=params | {"limit": 1000}).json()["items"]
        return [InboxEntry(i["delivery_id"], i["kind"], i["sender"], i["recipient"]) for i in items]

    def fetch(self, delivery_id: str) -> bytes:
        return self._call("GET", f"/api/v1/inbox/{delivery_id}/content").content

    def ack(self, delivery_id: str, status: str, reason: str = "") -> None:
        self._call("POST", f"/api/v1/inbox/{delivery_id}/ack", json={"status": status, "reason": reason})

    def sent(self, doc_id: str) -> list[SentEntry]:
        items = self._call("GET", "/api/v1/packages/sent", params={"doc_id": doc_id}).json()["items"]
        return [
            SentEntry(
                doc_id=i["doc_id"],
                recipient=i["recipient"],
                state=i["state"],
                error_code=i.get("error_code"),
                fetched=i.get("fetched_at") is not None,
                last_status_code=i.get("last_status_code"),
            )
            for i in items
        ]

    def agencies(self, level: int | None = None, limit: int = 5000) -> list[tuple[str, str]]:
        """The hub's directory, (code, name) of the active agencies (of one level when given)."""
        params: dict[str, Any] = {"limit": limit} | ({"level": level} if level else {})
        items = self._call("GET", "/api/v1/agencies", params=params).json()["items"]
        return [(i["code"], i["name"]) for i in items if i.get("state", "active") == "active"]

    def wait(self, timeout: float) -> int:
        response = self._call("GET", "/api/v1/inbox/wait", params={"timeout": timeout}, timeout=timeout + 10)
        return int(response.json()["pending"])
