"""Property-based fuzzing (hypothesis) of the edXML parser, the SDK request parser and the JSON API.

Bounded for CI by LIENTHONG_FUZZ_EXAMPLES (default 40 per property); a longer run by hand:
``LIENTHONG_FUZZ_EXAMPLES=5000 pytest tests/security/test_fuzz.py``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lienthong.edxml import ParseError, parse
from lienthong.hub import directory
from tests.hub.conftest import SECRET, document, make_hub

EXAMPLES = int(os.environ.get("LIENTHONG_FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
VALID = document()
LATIN1 = st.characters(min_codepoint=0x20, max_codepoint=0xFF, blacklist_characters="\x7f")
HEADER_TEXT = st.text(LATIN1, max_size=300).map(lambda t: t.strip(" \t"))  # h11 sends no edge blanks
OPERATIONS = st.sampled_from(
    [
        "getEdoc",
        "getReceivedEdocList",
        "updateStatus",
        "getSynchronizeUnit",
        "getAgenciesListQD20",
        "sendEdoc",
    ]
)
SDK_PARAMS = st.sampled_from(["docid", "status", "version", "level", "to", "messagetype", "hash-file"])
ROUTES = st.sampled_from(
    [
        "/api/v1/inbox",
        "/api/v1/agencies",
        "/api/v1/packages/sent",
        "/api/v1/inbox/wait",
        "/api/v1/reports/daily",
    ]
)
QUERY_NAMES = st.sampled_from(
    [
        "offset",
        "limit",
        "kind",
        "since_version",
        "level",
        "doc_id",
        "timeout",
        "date",
        "format",
        "lang",
        "agency",
    ]
)
JSON_VALUES = st.one_of(st.text(max_size=50), st.integers(), st.none(), st.booleans())
ACK_BODIES = st.one_of(
    st.binary(max_size=300),
    st.dictionaries(st.text(max_size=10), JSON_VALUES, max_size=4).map(lambda d: json.dumps(d).encode()),
)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    from tests.security.conftest import HubServer

    folder: Path = tmp_path_factory.mktemp("fuzz")
    url = f"sqlite:///{folder / 'fuzz.sqlite3'}"
    hub = make_hub(folder, url, rate_burst=100_000, rate_per_second=100_000)
    with hub.write() as s:
        token = directory.issue_token(s, "nghean.sys", datetime.now(UTC))
    with HubServer(hub) as server:
        yield server.url, f"Bearer {token}"
    hub.close()


def _refused_cleanly(body: bytes) -> None:
    try:
        parse(body)
    except ParseError as exc:
        assert exc.problem.code.startswith("EDXML.")


@FUZZ
@given(st.data())
def test_the_parser_refuses_or_reads_any_mutation(data: st.DataObject) -> None:
    body = bytearray(VALID)
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, max(0, len(body) - 1)))
        action = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        if action == "flip" and body:
            body[at] = data.draw(st.integers(0, 255))
        elif action == "cut":
            del body[at : at + data.draw(st.integers(1, 200))]
        else:
            body[at:at] = data.draw(st.binary(max_size=50))
    _refused_cleanly(bytes(body))


@FUZZ
@given(st.binary(max_size=2000))
def test_the_parser_refuses_random_bytes(body: bytes) -> None:
    _refused_cleanly(body)


def _signed(params: dict[str, str]) -> dict[str, bytes]:
    signed = {"XroadVnpt-systemid": "nghean.sys", **{f"XroadVnpt-{k}": v for k, v in params.items()}}
    text = json.dumps(signed, ensure_ascii=False).encode("utf-8")
    headers = {k: v.encode("utf-8") for k, v in signed.items()}
    headers["XroadVnpt-sign-header"] = text
    headers["XroadVnpt-hash-header"] = hmac.new(SECRET.encode(), text, hashlib.sha256).hexdigest().encode()
    return headers


@FUZZ
@given(OPERATIONS, st.dictionaries(SDK_PARAMS, HEADER_TEXT, max_size=4), st.booleans())
def test_the_sdk_parser_answers_fail_json_to_anything(
    live: tuple[str, str], operation: str, params: dict[str, str], sign: bool
) -> None:
    url, _ = live
    plain = {f"XroadVnpt-{k}": v.encode("latin-1") for k, v in params.items()}
    headers = [(k.encode(), v) for k, v in (_signed(params) if sign else plain).items()]
    answer = httpx.post(f"{url}/{operation}", headers=headers, content=b"{}", timeout=30)
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert data["status"] in ("OK", "FAIL") and "ErrorCode" in data
    if data["status"] == "FAIL":
        assert data["data"] == ""


@FUZZ
@given(ROUTES, st.dictionaries(QUERY_NAMES, st.text(max_size=40), max_size=4))
def test_the_json_api_answers_problem_json_to_any_query(
    live: tuple[str, str], route: str, query: dict[str, str]
) -> None:
    url, bearer = live
    if route == "/api/v1/inbox/wait":
        query["timeout"] = "0"
    answer = httpx.get(f"{url}{route}", params=query, headers={"Authorization": bearer}, timeout=60)
    assert answer.status_code in (200, 403, 404, 422), answer.text
    if answer.status_code != 200:
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["code"].startswith(("HUB.", "WATCH."))


@FUZZ
@given(ACK_BODIES)
def test_the_json_api_answers_problem_json_to_any_ack(live: tuple[str, str], body: bytes) -> None:
    url, bearer = live
    headers = {"Authorization": bearer, "Content-Type": "application/json"}
    answer = httpx.post(f"{url}/api/v1/inbox/nope/ack", content=body, headers=headers, timeout=30)
    assert answer.status_code in (400, 404, 422), answer.text  # 400: not even UTF-8
    assert answer.headers["content-type"] == "application/problem+json"
