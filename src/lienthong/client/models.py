"""What the hub answers, as plain typed values, and the port every hub client implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol, runtime_checkable


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


class Sink(Protocol):
    """Where a fetched package is written as it arrives (a staging file: ``store.blobs.Stager``)."""

    def write(self, chunk: bytes) -> Any: ...


class HubPort(Protocol):
    """The operations a gateway needs from a hub.

    ``send_file`` and ``fetch_into`` move a package of any size without holding it in memory;
    ``send`` and ``fetch`` are the same for bytes in hand.
    """

    def send(self, package: bytes) -> SendResult: ...

    def send_file(self, path: Path) -> SendResult: ...

    def inbox(self, kind: str | None = None) -> list[InboxEntry]: ...

    def fetch(self, delivery_id: str) -> bytes: ...

    def fetch_into(self, delivery_id: str, sink: Sink) -> None:
        """Write the package of ``delivery_id`` into ``sink`` in chunks as it arrives."""
        ...

    def ack(self, delivery_id: str, status: str, reason: str = "") -> None: ...

    def sent(self, doc_id: str) -> list[SentEntry]: ...

    def wait(self, timeout: float) -> int:
        """Block until something is waiting (or ``timeout`` seconds pass); return how many."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class ReportSource(Protocol):
    """A hub that answers an agency's daily report (the JSON API does; the SDK protocol has none)."""

    def daily_report(self, day: date, fmt: str, lang: str) -> bytes:
        """The report of ``day`` for this system's agency as JSON, HTML or PDF bytes."""
        ...
