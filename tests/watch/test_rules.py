"""Each condition, made for real through the hub (SQLite and PostgreSQL), is found in the day's report."""

from __future__ import annotations

from datetime import date, timedelta

from lienthong.hub.service import Hub
from lienthong.watch.config import Thresholds, WatchConfig
from lienthong.watch.model import AgencyReport
from lienthong.watch.rules import build_daily, period_for
from tests.watch.conftest import G17, G22, H14, H41, REPORT_DAY, UNIT, Day, codes


def _reports(hub: Hub, config: WatchConfig | None = None) -> dict[str, AgencyReport]:
    with hub.read() as s:
        return dict(build_daily(s, REPORT_DAY, config or WatchConfig()).agencies)


def test_the_period_runs_from_the_previous_working_days_report() -> None:
    config = WatchConfig()
    monday = period_for(date(2026, 11, 30), config)
    assert (monday.start.date(), monday.start.hour) == (date(2026, 11, 27), 7)  # Friday 07:00
    after_tet = period_for(date(2026, 2, 23), config)
    assert after_tet.start.date() == date(2026, 2, 13)  # the last working day before Tết


def test_send_errors_refused_and_undeliverable_with_reasons(day: Day) -> None:
    with day.hub.read() as s:
        report = build_daily(s, REPORT_DAY, WatchConfig()).agencies[G22]
    assert report.counts.send_errors == 2
    assert codes(report.items["send_errors"]) == ["WATCH.SEND_REFUSED", "WATCH.UNDELIVERABLE"]
    refused = next(i for i in report.items["send_errors"] if i.code == "WATCH.SEND_REFUSED")
    assert "HUB.MALFORMED" in refused.message_vi and "HUB.MALFORMED" in refused.message_en
    undeliverable = next(i for i in report.items["send_errors"] if i.code == "WATCH.UNDELIVERABLE")
    assert undeliverable.doc_id == day.docs["B"] and undeliverable.counterpart == "000.00.00.H99"
    assert undeliverable.link is not None and undeliverable.link.endswith(
        f"/packages/{day.docs['B']}/timeline"
    )
    assert not report.directive_clear


def test_receive_error_and_missing_status_reply(day: Day) -> None:
    with day.hub.read() as s:
        report = build_daily(s, REPORT_DAY, WatchConfig()).agencies[H41]
    assert report.counts.receive_errors == 1
    failed = report.items["receive_errors"][0]
    assert (failed.code, failed.doc_id) == ("WATCH.RECEIVE_FAILED", day.docs["C"])
    assert "không giải mã được" in failed.message_vi
    # A was fetched and answered 01 only: 03 or 02 is missing after 26 working hours (Mon 09:00 → Thu 07:00).
    assert report.counts.no_reply == 1
    missing = report.items["no_reply"][0]
    assert (missing.doc_id, missing.waited_hours, missing.counterpart) == (day.docs["A"], 26.0, G22)
    assert "03/02" in missing.message_en
    assert report.counts.backlog == 0


def test_backlog_in_working_hours_and_the_senders_mirror_view(day: Day) -> None:
    reports = _reports(day.hub)
    caobang = reports[H14]
    assert caobang.counts.backlog == 1
    assert caobang.items["backlog"][0].doc_id == day.docs["A"]
    vpcp = reports[G22]
    waiting = {(i.doc_id, i.counterpart) for i in vpcp.items["awaiting_reply"]}
    assert waiting == {(day.docs["A"], H41), (day.docs["A"], H14), (day.docs["E"], UNIT)}
    # B was accepted (03) by the ministry; C failed: neither waits for a reply.
    assert all(i.doc_id not in (day.docs["B"], day.docs["C"]) for i in vpcp.items["awaiting_reply"])


def test_thresholds_are_set_per_level(day: Day) -> None:
    # Raise the level-1 backlog threshold beyond the 26 working hours A has waited at Cao Bằng.
    patient = WatchConfig(thresholds={1: Thresholds(backlog_hours=30.0)})
    assert _reports(day.hub, patient)[H14].counts.backlog == 0
    # The level-2 unit of Nghệ An keeps the default (4 working hours): E is backlog there.
    assert _reports(day.hub, patient)[UNIT].counts.backlog == 1


