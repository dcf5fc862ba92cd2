"""How values read for a person: sizes in KB/MB/GB, moments in Vietnam time to the second."""

from __future__ import annotations

from datetime import UTC, datetime

from lienthong.codes.calendar import VIETNAM

_UNITS = ("byte", "KB", "MB", "GB", "TB")


def human_size(size: int | float) -> str:
    """``81248980992`` → ``75.7 GB`` (binary multiples, one decimal above a kilobyte)."""
    value = float(size)
    for unit in _UNITS:
        if abs(value) < 1024 or unit == _UNITS[-1]:
            return f"{int(value)} {unit}" if unit == "byte" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def vietnam_time(moment: datetime | str | None) -> str:
    """A moment (aware, naive UTC or ISO text) as ``2026-12-01 03:45:38`` in Vietnam time; ``-``: none."""
    if moment is None or moment == "":
        return "-"
    when = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(VIETNAM).strftime("%Y-%m-%d %H:%M:%S")
