"""API tokens on a JSON route: none, wrong scope, revoked, disabled owner → 401; the right one → 200."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import Depends, FastAPI

from lienthong.accounts.model import Person
from lienthong.accounts.store import AccountStore
from lienthong.hub.people import hub_accounts
from lienthong.hub.service import Hub
from lienthong.web.auth import WebAuth
from lienthong.web.i18n import Catalogue
from lienthong.web.pages import Pages
from tests.console.conftest import client
from tests.hub.conftest import Server


def test_bearer_tokens_are_scoped_and_revocable(seeded: Hub) -> None:
    store = AccountStore(hub_accounts(), seeded.read, seeded.write, seeded.clock)
    auth = WebAuth(store, Pages(Catalogue()))
    app = FastAPI()
    auth.install(app)

    @app.get("/api/whoami")
    def whoami(person: Person = Depends(auth.api_person("send"))) -> dict[str, Any]:
        return {"username": person.username}

    now = datetime.now(UTC)
    with seeded.write() as s:
        _, sender = store.accounts.issue_token(s, "ops", ["send", "read"], now)
        _, reader = store.accounts.issue_token(s, "ops", ["read"], now)
        revoked_id, revoked = store.accounts.issue_token(s, "ops", ["send"], now)
        store.accounts.revoke_token(s, revoked_id, now)
        _, orphan = store.accounts.issue_token(s, "bxd", ["send"], now)
        store.accounts.set_state(s, "bxd", "disabled", now)
    with Server(app) as server, client(server.url) as c:
        assert c.get("/api/whoami").status_code == 401
        assert c.get("/api/whoami").headers["content-type"] == "application/json"
        for token in (reader, revoked, orphan, "lt_forged"):
            assert c.get("/api/whoami", headers={"Authorization": f"Bearer {token}"}).status_code == 401
        ok = c.get("/api/whoami", headers={"Authorization": f"Bearer {sender}"})
        assert ok.status_code == 200 and ok.json() == {"username": "ops"}
    with seeded.write() as s:
        store.accounts.set_state(s, "bxd", "active", now)