def test_silent_agency(day: Day) -> None:
    reports = _reports(day.hub)
    caobang = reports[H14]
    assert caobang.counts.silent == 1
    assert caobang.silent is not None and caobang.silent.waited_hours == 26.0
    assert reports[G22].counts.silent == 0
    assert reports[UNIT].counts.silent == 0  # no system of its own: never silent


def test_quality_problems_of_a_delivered_package(day: Day) -> None:
    report = _reports(day.hub)[H14]
    assert report.counts.quality == 3
    assert codes(report.items["quality"]) == [
        "WATCH.LATE_SENDING",
        "WATCH.QUALITY",
        "WATCH.REPEAT_SEND",
    ]
    # The hub's preflight subset records its findings with the package too (issue 5).
    assert report.quality_codes == {
        "CHECK.METADATA_INCOMPLETE": 1,
        "CHECK.PAPER": 1,
        "CHECK.SENT_LATE": 1,
        "EDXML.TOO_LONG": 1,
        "WATCH.LATE_SENDING": 1,
        "WATCH.REPEAT_SEND": 1,
    }
    assert all(i.doc_id == day.docs["D"] for i in report.items["quality"])


def test_an_agency_with_nothing_wrong_gets_an_all_clear(day: Day) -> None:
    reports = _reports(day.hub)
    ministry = reports[G17]
    assert ministry.all_clear and ministry.directive_clear
    assert ministry.counts.received == 1  # it did receive B, and answered
    assert not any(ministry.items.values())
    assert ministry.to_dict()["all_clear"] is True
    assert not reports[G22].all_clear


def test_rollup_over_units_by_parent_code(day: Day) -> None:
    nghean = _reports(day.hub)[H41]
    rollup = nghean.rollup
    assert rollup is not None and rollup.units == 1
    assert [row.code for row in rollup.rows] == [UNIT]
    assert rollup.totals.backlog == 1 and rollup.totals.receive_errors == 1 and rollup.totals.no_reply == 1
    assert nghean.counts.backlog == 0  # its own inbox is clear
    assert not nghean.all_clear


def test_trends_count_each_day(day: Day) -> None:
    report = _reports(day.hub)[G22]
    trend = report.trend
    assert len(trend.days) == 30 and trend.days[-1] == REPORT_DAY - timedelta(days=1)
    by_day = dict(zip(trend.days, trend.series["sent"], strict=True))
    assert by_day[date(2026, 11, 30)] == 2 and by_day[date(2026, 12, 2)] == 2
    errors = dict(zip(trend.days, trend.series["send_errors"], strict=True))
    assert errors[date(2026, 12, 2)] == 2  # the refusal and the undeliverable copy, as in the lists
    assert trend.last(7).days == trend.days[-7:]
    nghean = _reports(day.hub)[H41].trend
    assert dict(zip(nghean.days, nghean.series["receive_errors"], strict=True))[date(2026, 12, 2)] == 1


def test_national_summary_ranks_and_totals(day: Day) -> None:
    with day.hub.read() as s:
        national = build_daily(s, REPORT_DAY, WatchConfig()).national
    assert national.agencies == 7
    assert national.rankings["errors"][0].code == G22 and national.rankings["errors"][0].value == 2
    assert [r.code for r in national.rankings["backlog"]] == [H14, UNIT]
    assert national.totals.send_errors == 3  # the refusal reaches both agencies of the system
    assert national.silent == [H14]
    # Wednesday's traffic by hour (Vietnam time): documents at 10:00, 12:00, 13:00 (twice: one stored).
    edoc = national.traffic_by_hour["edoc"]
    assert (edoc[10], edoc[12], edoc[13]) == (1, 1, 1)
    assert national.traffic_by_hour["status"][10] == 2


def test_thresholds_from_the_environment_format() -> None:
    from lienthong.watch.config import thresholds_from_json

    levels = thresholds_from_json('{"1": {"backlog_hours": 1}, "4": {"silent_hours": 27}}')
    assert levels[1].backlog_hours == 1 and levels[1].reply_hours == 9.0
    assert levels[4].silent_hours == 27 and levels[4].backlog_hours == 8.0
    assert levels[2] == Thresholds()
