"""Every gateway route × {no credentials, another agency's token or session, the right one}; roles; CSRF."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from lienthong.api.gateway_app import create_app
from lienthong.gateway.service import Gateway
from tests.gateway.conftest import api_token, person
from tests.hub.conftest import Server, document

PUBLIC = {"/health/live", "/health/ready", "/login"}
JSON = {"Accept": "application/json"}


@dataclass
class Pair:
    """Two agencies' gateways served over HTTP, a document gone from the first to the second."""

    vpcp: Gateway
    nghean: Gateway
    server: Server  # nghean's
    other: Server  # vpcp's
    incoming_id: int
    reply_id: str  # nghean's own automatic 01 reply: one of its outgoing entries
    token: str  # nghean's document system
    other_token: str  # vpcp's document system


@pytest.fixture
def pair(make_gateway: Callable[..., Gateway], monkeypatch: pytest.MonkeyPatch) -> Iterator[Pair]:
    monkeypatch.setenv("LIENTHONG_INSECURE_COOKIES", "1")  # httpx keeps a Secure cookie only over https
    vpcp = make_gateway("000.00.00.G22", "vpcp.sys")
    nghean = make_gateway("000.00.00.H41", "nghean.sys")
    vpcp.submit(document(recipients=("000.00.00.H41",)), approve_as="Văn thư A")
    for _ in range(2):
        for g in (vpcp, nghean):
            g.process_outbox()
            g.poll_inbox()
    [incoming] = nghean.inbox()
    [reply] = nghean.outbox()
    token, other_token = api_token(nghean), api_token(vpcp)
    with (
        Server(create_app(nghean, run_loops=False)) as server,
        Server(create_app(vpcp, run_loops=False)) as other,
    ):
        yield Pair(vpcp, nghean, server, other, incoming["id"], reply["local_id"], token, other_token)


def _routes(p: Pair) -> list[tuple[str, str]]:
    values = {"incoming_id": str(p.incoming_id), "local_id": p.reply_id, "number": "1", "warning_id": "1",
              "lang": "en", "day": "2026-11-30", "fmt": "html"}  # fmt: skip
    app = create_app(p.nghean, run_loops=False)
    found = []
    for route in _flat(app.routes):
        if isinstance(route, APIRoute):
            path = re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], route.path)
            found += [(method, path) for method in sorted(route.methods or ()) if method != "HEAD"]
    return found


