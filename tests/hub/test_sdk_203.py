"""VNPT SDK 2.0.3's differences (issue 16), replayed against a live hub the way that client calls it.

2.0.3 makes every call a POST, reads ``data`` even from a FAIL answer (and crashes on its absence),
and parses each getSentEdocList row like a received-list row (docId, from, to, status…).
"""

from __future__ import annotations

import httpx

from lienthong.hub.service import Hub
from tests.hub.conftest import document
from tests.security.conftest import HubServer, sdk_headers, sdk_post

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
