"""The bounds every input meets at the hub's edge (headers, integers, small bodies), in one place."""

from __future__ import annotations

from fastapi import Request

from lienthong.hub import problems as HP
from lienthong.hub import service
from lienthong.problems import LienthongError

MAX_INT = 2**62  # below every database's BIGINT: a 20-digit offset must not overflow (issue 12, defect 4)
MAX_OFFSET = 10**9
MAX_SIGN_HEADER = 64 << 10  # the signed JSON of a few parameters; the recipient list is the largest
MAX_HEADER_VALUE = 1024
MAX_SMALL_BODY = 64 << 10  # a registerAgency body, a {} body
MAX_REASON = service.MAX_REASON  # an ack's reason, kept in the audit log (issue 12, defect 6)
MAX_ID = 64  # doc and delivery ids are UUIDs
MAX_HEADER_BYTES = 64 << 10  # all request headers together; more is answered 431 (server.py)


class BadInput(LienthongError):
    """An input outside its bounds, refused at the edge with HUB.BAD_REQUEST."""


def sdk_int(value: str | None, name: str, low: int, high: int) -> int | None:
    """An optional integer parameter: absent or not a number is None (as the SDK sends), too big refused."""
    text = (value or "").strip()
    if not text.isascii() or not text.isdigit():
        return None
    if len(text) > 19 or not low <= int(text) <= high:
        raise BadInput(HP.BAD_REQUEST("", detail=f"{name} must be between {low} and {high}"))
    return int(text)


async def read_bounded(request: Request, limit: int) -> bytes:
    """A small body read whole, refused past ``limit`` bytes without reading the rest."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BadInput(HP.BAD_REQUEST("", detail=f"the body is larger than {limit} bytes"))
    return bytes(body)
