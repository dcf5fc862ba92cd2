"""The working-day calendar: Tết, 30/4–1/5, 2/9, compensatory days and the operator file."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from lienthong.codes.calendar import VIETNAM, CalendarFileError, WorkingCalendar


def test_tet_is_not_worked_and_the_week_after_is() -> None:
    cal = WorkingCalendar()
    # Tết Bính Ngọ: 17 February 2026 is the first day of the lunar year.
    for day in range(16, 21):
        assert not cal.is_working_day(date(2026, 2, day)), day
    assert cal.is_working_day(date(2026, 2, 13))  # the Friday before
    assert cal.next_working_day(date(2026, 2, 13)) == date(2026, 2, 23)
    assert cal.previous_working_day(date(2026, 2, 23)) == date(2026, 2, 13)


def test_reunification_labour_day_and_national_day() -> None:
    cal = WorkingCalendar()
    assert not cal.is_working_day(date(2026, 4, 30))
    assert not cal.is_working_day(date(2026, 5, 1))
    assert not cal.is_working_day(date(2026, 9, 2))
    assert not cal.is_working_day(date(2026, 9, 1))
    assert cal.is_working_day(date(2026, 4, 29))
    assert cal.next_working_day(date(2026, 4, 29)) == date(2026, 5, 4)


def test_weekends_and_a_compensatory_working_saturday() -> None:
    cal = WorkingCalendar()
    assert not cal.is_working_day(date(2026, 11, 28))  # an ordinary Saturday
    assert not cal.is_working_day(date(2026, 11, 29))
    # 2026: Monday 31 August off, worked back on Saturday 22 August (known to the library).
    assert cal.is_working_day(date(2026, 8, 22))
    assert not cal.is_working_day(date(2026, 8, 31))


def test_operator_file_adds_days_off_and_working_saturdays(tmp_path: Path) -> None:
    path = tmp_path / "calendar.txt"
    path.write_text(
        "# announced late by the Government\n2026-12-31 off  New Year's Eve bridge\n"
        "2027-01-09 work compensatory Saturday\n\n",
        encoding="utf-8",
    )
    cal = WorkingCalendar.load(path)
    assert not cal.is_working_day(date(2026, 12, 31))
    assert cal.is_working_day(date(2027, 1, 9))
    assert cal.next_working_day(date(2026, 12, 30)) == date(2027, 1, 4)
    path.write_text("2027-01-09 maybe\n", encoding="utf-8")
    with pytest.raises(CalendarFileError, match=r"calendar\.txt:1"):
        WorkingCalendar.load(path)
    path.write_text("2027-01-09 off\n2027-01-09 work\n", encoding="utf-8")
    with pytest.raises(CalendarFileError, match="both"):
        WorkingCalendar.load(path)


def _vn(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=VIETNAM)


def test_working_hours_skip_nights_weekends_and_holidays() -> None:
    cal = WorkingCalendar()
    # Friday 16:00 to Monday 09:00: one hour on Friday, one on Monday.
    assert cal.working_hours_between(_vn(2026, 11, 27, 16), _vn(2026, 11, 30, 9)) == 2.0
    # Over Tết: Friday 13 Feb 2026 15:00 to Monday 23 Feb 10:00.
    assert cal.working_hours_between(_vn(2026, 2, 13, 15), _vn(2026, 2, 23, 10)) == 4.0
    assert cal.working_hours_between(_vn(2026, 11, 30, 9), _vn(2026, 11, 27, 16)) == 0.0
    # UTC inputs are read in Vietnam time: 01:00 UTC is 08:00, the start of the working day.
    assert cal.working_hours_between(datetime(2026, 11, 30, 1, tzinfo=UTC), _vn(2026, 11, 30, 12)) == 4.0


def test_cut_off_instants_are_the_inverse_of_working_hours() -> None:
    cal = WorkingCalendar(day_start=time(8), day_end=time(17))
    monday_9 = _vn(2026, 11, 30, 9)
    cut = cal.minus_working_hours(monday_9, 4)
    assert cut == _vn(2026, 11, 27, 14)  # Friday 14:00
    assert cal.working_hours_between(cut, monday_9) == 4.0
    assert cal.plus_working_hours(_vn(2026, 11, 27, 14), 4) == monday_9
    # Across Tết, nine working hours from Friday 13 Feb 16:00 end on Monday 23 Feb at 16:00.
    assert cal.plus_working_hours(_vn(2026, 2, 13, 16), 9) == _vn(2026, 2, 23, 16)
    with pytest.raises(ValueError):
        WorkingCalendar(day_start=time(17), day_end=time(8))
