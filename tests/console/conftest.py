"""Console fixtures: a seeded hub, its app, signed-in clients for each kind of operator."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lienthong.api.app import create_app
from lienthong.hub.service import Hub
from tests.console.seed import PASSWORD, seed
from tests.hub.conftest import db_url, make_hub, pg_available  # noqa: F401  (fixtures)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    tmp: Path = tmp_path_factory.mktemp("console")
    made = make_hub(tmp, f"sqlite:///{tmp / 'hub.sqlite3'}")
    seed(made)
    yield made
    made.close()


def client(target: Hub) -> TestClient:
    # https: the session cookie is Secure, and the client keeps it only for https.
    return TestClient(create_app(target), base_url="https://testserver")


def login_csrf(c: TestClient) -> str:
    page = c.get("/login")
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def sign_in(c: TestClient, username: str, password: str = PASSWORD) -> TestClient:
    response = c.post(
        "/login",
        data={"username": username, "password": password, "csrf": login_csrf(c), "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return c


@pytest.fixture
def any_hub(tmp_path: Path, db_url: str) -> Iterator[Hub]:  # noqa: F811  (the imported fixture)
    """A seeded hub on SQLite and on PostgreSQL, for the console's queries."""
    made = make_hub(tmp_path, db_url)
    seed(made)
    yield made
    made.close()
