"""The agency console's daily reports: the hub's report of a day, its files, and why there is none."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest

from lienthong.gateway.reports import report_days
from lienthong.gateway.service import Gateway
from tests.gateway.test_console_pages import HTML, console
from tests.hub.conftest import document

G22, H41 = "000.00.00.G22", "000.00.00.H41"
Make = Callable[..., Gateway]


@pytest.fixture(autouse=True)
def _plain_http(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIENTHONG_INSECURE_COOKIES", "1")  # httpx keeps a Secure cookie only over https


def _now() -> datetime:
    return datetime.now(UTC)  # the hub's reports follow its real clock: so does the gateway here


def _today(gateway: Gateway) -> str:
    return report_days(gateway.clock())[0].isoformat()


def test_a_clerk_reads_the_days_report_and_downloads_it(make_gateway: Make) -> None:
    vpcp = make_gateway(G22, "vpcp.sys", clock=_now)
    vpcp.submit(document(recipients=(H41,)), approve_as="Văn thư A")
    vpcp.process_outbox()
    with console(vpcp) as (http, _csrf):
        page = http.get("/reports", headers=HTML)
        assert page.status_code == 200, page.text[:300]
        assert "Báo cáo ngày" in page.text and "Gửi lỗi" in page.text
        data = vpcp.report_summary(date.fromisoformat(_today(vpcp)))  # the report in progress
        assert data["agency"]["code"] == G22 and data["counts"]["sent"] == 1
        day = _today(vpcp)
        assert f'href="/reports/{day}/pdf"' in page.text
        pdf = http.get(f"/reports/{day}/pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        assert pdf.headers["content-disposition"].startswith("attachment;")
        as_json = http.get(f"/reports/{day}/json").json()
        assert as_json["kind"] == "daily-report" and as_json["agency"]["code"] == G22
        english = http.get(f"/reports/{day}/html?lang=en")
        assert english.status_code == 200 and "<html" in english.text.lower()
        wrong = http.get(f"/reports/{day}/docx", headers={"Accept": "application/json"})
        assert wrong.status_code == 400 and wrong.json()["code"] == "GATEWAY.BAD_REQUEST"
    events = [e for e in vpcp.history() if e["action"] == "report.download"]
    assert {e["actor"] for e in events} == {"user:vanthu"} and len(events) == 3


def test_over_the_sdk_protocol_the_page_says_why_there_is_no_report(make_gateway: Make) -> None:
    nghean = make_gateway(H41, "nghean.sys", protocol="sdk", clock=_now)
    with console(nghean) as (http, _csrf):
        page = http.get("/reports", headers=HTML)
        assert page.status_code == 200
        assert "GATEWAY.REPORTS_UNAVAILABLE" in page.text and "thư điện tử hằng ngày" in page.text
        file = http.get(f"/reports/{_today(nghean)}/pdf", headers={"Accept": "application/json"})
        assert file.status_code == 409
        assert file.headers["content-type"].startswith("application/problem+json")
        assert file.json()["code"] == "GATEWAY.REPORTS_UNAVAILABLE"


def test_with_the_hub_away_the_page_still_opens_and_says_so(make_gateway: Make) -> None:
    vpcp = make_gateway(G22, "vpcp.sys", clock=_now)
    from lienthong.client.jsonapi import HubClient

    vpcp.contact.inner = HubClient("http://127.0.0.1:9", "token", timeout=2)  # nothing listens on port 9
    with console(vpcp) as (http, _csrf):
        page = http.get("/reports", headers=HTML)
        assert page.status_code == 200 and "GATEWAY.HUB_UNAVAILABLE" in page.text
        file = http.get(f"/reports/{_today(vpcp)}/html", headers={"Accept": "application/json"})
        assert file.status_code == 503 and file.json()["code"] == "GATEWAY.HUB_UNAVAILABLE"
