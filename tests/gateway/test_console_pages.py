"""The agency console's forms over HTTP: upload, resend a Gửi lỗi document, return with a reason, a recall."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import pytest

from lienthong.api.gateway_app import create_app
from lienthong.gateway.service import Gateway
from tests.gateway.conftest import Clock, exchange, person
from tests.gateway.fakehub import FakeHub
from tests.hub.conftest import Server, document

G22, H41 = "000.00.00.G22", "000.00.00.H41"
HTML = {"Accept": "text/html"}
Make = Callable[..., Gateway]


@contextmanager
def console(
    gateway: Gateway, username: str = "vanthu", role: str = "clerk"
) -> Iterator[tuple[httpx.Client, str]]:
    """A signed-in browser-like client of ``gateway``'s console, and its CSRF token."""
    person(gateway, username, role)
    with Server(create_app(gateway, run_loops=False)) as server, httpx.Client(base_url=server.url) as http:
        page = http.get("/login")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert token is not None
        form = {"username": username, "password": "mat-khau-dai-1", "csrf": token.group(1)}
        assert http.post("/login", data=form).status_code == 303
        csrf = re.search(r'name="csrf" value="([^"]+)"', http.get("/", headers=HTML).text)
        assert csrf is not None
        yield http, csrf.group(1)


@pytest.fixture(autouse=True)
def _plain_http(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIENTHONG_INSECURE_COOKIES", "1")  # httpx keeps a Secure cookie only over https


def test_upload_a_ready_package_then_resend_after_a_send_error(
    local_gateway: Make, fake_hub: FakeHub
) -> None:
    vpcp = local_gateway(G22, Clock())
    local_gateway(H41, Clock())
    with console(vpcp, "lanhdao", "leader") as (http, csrf):
        package = document(recipients=(H41,))
        answer = http.post("/compose/upload", data={"csrf": csrf}, files={"package": ("cv.edxml", package)})
        assert answer.status_code == 303
        page_url = answer.headers["location"]
        page = http.get(page_url, headers=HTML)
        assert "Kiểm tra trước khi gửi" in page.text and "Duyệt gửi" in page.text
        assert http.post(f"{page_url}/approve", data={"csrf": csrf, "override": "1"}).status_code == 303
        fake_hub.refuse_next.append(("HUB.DUPLICATE_NOTATION", "Số 807/VPCP-KSTT đã được gửi"))
        vpcp.process_outbox()
        page = http.get(page_url, headers=HTML)
        assert "Gửi lỗi" in page.text and "HUB.DUPLICATE_NOTATION" in page.text and "Gửi lại" in page.text
        assert http.post(f"{page_url}/resend", data={}).status_code == 403  # no CSRF token
        assert http.post(f"{page_url}/resend", data={"csrf": csrf}).status_code == 303
        refused = http.post(f"{page_url}/resend", data={"csrf": csrf})  # now queued: 409, shown as a page
        assert refused.status_code == 409 and "Gửi lại" not in refused.text and "<html" in refused.text
    [row] = vpcp.outbox()
    assert row["state"] == "queued"
    actions = [e["action"] for e in vpcp.history(f"outgoing:{row['local_id']}")]
    assert actions == ["outgoing.resend", "outgoing.approve", "outgoing.submit"]


def test_return_with_a_reason_and_answer_a_recall(local_gateway: Make) -> None:
    clock = Clock()
    vpcp, nghean = local_gateway(G22, clock), local_gateway(H41, clock)
    first = vpcp.submit(document(recipients=(H41,)), approve_as="Văn thư A")
    second = vpcp.submit(document(recipients=(H41,), number="808", subject="Văn bản thứ hai"), approve_as="A")
    exchange((vpcp, nghean))
    ids = {i["notation"]: i["id"] for i in nghean.inbox() if i["kind"] == "edoc"}
    with console(nghean) as (http, csrf):
        returned = f"/inbox/{ids['808/VPCP-KSTT']}"
        assert http.post(f"{returned}/act", data={"csrf": csrf, "action": "return"}).status_code == 422
        done = http.post(f"{returned}/act", data={"csrf": csrf, "action": "return", "reason": "Gửi nhầm"})
        assert done.status_code == 303
        assert "Đã trả lại" in http.get(returned, headers=HTML).text
        vpcp.recall(first.local_id, "Ban hành nhầm", "Văn thư A")
        exchange((vpcp, nghean))
        recalled = f"/inbox/{ids['807/VPCP-KSTT']}"
        page = http.get(recalled, headers=HTML).text
        assert "Bên gửi đề nghị thu hồi" in page and "Đồng ý thu hồi/cập nhật" in page
        assert http.post(f"{recalled}/act", data={"csrf": csrf, "action": "agree"}).status_code == 303
        assert "Đã hủy (thu hồi)" in http.get(recalled, headers=HTML).text
    exchange((vpcp, nghean))
    statuses = {r["recipient"]: r["last_status"] for r in vpcp.track(first.local_id)["recipients"]}
    assert statuses[H41] == "15"
    assert vpcp.track(second.local_id)["recipients"][0]["last_status"] == "02"
