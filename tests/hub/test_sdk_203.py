"""VNPT SDK 2.0.3's differences (issue 16), replayed against a live hub the way that client calls it.

2.0.3 makes every call a POST, reads ``data`` even from a FAIL answer (and crashes on its absence),
and parses each getSentEdocList row like a received-list row (docId, from, to, status…).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx

from lienthong.hub.service import Hub
from tests.hub.conftest import document, make_hub, status
from tests.security.conftest import HubServer, raw_exchange, sdk_headers, sdk_post

RECEIVED_NAMES = {"docId", "serviceType", "messageType", "created_time", "updated_time", "from", "to"}
RECEIVED_NAMES |= {"status", "status_desc"}
SENT_201_NAMES = {"senderDocId", "receiverDocId", "fromCode", "toCode", "sentTime", "sendStatus"}
SENT_201_NAMES |= {"receiveStatus", "receiveStatusDesc"}


def test_every_fail_answer_carries_data(hub: Hub) -> None:
    with HubServer(hub) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        failures = [
            sdk_post(http, "getEdoc", "nghean.sys", docid="no-such-id"),
            sdk_post(http, "updateStatus", "nghean.sys", docid="no-such-id", status="done"),
            http.post(
                "/getEdoc", content=b"{}", headers=sdk_headers("nghean.sys", "wrong", docid="x")
            ).json(),
            sdk_post(http, "sendEdoc", "vpcp.sys", b"<not-edxml/>"),
            sdk_post(http, "registerAgency", "vpcp.sys", b"[not json"),
            sdk_post(http, "deleteAgency", "vpcp.sys", agencycode="000.00.00.H41"),
            http.post("/getEdoc", content=b"{}").json(),  # no credentials at all
            http.post("/noSuchOperation", content=b"{}").json(),
        ]
    for answer in failures:
        assert answer["status"] == "FAIL" and answer["ErrorCode"] != "0", answer
        assert answer["data"] == "", answer
    assert failures[3]["DocId"] == ""


def test_sent_rows_carry_the_201_and_the_203_names(hub: Hub) -> None:
    with HubServer(hub) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        sent = sdk_post(http, "sendEdoc", "vpcp.sys", document(recipients=("000.00.00.H41",)))
        assert sent["status"] == "OK"
        received = sdk_post(http, "getReceivedEdocList", "nghean.sys", messagetype="edoc")["data"]
        rows = sdk_post(http, "getSentEdocList", "vpcp.sys", docid=sent["DocId"])["data"]
    assert len(rows) == 1
    row = rows[0]
    assert set(row) >= RECEIVED_NAMES | SENT_201_NAMES, set(row)
    assert row["docId"] == row["senderDocId"] == sent["DocId"]
    assert (row["from"], row["to"]) == (row["fromCode"], row["toCode"]) == ("000.00.00.G22", "000.00.00.H41")
    assert row["status"] == row["receiveStatus"] and row["status_desc"] == row["receiveStatusDesc"]
    assert row["serviceType"] == "eDoc" and row["messageType"] == "edoc"
    assert row["created_time"] == row["sentTime"] and row["updated_time"]
    assert set(received[0]) == RECEIVED_NAMES  # a 2.0.3 client parses both lists with one reader


def test_every_call_is_accepted_as_post(hub: Hub) -> None:
    with HubServer(hub) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        data = document(recipients=("000.00.00.H41",))
        assert sdk_post(http, "sendEdoc", "vpcp.sys", data)["status"] == "OK"
        for operation, params in (
            ("getAgenciesList", {}),
            ("getSynchronizeUnit", {"version": "0"}),
            ("getReceivedEdocList", {"messagetype": "edoc"}),
            ("getSentEdocList", {}),
        ):
            assert sdk_post(http, operation, "nghean.sys", **params)["status"] == "OK", operation
        delivery = sdk_post(http, "getReceivedEdocList", "nghean.sys", messagetype="edoc")["data"][0]["docId"]
        assert sdk_post(http, "getEdoc", "nghean.sys", docid=delivery)["status"] == "OK"
        download = http.post(
            "/downloadEdoc", content=b"{}", headers=sdk_headers("nghean.sys", docid=delivery)
        )
        assert download.status_code == 200 and download.content == data
        assert sdk_post(http, "updateStatus", "nghean.sys", docid=delivery, status="done")["status"] == "OK"
        assert sdk_post(http, "getReceivedEdocList", "nghean.sys", messagetype="edoc")["data"] == []


# Every operation of the SDK protocol that answers JSON (downloadEdoc answers a failure with an empty
# body, as the 2.0.1 client saves whatever body it gets as the document; 2.0.3 never calls it).
JSON_OPERATIONS = (
    "sendEdoc",
    "getReceivedEdocList",
    "getSentEdocList",
    "getEdoc",
    "updateStatus",
    "countReceiveEdoc",
    "countReceiveStatus",
    "getAgenciesList",
    "getAgenciesListQD20",
    "getSynchronizeUnit",
    "registerAgency",
    "deleteAgency",
)
# What 2.0.3 never calls: a whole exchange must work without them.
NOT_CALLED_BY_203 = {"countReceiveEdoc", "countReceiveStatus", "downloadEdoc", "downloadEdoc2"}
NOT_CALLED_BY_203 |= {"getAgenciesListQD20"}


def _fail_with_data(answer: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = answer.json()
    assert body["status"] == "FAIL" and body["ErrorCode"] not in ("", "0"), body
    assert body["data"] == "", body
    return body


def test_every_operation_fails_with_data_on_every_kind_of_authentication_failure(hub: Hub) -> None:
    with HubServer(hub) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        for operation in JSON_OPERATIONS:
            tried = [
                http.post(f"/{operation}", content=b"{}"),  # no credentials
                http.post(f"/{operation}", content=b"{}", headers=sdk_headers("nghean.sys", "wrong")),
                http.post(f"/{operation}", content=b"{}", headers=sdk_headers("no.such.sys")),
                http.post(
                    f"/{operation}",
                    content=b"{}",
                    headers={"XroadVnpt-systemid": "nghean.sys", "XroadVnpt-sign-header": "{not json"},
                ),
            ]
            for answer in tried:
                assert _fail_with_data(answer)["ErrorCode"] == "15", (operation, answer.text)
            # A GET where 2.0.3 posts: refused as FAIL JSON too, with its data.
            _fail_with_data(http.get(f"/{operation}"))


def test_header_errors_answer_fail_with_data(hub: Hub) -> None:
    """431 (headers too large) and a NUL in a header are refused by the HTTP layer itself: still the
    SDK's FAIL JSON with ``data`` on the SDK routes."""
    with HubServer(hub) as server:
        for operation in ("getEdoc", "sendEdoc", "getSentEdocList"):
            path = f"/{operation}".encode()
            huge = (
                b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nX-Big: " + b"a" * (1 << 20)
            )
            nul = b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nXroadVnpt-systemid: a\x00b"
            for request, status in ((huge, b"431"), (nul, b"400")):
                answer = raw_exchange(server.port, request + b"\r\n\r\n{}")
                assert answer.startswith(b"HTTP/1.1 " + status), answer[:80]
                body = json.loads(answer.split(b"\r\n\r\n", 1)[1])
                assert body["status"] == "FAIL" and body["data"] == "", body
        assert server.alive()


