"""What the rules may ask of the world: a clock, the calendar, the agency registry and the sending history.

The registry and the history are ports (``typing.Protocol``): the hub answers them from its
directory and packages, the gateway from its registers; the in-memory versions here serve tests
and the command line. A port left out (None) means its rules are skipped, not failed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from lienthong.codes.agency import AgencyCode
from lienthong.codes.calendar import WorkingCalendar

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class AgencyRecord:
    """What the registry knows of one agency code."""

    code: str
    state: str = "active"  # active, suspended, removed
    level: int | None = None  # 1 = level-1 body (ministry, province); None: derive from the code

    @property
    def effective_level(self) -> int | None:
        if self.level is not None:
            return self.level
        parsed = AgencyCode.try_parse(self.code)
        return parsed.level if parsed else None


class AgencyRegistry(Protocol):
    def agency(self, code: str) -> AgencyRecord | None:
        """The registered agency with this code, or None when the code is not registered."""
        ...


@dataclass(frozen=True)
class SentDocument:
    """A document already sent, as far as duplicate detection needs it."""

    reference: str  # where to find the original: a package id, a register entry
    recipient: str
    document_id: str | None
    issuer: str
    number: int | None
    notation: str | None  # without the number: "QĐ-UBND"
    year: int | None
    business_type: int = 0


class SendingHistory(Protocol):
    def find(
        self,
        recipient: str,
        *,
        document_id: str | None,
        issuer: str,
        number: int | None,
        notation: str | None,
        year: int | None,
    ) -> SentDocument | None:
        """An earlier new document (business type 0) to ``recipient`` with this id, or with this
        number + notation + issuer + year; None when there is none."""
        ...


@dataclass
class InMemoryRegistry:
    agencies: dict[str, AgencyRecord] = field(default_factory=dict)

    @classmethod
    def of(cls, records: Iterable[AgencyRecord]) -> InMemoryRegistry:
        return cls({r.code: r for r in records})

    def agency(self, code: str) -> AgencyRecord | None:
        return self.agencies.get(code)


@dataclass
class InMemoryHistory:
    sent: list[SentDocument] = field(default_factory=list)

    def record(self, document: SentDocument) -> None:
        self.sent.append(document)

    def find(
        self,
        recipient: str,
        *,
        document_id: str | None,
        issuer: str,
        number: int | None,
        notation: str | None,
        year: int | None,
    ) -> SentDocument | None:
        for doc in self.sent:
            if doc.recipient != recipient or doc.business_type != 0:
                continue
            if document_id and doc.document_id == document_id:
                return doc
            same_number = number is not None and doc.number == number and doc.notation == notation
            if same_number and doc.issuer == issuer and doc.year == year:
                return doc
        return None


@dataclass(frozen=True)
class Context:
    """The world as the rules see it; ``now`` comes from the clock, never from the OS."""

    clock: Clock = utc_now
    calendar: WorkingCalendar = field(default_factory=WorkingCalendar)
    registry: AgencyRegistry | None = None
    history: SendingHistory | None = None

    def now(self) -> datetime:
        return self.clock()
