"""Vietnam's working-day calendar: public holidays, compensatory days and the operator's own changes.

Working days are Monday to Friday minus the public holidays the ``holidays`` package knows for
Vietnam (Tết, Hùng Kings, 30/4, 1/5, 2/9 and their observed and compensatory days). The
Government announces extra days off and compensatory working Saturdays every year, sometimes
late; an operator file adds them without waiting for a library release::

    # one date per line: "off" for an extra day off, "work" for a compensatory working day
    2027-02-03 off   Tết, announced by the Ministry of Home Affairs
    2027-02-20 work  compensatory working Saturday

The file wins over the library, which wins over the weekday rule. Working hours (default
08:00–17:00 Vietnam time) turn "four working hours" into an instant, so a threshold means the
same on Friday afternoon as on Tuesday morning. Pure: no I/O besides reading the file given.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
# Far enough for any threshold: a search for working time gives up after this many days.
_MAX_SCAN_DAYS = 400


class CalendarFileError(ValueError):
    """The operator file has a line that is not ``YYYY-MM-DD off|work [comment]``."""


@lru_cache(maxsize=64)
def _library_working_day(day: date) -> bool:
    # One holidays object per year, cached: it computes the lunar dates once.
    return bool(_vietnam(day.year).is_working_day(day))


@lru_cache(maxsize=32)
def _vietnam(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("VN", years=[year])


def read_changes(path: Path) -> tuple[frozenset[date], frozenset[date]]:
    """(extra days off, compensatory working days) from an operator file."""
    off: set[date] = set()
    work: set[date] = set()
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split(None, 2)
        if len(parts) < 2 or parts[1].lower() not in ("off", "work"):
            raise CalendarFileError(f"{path}:{number}: expected 'YYYY-MM-DD off|work', got {raw.strip()!r}")
        try:
            day = date.fromisoformat(parts[0])
        except ValueError:
            raise CalendarFileError(f"{path}:{number}: not a date: {parts[0]!r}") from None
        (off if parts[1].lower() == "off" else work).add(day)
    both = off & work
    if both:
        raise CalendarFileError(f"{path}: {min(both)} is listed both as a day off and as a working day")
    return frozenset(off), frozenset(work)


@dataclass(frozen=True)
class WorkingCalendar:
    """Which days are working days, and how many working hours lie between two instants."""

    days_off: frozenset[date] = field(default_factory=frozenset)
    working_days: frozenset[date] = field(default_factory=frozenset)
    day_start: time = time(8, 0)
    day_end: time = time(17, 0)
    tz: ZoneInfo = VIETNAM

    @classmethod
    def load(
        cls,
        path: Path | None = None,
        *,
        days_off: Iterable[date] = (),
        working_days: Iterable[date] = (),
        day_start: time = time(8, 0),
        day_end: time = time(17, 0),
    ) -> WorkingCalendar:
        """The calendar with the operator file at ``path`` (when given) and explicit changes."""
        off, work = read_changes(path) if path is not None else (frozenset(), frozenset())
        return cls(off | frozenset(days_off), work | frozenset(working_days), day_start, day_end)

    def __post_init__(self) -> None:
        if self.day_end <= self.day_start:
            raise ValueError("working hours must end after they start")

    def is_working_day(self, day: date) -> bool:
        if day in self.working_days:
            return True
        if day in self.days_off:
            return False
        return _library_working_day(day)

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        for offset in range(1, _MAX_SCAN_DAYS):
            candidate = day + timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        raise ValueError(f"no working day within {_MAX_SCAN_DAYS} days after {day}")

    def previous_working_day(self, day: date) -> date:
        """The last working day strictly before ``day``."""
        for offset in range(1, _MAX_SCAN_DAYS):
            candidate = day - timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        raise ValueError(f"no working day within {_MAX_SCAN_DAYS} days before {day}")

    def working_days_between(self, first: date, last: date) -> list[date]:
        """Working days from ``first`` to ``last``, both included."""
        days = (first + timedelta(days=n) for n in range((last - first).days + 1))
        return [d for d in days if self.is_working_day(d)]

    def _window(self, day: date) -> tuple[datetime, datetime]:
        return (
            datetime.combine(day, self.day_start, self.tz),
            datetime.combine(day, self.day_end, self.tz),
        )

    def working_hours_between(self, start: datetime, end: datetime) -> float:
        """Working hours in [start, end) (0 when end is not after start); both must be aware."""
        if end <= start:
            return 0.0
        local_start, local_end = start.astimezone(self.tz), end.astimezone(self.tz)
        seconds = 0.0
        day = local_start.date()
        while day <= local_end.date():
            if self.is_working_day(day):
                open_at, close_at = self._window(day)
                lo, hi = max(open_at, local_start), min(close_at, local_end)
                if hi > lo:
                    seconds += (hi - lo).total_seconds()
            day += timedelta(days=1)
        return seconds / 3600

    def minus_working_hours(self, end: datetime, hours: float) -> datetime:
        """The latest instant whose working time up to ``end`` is ``hours``.

        Something that arrived before this instant has waited more than ``hours`` working hours
        at ``end``; the cut-off is computed once and compared in SQL.
        """
        remaining = hours * 3600
        local = end.astimezone(self.tz)
        day = local.date()
        for _ in range(_MAX_SCAN_DAYS):
            if self.is_working_day(day):
                open_at, close_at = self._window(day)
                hi = min(close_at, local)
                if hi > open_at:
                    available = (hi - open_at).total_seconds()
                    if available >= remaining:
                        return hi - timedelta(seconds=remaining)
                    remaining -= available
            day -= timedelta(days=1)
        raise ValueError(f"{hours} working hours reach back more than {_MAX_SCAN_DAYS} days")

    def plus_working_hours(self, start: datetime, hours: float) -> datetime:
        """The earliest instant at which ``hours`` working hours have passed since ``start``."""
        remaining = hours * 3600
        local = start.astimezone(self.tz)
        day = local.date()
        for _ in range(_MAX_SCAN_DAYS):
            if self.is_working_day(day):
                open_at, close_at = self._window(day)
                lo = max(open_at, local)
                if close_at > lo:
                    available = (close_at - lo).total_seconds()
                    if available >= remaining:
                        return lo + timedelta(seconds=remaining)
                    remaining -= available
            day += timedelta(days=1)
        raise ValueError(f"{hours} working hours reach beyond {_MAX_SCAN_DAYS} days")
