"""Reports from the API (bearer tokens, the operator's summary, timelines) and from the command line."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
from lxml import etree
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


def test_a_documents_trace_picture_over_http_and_from_the_command_line(day: Day, tmp_path: Path) -> None:
    hub = day.hub
    vpcp, bxd = _token(hub, "vpcp.sys"), _token(hub, "bxd.sys")
    with Server(create_app(hub)) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        picture = http.get(f"/api/v1/packages/{day.docs['A']}/trace.svg", headers=vpcp)
        assert picture.status_code == 200, picture.text
        assert picture.headers["content-type"].startswith("image/svg+xml")
        svg = etree.fromstring(picture.content)
        text = " ".join(str(t) for t in svg.itertext())
        # A lane per recipient, the sender's lane, each moment labelled, the Vietnam time axis.
        for lane in ("000.00.00.H41", "000.00.00.H14", f"{G22} → Trục"):
            assert lane in text
        assert "Trục tiếp nhận" in text and "đã lấy về" in text and "01 đã đến" in text
        assert "Giờ Việt Nam (UTC+7)" in text and "801/VPCP-KSTT" in text
        assert http.get(f"/api/v1/packages/{day.docs['A']}/trace.svg", headers=bxd).status_code == 404
        assert http.get(f"/api/v1/packages/{day.docs['A']}/trace.svg").status_code == 401
    base = ["hub", "trace", "--db", hub.config.database_url, "--data-dir", str(hub.config.data_dir)]
    runner = CliRunner()
    png = tmp_path / "b.png"
    made = runner.invoke(cli, [*base, day.docs["B"], "--out", str(png)])
    assert made.exit_code == 0, made.output
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and "2 nơi nhận" in made.stdout
    svg_file = tmp_path / "b.svg"
    assert runner.invoke(cli, [*base, day.docs["B"], "--out", str(svg_file)]).exit_code == 0
    drawn = " ".join(str(t) for t in etree.fromstring(svg_file.read_bytes()).itertext())
    assert "không chuyển được" in drawn and "000.00.00.H99" in drawn  # the undeliverable copy, in red
    missing = runner.invoke(cli, [*base, "no-such-package"])
    assert missing.exit_code == 1 and "no-such-package" in missing.output
    assert runner.invoke(cli, [*base, day.docs["B"], "--out", str(tmp_path / "b.gif")]).exit_code == 2
