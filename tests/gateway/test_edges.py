"""The gateway's edges as a clerk and a document system meet them: the CLI and the HTTP interface."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from lienthong.api.gateway_app import create_app
from lienthong.cli.main import app as cli
from lienthong.gateway.service import Gateway
from lienthong.hub.service import Hub
from tests.gateway.conftest import api_token, exchange
from tests.gateway.fakehub import FakeHub
from tests.hub.conftest import PDF, Server, document

G22, H41 = "000.00.00.G22", "000.00.00.H41"
DOCID = "000.00.00.G22,2026/11/20,807/VPCP-KSTT"


def _config(g: Gateway, folder: Path, hub_url: str = "http://127.0.0.1:9", token: str = "x") -> Path:
    """A TOML file for the CLI, on the same database and folder as ``g``."""
    path = folder / f"{g.config.agency_code}.toml"
    token_line = f'token = "{token}"\n' if token else ""
    path.write_text(
        f'agency_code = "{g.config.agency_code}"\nagency_name = "{g.config.agency_name}"\n'
        f'data_dir = "{g.config.data_dir}"\ndatabase = "{g.config.database_url}"\npreflight = false\n'
        f'[hub]\nurl = "{hub_url}"\n{token_line}',
        encoding="utf-8",
    )
    return path


@pytest.fixture
def arrived(local_gateway: Callable[..., Gateway], tmp_path: Path) -> tuple[Gateway, Gateway, int, Path]:
    vpcp, nghean = local_gateway(G22), local_gateway(H41)
    vpcp.submit(document(recipients=(H41,), document_id=DOCID), approve_as="Văn thư A")
    exchange((vpcp, nghean))
    [incoming] = nghean.inbox(state="arrived")
    return vpcp, nghean, int(incoming["id"]), _config(nghean, tmp_path)


def _run(*args: str) -> Any:
    return CliRunner().invoke(cli, ["gateway", *args], env=dict(os.environ))


# --- observation 1: a clerk answers a document from the CLI ------------------------------------------------


def test_gateway_act_answers_a_document_and_refuses_a_wrong_move(
    arrived: tuple[Gateway, Gateway, int, Path],
) -> None:
    _, _, incoming, config = arrived
    done = _run("act", str(incoming), "accept", "--clerk", "Văn thư B", "--config", str(config))
    assert done.exit_code == 0, done.output
    assert "Đã tiếp nhận" in done.output
    again = _run("act", str(incoming), "accept", "--clerk", "Văn thư B", "--config", str(config), "--json")
    assert again.exit_code == 1
    assert "GATEWAY.INVALID_TRANSITION" in again.output and "Đã tiếp nhận" in again.output
    assert "Traceback" not in again.output
    as_json = _run("act", str(incoming), "assign", "--clerk", "B", "--config", str(config), "--json")
    assert json.loads(as_json.output) == {"id": incoming, "state": "assigned", "label_vi": "Đã phân công"}
    missing = _run("act", "999", "accept", "--clerk", "B", "--config", str(config))
    assert missing.exit_code == 1 and "GATEWAY.NOT_FOUND" in missing.output


# --- observation 9: a received document can be read and downloaded; lists search and page ------------------


def test_show_and_fetch_write_the_package_and_its_attachments(
    arrived: tuple[Gateway, Gateway, int, Path], tmp_path: Path
) -> None:
    _, _, incoming, config = arrived
    shown = _run("show", str(incoming), "--config", str(config))
    assert shown.exit_code == 0, shown.output
    assert "807/VPCP-KSTT" in shown.output and "Văn phòng Chính phủ (000.00.00.G22)" in shown.output
    assert "Đã đến - chờ tiếp nhận" in shown.output and "807.pdf" in shown.output
    data = json.loads(_run("show", str(incoming), "--config", str(config), "--json").output)
    assert data["attachments"][0]["file_name"] == "807.pdf" and data["actions"] == [
        "accept",
        "return",
        "assign",
    ]
    assert [h["status"] for h in data["history"]] == ["01"]
    out = tmp_path / "tai-ve"
    fetched = _run("fetch", str(incoming), "--out", str(out), "--config", str(config), "--json")
    assert fetched.exit_code == 0, fetched.output
    files = {Path(f["path"]).name: f for f in json.loads(fetched.output)}
    assert set(files) == {"807-VPCP-KSTT.edxml", "01-807.pdf"}
    assert (out / "01-807.pdf").read_bytes() == PDF


def test_registers_search_filter_and_page(arrived: tuple[Gateway, Gateway, int, Path]) -> None:
    vpcp, _, _, _ = arrived
    for n in range(3):
        vpcp.submit(document(recipients=(H41,), number=str(900 + n), subject=f"Báo cáo số {n}"))
    page = vpcp.outbox_page(search="Báo cáo", page=1, size=2).to_dict()
    assert page["total"] == 3 and len(page["items"]) == 2 and page["page"] == 1
    assert len(vpcp.outbox_page(search="Báo cáo", page=2, size=2).items) == 1
    assert vpcp.outbox_page(state="sent").total == 1
    config = _config(vpcp, Path(vpcp.config.data_dir))
    listed = json.loads(_run("outbox", "--search", "901", "--config", str(config), "--json").output)
    assert [o["notation"] for o in listed["items"]] == ["901/VPCP-KSTT"]
    shown = _run("outbox", "--state", "checked", "--config", str(config))
    assert shown.exit_code == 0 and "Chưa gửi" in shown.output


# --- observations 8 and 9 over HTTP: problem+json, never a 500 ------------------------------------------


def test_http_errors_are_problems_and_documents_download(arrived: tuple[Gateway, Gateway, int, Path]) -> None:
    vpcp, nghean, incoming, _ = arrived
    auth = {"Authorization": f"Bearer {api_token(nghean)}"}
    with (
        Server(create_app(nghean, run_loops=False)) as server,
        httpx.Client(base_url=server.url, headers=auth) as http,
    ):
        unknown = http.post("/incoming/99/act", json={"action": "accept", "clerk": "B"})
        assert unknown.status_code == 404
        assert unknown.headers["content-type"] == "application/problem+json"
        assert unknown.json()["code"] == "GATEWAY.NOT_FOUND" and unknown.json()["detail_vi"]
        assert (
            http.post(f"/incoming/{incoming}/act", json={"action": "accept", "clerk": "B"}).status_code == 200
        )
        refused = http.post(f"/incoming/{incoming}/act", json={"action": "accept", "clerk": "B"})
        assert refused.status_code == 409 and refused.json()["code"] == "GATEWAY.INVALID_TRANSITION"
        bad = http.post(f"/incoming/{incoming}/act", json={"clerk": "B"})
        assert bad.status_code == 422 and bad.json()["code"] == "GATEWAY.BAD_REQUEST"
        shown = http.get(f"/incoming/{incoming}").json()
        assert shown["state"] == "accepted" and shown["attachments"][0]["name"] == "807.pdf"
        package = http.get(f"/incoming/{incoming}/package")
        assert package.status_code == 200 and b"807" in package.content
        pdf = http.get(f"/incoming/{incoming}/attachments/1")
        assert pdf.content == PDF and pdf.headers["content-type"] == "application/pdf"
        assert "807.pdf" in pdf.headers["content-disposition"]
        assert http.get(f"/incoming/{incoming}/attachments/7").json()["code"] == "GATEWAY.NO_ATTACHMENT"
        assert http.get("/incoming/abc").status_code == 422
        listed = http.get("/incoming", params={"state": "accepted", "search": "807", "page": 1}).json()
        assert listed["total"] == 1 and listed["items"][0]["id"] == incoming
        assert http.post("/outgoing/nope/resend", json={"clerk": "B"}).status_code == 404
    sender_auth = {"Authorization": f"Bearer {api_token(vpcp)}"}
    with (
        Server(create_app(vpcp, run_loops=False)) as server,
        httpx.Client(base_url=server.url, headers=sender_auth) as http,
    ):
        sent = vpcp.outbox(state="sent")[0]["local_id"]
        not_failed = http.post(f"/outgoing/{sent}/resend", json={"clerk": "A"})
        assert not_failed.status_code == 409 and not_failed.json()["code"] == "GATEWAY.NOT_RESENDABLE"


# --- observation 7: health says NOT READY, with the reason, when the hub is away or refuses us ---


def test_health_fails_with_the_reason_when_the_hub_is_unreachable(
    arrived: tuple[Gateway, Gateway, int, Path],
) -> None:
    _, _, _, config = arrived  # its hub URL points where nothing listens
    result = _run("health", "--config", str(config), "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["readiness"]["checks"]["hub"]["reason"] == "GATEWAY.HUB_UNAVAILABLE"


def test_health_fails_when_the_credentials_are_refused_or_missing(
    live_hub: tuple[Hub, Server], local_gateway: Callable[..., Gateway], tmp_path: Path
) -> None:
    _, server = live_hub
    g = local_gateway(G22)
    wrong = _run("health", "--config", str(_config(g, tmp_path, server.url, "not-a-token")), "--json")
    assert wrong.exit_code == 1
    assert (
        json.loads(wrong.output)["readiness"]["checks"]["hub"]["reason"] == "GATEWAY.HUB_CREDENTIALS_REFUSED"
    )
    missing = _run("health", "--config", str(_config(g, tmp_path, server.url, "")))
    assert missing.exit_code == 1
    assert "Illegal header" not in missing.output and "NO_CREDENTIALS" in missing.output
    # The HTTP readiness says the same, 503 with the reason.
    with Server(create_app(g, run_loops=False)) as gw, httpx.Client(base_url=gw.url) as http:
        g.contact.inner = __import__("lienthong.client.jsonapi", fromlist=["HubClient"]).HubClient(
            server.url, "not-a-token"
        )
        with pytest.raises(Exception):  # noqa: B017 - any refusal
            g.port.inbox()
        ready = http.get("/health/ready")
        assert ready.status_code == 503
        assert ready.json()["checks"]["hub"]["reason"] == "GATEWAY.HUB_CREDENTIALS_REFUSED"


# --- observation 2: a Gửi lỗi document goes back into the queue from the CLI ------------------------------


def test_gateway_resend_puts_a_send_error_back_and_refuses_anything_else(
    local_gateway: Callable[..., Gateway], fake_hub: FakeHub, tmp_path: Path
) -> None:
    vpcp = local_gateway(G22, max_attempts=60)  # an older configuration's setting is still read
    fake_hub.refuse_next.append(("HUB.SIGNATURE_INVALID", "chữ ký không hợp lệ"))
    out = vpcp.submit(document(recipients=(H41,)), approve_as="Văn thư A")
    vpcp.process_outbox()
    config = _config(vpcp, tmp_path)
    listed = _run("outbox", "--state", "send_error", "--config", str(config))
    assert "Gửi lỗi" in listed.output and "HUB.SIGNATURE_INVALID" in listed.output
    done = _run("resend", out.local_id, "--clerk", "Văn thư A", "--config", str(config), "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.output) == {"local_id": out.local_id, "state": "queued"}
    again = _run("resend", out.local_id, "--clerk", "Văn thư A", "--config", str(config))
    assert again.exit_code == 1 and "GATEWAY.NOT_RESENDABLE" in again.output
    vpcp.clock.now = datetime.now(UTC) + timedelta(minutes=1)  # type: ignore[attr-defined]  # the CLI's time
    vpcp.process_outbox()  # the same bytes, accepted this time
    assert vpcp.outbox()[0]["state"] == "sent" and len(fake_hub.accepted()) == 1
