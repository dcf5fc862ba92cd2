"""Console fixtures: a seeded hub served by uvicorn on loopback, clients signed in as each operator."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from lienthong.api.app import create_app
from lienthong.hub.service import Hub
from tests.console.seed import PASSWORD, seed
from tests.hub.conftest import Server, db_url, make_hub, pg_available  # noqa: F401  (fixtures)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    tmp: Path = tmp_path_factory.mktemp("console")
    made = make_hub(tmp, f"sqlite:///{tmp / 'hub.sqlite3'}")
    seed(made)
    yield made
    made.close()


@contextmanager
def serve(target: Hub, secure: bool = False) -> Iterator[str]:
    """The hub's app on a real loopback server; its URL.

    Over plain HTTP an HTTP client (unlike a browser on 127.0.0.1) does not send Secure cookies back,
    so these servers run with LIENTHONG_INSECURE_COOKIES=1 unless ``secure``.
    """
    with pytest.MonkeyPatch.context() as env:
        if not secure:
            env.setenv("LIENTHONG_INSECURE_COOKIES", "1")
        app = create_app(target)
    with Server(app) as server:
        yield server.url


@pytest.fixture(scope="module")
def url(seeded: Hub) -> Iterator[str]:
    with serve(seeded) as found:
        yield found


def client(base_url: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, timeout=30)


def login_csrf(c: httpx.Client) -> str:
    page = c.get("/login")
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def sign_in(c: httpx.Client, username: str, password: str = PASSWORD) -> httpx.Client:
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
