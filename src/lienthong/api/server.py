"""The hub's HTTP server: uvicorn whose protocol-level refusals are JSON too (431, 400), never a reset.

uvicorn answers a request h11 cannot parse (a NUL in a header, headers past the limit) with a
plain-text 400 and closes at once, so a client still sending gets a connection reset. Here the
answer is in the protocol's own shape (problem+json under ``/api``, the SDK's FAIL JSON elsewhere)
and the connection drains before it closes.
"""

from __future__ import annotations

import json
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from lienthong.api import limits
from lienthong.hub import problems as HP
from lienthong.problems import Problem

DRAIN_SECONDS = 2.0
DRAIN_BYTES = 16 << 20


def is_json_api(path: str) -> bool:
    """Paths of Lienthong's own JSON API and operations (problem+json); the rest speak the SDK protocol."""
    return path.startswith(("/api/", "/health", "/metrics", "/openapi", "/docs", "/redoc"))


def refusal_body(problem: Problem, status: int, sdk: bool) -> tuple[bytes, bytes]:
    """(content type, body): problem+json for the JSON API, the SDK's FAIL JSON for the SDK protocol."""
    if sdk:
        payload: dict[str, Any] = {
            "status": "FAIL",
            "ErrorCode": HP.sdk_error_code(problem.code),
            "ErrorDesc": f"{problem.code}: {problem.message_en} / {problem.message_vi}",
            "data": "",
        }
        return b"application/json", json.dumps(payload, ensure_ascii=True).encode("ascii")
    payload = {
        "type": f"urn:lienthong:problem:{problem.code}",
        "title": problem.code,
        "status": status,
        "code": problem.code,
        "detail": problem.message_en,
        "detail_vi": problem.message_vi,
    }
    return b"application/problem+json", json.dumps(payload, ensure_ascii=False).encode("utf-8")


def _request_path(buffered: bytes) -> str:
    line = buffered.split(b"\r\n", 1)[0].split(b" ")
    return line[1].decode("latin-1") if len(line) >= 2 else "/"


class HubH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with JSON refusals and a draining close."""

    _drained = 0
    _draining = False
    _start = b""

    def send_400_response(self, msg: str) -> None:
        buffered, _ = self.conn.trailing_data
        too_large = len(buffered) > (self.config.h11_max_incomplete_event_size or limits.MAX_HEADER_BYTES)
        if too_large:
            problem, status = HP.HEADERS_TOO_LARGE("", detail=f"more than {len(buffered)} bytes"), 431
        else:
            problem, status = HP.BAD_REQUEST("", detail="the request line or a header is malformed"), 400
        kind, body = refusal_body(
            problem, status, sdk=not is_json_api(_request_path(self._start or bytes(buffered)))
        )
        headers = [
            (b"content-type", kind),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        reason = b"Request Header Fields Too Large" if too_large else b"Bad Request"
        try:
            start = h11.Response(status_code=status, headers=headers, reason=reason)
            self.transport.write(self.conn.send(start) or b"")
            self.transport.write(self.conn.send(h11.Data(data=body)) or b"")
            self.transport.write(self.conn.send(h11.EndOfMessage()) or b"")
        except h11.LocalProtocolError:  # the connection is already in a state where h11 will not answer
            self.transport.write(
                b"HTTP/1.1 %d %s\r\ncontent-type: %s\r\ncontent-length: %d\r\n"
                b"connection: close\r\n\r\n%s" % (status, reason, kind, len(body), body)
            )
        # Read (and drop) what the client is still sending, so it reads the answer instead of a reset.
        self._draining = True
        self.loop.call_later(DRAIN_SECONDS, self.transport.close)

    def data_received(self, data: bytes) -> None:
        if self._draining:
            self._drained += len(data)
            if self._drained > DRAIN_BYTES:
                self.transport.close()
            return
        if self.conn.their_state is h11.IDLE and not self._start:
            self._start = data[:4096]  # the request line, to answer in its protocol's shape
        super().data_received(data)

    def on_response_complete(self) -> None:
        self._start = b""
        super().on_response_complete()


def server_options() -> dict[str, Any]:
    """uvicorn settings of every hub server (the CLI's and the tests')."""
    return {"http": HubH11Protocol, "h11_max_incomplete_event_size": limits.MAX_HEADER_BYTES}
