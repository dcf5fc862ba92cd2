"""The SDK protocol of today's national hub (VNPT SDKVXP) as a ``HubPort``, spoken as the Java client does.

Parameters travel as ``XroadVnpt-*`` headers signed with HMAC-SHA256 over the compact JSON of those
headers; a sent file is followed by one CRLF and announced by its SHA-256 in the SDK's unpadded hex.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pybase64

from lienthong.client.models import HubRefused, HubUnavailable, InboxEntry, SendResult, SentEntry, Sink
from lienthong.store.blobs import file_chunks

_TEMPORARY = frozenset({"20", "26"})  # system error, rate limited
_STATUS_MARKERS = (b"<StatusCode>", b":StatusCode>")
_CHUNK = 1 << 20


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
        size: int | None = None,
    ) -> httpx.Response:
        headers = sign_headers(self.system_id, self.secret, params, content_type, self.timestamp)
        if size is not None:  # a streamed body: announced by its length, not sent chunked
            headers["Content-Length"] = str(size)
        try:
            return self._http.request(method, f"{self.endpoint}/{operation}", headers=headers, content=body)
        except httpx.HTTPError as exc:
            raise HubUnavailable(f"{operation}: {exc}") from exc

    def _json(self, operation: str, response: httpx.Response) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError:
            raise HubUnavailable(f"{operation}: HTTP {response.status_code}, not JSON") from None
        return self._judged(operation, data)

    @staticmethod
    def _judged(operation: str, data: Any) -> dict[str, Any]:
        """The answer, or the refusal it carries (temporary for a system error or a rate limit)."""
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
        """``send`` for a package in a file, streamed from it (read once to hash, once to send)."""
        digest = hashlib.sha256()
        is_status = False
        tail = b""
        for chunk in file_chunks(path):
            digest.update(chunk)
            window = tail + chunk[:16]  # a marker cut between two chunks
            is_status = is_status or any(m in chunk or m in window for m in _STATUS_MARKERS)
            tail = chunk[-16:]
        params = {
            "servicetype": "eDoc",
            "messagetype": "status" if is_status else "edoc",
            "hash-file": lossy_hex(digest.digest()),
            "from": self.sender_code,
        }
        body = _then(file_chunks(path), b"\r\n")
        size = path.stat().st_size + 2
        response = self._request("sendEdoc", params, body, "application/octet-stream", size=size)
        data = self._json("sendEdoc", response)
        return SendResult(doc_id=str(data["DocId"]))

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

    def fetch_into(self, delivery_id: str, sink: Sink) -> None:
        """``getEdoc``'s base64 answer decoded into ``sink`` as it streams (never held whole)."""
        headers = sign_headers(
            self.system_id, self.secret, {"docId": delivery_id}, "application/json", self.timestamp
        )
        field = JsonBase64Field("data", sink)
        try:
            with self._http.stream("POST", f"{self.endpoint}/getEdoc", headers=headers, content=b"{}") as r:
                for chunk in r.iter_bytes(_CHUNK):
                    field.feed(chunk)
        except httpx.HTTPError as exc:
            raise HubUnavailable(f"getEdoc: {exc}") from exc
        try:
            answer = json.loads(field.finish())
        except (ValueError, UnicodeDecodeError):
            raise HubUnavailable(f"getEdoc: HTTP {r.status_code}, not JSON") from None
        self._judged("getEdoc", answer)
        if not field.found:
            raise HubUnavailable("getEdoc: the answer carries no data")

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


def _then(chunks: Iterator[bytes], last: bytes) -> Iterator[bytes]:
    yield from chunks
    yield last


_STRING_STOP = re.compile(rb'["\\]')
# What an escape in the base64 field stands for; escaped line breaks of wrapped base64 are dropped.
_JSON_ESCAPES = {ord("/"): b"/", ord("n"): b"", ord("r"): b"", ord("t"): b""}
_MAX_REST = 1 << 20  # the answer without the streamed field: a few small values


