"""What a report says: items, counts, trends, roll-ups and the national summary (JSON-ready values)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

# The directive's four conditions (no send error, no receive error, no backlog, no missing reply),
# then the sender's mirror view and the practice to fix.
CONDITIONS: tuple[str, ...] = (
    "send_errors",
    "receive_errors",
    "backlog",
    "no_reply",
    "awaiting_reply",
    "quality",
)
DIRECTIVE_CONDITIONS: tuple[str, ...] = CONDITIONS[:4]
# Copies inside the agency's level-1 body and to or from outside it (issue 16), in report order.
TRAFFIC_SPLIT: tuple[str, ...] = ("sent_inside", "sent_outside", "received_inside", "received_outside")


@dataclass(frozen=True)
class Item:
    """One finding: what, about which package, with whom, since when, and where to see its timeline."""

    condition: str
    code: str
    message_vi: str
    message_en: str
    at: datetime
    doc_id: str | None = None
    delivery_id: str | None = None
    notation: str | None = None
    subject: str | None = None
    counterpart: str | None = None  # the other agency: the recipient or the sender
    waited_hours: float | None = None  # working hours
    link: str | None = None  # the package's timeline

    def message(self, language: str) -> str:
        return self.message_en if language == "en" else self.message_vi

    def to_dict(self) -> dict[str, Any]:
        return {
            "condition": self.condition,
            "code": self.code,
            "message_vi": self.message_vi,
            "message_en": self.message_en,
            "at": self.at.isoformat(),
            "doc_id": self.doc_id,
            "delivery_id": self.delivery_id,
            "notation": self.notation,
            "subject": self.subject,
            "counterpart": self.counterpart,
            "waited_hours": self.waited_hours,
            "link": self.link,
        }


@dataclass
class Counts:
    """How many items of each condition, plus the period's traffic and silence."""

    send_errors: int = 0
    receive_errors: int = 0
    backlog: int = 0
    no_reply: int = 0
    awaiting_reply: int = 0
    quality: int = 0
    silent: int = 0  # 1 for a silent agency; in a roll-up, the number of silent units
    sent: int = 0  # documents
    received: int = 0  # copies: received_inside + received_outside
    # Copies inside the agency's level-1 body (a province, a ministry) and to or from outside it.
    sent_inside: int = 0
    sent_outside: int = 0
    received_inside: int = 0
    received_outside: int = 0

    def add(self, other: Counts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def copy(self) -> Counts:
        out = Counts()
        out.add(self)
        return out

    @property
    def issues(self) -> int:
        return sum(int(getattr(self, c)) for c in CONDITIONS) + self.silent

    @property
    def directive_issues(self) -> int:
        return sum(int(getattr(self, c)) for c in DIRECTIVE_CONDITIONS)

    def to_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class Trend:
    """Daily counts over the days before the report (oldest first)."""

    days: tuple[date, ...]
    series: dict[str, tuple[int, ...]]

    def last(self, n: int) -> Trend:
        return Trend(self.days[-n:], {k: v[-n:] for k, v in self.series.items()})

    def to_dict(self) -> dict[str, Any]:
        return {"days": [d.isoformat() for d in self.days], **{k: list(v) for k, v in self.series.items()}}


@dataclass(frozen=True)
class UnitRow:
    code: str
    name: str
    level: int | None
    counts: Counts  # the unit with everything below it

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "level": self.level, "counts": self.counts.to_dict()}


@dataclass(frozen=True)
class Rollup:
    """A ministry's or province's view over its units (by the directory's parent codes)."""

    units: int
    units_all_clear: int
    totals: Counts  # the agency itself and every unit below it
    rows: list[UnitRow]  # the units with something to report, worst first (capped)

    def to_dict(self) -> dict[str, Any]:
        return {
            "units": self.units,
            "units_all_clear": self.units_all_clear,
            "totals": self.totals.to_dict(),
            "rows": [r.to_dict() for r in self.rows],
        }


@dataclass(frozen=True)
class Period:
    date: date
    start: datetime  # the previous working day's report time
    end: datetime  # this report's time ("as of")

    def to_dict(self) -> dict[str, str]:
        return {"date": self.date.isoformat(), "start": self.start.isoformat(), "end": self.end.isoformat()}


@dataclass(frozen=True)
class AgencyReport:
    period: Period
    code: str
    name: str
    level: int | None
    parent: str | None
    emails: tuple[str, ...]
    counts: Counts
    items: dict[str, list[Item]]  # capped lists; counts are exact
    quality_codes: dict[str, int]
    silent: Item | None
    trend: Trend  # 30 days; the 7-day view is trend.last(7)
    rollup: Rollup | None = None

    @property
    def all_clear(self) -> bool:
        """Nothing at all to report, for the agency and, in a roll-up, every unit below it."""
        own = self.counts.issues == 0
        return own and (self.rollup is None or self.rollup.totals.issues == 0)

    @property
    def directive_clear(self) -> bool:
        """The directive's four zeros: no send error, no receive error, no backlog, no missing reply."""
        return self.counts.directive_issues == 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "daily-report",
            "period": self.period.to_dict(),
            "agency": {"code": self.code, "name": self.name, "level": self.level, "parent": self.parent},
            "all_clear": self.all_clear,
            "directive_clear": self.directive_clear,
            "counts": self.counts.to_dict(),
            "items": {c: [i.to_dict() for i in self.items.get(c, [])] for c in CONDITIONS},
            "quality_codes": dict(sorted(self.quality_codes.items())),
            "silent": self.silent.to_dict() if self.silent else None,
            "trends": {"days_7": self.trend.last(7).to_dict(), "days_30": self.trend.to_dict()},
            "rollup": self.rollup.to_dict() if self.rollup else None,
        }


@dataclass(frozen=True)
class RankRow:
    code: str
    name: str
    value: int
    counts: Counts

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "value": self.value, "counts": self.counts.to_dict()}


@dataclass(frozen=True)
class NationalSummary:
    period: Period
    agencies: int
    agencies_all_clear: int
    totals: Counts
    rankings: dict[str, list[RankRow]]  # errors, backlog, no_reply, awaiting_reply
    traffic_by_hour: dict[str, tuple[int, ...]]  # the previous day, 24 hours, per package kind
    silent: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "national-summary",
            "period": self.period.to_dict(),
            "agencies": self.agencies,
            "agencies_all_clear": self.agencies_all_clear,
            "totals": self.totals.to_dict(),
            "rankings": {k: [r.to_dict() for r in v] for k, v in self.rankings.items()},
            "traffic_by_hour": {k: list(v) for k, v in self.traffic_by_hour.items()},
            "silent": self.silent,
        }


@dataclass(frozen=True)
class DailyReports:
    """Everything one run produces: a report per agency and the operator's summary."""

    period: Period
    agencies: dict[str, AgencyReport]
    national: NationalSummary