def test_refusals_of_the_operations_carry_data(tmp_path: Path, db_url: str) -> None:
    hub = make_hub(tmp_path, db_url, max_package_bytes=64 << 10, rate_per_second=0.001, rate_burst=3)
    try:
        with HubServer(hub) as server, httpx.Client(base_url=server.url, timeout=30) as http:
            first = document(recipients=("000.00.00.H41",))
            assert sdk_post(http, "sendEdoc", "vpcp.sys", first)["status"] == "OK"
            same_number = document(recipients=("000.00.00.H41",), subject="Lần hai")
            refusals = [
                http.post("/sendEdoc", content=same_number, headers=sdk_headers("vpcp.sys")),  # DocumentId 24
                http.post(
                    "/sendEdoc", content=b"x" * (128 << 10), headers=sdk_headers("vpcp.sys")
                ),  # too large
            ]
            codes = [_fail_with_data(r)["ErrorCode"] for r in refusals]
            assert codes == ["24", "10"], codes
            # Over the system's rate (a burst of 3): refused with 26, data and all.
            answers = [
                http.post(
                    "/sendEdoc",
                    content=document("000.00.00.G17", number=str(900 + n), notation="BXD-VP"),
                    headers=sdk_headers("bxd.sys"),
                )
                for n in range(5)
            ]
            assert [_fail_with_data(a)["ErrorCode"] for a in answers if a.json()["status"] == "FAIL"] == [
                "26"
            ] * 2
            delivery = sdk_post(http, "getReceivedEdocList", "nghean.sys", messagetype="edoc")["data"][0]
            others = [
                # another system's delivery, an unknown acknowledgement, a level out of range
                http.post(
                    "/getEdoc", content=b"{}", headers=sdk_headers("caobang.sys", docid=delivery["docId"])
                ),
                http.post(
                    "/updateStatus",
                    content=b"{}",
                    headers=sdk_headers("nghean.sys", docid=delivery["docId"], status="no-such-state"),
                ),
                http.post(
                    "/getAgenciesListQD20", content=b"{}", headers=sdk_headers("nghean.sys", level="9")
                ),
            ]
            for answer in others:
                _fail_with_data(answer)
    finally:
        hub.close()


