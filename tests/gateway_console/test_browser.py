"""The agency console in headless Chromium: compose → checklist → a leader approves → sent over a real hub;
the recipient accepts, assigns, completes; the sender sees each status and a warning; axe on every page.

Set LIENTHONG_SCREENSHOTS to a folder (docs/screenshots) to write a screenshot of each main page there.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from lienthong.api.app import create_app as hub_app
from lienthong.api.gateway_app import create_app
from lienthong.gateway.config import GatewayConfig, HubLink
from lienthong.gateway.service import Gateway
from lienthong.hub import directory
from tests.console.seed import PASSWORD  # the hub console's helpers sign in with it
from tests.console.test_browser import signed_in as sign_in
from tests.gateway.conftest import person
from tests.hub.conftest import PDF, Server, make_hub

A, B, C = "000.00.00.G22", "000.00.00.H41", "000.00.00.H14"  # C has no gateway: its copy waits


@dataclass
class Country:
    a: Gateway
    b: Gateway
    a_url: str
    b_url: str
    pdf: Path


def _gateway(hub: object, code: str, system: str, tmp: Path, hub_url: str) -> Gateway:
    with hub.write() as s:  # type: ignore[attr-defined]
        token = directory.issue_token(s, system, datetime.now(UTC), f"gateway {code}")
    config = GatewayConfig(
        agency_code=code, agency_name={A: "Văn phòng Chính phủ", B: "UBND tỉnh Nghệ An"}[code],
        data_dir=tmp / code, hub=HubLink(url=hub_url, token=token), wait_seconds=1, tracking_interval=0.5,
        warnings_interval=0.5, not_fetched_hours=0.0005, office_hours_only=False, backoff_seconds=0.2,
    )  # fmt: skip
    gateway = Gateway(config)
    for username, role in (("vanthu", "clerk"), ("lanhdao", "leader")):
        person(gateway, username, role, PASSWORD)
    return gateway


@pytest.fixture(scope="module")
def country(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Country]:
    tmp = tmp_path_factory.mktemp("country")
    hub = make_hub(tmp, f"sqlite:///{tmp / 'hub.sqlite3'}")
    pdf = tmp / "cong-van-15.pdf"
    pdf.write_bytes(PDF)
    with Server(hub_app(hub)) as central:
        a = _gateway(hub, A, "vpcp.sys", tmp, central.url)
        b = _gateway(hub, B, "nghean.sys", tmp, central.url)
        with Server(create_app(a)) as sa, Server(create_app(b)) as sb:
            yield Country(a, b, sa.url, sb.url, pdf)
        a.close()
        b.close()
    hub.close()


def _until(page: Page, text: str | re.Pattern[str], where: str = "main", tries: int = 60) -> None:
    """Reload until ``text`` shows (the gateways work in the background)."""
    for _ in range(tries):
        if (
            re.search(text, page.locator(where).inner_text())
            if isinstance(text, re.Pattern)
            else (text in page.locator(where).inner_text())
        ):
            return
        page.wait_for_timeout(500)
        page.reload()
    expect(page.locator(where)).to_contain_text(text)


def test_a_signed_out_browser_goes_to_login(browser: Browser, country: Country) -> None:
    page = browser.new_page(base_url=country.a_url)
    page.goto("/outbox")
    expect(page).to_have_url(re.compile(r"/login\?next=/outbox$"))
    page.close()


def test_compose_approve_send_answer_and_follow(browser: Browser, country: Country) -> None:
    clerk = sign_in(browser, country.a_url, "vanthu")
    clerk.get_by_role("link", name="Soạn và gửi").click()
    clerk.get_by_label("Loại văn bản").select_option("1")
    clerk.get_by_label("Ký hiệu").fill("VPCP-TH")
    clerk.get_by_label("Trích yếu").fill("V/v báo cáo tình hình gửi, nhận văn bản điện tử")
    clerk.get_by_label("Người ký", exact=True).fill("Trần Văn Sơn")
    clerk.get_by_label("Chức vụ").fill("Chủ nhiệm")
    clerk.get_by_label("Nơi nhận trong danh bạ của Trục").select_option(B)  # the hub's directory
    clerk.get_by_label("Mã định danh nơi nhận (mỗi dòng một mã)").fill(C)  # or a typed code
    clerk.get_by_label("Độ khẩn").select_option("1")
    clerk.get_by_label("Văn bản (PDF)").set_input_files(str(country.pdf))
    clerk.get_by_role("button", name="Tạo gói tin và kiểm tra").click()
    expect(clerk).to_have_url(re.compile(r"/outbox/[\w-]+$"))
    expect(clerk.get_by_role("heading", name="Kiểm tra trước khi gửi")).to_be_visible()
    expect(clerk.locator("main")).to_contain_text("Chỉ lãnh đạo được duyệt gửi.")  # a clerk cannot approve
    outgoing_url = clerk.url
    clerk.close()

    leader = sign_in(browser, country.a_url, "lanhdao")
    leader.goto(outgoing_url)
    override = leader.get_by_label("Duyệt dù còn lỗi")
    if override.count():
        override.check()
    leader.get_by_role("button", name="Duyệt gửi").click()
    _until(leader, "Đã gửi")
    leader.close()

    # The recipient: its clerk accepts, its leader assigns, its clerk completes.
    b_clerk = sign_in(browser, country.b_url, "vanthu")
    _until(b_clerk, "VPCP-TH")
    expect(b_clerk.locator("tr.unread")).to_have_count(1)
    expect(b_clerk.locator("tr.unread")).to_contain_text("Khẩn")  # the urgency the sender chose
    b_clerk.get_by_label("Độ khẩn").select_option("0")
    b_clerk.get_by_role("button", name="Tìm").click()
    expect(b_clerk.get_by_role("status")).to_have_text("Tìm thấy 0 văn bản")
    b_clerk.get_by_label("Độ khẩn").select_option("urgent")
    b_clerk.get_by_label("Nơi gửi").fill("Văn phòng Chính phủ")
    b_clerk.get_by_role("button", name="Tìm").click()
    expect(b_clerk.get_by_role("status")).to_have_text("Tìm thấy 1 văn bản")
    b_clerk.get_by_role("link", name="English").click()
    expect(b_clerk.get_by_role("heading", level=1)).to_have_text("Incoming")
    expect(b_clerk.get_by_role("status")).to_have_text("Found 1 documents")
    b_clerk.get_by_role("link", name="Tiếng Việt").click()
    b_clerk.get_by_role("link", name=re.compile("VPCP-TH")).click()
    document_url = b_clerk.url
    expect(b_clerk.get_by_role("link", name="Xem")).to_be_visible()  # the PDF opens in the browser
    b_clerk.get_by_role("button", name="Tiếp nhận").click()
    expect(b_clerk.locator("main")).to_contain_text("Đã tiếp nhận")
    expect(b_clerk.get_by_role("button", name="Phân công")).to_have_count(0)  # a leader's move
    b_leader = sign_in(browser, country.b_url, "lanhdao")
    b_leader.goto(document_url)
    b_leader.get_by_label("Người được phân công").select_option(label="Người vanthu (clerk)")
    b_leader.get_by_role("button", name="Phân công").click()
    expect(b_leader.locator("main")).to_contain_text("Đã phân công")
    b_leader.close()
    b_clerk.reload()
    b_clerk.get_by_role("button", name="Hoàn thành").click()
    expect(b_clerk.locator("main")).to_contain_text("Đã hoàn thành")
    expect(b_clerk.locator("main")).to_contain_text("user:vanthu")  # the history says who
    b_clerk.close()

    # The sender sees each status arrive, with its time, and the warning for the copy nobody took.
    sender = sign_in(browser, country.a_url, "vanthu")
    sender.goto(outgoing_url)
    _until(sender, re.compile(r"01 \d\d/\d\d/\d{4} \d\d:\d\d; 03 .*; 04 .*; 06 "))
    expect(sender.locator("main")).to_contain_text("Đã hoàn thành")
    expect(sender.locator("main")).to_contain_text(f"UBND tỉnh Nghệ An ({B})")  # named from the directory
    sender.get_by_role("link", name="Cảnh báo").click()
    _until(sender, C)
    expect(sender.get_by_role("heading", name=re.compile(r"Đang mở \([1-9]"))).to_be_visible()
    sender.close()


def test_a_clerk_of_one_agency_cannot_open_anothers_document(browser: Browser, country: Country) -> None:
    documents = [d for d in country.b.inbox_page(size=50).items if d["kind"] == "edoc"]
    assert documents, "runs after the journey, which delivered a document to B"
    doc = documents[0]
    page = sign_in(browser, country.a_url, "vanthu")
    answer = page.goto(f"/inbox/{doc['id']}")
    assert answer is not None and answer.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Không tìm thấy trang")
    page.close()


def _main_pages(country: Country) -> dict[str, str]:
    [doc] = [d for d in country.b.inbox_page(size=50).items if d["kind"] == "edoc"][:1]
    [out] = [o for o in country.a.outbox_page(size=50).items if o["kind"] == "edoc"][:1]
    return {
        "gateway-incoming": f"{country.b_url}/",
        "gateway-document": f"{country.b_url}/inbox/{doc['id']}",
        "gateway-outgoing": f"{country.a_url}/outbox",
        "gateway-sent": f"{country.a_url}/outbox/{out['local_id']}",
        "gateway-compose": f"{country.a_url}/compose",
        "gateway-warnings": f"{country.a_url}/alerts",
        "gateway-health": f"{country.a_url}/system",
    }


@pytest.mark.parametrize("width", [1280, 390])
def test_main_pages_have_no_serious_accessibility_violation(
    browser: Browser, country: Country, width: int
) -> None:
    axe = Axe()
    fresh = browser.new_page(base_url=country.a_url, viewport={"width": width, "height": 900})
    fresh.goto("/login")
    pages = {"gateway-login": fresh}
    a, b = (
        sign_in(browser, country.a_url, "lanhdao", width),
        sign_in(browser, country.b_url, "lanhdao", width),
    )
    for name, url in _main_pages(country).items():
        page = b if url.startswith(country.b_url) else a
        page.goto(url)
        pages[name] = page
        results = axe.run(page)
        bad = [
            (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert not bad, (name, bad)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, (name, overflow)
    assert not [v for v in axe.run(fresh).response["violations"] if v["impact"] in ("serious", "critical")]
    folder = os.environ.get("LIENTHONG_SCREENSHOTS")
    if folder and width == 1280:
        Path(folder).mkdir(parents=True, exist_ok=True)
        fresh.screenshot(path=str(Path(folder) / "gateway-login.png"))
        for name, url in _main_pages(country).items():
            page = b if url.startswith(country.b_url) else a
            page.goto(url)
            page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)
    for page in (fresh, a, b):
        page.close()
