"""The agency's daily reports, as the hub makes them (send errors, receive errors, backlog, no reply)."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from lienthong.client.models import HubRefused, HubUnavailable, ReportSource
from lienthong.codes.calendar import VIETNAM, WorkingCalendar
from lienthong.gateway import problems as GP
from lienthong.gateway.problems import GatewayError
from lienthong.watch.config import DEFAULT_REPORT_TIME

FORMATS = {"json": "application/json", "html": "text/html; charset=utf-8", "pdf": "application/pdf"}


def report_days(now: datetime, count: int = 14, calendar: WorkingCalendar | None = None) -> list[date]:
    """The reports a clerk can open, newest first: the one in progress (so far), then earlier ones.

    The report dated D covers the time since the previous working day's report, at the hub's report
    time (07:00 by default): what was sent today is in the next working day's report.
    """
    calendar = calendar or WorkingCalendar()
    local = now.astimezone(VIETNAM)
    day = local.date()
    if not calendar.is_working_day(day) or local.time() >= DEFAULT_REPORT_TIME:
        day = calendar.next_working_day(day)
    days = [day]
    while len(days) < count:
        days.append(calendar.previous_working_day(days[-1]))
    return days


def fetch(port: ReportSource | None, protocol: str, day: date, fmt: str, lang: str) -> bytes:
    """The report of ``day`` from the hub; a ``GatewayError`` says why when there is none."""
    if fmt not in FORMATS:
        detail = f"format must be one of {', '.join(FORMATS)}"
        raise GatewayError(GP.BAD_REQUEST("format", detail=detail), 400)
    if port is None:
        raise GatewayError(GP.REPORTS_UNAVAILABLE("", protocol=protocol.upper()), 409)
    try:
        return port.daily_report(day, fmt, "en" if lang == "en" else "vi")
    except HubUnavailable as exc:
        raise GatewayError(GP.HUB_UNAVAILABLE("", detail=str(exc)[:300]), 503) from None
    except HubRefused as exc:
        raise GatewayError(GP.REPORT_REFUSED("", detail=f"{exc.code}: {exc.message}"[:300]), 502) from None


def summary(port: ReportSource | None, protocol: str, day: date) -> dict[str, Any]:
    """The report's JSON, read for the console's summary."""
    data = json.loads(fetch(port, protocol, day, "json", "vi"))
    return data if isinstance(data, dict) else {}
