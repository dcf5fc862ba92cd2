"""``lienthong hub status``: one screen (or JSON) saying what is healthy, what is not and since when."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lienthong.cli.main import app
from lienthong.hub import directory
from lienthong.hub.config import HubConfig
from lienthong.hub.service import Hub
from tests.monitor.conftest import make_certificate, pem

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    hub = Hub(HubConfig(data_dir=folder))
    now = datetime.now(UTC)
    with hub.write() as s:
        directory.add_agency(s, directory.AgencyInput("000.00.00.G22", "Văn phòng Chính phủ"), now)
        directory.add_agency(s, directory.AgencyInput("000.00.00.H41", "UBND tỉnh Nghệ An"), now)
        directory.add_system(s, hub.keys, "nghean.sys", ["000.00.00.H41"], now, secret="x")
        # Nghệ An was last heard of two hours ago (beyond the 30-minute threshold).
        directory.get_agency(s, "000.00.00.H41").last_contact_at = now - timedelta(hours=2)
        directory.get_agency(s, "000.00.00.G22").last_contact_at = now
    hub.close()
    return folder


def test_status_json_healthy_hub_with_a_silent_agency(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIENTHONG_MONITOR_MIN_FREE_BYTES", "1")
    result = runner.invoke(app, ["hub", "status", "--json", "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["readiness"]["ready"] is True
    assert {name: c["reason"] for name, c in report["readiness"]["checks"].items()} == {
        "database": "OK",
        "storage": "OK",
        "upstream": "OK",  # issue 16: no upstream link is fine (a national hub)
    }
    agencies = {a["code"]: a for a in report["agencies"]}
    assert agencies["000.00.00.G22"]["up"] is True and agencies["000.00.00.H41"]["up"] is False
    assert agencies["000.00.00.H41"]["lost_since"] is not None
    assert report["healthy"] is False  # ready, but an agency is out of contact


def test_status_screen_names_what_is_wrong_and_exits_1_when_not_ready(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expired = tmp_path / "tls.pem"
    now = datetime.now(UTC)
    expired.write_bytes(pem(make_certificate("hub.lienthong.test", now - timedelta(days=1))))
    monkeypatch.setenv("LIENTHONG_MONITOR_MIN_FREE_BYTES", str(1 << 62))
    monkeypatch.setenv("LIENTHONG_MONITOR_TLS_CERTIFICATES", str(expired))
    monkeypatch.setenv("COLUMNS", "200")
    result = runner.invoke(app, ["hub", "status", "--data-dir", str(data_dir)])
    assert result.exit_code == 1
    for text in ("NOT READY", "MONITOR.STORAGE_LOW_SPACE", "MONITOR.CERT_EXPIRED", "000.00.00.H41", "lost"):
        assert text in result.output, text


def test_status_when_the_database_cannot_be_reached(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "hub",
            "status",
            "--json",
            "--db",
            "postgresql://postgres@127.0.0.1:1/none",
            "--data-dir",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 1
    check = json.loads(result.output)["readiness"]["checks"]["database"]
    assert check["reason"] == "MONITOR.DATABASE_UNREACHABLE" and "refused" in check["detail"]
