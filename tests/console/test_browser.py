"""The console in headless Chromium (Debian's, driven by Playwright): journeys, axe-core, screenshots.

Set LIENTHONG_SCREENSHOTS to a folder (docs/screenshots) to write a screenshot of each main page there.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect, sync_playwright

from lienthong.api.app import create_app
from lienthong.hub.service import Hub
from tests.console.seed import PASSWORD
from tests.hub.conftest import Server

MAIN_PAGES = ["/login", "/", "/agencies?q=L%C3%A0o+Cai", "/agencies/000.00.00.H51", "/traffic", "/warnings",
              "/reports", "/refusals", "/audit", "/health", "/people",
              "/agencies/000.00.00.H51/report"]  # fmt: skip


def chromium_path() -> str:
    found = (
        os.environ.get("LIENTHONG_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if not found:
        pytest.fail("Debian's chromium is not installed (.ci/run installs it: apt-get install chromium)")
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def base_url(seeded: Hub) -> Iterator[str]:
    with Server(create_app(seeded)) as server:
        yield server.url


def signed_in(browser: Browser, base_url: str, username: str, width: int = 1280) -> Page:
    page = browser.new_page(base_url=base_url, viewport={"width": width, "height": 900}, locale="vi-VN")
    page.goto("/login")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()
    return page


def test_signed_out_browser_is_sent_to_login_and_back(browser: Browser, base_url: str) -> None:
    page = browser.new_page(base_url=base_url)
    page.goto("/agencies/000.00.00.H41")
    expect(page).to_have_url(re.compile(r"/login\?next=/agencies/000\.00\.00\.H41$"))
    page.get_by_label("Tên đăng nhập").fill("ops")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/agencies/000\.00\.00\.H41$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("UBND tỉnh Nghệ An")
    page.get_by_role("button", name="Đăng xuất").click()
    expect(page).to_have_url(re.compile(r"/login\?bye=1$"))
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))
    page.close()


def test_operator_finds_an_agency_among_thousands_and_opens_its_daily_report(
    browser: Browser, base_url: str
) -> None:
    page = signed_in(browser, base_url, "ops")
    page.get_by_role("navigation", name="Danh mục chính").get_by_role("link", name="Danh bạ").click()
    expect(page.get_by_role("status")).to_contain_text(re.compile(r"Tìm thấy 3\.\d{3} cơ quan"))
    page.get_by_label("Mã định danh hoặc tên cơ quan").fill("Sở Tư pháp tỉnh Lào Cai")
    page.get_by_role("button", name="Tìm kiếm").click()
    expect(page.get_by_role("status")).to_have_text("Tìm thấy 1 cơ quan")
    page.get_by_role("link", name="000.00.06.H51").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Sở Tư pháp tỉnh Lào Cai")
    page.get_by_role("link", name="Xem báo cáo ngày").click()
    expect(page).to_have_url(re.compile(r"/agencies/000\.00\.06\.H51/report$"))
    expect(page.locator("body")).to_contain_text("Sở Tư pháp tỉnh Lào Cai")
    expect(page.locator("body")).to_contain_text("000.00.06.H51")
    page.close()


def test_province_operator_cannot_open_another_province(browser: Browser, base_url: str) -> None:
    page = signed_in(browser, base_url, "nghean")
    response = page.goto("/agencies/000.00.00.H14")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Không tìm thấy trang")
    response = page.goto("/agencies/000.00.00.H41")
    assert response is not None and response.status == 200
    page.goto("/agencies?q=UBND")
    expect(page.locator("tbody tr")).to_have_count(1)  # its own body only, not the other 42 provinces
    page.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_main_pages_have_no_serious_accessibility_violation(
    browser: Browser, base_url: str, width: int
) -> None:
    page = signed_in(browser, base_url, "ops", width)
    axe = Axe()
    for path in MAIN_PAGES:
        if path == "/login":
            fresh = browser.new_page(base_url=base_url, viewport={"width": width, "height": 900})
            fresh.goto(path)
            results = axe.run(fresh)
            fresh.close()
        else:
            page.goto(path)
            results = axe.run(page)
        bad = [
            (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert not bad, (path, bad)
        # Every page fits a phone's width: only tables scroll sideways.
        if path != "/login":
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, (path, overflow)
    page.close()


@pytest.mark.skipif(
    not os.environ.get("LIENTHONG_SCREENSHOTS"), reason="set LIENTHONG_SCREENSHOTS=docs/screenshots"
)
def test_screenshots(browser: Browser, base_url: str) -> None:
    folder = Path(os.environ["LIENTHONG_SCREENSHOTS"])
    folder.mkdir(parents=True, exist_ok=True)
    login = browser.new_page(base_url=base_url, viewport={"width": 1280, "height": 720})
    login.goto("/login")
    login.screenshot(path=str(folder / "login.png"))
    login.close()
    page = signed_in(browser, base_url, "ops")
    shots = {"overview": "/", "directory": "/agencies?q=L%C3%A0o+Cai", "agency": "/agencies/000.00.00.H41",
             "traffic": "/traffic", "warnings": "/warnings", "report": "/agencies/000.00.00.H41/report",
             "refusals": "/refusals", "audit": "/audit", "health": "/health", "people": "/people",
             "docs": "/docs"}  # fmt: skip
    for name, path in shots.items():
        page.goto(path)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(folder / f"{name}.png"), full_page=name not in ("traffic", "audit", "docs"))
    page.close()
    phone = signed_in(browser, base_url, "nghean", width=390)
    phone.goto("/agencies/000.00.00.H41")
    phone.screenshot(path=str(folder / "phone-agency.png"), full_page=True)
    phone.close()