def _flat(routes: list[Any]) -> Iterator[Any]:
    """Routes, the included routers' too (FastAPI keeps an included router as one entry; no prefixes here)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        yield from _flat(inner.routes) if inner is not None else [route]


def test_every_route_needs_a_session_or_a_token_of_this_gateway(pair: Pair) -> None:
    routes = _routes(pair)
    assert len(routes) > 25
    with httpx.Client(base_url=pair.server.url, timeout=30, headers=JSON) as http:
        for method, path in routes:
            answer = http.request(method, path)
            if path in PUBLIC or path.startswith("/lang/"):
                assert answer.status_code != 401, (method, path)
                if method == "POST":
                    assert answer.status_code == 403  # a sign-in form posted without its CSRF token
                continue
            assert answer.status_code == 401, (method, path, answer.status_code)
            assert answer.headers["content-type"].startswith("application/problem+json")
            assert answer.json()["code"] == "GATEWAY.UNAUTHENTICATED"
            wrong = http.request(method, path, headers={"Authorization": f"Bearer {pair.other_token}"})
            assert wrong.status_code == 401, (method, path, "another agency's token")
        http.headers["Authorization"] = f"Bearer {pair.token}"
        for method, path in routes:
            if method == "GET" and path != "/health/ready" and not path.startswith("/lang/"):
                answer = http.get(path)  # loops not running: readiness is 503, the rest answers
                assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])


def test_another_agencys_session_opens_nothing_and_its_documents_are_not_here(pair: Pair) -> None:
    person(pair.vpcp, "vanthu.a")
    with httpx.Client(base_url=pair.other.url, timeout=30) as a:
        _sign_in(a, "vanthu.a")
        assert a.get("/", headers={"Accept": "text/html"}).status_code == 200
        # A's session cookie sent to B's gateway: unknown there.
        cookies = {"lienthong_session": a.cookies["lienthong_session"]}
    with httpx.Client(base_url=pair.server.url, timeout=30, cookies=cookies) as b:
        assert b.get(f"/inbox/{pair.incoming_id}", headers={"Accept": "text/html"}).status_code == 303
        assert b.get("/incoming", headers=JSON).status_code == 401
    with httpx.Client(base_url=pair.other.url, timeout=30) as a:
        _sign_in(a, "vanthu.a")
        # B's document number at A's gateway is not A's: 404, never B's document.
        missing = a.get(f"/inbox/{pair.incoming_id}", headers={"Accept": "text/html"})
        assert missing.status_code == 404
        assert "V/v tăng cường" not in missing.text


def test_a_signed_out_browser_is_sent_to_login(pair: Pair) -> None:
    with httpx.Client(base_url=pair.server.url, timeout=30) as http:
        answer = http.get(f"/inbox/{pair.incoming_id}", headers={"Accept": "text/html"})
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/login?next=/inbox/{pair.incoming_id}"
        assert http.get("/docs", headers={"Accept": "text/html"}).status_code == 303
        assert http.get("/login").status_code == 200


def _sign_in(http: httpx.Client, username: str, password: str = "mat-khau-dai-1") -> str:
    page = http.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    answer = http.post("/login", data={"username": username, "password": password, "csrf": csrf.group(1)})
    assert answer.status_code == 303, answer.text[:300]
    home = http.get("/", headers={"Accept": "text/html"})
    found = re.search(r'name="csrf" value="([^"]+)"', home.text)
    assert found is not None
    return found.group(1)


def test_posts_without_csrf_are_refused_and_the_actor_is_the_signed_in_person(pair: Pair) -> None:
    person(pair.nghean, "vanthu.b")
    with httpx.Client(base_url=pair.server.url, timeout=30) as http:
        csrf = _sign_in(http, "vanthu.b")
        url = f"/inbox/{pair.incoming_id}/act"
        assert http.post(url, data={"action": "accept"}).status_code == 403  # a form without its token
        assert http.post(url, data={"action": "accept", "csrf": "wrong"}).status_code == 403
        api = f"/incoming/{pair.incoming_id}/act"
        refused = http.post(api, json={"action": "accept"}, headers=JSON)  # a session's JSON post
        assert refused.status_code == 403 and refused.json()["code"] == "GATEWAY.CSRF_HEADER"
        assert pair.nghean.show(pair.incoming_id)["state"] == "arrived"
        done = http.post(url, data={"action": "accept", "csrf": csrf})
        assert done.status_code == 303
    assert pair.nghean.show(pair.incoming_id)["state"] == "accepted"
    [event] = [
        e for e in pair.nghean.history(f"incoming:{pair.incoming_id}") if e["action"] == "incoming.accept"
    ]
    assert event["actor"] == "user:vanthu.b" and event["ip"] == "127.0.0.1"
    signed_in = [e for e in pair.nghean.history() if e["action"] == "account.sign_in"]
    assert signed_in and signed_in[0]["ip"] == "127.0.0.1"


def test_roles_and_token_scopes(pair: Pair) -> None:
    clerk_token = api_token(pair.nghean, "vanthu.c", role="clerk")
    reader = api_token(pair.nghean, "giamsat", role="leader", scopes=("read",))
    with httpx.Client(base_url=pair.server.url, timeout=30, headers=JSON) as http:
        act = f"/incoming/{pair.incoming_id}/act"
        as_clerk = {"Authorization": f"Bearer {clerk_token}"}
        refused = http.post(act, json={"action": "assign"}, headers=as_clerk)  # assigning is a leader's
        assert refused.status_code == 403 and refused.json()["code"] == "GATEWAY.FORBIDDEN"
        approve = http.post(f"/outgoing/{pair.reply_id}/approve", json={}, headers=as_clerk)
        assert approve.status_code == 403
        read_only = {"Authorization": f"Bearer {reader}"}
        assert http.get("/incoming", headers=read_only).status_code == 200
        assert http.post(act, json={"action": "accept"}, headers=read_only).status_code == 403
        # The free-text clerk of a body is ignored: the token's owner acts.
        ok = http.post(act, json={"action": "accept", "clerk": "Ai đó"}, headers=as_clerk)
        assert ok.status_code == 200 and ok.json()["state"] == "accepted"
    [event] = [
        e for e in pair.nghean.history(f"incoming:{pair.incoming_id}") if e["action"] == "incoming.accept"
    ]
    assert event["actor"] == "user:vanthu.c"


def test_a_revoked_token_and_a_disabled_person_stop_at_once(pair: Pair) -> None:
    store = pair.nghean.accounts
    with httpx.Client(base_url=pair.server.url, timeout=30, headers=JSON) as http:
        auth = {"Authorization": f"Bearer {pair.token}"}
        assert http.get("/incoming", headers=auth).status_code == 200
        with store.write() as s:
            [row] = [t for t in store.accounts.tokens(s) if t["username"] == "hethong"]
            store.accounts.revoke_token(s, row["id"], store.clock())
        assert http.get("/incoming", headers=auth).status_code == 401
        second = api_token(pair.nghean)
        with store.write() as s:
            store.accounts.set_state(s, "hethong", "disabled", store.clock())
        assert http.get("/incoming", headers={"Authorization": f"Bearer {second}"}).status_code == 401
