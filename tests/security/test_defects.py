"""The ten defects of issue 12, each reproduced against a live hub (each failed before its fix)."""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import stat
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from lienthong.hub import problems as HP
from lienthong.hub import registration
from lienthong.hub.config import HubConfig
from lienthong.hub.intake import Refused
from lienthong.hub.service import Hub, HubError
from lienthong.store.blobs import FileBlobStore
from lienthong.store.tables import AuditEntry
from tests.hub.conftest import document, send, system
from tests.security.conftest import (
    OPS_TOKEN,
    HubServer,
    raw_exchange,
    sdk_headers,
    sdk_post,
    staging_files,
    token,
)

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _grant(hub: Hub, system_id: str, **grants: bool) -> None:
    with hub.write() as s:
        registration.set_grants(s, system_id, NOW, **grants)
    hub.forget_cached()


def _register(http: httpx.Client, system_id: str, code: str, parent: str) -> dict[str, object]:
    body = json.dumps({"code": code, "pcode": parent, "name": "Đơn vị", "mail": "x@example.test"}).encode()
    return sdk_post(http, "registerAgency", system_id, body)


def _codes(hub: Hub) -> set[str]:
    from lienthong.hub import directory

    with hub.read() as s:
        return {a.code for a in directory.list_agencies(s)}


def test_1_no_system_makes_itself_the_operator(live: tuple[Hub, HubServer, httpx.Client]) -> None:
    hub, _, http = live
    refused = _register(http, "nghean.sys", "000.00.00.W00", "000.00.00.H41")
    assert refused["status"] == "FAIL" and "HUB.REGISTER_NOT_ALLOWED" in str(refused["ErrorDesc"])
    _grant(hub, "nghean.sys", can_register=True)  # even a system allowed to register
    reserved = _register(http, "nghean.sys", "000.00.00.W00", "000.00.00.H41")
    assert "HUB.CODE_RESERVED" in str(reserved["ErrorDesc"]) and reserved["data"] == ""
    assert "HUB.CODE_RESERVED" in str(_register(http, "nghean.sys", "000.00.01.W00", "000.00.00.H41"))
    assert "000.00.00.W00" not in _codes(hub)
    # Acting for the hub's own code gives nothing: the operator is a role the administrator grants.
    from lienthong.hub import directory

    with hub.write() as s:
        directory.add_agency(s, directory.AgencyInput(hub.config.hub_code, "Trục"), NOW)
        directory.add_system(s, hub.keys, "console.sys", [hub.config.hub_code], NOW, secret="x")
    console = token(hub, "console.sys")
    assert http.get("/api/v1/reports/national", headers=console).status_code == 403
    _grant(hub, "console.sys", operator=True)
    assert http.get("/api/v1/reports/national", headers=console).status_code == 200
    assert http.get("/api/v1/reports/national", headers=token(hub, "nghean.sys")).status_code == 403


def test_2_registration_only_under_the_callers_level1_body(live: tuple[Hub, HubServer, httpx.Client]) -> None:
    hub, _, http = live
    _grant(hub, "nghean.sys", can_register=True)
    outside = _register(http, "nghean.sys", "000.00.12.G22", "000.00.00.H41")
    assert "HUB.CODE_OUTSIDE_BODY" in str(outside["ErrorDesc"])
    level1 = _register(http, "nghean.sys", "000.00.00.H99", "000.00.00.H41")
    assert "HUB.CODE_OUTSIDE_BODY" in str(level1["ErrorDesc"])
    assert {"000.00.12.G22", "000.00.00.H99"}.isdisjoint(_codes(hub))
    with pytest.raises(Refused) as caught:
        send(hub, "nghean.sys", document(sender="000.00.12.G22", recipients=("000.00.00.H14",)))
    assert caught.value.problem.code == HP.SENDER_NOT_ALLOWED.code
    own = _register(http, "nghean.sys", "000.00.12.H41", "000.00.00.H41")
    assert own["status"] == "OK"
    accepted = send(hub, "nghean.sys", document(sender="000.00.12.H41", recipients=("000.00.00.H14",)))
    assert accepted.sender == "000.00.12.H41"
    # Removing: only its own units, never a level-1 body.
    assert sdk_post(http, "deleteAgency", "nghean.sys", agencycode="000.00.00.H41")["status"] == "FAIL"
    assert sdk_post(http, "deleteAgency", "nghean.sys", agencycode="000.00.12.H41")["status"] == "OK"


