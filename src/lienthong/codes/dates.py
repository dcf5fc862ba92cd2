"""The date and timestamp formats of edXML (``yyyy/MM/dd``, ``yyyy/MM/dd HH:mm:ss``), strictly parsed."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

_DATE_RE = re.compile(r"^(\d{4})/(\d{2})/(\d{2})$")
_TS_RE = re.compile(r"^(\d{4})/(\d{2})/(\d{2}) (\d{2}):(\d{2}):(\d{2})$")

# Vietnam keeps one offset all year (no daylight saving), so a fixed zone is exact.
VIETNAM = timezone(timedelta(hours=7), "ICT")


class DateFormatError(ValueError):
    """The text is not in the format at all (as opposed to an impossible date)."""


class ImpossibleDateError(ValueError):
    """The text has the right shape but names a day or time that does not exist (2014/02/30)."""


def parse_date(text: str) -> date:
    """Parse ``yyyy/MM/dd`` strictly."""
    m = _DATE_RE.match(text.strip())
    if not m:
        raise DateFormatError(f"expected yyyy/MM/dd, got {text!r}")
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError as exc:
        raise ImpossibleDateError(f"{text!r}: {exc}") from None


def parse_timestamp(text: str) -> datetime:
    """Parse ``yyyy/MM/dd HH:mm:ss`` strictly, as Vietnam time."""
    m = _TS_RE.match(text.strip())
    if not m:
        raise DateFormatError(f"expected yyyy/MM/dd HH:mm:ss, got {text!r}")
    try:
        y, mo, d, h, mi, s = (int(g) for g in m.groups())
        return datetime(y, mo, d, h, mi, s, tzinfo=VIETNAM)
    except ValueError as exc:
        raise ImpossibleDateError(f"{text!r}: {exc}") from None


def format_date(value: date) -> str:
    return value.strftime("%Y/%m/%d")


def format_timestamp(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(VIETNAM)
    return value.strftime("%Y/%m/%d %H:%M:%S")
