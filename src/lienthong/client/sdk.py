"""The SDK protocol of today's national hub (VNPT SDKVXP) as a ``HubPort``, spoken as the Java client does.

Parameters travel as ``XroadVnpt-*`` headers signed with HMAC-SHA256 over the compact JSON of those
headers; a sent file is followed by one CRLF and announced by its SHA-256 in the SDK's unpadded hex.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from lienthong.client.models import HubRefused, HubUnavailable, InboxEntry, SendResult, SentEntry, file_chunks

_TEMPORARY = frozenset({"20", "26"})  # system error, rate limited


def lossy_hex(digest: bytes) -> str:
    return "".join(format(b, "x") for b in digest)


def sign_headers(
    system_id: str, secret: str, params: dict[str, str], content_type: str, timestamp: str
) -> dict[str, str]:
    """The request headers for ``params``, signed as the SDK signs them."""
    values = {"systemid": system_id, **params, "timestamp": timestamp, "Content-Type": content_type}
    signed = {f"XroadVnpt-{k}": v for k, v in values.items()}
    sign = json.dumps(signed, separators=(",", ":"), ensure_ascii=False)
    mac = hmac.new(secret.encode("utf-8"), sign.encode("utf-8"), hashlib.sha256).hexdigest()
    headers = dict(signed)
    headers.update(
        {
            "Content-Type": content_type,
            "XroadVnpt-sign-header-key": ";".join(values),
            "XroadVnpt-sign-header": sign,
            "XroadVnpt-hash-header": mac,
            "XroadVnpt-version": "3.0.201608",
            "User-Agent": "Lienthong/0.1 XRoad/VPCP",
        }
    )
    return headers


class SdkClient:
    def __init__(
        self,
        endpoint: str,
        system_id: str,
        secret: str,
        sender_code: str,
        timeout: float = 30.0,
        poll_interval: float = 1.0,
        clock: Callable[[], datetime] = datetime.now,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.system_id = system_id
        self.secret = secret
        self.sender_code = sender_code
        self.poll_interval = poll_interval
        # The SDK stamps its service object once; any fixed value passes the hub.
        self.timestamp = clock().strftime("%d%m%YT%H%M%S+0000")
        self._http = httpx.Client(timeout=httpx.Timeout(timeout, connect=5.0))

    def close(self) -> None:
        self._http.close()

    def _request(
        self,
        operation: str,
        params: dict[str, str],
        body: bytes | Iterable[bytes] = b"{}",
        content_type: str = "application/json",
        method: str = "POST",
    ) -> httpx.Response:
        headers = sign_headers(self.system_id, self.secret, params, content_type, self.timestamp)
        try:
            return self._http.request(method, f"{self.endpoint}/{operation}", headers=headers, content=body)
        except httpx.HTTPError as exc:
            raise HubUnavailable(f"{operation}: {exc}") from exc

    def _json(self, operation: str, response: httpx.Response) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError:
            raise HubUnavailable(f"{operation}: HTTP {response.status_code}, not JSON") from None
        if not isinstance(data, dict) or data.get("status") == "FAIL" or str(data.get("ErrorCode")) != "0":
            error_code = str(data.get("ErrorCode", "")) if isinstance(data, dict) else ""
            desc = str(data.get("ErrorDesc", "")) if isinstance(data, dict) else str(data)
            if error_code in _TEMPORARY:
                raise HubUnavailable(f"{operation}: {desc}")
            code = desc.split(":", 1)[0] if desc.startswith("HUB.") else f"SDK.{error_code}"
            raise HubRefused(code, desc)
        return data

    def send(self, package: bytes) -> SendResult:
        is_status = b"<StatusCode>" in package or b":StatusCode>" in package
        params = {
            "servicetype": "eDoc",
            "messagetype": "status" if is_status else "edoc",
            "hash-file": lossy_hex(hashlib.sha256(package).digest()),
            "from": self.sender_code,
        }
        response = self._request("sendEdoc", params, package + b"\r\n", "application/octet-stream")
        data = self._json("sendEdoc", response)
        return SendResult(doc_id=str(data["DocId"]))

    def send_file(self, path: Path) -> SendResult:
        """Send a stored package in chunks (its SHA-256 read first), never whole in memory."""
        with path.open("rb") as fh:
            head = fh.read(1 << 16)
        is_status = b"<StatusCode>" in head or b":StatusCode>" in head
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
        params = {
            "servicetype": "eDoc",
            "messagetype": "status" if is_status else "edoc",
            "hash-file": lossy_hex(digest.digest()),
            "from": self.sender_code,
        }
        body = itertools.chain(file_chunks(path), [b"\r\n"])
        response = self._request("sendEdoc", params, body, "application/octet-stream")
        return SendResult(doc_id=str(self._json("sendEdoc", response)["DocId"]))

    def inbox(self, kind: str | None = None) -> list[InboxEntry]:
        out: list[InboxEntry] = []
        for message_type in [kind] if kind else ["edoc", "status"]:
            data = self._json(
                "getReceivedEdocList",
                self._request(
                    "getReceivedEdocList", {"servicetype": "eDoc", "messagetype": str(message_type)}, b""
                ),
            )
            for item in data.get("data", []):
                out.append(
                    InboxEntry(
                        str(item["docId"]),
                        str(item.get("messageType", message_type)),
                        str(item.get("from", "")),
                        str(item.get("to", "")),
                    )
                )
        return out

    def fetch(self, delivery_id: str) -> bytes:
        data = self._json("getEdoc", self._request("getEdoc", {"docId": delivery_id}))
        return base64.b64decode(str(data["data"]))

    def ack(self, delivery_id: str, status: str, reason: str = "") -> None:
        self._json("updateStatus", self._request("updateStatus", {"status": status, "docId": delivery_id}))

    def sent(self, doc_id: str) -> list[SentEntry]:
        data = self._json(
            "getSentEdocList",
            self._request(
                "getSentEdocList", {"servicetype": "eDoc", "messagetype": "edoc", "docId": doc_id}, b""
            ),
        )
        return [
            SentEntry(
                doc_id=str(item.get("senderDocId", doc_id)),
                recipient=str(item.get("toCode", "")),
                state="undeliverable" if item.get("sendStatus") == "fail" else _state(item),
                error_code=str(item["sendStatusDesc"]) if item.get("sendStatus") == "fail" else None,
                fetched=bool(item.get("receivedTime")),
                last_status_code=_status_code(item.get("receiveStatus")),
            )
            for item in data.get("data", [])
        ]

    def count(self) -> int:
        total = 0
        for operation in ("countReceiveEdoc", "countReceiveStatus"):
            total += int(self._json(operation, self._request(operation, {}))["count"])
        return total

    def wait(self, timeout: float) -> int:
        """The SDK protocol has no notification: poll the counts until something waits."""
        deadline = time.monotonic() + timeout
        while True:
            pending = self.count()
            if pending or time.monotonic() >= deadline:
                return pending
            time.sleep(min(self.poll_interval, max(0.0, deadline - time.monotonic())))


def _status_code(value: object) -> str | None:
    text = str(value or "")
    return text if text.isdigit() and len(text) == 2 else None


def _state(item: dict[str, Any]) -> str:
    receive = str(item.get("receiveStatus", ""))
    return {"initial": "pending", "processing": "fetched", "done": "done", "fail": "failed"}.get(
        receive, "fetched" if item.get("receivedTime") else "pending"
    )
