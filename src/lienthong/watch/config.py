"""Settings of the warning system: thresholds per agency level, report time, SMTP, retries."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import time
from pathlib import Path

from lienthong.codes.calendar import WorkingCalendar
from lienthong.delivery.mail import SmtpSettings

__all__ = ["SmtpSettings", "Thresholds", "WatchConfig", "thresholds_from_json"]


DEFAULT_REPORT_TIME = time(7, 0)  # Asia/Ho_Chi_Minh, every working day; the gateways' console assumes it too


@dataclass(frozen=True)
class Thresholds:
    """When a condition becomes a warning; hours are working hours (the calendar's 08:00–17:00)."""

    backlog_hours: float = 4.0  # a package waiting unfetched in an inbox longer than this
    # Decree 30 Art. 21.2: the recipient confirms receipt the same day: one working day for 03/02.
    reply_hours: float = 9.0
    silent_hours: float = 9.0  # an agency with a connected system that has not called for this long
    repeat_sends: int = 1  # the same bytes sent again this many times is a practice to fix


# Level-1 bodies (ministries, provinces) run platforms staffed all day: tighter than a commune.
DEFAULT_THRESHOLDS: dict[int, Thresholds] = {
    1: Thresholds(backlog_hours=2.0),
    2: Thresholds(),
    3: Thresholds(backlog_hours=8.0),
    4: Thresholds(backlog_hours=8.0, silent_hours=18.0),
}


@dataclass(frozen=True)
class WatchConfig:
    report_time: time = DEFAULT_REPORT_TIME
    thresholds: Mapping[int, Thresholds] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    default_thresholds: Thresholds = Thresholds()  # legacy codes and agencies without a level
    calendar: WorkingCalendar = field(default_factory=WorkingCalendar)
    language: str = "vi"
    public_url: str = "http://127.0.0.1:8400"  # where the links in reports point
    max_items: int = 100  # per list in one report; the counts stay exact
    max_units: int = 300  # unit rows in a roll-up
    reply_horizon_days: int = 30  # unanswered documents older than this are no longer listed
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    operator_emails: tuple[str, ...] = ()  # who receives the national summary every morning
    alert_attempts: int = 8  # then the message is dead (kept, visible to the operator)
    alert_backoff_seconds: float = 30.0  # doubled after every failed attempt
    lease_seconds: float = 120.0  # a worker that crashed mid-send gives its message back after this
    webhook_timeout: float = 10.0
    font_dir: Path = Path("/usr/share/fonts/truetype/dejavu")

    def thresholds_for(self, level: int | None) -> Thresholds:
        if level is None:
            return self.default_thresholds
        return self.thresholds.get(level, self.default_thresholds)

    @classmethod
    def from_env(cls, calendar_file: Path | None = None, **kwargs: object) -> WatchConfig:
        """SMTP from the environment; LIENTHONG_CALENDAR names the operator's calendar file.

        LIENTHONG_WATCH_THRESHOLDS changes thresholds per level, in JSON:
        ``{"1": {"backlog_hours": 1}, "4": {"silent_hours": 27}}`` (unnamed fields keep their defaults).
        """
        if "LIENTHONG_WATCH_THRESHOLDS" in os.environ and "thresholds" not in kwargs:
            kwargs["thresholds"] = thresholds_from_json(os.environ["LIENTHONG_WATCH_THRESHOLDS"])
        path = calendar_file or (
            Path(os.environ["LIENTHONG_CALENDAR"]) if "LIENTHONG_CALENDAR" in os.environ else None
        )
        return cls(
            calendar=WorkingCalendar.load(path),
            smtp=SmtpSettings.from_env(),
            public_url=os.environ.get("LIENTHONG_PUBLIC_URL", cls.public_url),
            operator_emails=tuple(
                e.strip() for e in os.environ.get("LIENTHONG_OPERATOR_EMAILS", "").split(",") if e.strip()
            ),
            **kwargs,  # type: ignore[arg-type]
        )


def thresholds_from_json(text: str) -> dict[int, Thresholds]:
    """Per-level thresholds from JSON, over the defaults; raises ValueError on unknown fields."""
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("thresholds: expected an object keyed by level")
    out = dict(DEFAULT_THRESHOLDS)
    for level, fields in data.items():
        base = out.get(int(level), Thresholds())
        out[int(level)] = replace(base, **fields)  # TypeError → unknown field
    return out
