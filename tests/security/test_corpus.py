"""The hostile-input corpus against a live hub: the exact refusal, the service still up, nothing stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from lienthong.api.v1 import HTTP_STATUS
from lienthong.hub import directory, registration
from lienthong.hub import problems as HP
from lienthong.hub.service import Hub
from lienthong.store.tables import Agency, Delivery, Package, SystemAgency
from tests.hub.conftest import SECRET, document, make_hub, send
from tests.security.conftest import HubServer, raw_exchange
from tests.security.corpus import Case, all_cases

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
CASES = all_cases()


@dataclass
class Target:
    hub: Hub
    server: HubServer
    http: httpx.Client
    tokens: dict[str, str]

    def stored(self) -> tuple[int, ...]:
        with self.hub.read() as s:
            counts = tuple(
                int(s.execute(select(func.count()).select_from(t)).scalar_one())
                for t in (Package, Delivery, Agency, SystemAgency)
            )
        blobs = sum(
            1 for p in self.hub.blobs.root.rglob("*") if p.is_file() and p.parent != self.hub.blobs.tmp
        )
        staging = sum(1 for _ in self.hub.blobs.tmp.glob("upload-*"))
        return (*counts, blobs, staging)

    def send(self, case: Case) -> tuple[int, str, bytes]:
        if isinstance(case.request, bytes):
            answer = raw_exchange(self.server.port, case.request)
            head, _, body = answer.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            kind = next(
                (line.split(":", 1)[1].strip() for line in lines if line.lower().startswith("content-type")),
                "",
            )
            return int(lines[0].split()[1]), kind, body
        method, path, headers, body = case.request
        auth = headers.get("Authorization", "")
        if auth.startswith("TOKEN:"):
            headers = {**headers, "Authorization": self.tokens[auth[6:]]}
        response = self.http.request(method, path, headers=headers, content=body)
        return response.status_code, response.headers.get("content-type", ""), response.content


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    folder: Path = tmp_path_factory.mktemp("corpus")
    hub = make_hub(
        folder, f"sqlite:///{folder / 'corpus.sqlite3'}", rate_burst=10_000, rate_per_second=10_000
    )
    with hub.write() as s:
        directory.add_system(s, hub.keys, "province.sys", ["000.00.00.H41"], NOW, secret=SECRET)
        registration.set_grants(s, "province.sys", NOW, can_register=True)
        directory.set_state(s, "000.00.00.G17", "suspended", NOW)
        tokens = {sid: f"Bearer {directory.issue_token(s, sid, NOW)}" for sid in ("vpcp.sys", "nghean.sys")}
    # Agency A's own document, which the corpus's revocation from G22 names.
    send(
        hub,
        "nghean.sys",
        document(
            sender="000.00.00.H41",
            recipients=("000.00.00.H14",),
            number="1",
            notation="UBND",
            document_id="000.00.00.H41,2026/11/20,1/UBND",
        ),
    )
    with HubServer(hub) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        yield Target(hub, server, http, tokens)
    hub.close()


def test_the_corpus_is_large_and_covers_both_protocols() -> None:
    assert len(CASES) >= 300 and len({c.id for c in CASES}) == len(CASES)
    assert sum(c.sdk for c in CASES) >= 150 and sum(not c.sdk for c in CASES) >= 150


@pytest.mark.parametrize("case", CASES, ids=[c.id[:90] for c in CASES])
def test_hostile_input_is_refused_exactly(target: Target, case: Case) -> None:
    before = target.stored()
    status, kind, body = target.send(case)
    expected = case.http if case.http != -1 else HTTP_STATUS.get(case.code, 422)
    assert status == expected, (status, body[:300])
    if not case.code:
        assert body == b""  # the SDK saves any body of downloadEdoc as the document
    elif case.sdk:
        data = json.loads(body)
        assert kind.startswith("application/json")
        assert data["status"] == "FAIL" and data["data"] == "", data
        assert data["ErrorDesc"].startswith(case.code + ":"), data
        assert data["ErrorCode"] == HP.sdk_error_code(case.code)
    else:
        assert kind == "application/problem+json", (kind, body[:200])
        assert json.loads(body)["code"] == case.code, body[:300]
    assert target.server.alive()
    assert target.stored() == before
