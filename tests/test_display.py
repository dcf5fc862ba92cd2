"""Sizes and moments as a person reads them."""

from __future__ import annotations

from datetime import UTC, datetime

from lienthong.display import human_size, vietnam_time


def test_sizes_read_in_the_largest_unit_under_1024() -> None:
    assert human_size(0) == "0 byte"
    assert human_size(1023) == "1023 byte"
    assert human_size(1536) == "1.5 KB"
    assert human_size(81248980992) == "75.7 GB"
    assert human_size(5 * 1024**5) == "5120.0 TB"


def test_moments_read_in_vietnam_time_to_the_second() -> None:
    moment = datetime(2026, 11, 30, 20, 45, 38, 123456, tzinfo=UTC)
    assert vietnam_time(moment) == "2026-12-01 03:45:38"
    assert vietnam_time("2026-11-30T20:45:38.123456+00:00") == "2026-12-01 03:45:38"
    assert vietnam_time(datetime(2026, 11, 30, 20, 45, 38)) == "2026-12-01 03:45:38"  # naive is UTC
    assert vietnam_time(None) == "-"
