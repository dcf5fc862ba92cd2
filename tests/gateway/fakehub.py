"""An in-memory hub implementing the client's ``HubPort``, for the stages' unit tests.

It routes documents to their To agencies and status replies to the document's sender, answers the
same bytes as an exact repeat, and can be told to be down, to refuse the next package with a code,
or to refuse the credentials. It keeps count of every call, so tests see what the gateway asked.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter
from dataclasses import dataclass, field
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
from lienthong.edxml import DocumentMessage, StatusMessage, parse


@dataclass
class _Delivery:
    delivery_id: str
    doc_id: str
    kind: str
    sender: str
    recipient: str
    data: bytes
    fetched: bool = False
    done: bool = False


@dataclass
class FakeHub:
    down: bool = False
    bad_credentials: bool = False
    refuse_next: list[tuple[str, str]] = field(default_factory=list)  # (code, text) for the next sends
    deliveries: list[_Delivery] = field(default_factory=list)
    by_digest: dict[str, SendResult] = field(default_factory=dict)
    last_status: dict[tuple[str, str], str] = field(default_factory=dict)  # (doc_id, recipient) → code
    calls: Counter[str] = field(default_factory=Counter)

    def port(self, agency: str) -> FakePort:
        return FakePort(self, agency)

    def accepted(self, kind: str = "edoc") -> list[_Delivery]:
        return [d for d in self.deliveries if d.kind == kind]


class FakePort:
    """One agency's connection to the fake hub."""

    def __init__(self, hub: FakeHub, agency: str) -> None:
        self.hub = hub
        self.agency = agency

    def _gate(self, name: str) -> None:
        self.hub.calls[name] += 1
        if self.hub.down:
            raise HubUnavailable(f"{name}: connection refused")
        if self.hub.bad_credentials:
            raise HubRefused("HUB.AUTH_FAILED", "invalid token")

    def send_file(self, path: Path) -> SendResult:
        self.hub.calls["send_file"] += 1
        return self.send(path.read_bytes())

    def send(self, package: bytes) -> SendResult:
        self._gate("send")
        digest = hashlib.sha256(package).hexdigest()
        if digest in self.hub.by_digest:
            return SendResult(self.hub.by_digest[digest].doc_id, repeat=True)
        if self.hub.refuse_next:
            code, text = self.hub.refuse_next.pop(0)
            raise HubRefused(code, text, "an-earlier-doc")
        message = parse(package)
        doc_id = uuid.uuid4().hex
        if isinstance(message, StatusMessage):
            h = message.header
            assert h is not None and h.response_for is not None
            targets, kind = [(h.response_for.organ_id or "").strip()], "status"
            original = h.response_for.document_id or ""
            originals = [
                d
                for d in self.hub.deliveries
                if d.kind == "edoc" and original and original in d.data.decode("utf-8", "replace")
            ]
            if (h.status_code or "").strip() == "13":  # a recall goes to the original's recipients
                targets = sorted({d.recipient for d in originals if d.sender == self.agency})
            for d in originals:
                if d.recipient == self.agency:
                    self.hub.last_status[(d.doc_id, self.agency)] = (h.status_code or "").strip()
        else:
            assert isinstance(message, DocumentMessage) and message.header is not None
            targets, kind = [(t.organ_id or "").strip() for t in message.header.to], "edoc"
        for target in targets:
            self.hub.deliveries.append(
                _Delivery(uuid.uuid4().hex, doc_id, kind, self.agency, target, package)
            )
        result = SendResult(doc_id, deliveries=tuple(DeliveryResult(t, "pending") for t in targets))
        self.hub.by_digest[digest] = result
        return result

    def inbox(self, kind: str | None = None) -> list[InboxEntry]:
        self._gate("inbox")
        return [
            InboxEntry(d.delivery_id, d.kind, d.sender, d.recipient)
            for d in self.hub.deliveries
            if d.recipient == self.agency and not d.done and (kind is None or d.kind == kind)
        ]

    def _mine(self, delivery_id: str) -> _Delivery:
        for d in self.hub.deliveries:
            if d.delivery_id == delivery_id and d.recipient == self.agency:
                return d
        raise HubRefused("HUB.NOT_FOUND", delivery_id)

    def fetch(self, delivery_id: str) -> bytes:
        self._gate("fetch")
        d = self._mine(delivery_id)
        d.fetched = True
        return d.data

    def fetch_into(self, delivery_id: str, sink: Sink) -> None:
        self.hub.calls["fetch_into"] += 1
        data = self.fetch(delivery_id)
        for start in range(0, len(data), 1 << 16):
            sink.write(data[start : start + (1 << 16)])

    def ack(self, delivery_id: str, status: str, reason: str = "") -> None:
        self._gate("ack")
        self._mine(delivery_id).done = True

    def sent(self, doc_id: str) -> list[SentEntry]:
        self._gate("sent")
        return [
            SentEntry(
                d.doc_id,
                d.recipient,
                "done" if d.done else "pending",
                None,
                d.fetched,
                self.hub.last_status.get((d.doc_id, d.recipient)),
            )
            for d in self.hub.deliveries
            if d.doc_id == doc_id
        ]

    def wait(self, timeout: float) -> int:
        self._gate("wait")
        return len(self.inbox())

    def close(self) -> None:
        pass