def test_a_whole_exchange_without_the_calls_203_does_not_make(hub: Hub) -> None:
    """Send, list, get, acknowledge, answer with a status and read it back: POSTs only, none of
    countReceive*, downloadEdoc*, getAgenciesListQD20."""
    used: list[str] = []

    def call(http: httpx.Client, operation: str, system_id: str, body: bytes = b"{}", **params: str) -> Any:
        assert operation not in NOT_CALLED_BY_203
        used.append(operation)
        answer = sdk_post(http, operation, system_id, body, **params)
        assert answer["status"] == "OK", (operation, answer)
        return answer

    with HubServer(hub) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        call(http, "getSynchronizeUnit", "nghean.sys", version="0")
        package = document(recipients=("000.00.00.H41",))
        doc_id = call(http, "sendEdoc", "vpcp.sys", package)["DocId"]
        [row] = call(http, "getReceivedEdocList", "nghean.sys", messagetype="edoc")["data"]
        assert row["from"] == "000.00.00.G22" and row["messageType"] == "edoc"
        fetched = call(http, "getEdoc", "nghean.sys", docid=row["docId"])["data"]
        assert base64.b64decode(fetched) == package
        call(http, "updateStatus", "nghean.sys", docid=row["docId"], status="done")
        answer = status("000.00.00.H41", "000.00.00.G22", "000.00.00.G22,2026/11/20,807/VPCP-KSTT", "03")
        call(http, "sendEdoc", "nghean.sys", answer)
        [back] = call(http, "getReceivedEdocList", "vpcp.sys", messagetype="status")["data"]
        assert base64.b64decode(call(http, "getEdoc", "vpcp.sys", docid=back["docId"])["data"]) == answer
        call(http, "updateStatus", "vpcp.sys", docid=back["docId"], status="done")
        [sent] = call(http, "getSentEdocList", "vpcp.sys", docid=doc_id)["data"]
        assert sent["status"] == "03" and sent["to"] == "000.00.00.H41"
        assert call(http, "getReceivedEdocList", "nghean.sys", messagetype="edoc")["data"] == []
    assert set(used).isdisjoint(NOT_CALLED_BY_203)