def test_3_a_non_ascii_hash_header_is_a_fail_answer(live: tuple[Hub, HubServer, httpx.Client]) -> None:
    _, server, _ = live
    sign = sdk_headers("vpcp.sys")["XroadVnpt-sign-header"]
    request = (
        b"POST /getReceivedEdocList HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
        b"XroadVnpt-systemid: vpcp.sys\r\nXroadVnpt-sign-header: " + sign.encode() + b"\r\n"
        b"XroadVnpt-hash-header: \xe9\xe9\xe9\r\nConnection: close\r\n\r\n{}"
    )
    answer = raw_exchange(server.port, request)
    assert answer.startswith(b"HTTP/1.1 200")
    data = json.loads(answer.split(b"\r\n\r\n", 1)[1])
    assert data["status"] == "FAIL" and data["ErrorCode"] == "15" and data["data"] == ""
    assert server.alive()


def test_4_huge_integers_are_refused_not_overflowed(live: tuple[Hub, HubServer, httpx.Client]) -> None:
    hub, _, http = live
    huge = "9" * 20
    for operation, param in (("getSynchronizeUnit", "version"), ("getAgenciesListQD20", "level")):
        data = sdk_post(http, operation, "vpcp.sys", b"{}", **{param: huge})
        assert data["status"] == "FAIL" and "HUB.BAD_REQUEST" in str(data["ErrorDesc"]), data
    vpcp = token(hub, "vpcp.sys")
    for path, params in (("/api/v1/agencies", {"since_version": huge}), ("/api/v1/inbox", {"offset": huge})):
        answer = http.get(path, params=params, headers=vpcp)
        assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["code"] == "HUB.BAD_REQUEST"


def _wait_empty(hub: Hub, seconds: float = 10) -> list[Path]:
    deadline = time.monotonic() + seconds
    while staging_files(hub) and time.monotonic() < deadline:
        time.sleep(0.1)
    return staging_files(hub)


def test_5_staging_files_are_cleaned_on_disconnect_and_at_startup(
    live: tuple[Hub, HubServer, httpx.Client],
) -> None:
    hub, server, _ = live
    bearer = token(hub, "vpcp.sys")["Authorization"]
    sdk = "".join(f"{k}: {v}\r\n" for k, v in sdk_headers("vpcp.sys").items())
    for head in (
        f"POST /api/v1/packages HTTP/1.1\r\nHost: x\r\nAuthorization: {bearer}\r\n",
        f"POST /sendEdoc HTTP/1.1\r\nHost: x\r\n{sdk}",
    ):
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            sock.sendall(f"{head}Content-Length: 1000000\r\n\r\n".encode() + b"<" * 200_000)
            time.sleep(0.5)  # the hub is streaming the body into a staging file now
        assert _wait_empty(hub) == [], head
    assert server.alive()
    # A process killed mid-upload leaves a file nobody holds: the next start removes it; a live one stays.
    orphan = hub.blobs.tmp / "upload-killed"
    orphan.write_bytes(b"partial")
    fd, held = hub.blobs.new_staging()
    try:
        FileBlobStore(hub.config.blob_dir)
        assert not orphan.exists() and held.exists()
    finally:
        os.close(fd)
        held.unlink()


def test_6_an_acks_reason_is_bounded(live: tuple[Hub, HubServer, httpx.Client]) -> None:
    hub, _, http = live
    send(hub, "vpcp.sys", document(recipients=("000.00.00.H41",)))
    nghean = token(hub, "nghean.sys")
    delivery = http.get("/api/v1/inbox", headers=nghean).json()["items"][0]["delivery_id"]
    big = http.post(
        f"/api/v1/inbox/{delivery}/ack", json={"status": "fail", "reason": "x" * (4 << 20)}, headers=nghean
    )
    assert big.status_code == 422 and big.json()["code"] == "HUB.BAD_REQUEST"
    with pytest.raises(HubError) as caught:
        hub.ack(system(hub, "nghean.sys"), delivery, "fail", "x" * 5000)
    assert caught.value.problem.code == HP.BAD_REQUEST.code
    with hub.read() as s:
        assert max(len(e.details) for e in s.query(AuditEntry)) < 10_000