class JsonBase64Field:
    """A JSON object answer read as it streams: one top-level string field, base64, is decoded
    into a sink chunk by chunk; the rest of the answer (small) is kept, that field's value emptied.

    The answer can be any JSON object, its keys in any order; the field's text may carry JSON
    escapes (``\\/`` as some JSON writers send ``/``, escaped line breaks of wrapped base64).
    """

    def __init__(self, key: str, sink: Sink) -> None:
        self.key = key.encode()
        self.sink = sink
        self.rest = bytearray()
        self.found = False
        self._depth = 0
        self._in_string = False
        self._escape = False
        self._string = bytearray()
        self._expect_key = False
        self._key: bytes | None = None
        self._at_value = False
        self._streaming = False
        self._carry = b""  # base64 not yet decoded: the start of a 4-character group
        self._tail = b""  # an escape cut by the end of a chunk

    def feed(self, chunk: bytes) -> None:
        if self._tail:
            chunk, self._tail = self._tail + chunk, b""
        pos, end = 0, len(chunk)
        while pos < end:
            if self._streaming:
                pos = self._stream(chunk, pos)
                continue
            self._structure(chunk[pos])
            pos += 1
        if len(self.rest) > _MAX_REST:
            raise HubUnavailable("the answer is not the expected JSON object")

    def _structure(self, c: int) -> None:
        """One byte outside the streamed field: follow strings, nesting, keys and values."""
        self.rest.append(c)
        if self._in_string:
            if self._escape:
                self._escape = False
            elif c == 0x5C:  # backslash
                self._escape = True
            elif c == 0x22:  # the closing quote
                self._in_string = False
                if self._depth == 1 and self._expect_key:
                    self._key, self._expect_key = bytes(self._string), False
                return
            self._string.append(c)
            return
        if c == 0x22:
            if self._depth == 1 and self._at_value and self._key == self.key and not self.found:
                self._streaming, self.found = True, True
                return
            self._in_string = True
            self._string.clear()
            self._at_value = False
        elif c in b"{[":
            self._depth += 1
            self._expect_key = self._depth == 1 and c == 0x7B
            self._at_value = False
        elif c in b"}]":
            self._depth -= 1
        elif c == 0x2C and self._depth == 1:  # ','
            self._expect_key, self._key, self._at_value = True, None, False
        elif c == 0x3A and self._depth == 1:  # ':'
            self._at_value = True
        elif c not in b" \t\r\n":
            self._at_value = False

    def _stream(self, chunk: bytes, pos: int) -> int:
        """Decode the field's text from ``pos`` up to its closing quote; return where to go on."""
        stop = _STRING_STOP.search(chunk, pos)
        if stop is None:
            self._decode(chunk[pos:])
            return len(chunk)
        self._decode(chunk[pos : stop.start()])
        if chunk[stop.start()] == 0x22:  # the closing quote
            self._finish_field()
            self.rest.append(0x22)
            self._streaming, self._at_value = False, False
            return stop.start() + 1
        # An escape: \X, or \uXXXX (JSON writers escape '/', and line breaks of wrapped base64)
        escape = chunk[stop.start() : stop.start() + 6]
        need = 6 if len(escape) > 1 and escape[1] == ord("u") else 2
        if len(escape) < need:
            self._tail = bytes(escape)  # cut by the chunk's end: read again with the next chunk
            return len(chunk)
        if need == 6:
            try:
                self._decode(chr(int(escape[2:6], 16)).encode("utf-8"))
            except ValueError:
                raise HubUnavailable("getEdoc: a broken escape in the data field") from None
        else:
            self._decode(_JSON_ESCAPES.get(escape[1], bytes(escape[1:2])))
        return stop.start() + need

    def _decode(self, text: bytes) -> None:
        if not text:
            return
        data = self._carry + text if self._carry else text
        if b"\n" in data or b"\r" in data or b" " in data:
            data = data.translate(None, b" \t\r\n")
        usable = len(data) // 4 * 4
        self._carry = data[usable:]
        if usable:
            try:
                self.sink.write(pybase64.b64decode(data[:usable], validate=True))
            except (binascii.Error, ValueError):
                raise HubUnavailable("getEdoc: the data field is not base64") from None

    def _finish_field(self) -> None:
        if self._carry:
            raise HubUnavailable("getEdoc: the data field's base64 is cut short")

    def finish(self) -> bytes:
        """The answer without the field's value (to be parsed as JSON)."""
        return bytes(self.rest)


def _status_code(value: object) -> str | None:
    text = str(value or "")
    return text if text.isdigit() and len(text) == 2 else None


def _state(item: dict[str, Any]) -> str:
    receive = str(item.get("receiveStatus", ""))
    return {"initial": "pending", "processing": "fetched", "done": "done", "fail": "failed"}.get(
        receive, "fetched" if item.get("receivedTime") else "pending"
    )
