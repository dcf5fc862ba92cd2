"""The in-memory ``HubPort``: a system's connection to a ``Hub`` object in the same process (no HTTP).

The real hub's logic answers (routing, repeats, refusals); only the transport is left out. ``down``
makes every call fail as a network outage would, for the relay's outage tests.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from lienthong.client.models import (
    DeliveryResult,
    HubRefused,
    HubUnavailable,
    InboxEntry,
    SendResult,
    SentEntry,
    Sink,
)
from lienthong.hub import directory
from lienthong.hub.directory import SystemRef
from lienthong.hub.intake import Refused
from lienthong.hub.service import Hub
from lienthong.hub.upstream import RemoteAgency
from lienthong.problems import LienthongError
from lienthong.store.blobs import file_chunks


class LocalPort:
    def __init__(self, hub: Hub, system_id: str) -> None:
        self.hub = hub
        self.system_id = system_id
        self.down = False
        self.sends = 0

    def _system(self) -> SystemRef:
        if self.down:
            raise HubUnavailable("connection refused (the in-memory upstream is down)")
        found = self.hub.system(self.system_id)
        if found is None:
            raise HubRefused("HUB.AUTH_FAILED", f"unknown system {self.system_id}")
        return found

    def send(self, package: bytes) -> SendResult:
        return self._accept([package])

    def send_file(self, path: Path) -> SendResult:
        return self._accept(file_chunks(path))

    def _accept(self, chunks: Iterable[bytes]) -> SendResult:
        self._system()
        self.sends += 1
        try:
            accepted = self.hub.accept(self.system_id, self.hub.stage(chunks))
        except Refused as exc:
            raise HubRefused(exc.problem.code, exc.problem.message_en, exc.original) from None
        return SendResult(
            accepted.doc_id,
            accepted.repeat,
            tuple(
                DeliveryResult(d.recipient, d.state, d.problem.code if d.problem else None)
                for d in accepted.deliveries
            ),
        )

    def inbox(self, kind: str | None = None) -> list[InboxEntry]:
        items = self.hub.pending(self._system(), kind)
        return [InboxEntry(i.delivery_id, i.kind, i.sender, i.recipient) for i in items]

    def fetch(self, delivery_id: str) -> bytes:
        try:
            path, _ = self.hub.fetch(self._system(), delivery_id)
        except LienthongError as exc:
            raise HubRefused(exc.problem.code, exc.problem.message_en) from None
        return path.read_bytes()

    def fetch_into(self, delivery_id: str, sink: Sink) -> None:
        try:
            path, _ = self.hub.fetch(self._system(), delivery_id)
        except LienthongError as exc:
            raise HubRefused(exc.problem.code, exc.problem.message_en) from None
        for chunk in file_chunks(path):
            sink.write(chunk)

    def ack(self, delivery_id: str, status: str, reason: str = "") -> None:
        try:
            self.hub.ack(self._system(), delivery_id, status, reason)
        except LienthongError as exc:
            raise HubRefused(exc.problem.code, exc.problem.message_en) from None

    def sent(self, doc_id: str) -> list[SentEntry]:
        return [
            SentEntry(
                r.doc_id, r.recipient, r.state, r.error_code, r.fetched_at is not None, r.last_status_code
            )
            for r in self.hub.sent(self._system(), doc_id)
        ]

    def wait(self, timeout: float) -> int:
        return self.hub.count_pending(self._system())

    def directory(self, since: int) -> tuple[list[RemoteAgency], int]:
        """The hub's directory changes since ``since`` (the relay's sync reads it)."""
        self._system()
        with self.hub.read() as s:
            rows = directory.list_agencies(s, since_version=since)
        found = [RemoteAgency(a.code, a.name, a.parent_code, a.state, a.version) for a in rows]
        return found, max([since, *(a.version for a in found)])

    def close(self) -> None:
        pass
