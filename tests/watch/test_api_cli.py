"""Reports from the API (bearer tokens, the operator's summary, timelines) and from the command line."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
from pypdf import PdfReader
from typer.testing import CliRunner

from lienthong.api.app import create_app
from lienthong.cli.main import app as cli
from lienthong.hub import directory, registration
from lienthong.hub.service import Hub
from tests.hub.conftest import Server
from tests.watch.conftest import G17, G22, H14, Day
from tests.watch.servers import SmtpServer


def _token(hub: Hub, system_id: str) -> dict[str, str]:
    with hub.write() as s:
        token = directory.issue_token(s, system_id, datetime.now(UTC), "test")
    return {"Authorization": f"Bearer {token}"}


def _operator(hub: Hub) -> dict[str, str]:
    """The operator's console: a system the administrator granted the operator's role (issue 12)."""
    with hub.write() as s:
        now = datetime.now(UTC)
        directory.add_agency(s, directory.AgencyInput(hub.config.hub_code, "Trục liên thông quốc gia"), now)
        directory.add_system(s, hub.keys, "operator.sys", [hub.config.hub_code], now, secret="x")
        registration.set_grants(s, "operator.sys", now, operator=True)
    return _token(hub, "operator.sys")


def test_reports_and_timelines_over_http(day: Day) -> None:
    hub = day.hub
    vpcp, bxd, operator = _token(hub, "vpcp.sys"), _token(hub, "bxd.sys"), _operator(hub)
    with Server(create_app(hub)) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        mine = http.get("/api/v1/reports/daily", params={"date": "2026-12-03"}, headers=vpcp)
        assert mine.status_code == 200, mine.text
        body = mine.json()
        assert body["agency"]["code"] == G22 and body["counts"]["send_errors"] == 2
        link = body["items"]["send_errors"][1]["link"] or body["items"]["send_errors"][0]["link"]
        assert "/api/v1/packages/" in link
        unit = http.get(
            "/api/v1/reports/daily", params={"date": "2026-12-03", "agency": "002.00.20.H13"}, headers=vpcp
        )
        assert unit.json()["agency"]["code"] == "002.00.20.H13"
        other = http.get("/api/v1/reports/daily", params={"date": "2026-12-03", "agency": G17}, headers=vpcp)
        assert other.status_code == 403 and other.json()["code"] == "HUB.FORBIDDEN"
        assert http.get("/api/v1/reports/daily").status_code == 401
        pdf = http.get(
            "/api/v1/reports/daily", params={"date": "2026-12-03", "format": "pdf", "lang": "en"}, headers=bxd
        )
        assert pdf.headers["content-type"] == "application/pdf"
        text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
        assert "All clear" in text
        html = http.get(
            "/api/v1/reports/daily", params={"date": "2026-12-03", "format": "html"}, headers=vpcp
        )
        assert "Văn bản gửi lỗi" in html.text and "<svg" in html.text
        assert http.get("/api/v1/reports/national", headers=vpcp).status_code == 403
        national = http.get("/api/v1/reports/national", params={"date": "2026-12-03"}, headers=operator)
        assert national.status_code == 200
        assert national.json()["rankings"]["errors"][0]["code"] == G22
        assert national.json()["silent"] == [H14]
        timeline = http.get(f"/api/v1/packages/{day.docs['A']}/timeline", headers=vpcp)
        assert timeline.status_code == 200
        events = [e["event"] for e in timeline.json()["events"]]
        assert events[0] == "accepted" and "fetched" in events and "status.01" in events
        assert timeline.json()["recipients"]["000.00.00.H14"]["state"] == "pending"
        assert any(a["action"] == "package.accept" for a in timeline.json()["audit"])
        hidden = http.get(f"/api/v1/packages/{day.docs['A']}/timeline", headers=bxd)
        assert hidden.status_code == 404  # not its package: the same answer as a missing one


def test_the_report_command(day: Day, tmp_path: Path) -> None:
    hub = day.hub
    base = ["hub", "report", "--db", hub.config.database_url, "--data-dir", str(hub.config.data_dir)]
    runner = CliRunner()
    one = runner.invoke(cli, [*base, "--date", "2026-12-03", "--agency", G17])
    assert one.exit_code == 0, one.output
    assert json.loads(one.stdout)["all_clear"] is True
    every = runner.invoke(cli, [*base, "--date", "2026-12-03"])
    assert {r["agency"]["code"] for r in json.loads(every.stdout)} >= {G22, G17, H14}
    national = runner.invoke(cli, [*base, "--date", "2026-12-03", "--national"])
    assert json.loads(national.stdout)["kind"] == "national-summary"
    out = tmp_path / "reports"
    pdfs = runner.invoke(
        cli, [*base, "--date", "2026-12-03", "--format", "pdf", "--out", str(out), "--agency", H14]
    )
    assert pdfs.exit_code == 0, pdfs.output
    [written] = list(out.glob("*.pdf"))
    assert written.name == f"report-{H14}-2026-12-03.pdf"
    assert "Văn bản tồn đọng" in PdfReader(written).pages[0].extract_text()
    assert runner.invoke(cli, [*base, "--date", "03/12/2026"]).exit_code == 2
    assert runner.invoke(cli, [*base, "--date", "2026-12-03", "--agency", "000.00.00.H99"]).exit_code == 1
    with SmtpServer() as smtp:
        env = {"LIENTHONG_SMTP_HOST": "127.0.0.1", "LIENTHONG_SMTP_PORT": str(smtp.port)}
        sent = runner.invoke(cli, [*base, "--date", "2026-12-03", "--agency", G17, "--send"], env=env)
        assert sent.exit_code == 0, sent.output
        [mail] = smtp.inbox.messages
        assert str(mail["To"]) == f"{G17}@example.test"
