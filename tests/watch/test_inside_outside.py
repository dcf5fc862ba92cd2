"""Traffic inside a level-1 body (a province) counted apart from traffic to and from outside (issue 16):
in the daily reports (JSON, HTML, PDF; vi and en), their roll-up, the national totals and the console."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import httpx
from pypdf import PdfReader
from sqlalchemy import literal, select

from lienthong.accounts.model import Person
from lienthong.api.app import create_app
from lienthong.codes import same_body
from lienthong.hub import console as q
from lienthong.hub import directory
from lienthong.hub.service import Hub
from lienthong.store import bodies
from lienthong.watch import render
from lienthong.watch.config import WatchConfig
from lienthong.watch.model import TRAFFIC_SPLIT
from lienthong.watch.rules import build_daily
from tests.hub.conftest import SECRET, Server, document, send
from tests.watch.conftest import G22, H14, H41, REPORT_DAY, Clock

UNIT1, UNIT2 = "000.00.10.H41", "000.00.11.H41"  # two departments of Nghệ An
OPS = Person(1, "ops", "ops", "operator", None, "active")
NGHEAN = Person(2, "nghean", "nghean", "province-operator", H41, "active")


def test_the_sql_test_agrees_with_the_codes(hub: Hub) -> None:
    pairs = [
        (H41, UNIT1, True),
        ("000.00.00.H41", "001.02.03.H41", True),
        ("28.22.H17", "000.00.00.H17", True),  # an older three-part code of the same province
        (H41, H14, False),
        (G22, "000.00.01.G22", True),
        ("vxp.saas.41", "000.00.00.H41", False),  # a system id, not an agency code
        ("", H41, False),
        ("null", "null", False),
        ("000.00.00.H4", "000.00.00.H4", False),
    ]
    with hub.read() as s:
        for a, b, expected in pairs:
            found = s.execute(select(bodies.same_body(literal(a), literal(b)))).scalar_one()
            assert bool(found) is expected is same_body(a, b), (a, b)


def _day(hub: Hub) -> None:
    """Wednesday 10:00 in Hà Nội, inside the report's period: five documents on both roads."""
    hub.clock = Clock(datetime(2026, 12, 2, 3, 0, tzinfo=UTC))
    with hub.write() as s:
        now = hub.clock()
        for code, name in ((UNIT1, "Sở Nội vụ tỉnh Nghệ An"), (UNIT2, "Sở Tài chính tỉnh Nghệ An")):
            directory.add_agency(s, directory.AgencyInput(code, name, emails=(f"{code}@example.test",)), now)
        directory.add_system(s, hub.keys, "nghean.units", [UNIT1, UNIT2], now, secret=SECRET)
    send(hub, "nghean.sys", document(H41, (UNIT1, H14), "11", "UBND-VP"))  # one copy in, one out
    send(hub, "nghean.units", document(UNIT1, (H41,), "21", "SNV-VP"))  # inside
    send(hub, "vpcp.sys", document(G22, (UNIT2,), "807", "VPCP-KSTT"))  # from outside
    send(hub, "caobang.sys", document(H14, (UNIT1, G22), "31", "UBND-VP"))  # from outside, and outside
    send(hub, "nghean.units", document(UNIT2, (UNIT1,), "41", "STC-VP"))  # inside


def _split(counts: object) -> dict[str, int]:
    return {name: getattr(counts, name) for name in ("sent", "received", *TRAFFIC_SPLIT)}


def test_the_daily_reports_count_inside_and_outside_apart(hub: Hub) -> None:
    _day(hub)
    with hub.read() as s:
        daily = build_daily(s, REPORT_DAY, WatchConfig())
    reports = daily.agencies
    expected = {
        H41: (1, 1, 1, 1, 1, 0),
        UNIT1: (1, 3, 1, 0, 2, 1),
        UNIT2: (1, 1, 1, 0, 0, 1),
        G22: (1, 1, 0, 1, 0, 1),
        H14: (1, 1, 0, 2, 0, 1),
    }
    for code, (sent, received, s_in, s_out, r_in, r_out) in expected.items():
        assert _split(reports[code].counts) == {
            "sent": sent,
            "received": received,
            "sent_inside": s_in,
            "sent_outside": s_out,
            "received_inside": r_in,
            "received_outside": r_out,
        }, code
    # The province's report covers its units, whichever road their documents took.
    rollup = reports[H41].rollup
    assert rollup is not None and rollup.units == 2
    assert _split(rollup.totals) == {
        "sent": 3,
        "received": 5,
        "sent_inside": 3,
        "sent_outside": 1,
        "received_inside": 3,
        "received_outside": 2,
    }
    national = daily.national.totals
    assert (national.sent_inside, national.received_inside) == (3, 3)
    assert national.sent_inside + national.sent_outside == national.received == 7
    assert reports[H41].to_dict()["counts"]["received_inside"] == 1
    assert reports[H41].to_dict()["rollup"]["totals"]["sent_outside"] == 1

    html_vi = render.to_html(reports[H41], "vi")
    html_en = render.to_html(reports[H41], "en")
    for html, words in (
        (
            html_vi,
            ("Bản gửi trong bộ, tỉnh", "Bản nhận từ ngoài bộ, tỉnh", "Đơn vị và các đơn vị trực thuộc"),
        ),
        (html_en, ("Copies sent inside the ministry or province", "Copies received from outside")),
    ):
        for word in words:
            assert word in html, word
    assert re.search(r"Bản gửi trong bộ, tỉnh</td><td class=\"n\">3<", html_vi.replace("\n", ""))
    national_html = render.national_html(daily.national, "en")
    assert "Copies sent inside the ministry or province" in national_html


def test_the_report_over_http_and_the_console_traffic(hub: Hub) -> None:
    _day(hub)
    with hub.write() as s:
        token = directory.issue_token(s, "nghean.sys", datetime.now(UTC), "test")
    headers = {"Authorization": f"Bearer {token}"}
    with Server(create_app(hub)) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        params = {"date": REPORT_DAY.isoformat(), "agency": H41}
        body = http.get("/api/v1/reports/daily", params=params, headers=headers)
        assert body.status_code == 200, body.text
        assert body.json()["counts"]["sent_outside"] == 1
        assert body.json()["rollup"]["totals"]["received_outside"] == 2
        pdf = http.get(
            "/api/v1/reports/daily", params={**params, "format": "pdf", "lang": "en"}, headers=headers
        )
        assert pdf.headers["content-type"] == "application/pdf"
        text = re.sub(
            r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
        )
        assert re.search(r"Copies sent inside the ministry or province 1 ", text), text[:1500]
        assert re.search(r"Copies received from outside the ministry or province 2 ", text)
    today = date(2026, 12, 2)
    with hub.read() as s:
        everyone = q.traffic_by_day(s, OPS, today)[-1]
        province = q.traffic_by_day(s, NGHEAN, today)[-1]
    assert (everyone["delivered"], everyone["delivered_inside"], everyone["delivered_outside"]) == (7, 3, 4)
    assert (province["delivered"], province["delivered_inside"], province["delivered_outside"]) == (5, 3, 2)
