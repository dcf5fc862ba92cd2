"""The authorization matrix: every route of the hub × every identity, from one table.

Each row names an operation (method and route), how to attempt it on a shared scenario, and the
identities that must get through; every other identity must be refused in its protocol's shape
(problem+json 401/403/404, or the SDK's FAIL JSON with ``data``) without seeing the object.
A route of the app without a row fails ``test_every_route_has_a_row``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from starlette.routing import Route

from lienthong.api.app import create_app
from lienthong.hub import directory, registration
from lienthong.hub.service import Hub
from tests.hub.conftest import SECRET, document, make_hub, send, status, system
from tests.security.conftest import OPS_TOKEN, HubServer, sdk_headers

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
DOCID = "000.00.00.G22,2026/11/20,807/VPCP-KSTT"
UNIT = "000.00.50.H41"  # a unit the province platform registered


@dataclass(frozen=True)
class Identity:
    name: str
    system_id: str | None  # None: no SDK credentials
    code: str  # the agency it would send as


IDENTITIES = (
    Identity("agency_a", "nghean.sys", "000.00.00.H41"),  # the recipient of the scenario's package
    Identity("agency_b", "caobang.sys", "000.00.00.H14"),  # not a party to it
    Identity("multi", "vpcp.sys", "000.00.00.G22"),  # acts for G22 and a unit: the sender
    Identity("suspended", "bxd.sys", "000.00.00.G17"),  # its agency is suspended
    Identity("operator", "console.sys", "000.00.00.W00"),  # granted the operator's role
    Identity("province_operator", "province.sys", "000.00.00.H41"),  # H41's platform, may register
    Identity("anonymous", None, "000.00.00.G22"),
    Identity("ops", None, "000.00.00.G22"),  # holds only the operations token
)
NAMES = {i.name for i in IDENTITIES}
AUTHENTICATED = NAMES - {"anonymous", "ops"}
SENDERS = AUTHENTICATED - {"suspended"}
RECIPIENT_A = {"agency_a", "province_operator"}


@dataclass
class Scenario:
    hub: Hub
    http: httpx.Client
    doc_id: str  # the package multi sent to agency A
    delivery: str  # agency A's copy of it
    tokens: dict[str, dict[str, str]] = field(default_factory=dict)
    numbers: Iterator[int] = field(default_factory=lambda: itertools.count(100))

    def api(self, who: Identity, method: str, path: str, **kwargs: Any) -> httpx.Response:
        answer = self.http.request(method, path, headers=self.tokens[who.name], **kwargs)
        if answer.status_code >= 400 and answer.status_code != 503:
            assert answer.headers["content-type"] == "application/problem+json", (path, answer.text)
            assert answer.status_code in (401, 403, 404, 409, 422), (path, answer.status_code, answer.text)
        return answer

    def sdk(self, who: Identity, operation: str, body: bytes = b"{}", **params: str) -> dict[str, Any]:
        headers = sdk_headers(who.system_id, SECRET, **params) if who.system_id else {}
        answer = self.http.post(f"/{operation}", content=body, headers=headers)
        data: dict[str, Any] = answer.json()
        assert "data" in data or data["status"] == "OK", data  # 2.0.3 reads data of a FAIL too
        return data

    def package(self, who: Identity) -> bytes:
        to = "000.00.00.G22" if who.code == "000.00.00.H41" else "000.00.00.H41"
        return document(sender=who.code, recipients=(to,), number=str(next(self.numbers)), notation="X")


Attempt = Callable[[Scenario, Identity], bool]
OK = "OK"


def _ok(data: dict[str, Any]) -> bool:
    return bool(data["status"] == OK)


def _public(path: str) -> Attempt:
    return lambda sc, who: sc.api(who, "GET", path).status_code in (200, 503)


def _gated(path: str) -> Attempt:
    return lambda sc, who: sc.http.get(path, headers=sc.tokens[who.name]).status_code == 200


def _reoffer(sc: Scenario, who: Identity) -> bool:
    sc.hub.ack(system(sc.hub, "nghean.sys"), sc.delivery, "fail")
    return sc.api(who, "POST", f"/api/v1/inbox/{sc.delivery}/reoffer").status_code == 200


def _register(sc: Scenario, who: Identity) -> bool:
    root = who.code.rsplit(".", 1)[1]
    code = f"000.00.{next(sc.numbers) % 90 + 10:02d}.{root}"
    body = f'{{"code":"{code}","pcode":"{who.code}","name":"Đơn vị","mail":""}}'.encode()
    return _ok(sc.sdk(who, "registerAgency", body))


def _download(sc: Scenario, who: Identity, method: str) -> bool:
    headers = sdk_headers(who.system_id, SECRET, docid=sc.delivery) if who.system_id else {}
    answer = sc.http.request(method, "/downloadEdoc", headers=headers, content=b"{}")
    return answer.status_code == 200 and len(answer.content) > 0


def _inbox_has(items: list[dict[str, Any]], sc: Scenario, key: str) -> bool:
    return any(i.get(key) == sc.delivery for i in items)


# (method, route) -> (attempt, identities allowed). The one table.
TABLE: dict[tuple[str, str], tuple[Attempt, set[str]]] = {
    ("GET", "/health/live"): (_public("/health/live"), NAMES),
    ("GET", "/health/ready"): (_public("/health/ready"), NAMES),
    ("GET", "/metrics"): (_gated("/metrics"), {"ops"}),
    ("GET", "/openapi.json"): (_gated("/openapi.json"), {"ops"}),
    ("GET", "/docs"): (_gated("/docs"), {"ops"}),
    ("POST", "/api/v1/packages"): (
        lambda sc, who: sc.api(who, "POST", "/api/v1/packages", content=sc.package(who)).status_code == 201,
        SENDERS,
    ),
    ("GET", "/api/v1/packages/sent"): (
        lambda sc, who: bool(
            sc.api(who, "GET", "/api/v1/packages/sent", params={"doc_id": sc.doc_id}).json().get("items")
        ),
        {"multi"},
    ),
    ("GET", "/api/v1/inbox"): (
        lambda sc, who: _inbox_has(
            sc.api(who, "GET", "/api/v1/inbox").json().get("items", []), sc, "delivery_id"
        ),
        RECIPIENT_A,
    ),
    ("GET", "/api/v1/inbox/wait"): (
        lambda sc, who: (
            sc.api(who, "GET", "/api/v1/inbox/wait", params={"timeout": 0}).json().get("pending", 0) > 0
        ),
        RECIPIENT_A | {"multi"},  # multi has agency A's status reply waiting
    ),
    ("GET", "/api/v1/inbox/{delivery_id}/content"): (
        lambda sc, who: sc.api(who, "GET", f"/api/v1/inbox/{sc.delivery}/content").status_code == 200,
        RECIPIENT_A,
    ),
    ("POST", "/api/v1/inbox/{delivery_id}/ack"): (
        lambda sc, who: (
            sc.api(who, "POST", f"/api/v1/inbox/{sc.delivery}/ack", json={"status": "processing"}).status_code
            == 200
        ),
        RECIPIENT_A,
    ),
    ("POST", "/api/v1/inbox/{delivery_id}/reoffer"): (_reoffer, RECIPIENT_A),
    ("GET", "/api/v1/agencies"): (
        lambda sc, who: sc.api(who, "GET", "/api/v1/agencies").status_code == 200,
        AUTHENTICATED,
    ),
    ("GET", "/api/v1/receipt-key"): (_public("/api/v1/receipt-key"), NAMES),
    ("GET", "/api/v1/reports/daily"): (
        lambda sc, who: (
            sc.api(who, "GET", "/api/v1/reports/daily", params={"agency": "000.00.00.H41"}).status_code == 200
        ),
        RECIPIENT_A | {"operator"},
    ),
    ("GET", "/api/v1/reports/national"): (
        lambda sc, who: sc.api(who, "GET", "/api/v1/reports/national").status_code == 200,
        {"operator"},
    ),
    ("GET", "/api/v1/packages/{doc_id}/timeline"): (
        lambda sc, who: sc.api(who, "GET", f"/api/v1/packages/{sc.doc_id}/timeline").status_code == 200,
        {"multi", "operator"} | RECIPIENT_A,
    ),
    ("GET", "/api/v1/packages/{doc_id}/trace.svg"): (
        lambda sc, who: sc.api(who, "GET", f"/api/v1/packages/{sc.doc_id}/trace.svg").status_code == 200,
        {"multi", "operator"} | RECIPIENT_A,
    ),
    ("POST", "/sendEdoc"): (lambda sc, who: _ok(sc.sdk(who, "sendEdoc", sc.package(who))), SENDERS),
    ("POST", "/getReceivedEdocList"): (
        lambda sc, who: _inbox_has(
            sc.sdk(who, "getReceivedEdocList", messagetype="edoc").get("data") or [], sc, "docId"
        ),
        RECIPIENT_A,
    ),
    ("POST", "/getSentEdocList"): (
        lambda sc, who: bool(sc.sdk(who, "getSentEdocList", docid=sc.doc_id).get("data")),
        {"multi"},
    ),
    ("POST", "/getEdoc"): (lambda sc, who: _ok(sc.sdk(who, "getEdoc", docid=sc.delivery)), RECIPIENT_A),
    ("GET", "/downloadEdoc"): (lambda sc, who: _download(sc, who, "GET"), RECIPIENT_A),
    ("POST", "/downloadEdoc"): (lambda sc, who: _download(sc, who, "POST"), RECIPIENT_A),
    ("POST", "/updateStatus"): (
        lambda sc, who: _ok(sc.sdk(who, "updateStatus", docid=sc.delivery, status="processing")),
        RECIPIENT_A,
    ),
    ("POST", "/countReceiveEdoc"): (
        lambda sc, who: sc.sdk(who, "countReceiveEdoc").get("count", 0) > 0,
        RECIPIENT_A,
    ),
    ("POST", "/countReceiveStatus"): (
        lambda sc, who: sc.sdk(who, "countReceiveStatus").get("count", 0) > 0,
        {"multi"},
    ),
    ("POST", "/getAgenciesList"): (lambda sc, who: _ok(sc.sdk(who, "getAgenciesList")), AUTHENTICATED),
    ("POST", "/getAgenciesListQD20"): (
        lambda sc, who: _ok(sc.sdk(who, "getAgenciesListQD20")),
        AUTHENTICATED,
    ),
    ("POST", "/getSynchronizeUnit"): (
        lambda sc, who: _ok(sc.sdk(who, "getSynchronizeUnit", version="0")),
        AUTHENTICATED,
    ),
    ("POST", "/registerAgency"): (_register, {"province_operator"}),
    ("POST", "/deleteAgency"): (
        lambda sc, who: _ok(sc.sdk(who, "deleteAgency", agencycode=UNIT)),
        {"province_operator"},
    ),
}


def app_routes(hub: Hub) -> set[tuple[str, str]]:
    """Every (method, route) the app serves: its OpenAPI paths and the plain routes beside them."""
    app = create_app(hub)
    found = {(m.upper(), path) for path, ops in app.openapi()["paths"].items() for m in ops}
    for route in app.routes:
        if isinstance(route, Route):
            found |= {(m, route.path) for m in route.methods or () if m not in ("HEAD", "OPTIONS")}
    return found


@pytest.fixture
def scenario(tmp_path: Any) -> Iterator[Scenario]:
    hub = make_hub(tmp_path, f"sqlite:///{tmp_path / 'matrix.sqlite3'}")
    with hub.write() as s:
        directory.add_agency(s, directory.AgencyInput("000.00.00.W00", "Trục liên thông"), NOW)
        directory.add_system(s, hub.keys, "console.sys", ["000.00.00.W00"], NOW, secret=SECRET)
        directory.add_system(s, hub.keys, "province.sys", ["000.00.00.H41"], NOW, secret=SECRET)
        registration.set_grants(s, "console.sys", NOW, operator=True)
        registration.set_grants(s, "province.sys", NOW, can_register=True)
    with hub.write() as s:
        registration.register_unit(
            s, system(hub, "province.sys"), registration.UnitRequest(UNIT, "Đơn vị", "000.00.00.H41"), NOW
        )
        tokens: dict[str, dict[str, str]] = {i.name: {} for i in IDENTITIES}
        for who in IDENTITIES:
            if who.system_id:
                tokens[who.name] = {"Authorization": f"Bearer {directory.issue_token(s, who.system_id, NOW)}"}
        tokens["ops"] = {"Authorization": f"Bearer {OPS_TOKEN}"}
    accepted = send(hub, "vpcp.sys", document(recipients=("000.00.00.H41",), document_id=DOCID))
    send(hub, "nghean.sys", status("000.00.00.H41", "000.00.00.G22", DOCID, "01"))
    with hub.write() as s:
        directory.set_state(s, "000.00.00.G17", "suspended", NOW)
    hub.forget_cached()
    import dataclasses

    hub.config = dataclasses.replace(hub.config, ops_token=OPS_TOKEN)
    delivery = accepted.deliveries[0].delivery_id
    assert delivery is not None
    with HubServer(hub) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        yield Scenario(hub, http, accepted.doc_id, delivery, tokens)
    hub.close()


def test_every_route_has_a_row(tmp_path: Any) -> None:
    hub = make_hub(tmp_path, f"sqlite:///{tmp_path / 'routes.sqlite3'}")
    try:
        routes = app_routes(hub)
    finally:
        hub.close()
    assert routes - set(TABLE) == set(), "routes without a row in the authorization matrix"
    assert set(TABLE) - routes == set(), "rows for routes the app does not have"


@pytest.mark.parametrize("operation", sorted(TABLE), ids=lambda op: f"{op[0]} {op[1]}")
def test_only_the_allowed_identities_get_through(scenario: Scenario, operation: tuple[str, str]) -> None:
    attempt, allowed = TABLE[operation]
    # The refused first: an allowed call may change the object (a delete, a reoffer).
    outcome = {
        who.name: attempt(scenario, who) for who in sorted(IDENTITIES, key=lambda i: i.name in allowed)
    }
    assert {name for name, through in outcome.items() if through} == allowed