def test_7_only_the_original_sender_revokes(live: tuple[Hub, HubServer, httpx.Client]) -> None:
    hub, _, _ = live
    docid = "000.00.00.G22,2026/11/20,807/VPCP-KSTT"
    send(hub, "vpcp.sys", document(document_id=docid, recipients=("000.00.00.H41",)))
    forged = document(
        sender="000.00.00.G17",
        recipients=("000.00.00.H41",),
        number="9",
        notation="BXD-VP",
        business={"bussiness_doc_type": "1", "bussiness_doc_reason": "Thu hồi", "paper": "0"},
        response_for=[{"organ_id": "000.00.00.G22", "code": "807/VPCP-KSTT", "document_id": docid}],
    )
    with pytest.raises(Refused) as caught:
        send(hub, "bxd.sys", forged)
    assert caught.value.problem.code == HP.NOT_ORIGINAL_SENDER.code
    inbox = hub.pending(system(hub, "nghean.sys"))
    assert [(i.sender, i.notation) for i in inbox] == [("000.00.00.G22", "807/VPCP-KSTT")]


def test_8_huge_headers_get_431_and_a_nul_gets_json(live: tuple[Hub, HubServer, httpx.Client]) -> None:
    _, server, _ = live
    for path, kind in ((b"/api/v1/inbox", b"application/problem+json"), (b"/getEdoc", b"application/json")):
        huge = b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (1 << 20) + b"\r\n\r\n"
        answer = raw_exchange(server.port, huge)
        assert answer.startswith(b"HTTP/1.1 431"), answer[:100]
        assert b"content-type: " + kind in answer.lower()
        assert b"HUB.HEADERS_TOO_LARGE" in answer
    nul = b"GET /api/v1/inbox HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\x00b\r\n\r\n"
    answer = raw_exchange(server.port, nul)
    assert answer.startswith(b"HTTP/1.1 400")
    body = json.loads(answer.split(b"\r\n\r\n", 1)[1])
    assert body["code"] == "HUB.BAD_REQUEST" and body["status"] == 400
    assert server.alive()


def test_9_private_files_and_gated_operations(tmp_path: Path, db_url: str) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    sqlite = db_url if not db_url.startswith("sqlite") else f"sqlite:///{data / 'hub.sqlite3'}"
    hub = Hub(HubConfig(data_dir=data, db_url=sqlite))
    try:
        from lienthong.hub import directory
        from tests.hub.conftest import AGENCIES

        with hub.write() as s:
            for code, name in AGENCIES.items():
                directory.add_agency(s, directory.AgencyInput(code, name), NOW)
            directory.add_system(s, hub.keys, "vpcp.sys", ["000.00.00.G22"], NOW, secret="s")
        send(hub, "vpcp.sys", document())
        assert stat.S_IMODE(data.stat().st_mode) == 0o700
        for path in data.rglob("*"):
            mode = stat.S_IMODE(path.stat().st_mode)
            assert mode & 0o077 == 0, f"{path} is {oct(mode)}"
        with HubServer(hub) as server, httpx.Client(base_url=server.url) as http:
            for route in ("/metrics", "/openapi.json", "/docs"):
                assert http.get(route).status_code == 404
        hub.config = dataclasses.replace(hub.config, ops_token=OPS_TOKEN)
        with HubServer(hub) as server, httpx.Client(base_url=server.url) as http:
            assert http.get("/metrics").status_code == 404
            assert http.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
            ops = {"Authorization": f"Bearer {OPS_TOKEN}"}
            assert http.get("/metrics", headers=ops).status_code == 200
            assert http.get("/openapi.json", headers=ops).json()["info"]["title"] == "Lienthong hub"
    finally:
        hub.close()


def test_10_fetch_and_ack_semantics_are_written_down(live: tuple[Hub, HubServer, httpx.Client]) -> None:
    hub, _, http = live
    send(hub, "vpcp.sys", document(recipients=("000.00.00.H41",)))
    nghean = token(hub, "nghean.sys")
    delivery = http.get("/api/v1/inbox", headers=nghean).json()["items"][0]["delivery_id"]
    first = http.get(f"/api/v1/inbox/{delivery}/content", headers=nghean).content
    # The ack is lost (a crash): the same delivery, same id, same bytes, is offered again.
    assert [i["delivery_id"] for i in http.get("/api/v1/inbox", headers=nghean).json()["items"]] == [delivery]
    assert http.get(f"/api/v1/inbox/{delivery}/content", headers=nghean).content == first
    for _ in range(2):  # an ack repeated after a timeout is harmless
        ack = http.post(f"/api/v1/inbox/{delivery}/ack", json={"status": "done"}, headers=nghean)
        assert ack.json()["state"] == "done"
    assert http.get("/api/v1/inbox", headers=nghean).json()["items"] == []
    text = (ROOT / "docs" / "hub.md").read_text(encoding="utf-8")
    assert "## Fetch and acknowledge: exactly once" in text and "delivery_id" in text
