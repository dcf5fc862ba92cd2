"""What the hub answers, as plain typed values, and the port every hub client implements."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


class HubUnavailable(Exception):
    """A temporary failure (network, timeout, overload): the same request may be tried again later."""


class HubRefused(Exception):
    """The hub refused the request for good: retrying the same bytes will not help."""

    def __init__(self, code: str, message: str, original: str | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.original = original  # for duplicates: the package this one repeats


@dataclass(frozen=True)
class DeliveryResult:
    recipient: str
    state: str
    error_code: str | None = None


@dataclass(frozen=True)
class SendResult:
    doc_id: str
    repeat: bool = False
    deliveries: tuple[DeliveryResult, ...] = ()
    problem_codes: tuple[str, ...] = ()
    receipt: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class InboxEntry:
    delivery_id: str
    kind: str  # edoc | status
    sender: str
    recipient: str


@dataclass(frozen=True)
class SentEntry:
    doc_id: str
    recipient: str
    state: str
    error_code: str | None
    fetched: bool
    last_status_code: str | None


class HubPort(Protocol):
    """The operations a gateway needs from a hub."""

    def send(self, package: bytes) -> SendResult: ...

    def inbox(self, kind: str | None = None) -> list[InboxEntry]: ...

    def fetch(self, delivery_id: str) -> bytes: ...

    def ack(self, delivery_id: str, status: str, reason: str = "") -> None: ...

    def sent(self, doc_id: str) -> list[SentEntry]: ...

    def wait(self, timeout: float) -> int:
        """Block until something is waiting (or ``timeout`` seconds pass); return how many."""
        ...

    def close(self) -> None: ...


def file_chunks(path: Path, size: int = 1 << 20) -> Iterator[bytes]:
    """A stored package in chunks, for a request body that must not be held whole in memory."""
    with path.open("rb") as fh:
        while chunk := fh.read(size):
            yield chunk
