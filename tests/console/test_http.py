"""Every console route x {no credentials, wrong scope, right one}; CSRF, throttling, cookies, redirects."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from lienthong.hub.people import hub_accounts
from lienthong.hub.service import Hub
from lienthong.store.db import make_engine
from tests.console.conftest import client, login_csrf, serve, sign_in
from tests.console.seed import PASSWORD
from tests.hub.conftest import PG_ADMIN, make_hub

OWN, OTHER = "000.00.00.H41", "000.00.00.H14"
# route, who may open it: "all" operators, "national" (the hub operator only), or "H41" (the
# Nghệ An province operator too, being in its scope).
ROUTES = [
    ("/", "all"),
    ("/agencies", "all"),
    ("/agencies?q=Ngh%E1%BB%87&page=1", "all"),
    (f"/agencies/{OWN}", "all"),
    ("/agencies/000.00.01.H41", "all"),
    (f"/agencies/{OWN}/report", "all"),
    (f"/agencies/{OTHER}", "national"),
    (f"/agencies/{OTHER}/report", "national"),
    ("/agencies/000.00.00.H50", "national"),
    ("/traffic", "all"),
    ("/warnings", "all"),
    ("/reports", "all"),
    ("/reports/national", "national"),
    ("/refusals", "all"),
    ("/audit", "national"),
    ("/health", "all"),
    ("/people", "national"),
    ("/relays", "national"),  # issue 16: the relay queue to the upstream hub
    ("/relays?state=failed", "national"),
]


@pytest.fixture(scope="module")
def clients(url: str) -> Iterator[dict[str, httpx.Client]]:
    made = {"anonymous": client(url), "ops": client(url), "nghean": client(url)}
    for name in ("ops", "nghean"):
        sign_in(made[name], name)
    yield made
    for c in made.values():
        c.close()


Clients = dict[str, httpx.Client]


@pytest.mark.parametrize(("path", "who"), ROUTES)
def test_route_answers_by_credentials_and_scope(clients: Clients, path: str, who: str) -> None:
    anonymous = clients["anonymous"].get(path, follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/login?next=")
    own = clients["nghean"].get(path)
    assert own.status_code == (404 if who == "national" else 200), path
    national = clients["ops"].get(path)
    assert national.status_code == 200, path
    assert national.headers["cache-control"] == "no-store"
    if path.endswith("/report") or path == "/reports/national":
        return  # the warning system's own document, with its inline style (e-mail and PDF safe)
    assert "default-src 'self'" in national.headers["content-security-policy"]
    if "text/html" in national.headers["content-type"]:
        assert 'lang="vi"' in national.text


def test_unknown_agency_looks_like_a_forbidden_one(clients: dict[str, httpx.Client]) -> None:
    missing = clients["nghean"].get("/agencies/000.00.00.H99")
    hidden = clients["nghean"].get(f"/agencies/{OTHER}")
    assert missing.status_code == hidden.status_code == 404

    def main(text: str) -> str:
        return text.split("<main", 1)[1].split("</main>")[0]

    assert main(missing.text) == main(hidden.text) and "Cao Bằng" not in hidden.text


def test_search_is_server_side_paged_and_scoped(clients: dict[str, httpx.Client]) -> None:
    everything = clients["ops"].get("/agencies")
    total = int(re.search(r"Tìm thấy ([\d.]+) cơ quan", everything.text).group(1).replace(".", ""))  # type: ignore[union-attr]
    assert total > 3300
    assert everything.text.count("<tr>") == 51  # one page of 50, and the header
    second = clients["ops"].get("/agencies?page=2")
    assert second.status_code == 200 and "2 / " in second.text
    by_name = clients["ops"].get("/agencies", params={"q": "Sở Tư pháp tỉnh Lào Cai"})
    assert "000.00.06.H51" in by_name.text and by_name.text.count("<tr>") == 2
    by_code = clients["ops"].get("/agencies", params={"q": "000.00.00.H5"})
    assert "000.00.00.H50" in by_code.text
    scoped = clients["nghean"].get("/agencies", params={"q": "Sở"})
    assert "000.00.01.H41" in scoped.text and "H50" not in scoped.text
    wildcard = clients["ops"].get("/agencies", params={"q": "%"})
    assert "Tìm thấy 0 cơ quan" in wildcard.text  # LIKE wildcards are searched for literally


def test_forms_without_csrf_are_refused(url: str) -> None:
    with client(url) as c:
        refused = c.post("/login", data={"username": "ops", "password": "x" * 12})
        assert refused.status_code == 403
        sign_in(c, "ops")
        assert c.post("/logout", data={}).status_code == 403
        assert c.post("/logout", data={"csrf": "forged"}).status_code == 403
        assert c.get("/").status_code == 200  # still signed in
        page = c.get("/")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        out = c.post("/logout", data={"csrf": token}, follow_redirects=False)
        assert out.status_code == 303 and out.headers["location"] == "/login?bye=1"


def test_sign_out_ends_the_session_on_the_server(url: str) -> None:
    with client(url) as c:
        sign_in(c, "ops")
        stolen = c.cookies.get("lienthong_session")
        token = re.search(r'name="csrf" value="([^"]+)"', c.get("/").text).group(1)  # type: ignore[union-attr]
        c.post("/logout", data={"csrf": token})
    with client(url) as replay:
        replay.cookies.set("lienthong_session", stolen or "")
        assert replay.get("/", follow_redirects=False).status_code == 303


def test_session_cookie_flags_and_safe_next(seeded: Hub) -> None:
    with serve(seeded, secure=True) as base, client(base) as c:
        form = c.get("/login")
        assert "secure" in form.headers["set-cookie"].lower()
        csrf = form.cookies["lienthong_login_csrf"]  # a Secure cookie: sent back by hand over loopback HTTP
        response = c.post(
            "/login",
            data={"username": "ops", "password": PASSWORD, "csrf": csrf, "next": "//evil.test/x"},
            headers={"Cookie": f"lienthong_login_csrf={csrf}"},
            follow_redirects=False,
        )
        assert response.status_code == 303
        session = next(v for k, v in response.headers.multi_items() if k == "set-cookie" and "session" in v)
        for flag in ("httponly", "secure", "samesite=lax", "max-age=28800", "path=/"):
            assert flag in session.lower(), session
        assert response.headers["location"] == "/"


def test_sign_in_is_throttled(url: str) -> None:
    with client(url) as c:
        for _ in range(5):
            wrong = c.post(
                "/login", data={"username": "bxd", "password": "sai-mat-khau!", "csrf": login_csrf(c)}
            )
            assert wrong.status_code == 401 and "không đúng" in wrong.text
        right = c.post(
            "/login", data={"username": "bxd", "password": "mật-khẩu-thử-1", "csrf": login_csrf(c)}
        )
        assert right.status_code == 429 and "quá nhiều lần" in right.text
        assert c.cookies.get("lienthong_session") is None


def test_english_and_local_assets(clients: dict[str, httpx.Client], seeded: Hub) -> None:
    c = clients["ops"]
    english = c.get("/agencies?lang=en")
    assert 'lang="en"' in english.text and "Directory" in english.text
    switched = c.get("/lang/en?next=/traffic", follow_redirects=False)
    assert switched.status_code == 303 and switched.headers["location"] == "/traffic"
    # The API description is gated (issue 12): not served until the operator makes it public.
    assert clients["anonymous"].get("/docs").status_code == 404
    public = Hub(replace(seeded.config, public_ops=True))
    try:
        with serve(public) as public_url, httpx.Client(base_url=public_url, timeout=30) as anonymous:
            docs = anonymous.get("/docs")
            assert docs.status_code == 200
            sources = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
            assert sources and all(s.startswith("/") for s in sources), sources
            for source in sources:
                assert anonymous.get(source).status_code == 200, source
    finally:
        public.close()
    page = c.get("/")
    assert not re.search(r'(?:src|href)="(?:https?:)?//', page.text)  # nothing fetched from outside


@pytest.mark.postgres
def test_a_database_that_is_down_gives_a_page_not_a_traceback(tmp_path: Path, pg_available: bool) -> None:
    name = f"lt_test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        hub = make_hub(tmp_path, PG_ADMIN.rsplit("/", 1)[0] + f"/{name}")
        with hub.write() as s:
            hub_accounts().add(s, "ops", PASSWORD, "operator", datetime.now(UTC))
        with serve(hub) as base, client(base) as c:
            sign_in(c, "ops")
            assert c.get("/agencies").status_code == 200
            with admin.connect() as conn:  # the database goes away under the running hub
                conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            for path in ("/agencies", "/audit", "/login"):
                down = c.get(path)
                if path == "/login":
                    assert down.status_code == 200  # the sign-in form needs no database
                    continue
                assert down.status_code == 503, (path, down.text[:300])
                assert "tạm thời không sẵn sàng" in down.text and "Traceback" not in down.text
            refused = c.post("/login", data={"username": "ops", "password": PASSWORD, "csrf": login_csrf(c)})
            assert refused.status_code == 503
        hub.close()
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_a_failed_relay_is_resent_from_the_console(url: str, seeded: Hub) -> None:
    from sqlalchemy import update

    from lienthong.hub import upstream
    from lienthong.store.tables import AuditEntry, Relay
    from tests.hub.conftest import document, send

    ghost = "000.00.00.G98"
    with seeded.write() as s:
        upstream.apply_directory(
            s, [upstream.RemoteAgency(ghost, "Bộ ngoài", None, "active", 1)], 1, seeded.clock()
        )
    accepted = send(seeded, "vpcp.sys", document(recipients=(ghost,), number="9801"))
    assert accepted.relay_id is not None
    with seeded.write() as s:
        s.execute(update(Relay).where(Relay.relay_id == accepted.relay_id).values(state="failed"))
    with client(url) as ops, client(url) as nghean:
        sign_in(ops, "ops")
        sign_in(nghean, "nghean")
        page = ops.get("/relays", params={"state": "failed"})
        assert accepted.relay_id in page.text and "Gửi lại" in page.text
        token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        assert ops.post("/relays/resend", data={"relay_id": accepted.relay_id}).status_code == 403  # no CSRF
        other = re.search(r'name="csrf" value="([^"]+)"', nghean.get("/").text).group(1)  # type: ignore[union-attr]
        form = {"relay_id": accepted.relay_id, "csrf": other}
        assert nghean.post("/relays/resend", data=form).status_code == 404  # the national operator's only
        done = ops.post(
            "/relays/resend", data={"relay_id": accepted.relay_id, "csrf": token}, follow_redirects=False
        )
        assert done.status_code == 303 and done.headers["location"] == "/relays?state=waiting"
        with seeded.read() as s:
            state = s.execute(sa.select(Relay.state).where(Relay.relay_id == accepted.relay_id)).scalar_one()
        assert state == "waiting"
        again = ops.post("/relays/resend", data={"relay_id": accepted.relay_id, "csrf": token})
        assert again.status_code == 409 and "HUB.NOT_RELAYED" in again.text  # no longer failed: said why
    with seeded.read() as s:
        entry = s.execute(sa.select(AuditEntry).where(AuditEntry.action == "relay.resend")).scalars().one()
    assert entry.actor.endswith("ops") and '"ip": "127.0.0.1"' in entry.details  # who and from where
