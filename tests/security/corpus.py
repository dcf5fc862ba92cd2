"""The hostile-input corpus of the hub: cases over both protocols, each with the exact refusal expected.

A case is one request (built by ``send``) and what the hub must answer: the HTTP status and, for the
JSON API, the problem code; for the SDK protocol, the ``ErrorCode`` and the problem code that opens
``ErrorDesc``. The gateway's API cases live with the gateway.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from tests.hub.conftest import SECRET, document, status
from tests.security.conftest import sdk_headers

Request = tuple[str, str, dict[str, str], bytes]  # method, path, headers, body


@dataclass(frozen=True)
class Case:
    id: str
    request: Request | bytes  # a request, or raw bytes for the protocol-level cases
    http: int
    code: str  # the problem code ("" for an empty-body answer)
    sdk: bool


def sdk_case(name: str, operation: str, headers: dict[str, str], body: bytes, http: int, code: str) -> Case:
    return Case(f"sdk-{operation}-{name}", ("POST", f"/{operation}", headers, body), http, code, True)


def api_case(
    name: str, method: str, path: str, headers: dict[str, str], http: int, code: str, body: bytes = b""
) -> Case:
    return Case(f"api-{method}-{name}-{path[:60]}", (method, path, headers, body), http, code, False)


SDK_OPERATIONS = (
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


def _bad_auth() -> dict[str, dict[str, str]]:
    good = sdk_headers("vpcp.sys", SECRET)
    sign = good["XroadVnpt-sign-header"]
    return {
        "no-credentials": {},
        "no-hash": {k: v for k, v in good.items() if k != "XroadVnpt-hash-header"},
        "no-sign": {k: v for k, v in good.items() if k != "XroadVnpt-sign-header"},
        "wrong-secret": sdk_headers("vpcp.sys", "not-the-secret"),
        "unknown-system": sdk_headers("nobody.sys", SECRET),
        "empty-system": sdk_headers("", SECRET),
        "sign-not-json": {**good, "XroadVnpt-sign-header": "{not json"},
        "sign-a-list": {**good, "XroadVnpt-sign-header": "[1,2]"},
        "hash-truncated": {**good, "XroadVnpt-hash-header": good["XroadVnpt-hash-header"][:20]},
        "hash-uppercase-garbage": {**good, "XroadVnpt-hash-header": "Z" * 64},
        "plain-differs": {**good, "XroadVnpt-systemid": "caobang.sys"},
        "plain-missing": {k: v for k, v in good.items() if k != "XroadVnpt-systemid"},
        "sign-huge": {**good, "XroadVnpt-sign-header": sign[:-1] + ',"XroadVnpt-x":"' + "a" * 70_000 + '"}'},
        "hash-huge": {**good, "XroadVnpt-hash-header": "a" * 5000},
        "sql-in-system": sdk_headers("x' OR '1'='1", SECRET),
        "suspended-is-not-secret": sdk_headers("vpcp.sys", ""),
    }


def sdk_auth_cases() -> list[Case]:
    return [
        sdk_case(name, op, headers, b"{}", 200, "HUB.AUTH_FAILED")
        for op in SDK_OPERATIONS
        for name, headers in _bad_auth().items()
    ]


API_ROUTES = (
    ("POST", "/api/v1/packages"),
    ("GET", "/api/v1/packages/sent"),
    ("GET", "/api/v1/inbox"),
    ("GET", "/api/v1/inbox/wait?timeout=0"),
    ("GET", "/api/v1/inbox/x/content"),
    ("POST", "/api/v1/inbox/x/ack"),
    ("POST", "/api/v1/inbox/x/reoffer"),
    ("GET", "/api/v1/agencies"),
    ("GET", "/api/v1/reports/daily"),
    ("GET", "/api/v1/reports/national"),
    ("GET", "/api/v1/packages/x/timeline"),
)
API_BAD_AUTH = {
    "none": {},
    "basic": {"Authorization": "Basic dXNlcjpwYXNz"},
    "bearer-empty": {"Authorization": "Bearer"},
    "bearer-unknown": {"Authorization": "Bearer lt_unknown"},
    "bearer-long": {"Authorization": "Bearer " + "a" * 8000},
    "bearer-sql": {"Authorization": "Bearer ' OR 1=1 --"},
    "token-in-query": {},
    "sdk-headers-instead": sdk_headers("vpcp.sys", SECRET),
}


def api_auth_cases() -> list[Case]:
    out = []
    for method, path in API_ROUTES:
        for name, headers in API_BAD_AUTH.items():
            target = (
                path + ("&" if "?" in path else "?") + "access_token=lt_x"
                if name == "token-in-query"
                else path
            )
            out.append(api_case(name, method, target, headers, 401, "HUB.AUTH_FAILED"))
    return out


# --- packages: sent over both protocols, each refused with its code --------------------------------

_XXE = b'<?xml version="1.0"?>\n<!DOCTYPE edXML [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<edXML>&xxe;</edXML>'
_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b"]><edXML>&lol9;</edXML>"
)


def _doc(**kwargs: object) -> bytes:
    return document(**kwargs)  # type: ignore[arg-type]


def _replace(data: bytes, old: bytes, new: bytes) -> bytes:
    assert old in data, old
    return data.replace(old, new, 1)


PACKAGES: list[tuple[str, Callable[[], bytes], str]] = [
    ("empty", lambda: b"", "HUB.MALFORMED"),
    ("not-xml", lambda: b"hello", "HUB.MALFORMED"),
    ("binary", lambda: bytes(range(256)) * 4, "HUB.MALFORMED"),
    ("json", lambda: b'{"edXML": 1}', "HUB.MALFORMED"),
    ("xxe", lambda: _XXE, "HUB.MALFORMED"),
    ("billion-laughs", lambda: _LAUGHS, "HUB.MALFORMED"),
    ("deep-nesting", lambda: b"<edXML>" + b"<a>" * 5000 + b"</a>" * 5000 + b"</edXML>", "HUB.MALFORMED"),
    ("truncated", lambda: _doc()[:700], "HUB.MALFORMED"),
    ("wrong-root", lambda: b'<?xml version="1.0"?><html><body/></html>', "HUB.MALFORMED"),
    ("utf16-garbage", lambda: "<edXML>".encode("utf-16") + b"\xff\xfe\x00", "HUB.MALFORMED"),
    ("invalid-utf8", lambda: _replace(_doc(), b"V/v", b"\xff\xfe"), "HUB.MALFORMED"),
    ("forged-sender", lambda: _doc(sender="000.00.00.H14"), "HUB.SENDER_NOT_ALLOWED"),
    ("sender-suspended-agency", lambda: _doc(sender="000.00.00.G17"), "HUB.SENDER_NOT_ALLOWED"),
    ("sender-is-the-hub", lambda: _doc(sender="000.00.00.W00"), "HUB.SENDER_NOT_ALLOWED"),
    ("no-sender", lambda: _doc(sender=""), "HUB.NOT_ROUTABLE"),
    ("no-recipient", lambda: _doc(recipients=()), "HUB.NOT_ROUTABLE"),
    ("recipient-too-long", lambda: _doc(recipients=("0" * 100,)), "HUB.NOT_ROUTABLE"),
    ("document-id-too-long", lambda: _doc(document_id="000.00.00.G22," + "9" * 400), "HUB.MALFORMED"),
    ("status-unknown-code", lambda: status("000.00.00.G22", "000.00.00.H41", "x", "99"), "HUB.NOT_ROUTABLE"),
    (
        "status-not-delivered",
        lambda: status("000.00.00.G22", "000.00.00.H41", "000.00.00.H41,2026/01/01,1/X"),
        "HUB.STATUS_NOT_DELIVERED",
    ),
    ("status-no-target", lambda: status("000.00.00.G22", "", ""), "HUB.NOT_ROUTABLE"),
    ("bad-base64", lambda: _replace(_doc(), b"JVBERi0xLjQK", b"!!!!*****%%%"), "HUB.INTEGRITY"),
    (
        "revoke-anothers-document",
        lambda: _doc(
            number="77",
            business={"bussiness_doc_type": "1", "bussiness_doc_reason": "x", "paper": "0"},
            response_for=[
                {
                    "organ_id": "000.00.00.H41",
                    "code": "1/UBND",
                    "document_id": "000.00.00.H41,2026/11/20,1/UBND",
                }
            ],
        ),
        "HUB.NOT_ORIGINAL_SENDER",
    ),
    (
        "state-secret",
        lambda: _doc(number="78", subject="Tài liệu TỐI MẬT về quốc phòng"),
        "HUB.STATE_SECRET",
    ),
]


def package_cases() -> list[Case]:
    out = []
    for name, build, code in PACKAGES:
        body = build()
        out.append(sdk_case(name, "sendEdoc", sdk_headers("vpcp.sys", SECRET), body, 200, code))
        out.append(
            api_case(name, "POST", "/api/v1/packages", {"Authorization": "TOKEN:vpcp.sys"}, -1, code, body)
        )
    return out


# --- parameters of authenticated calls -----------------------------------------------------------

HOSTILE_IDS = {
    "sql": "' OR '1'='1",
    "traversal": "../../../../etc/passwd",
    "long": "a" * 1000,
    "unicode": "Văn bản",
    "null-ish": "null",
    "empty": "",
    "percent": "%00%2e%2e",
}


def sdk_param_cases() -> list[Case]:
    out = []
    for name, value in HOSTILE_IDS.items():
        if not value.isascii():
            continue  # header values are single bytes: covered by the raw cases
        for op in ("getEdoc", "updateStatus"):
            extra = {"status": "done"} if op == "updateStatus" else {}
            out.append(
                sdk_case(
                    name,
                    op,
                    sdk_headers("nghean.sys", SECRET, docid=value, **extra),
                    b"{}",
                    200,
                    "HUB.NOT_FOUND",
                )
            )
        out.append(
            sdk_case(
                name,
                "deleteAgency",
                sdk_headers("nghean.sys", SECRET, agencycode=value),
                b"{}",
                200,
                "HUB.REGISTER_NOT_ALLOWED",
            )
        )
        dl = ("POST", "/downloadEdoc", sdk_headers("nghean.sys", SECRET, docid=value), b"{}")
        out.append(Case(f"sdk-downloadEdoc-{name}", dl, 404, "", True))
    for i, status_value in enumerate(("archived", "DONE; DROP TABLE", "x" * 200, "")):
        headers = sdk_headers("nghean.sys", SECRET, docid="x", status=status_value)
        out.append(sdk_case(f"status-{i}", "updateStatus", headers, b"{}", 200, "HUB.BAD_ACK"))
    for op, param in (("getSynchronizeUnit", "version"), ("getAgenciesListQD20", "level")):
        for i, value in enumerate(("9" * 20, "9" * 200, "18446744073709551616")):
            headers = sdk_headers("vpcp.sys", SECRET, **{param: value})
            out.append(sdk_case(f"{param}-{i}", op, headers, b"{}", 200, "HUB.BAD_REQUEST"))
    register_bodies = {
        "not-json": (b"{nope", "HUB.BAD_REQUEST"),
        "a-list": (b"[]", "HUB.BAD_REQUEST"),
        "huge": (b'{"code":"' + b"a" * 100_000 + b'"}', "HUB.BAD_REQUEST"),
        "not-utf8": (b'{"code":"\xff"}', "HUB.BAD_REQUEST"),
        "hub-code": (
            b'{"code":"000.00.00.W00","pcode":"000.00.00.G22","name":"x"}',
            "HUB.REGISTER_NOT_ALLOWED",
        ),
        "other-body": (
            b'{"code":"000.00.12.H41","pcode":"000.00.00.G22","name":"x"}',
            "HUB.REGISTER_NOT_ALLOWED",
        ),
    }
    for name, (body, code) in register_bodies.items():
        out.append(sdk_case(name, "registerAgency", sdk_headers("vpcp.sys", SECRET), body, 200, code))
        registrar = sdk_headers("province.sys", SECRET)
        out.append(
            sdk_case(f"registrar-{name}", "registerAgency", registrar, body, 200, _as_registrar(name, code))
        )
    return out


def _as_registrar(name: str, code: str) -> str:
    """What a system allowed to register (for H41) is told."""
    return {"hub-code": "HUB.CODE_RESERVED", "other-body": "HUB.FORBIDDEN"}.get(name, code)


def api_param_cases() -> list[Case]:
    auth = {"Authorization": "TOKEN:nghean.sys"}
    bad = "HUB.BAD_REQUEST"
    queries = [
        "/api/v1/inbox?offset=-1",
        "/api/v1/inbox?offset=99999999999999999999",
        "/api/v1/inbox?limit=0",
        "/api/v1/inbox?limit=1000000",
        "/api/v1/inbox?kind=secret",
        "/api/v1/inbox?limit=abc",
        "/api/v1/inbox/wait?timeout=-1",
        "/api/v1/inbox/wait?timeout=1e9",
        "/api/v1/inbox/wait?timeout=nan",
        "/api/v1/agencies?since_version=-1",
        "/api/v1/agencies?since_version=99999999999999999999",
        "/api/v1/agencies?level=0",
        "/api/v1/agencies?level=99999999999999999999",
        "/api/v1/agencies?offset=99999999999999999999",
        "/api/v1/packages/sent?doc_id=" + "a" * 500,
        "/api/v1/packages/sent?limit=-5",
        "/api/v1/reports/daily?date=2026-13-45",
        "/api/v1/reports/daily?format=exe",
        "/api/v1/reports/daily?lang=xx",
        "/api/v1/inbox/" + "a" * 500 + "/content",
    ]
    out = [api_case(f"q{i}", "GET", q, auth, 422, bad) for i, q in enumerate(queries)]
    not_found = [
        "/api/v1/inbox/nope/content",
        "/api/v1/packages/nope/timeline",
        "/api/v1/inbox/..%2F..%2Fetc/content",
    ]
    out += [api_case(f"nf{i}", "GET", q, auth, 404, "HUB.NOT_FOUND") for i, q in enumerate(not_found)]
    acks = {
        "not-json": (b"{nope", 422, bad),
        "list": (b"[]", 422, bad),
        "status-int": (b'{"status": 5}', 422, bad),
        "status-long": (json.dumps({"status": "d" * 100}).encode(), 422, bad),
        "reason-huge": (json.dumps({"status": "fail", "reason": "r" * 100_000}).encode(), 422, bad),
        "no-status": (b"{}", 422, bad),
        "unknown-delivery": (b'{"status": "done"}', 404, "HUB.NOT_FOUND"),
    }
    for name, (body, http, code) in acks.items():
        headers = {**auth, "Content-Type": "application/json"}
        out.append(api_case(name, "POST", "/api/v1/inbox/nope/ack", headers, http, code, body))
    out.append(api_case("reoffer-unknown", "POST", "/api/v1/inbox/nope/reoffer", auth, 404, "HUB.NOT_FOUND"))
    out.append(
        api_case("national-not-operator", "GET", "/api/v1/reports/national", auth, 403, "HUB.FORBIDDEN")
    )
    out.append(
        api_case(
            "daily-other-agency",
            "GET",
            "/api/v1/reports/daily?agency=000.00.00.G22",
            auth,
            403,
            "HUB.FORBIDDEN",
        )
    )
    out.append(api_case("unknown-route", "GET", "/api/v1/nothing", auth, 404, "HUB.NOT_FOUND"))
    out.append(api_case("wrong-method", "DELETE", "/api/v1/inbox", auth, 405, bad))
    many = "/api/v1/packages?" + "&".join(f"to=A{i}" for i in range(1200))
    sender = {"Authorization": "TOKEN:vpcp.sys"}
    body = _doc(number="79")
    out.append(api_case("too-many-to", "POST", many, sender, 422, "HUB.TOO_MANY_RECIPIENTS", body))
    return out


def raw_cases() -> list[Case]:
    """Requests h11 cannot take: answered by the server protocol in the path's shape."""
    big = b"a" * (1 << 20)
    items = {
        "huge-header-api": (
            b"GET /api/v1/inbox HTTP/1.1\r\nHost: x\r\nX-Big: " + big + b"\r\n\r\n",
            431,
            "HUB.HEADERS_TOO_LARGE",
            False,
        ),
        "huge-header-sdk": (
            b"POST /getEdoc HTTP/1.1\r\nHost: x\r\nX-Big: " + big + b"\r\n\r\n",
            431,
            "HUB.HEADERS_TOO_LARGE",
            True,
        ),
        "many-headers": (
            b"GET /api/v1/inbox HTTP/1.1\r\nHost: x\r\n" + b"X-A: b\r\n" * 20000 + b"\r\n",
            431,
            "HUB.HEADERS_TOO_LARGE",
            False,
        ),
        "nul-authorization": (
            b"GET /api/v1/inbox HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\x00b\r\n\r\n",
            400,
            "HUB.BAD_REQUEST",
            False,
        ),
        "nul-sdk-header": (
            b"POST /getEdoc HTTP/1.1\r\nHost: x\r\nXroadVnpt-systemid: a\x00\r\n\r\n",
            400,
            "HUB.BAD_REQUEST",
            True,
        ),
        "cr-in-header": (
            b"GET /api/v1/inbox HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n",
            400,
            "HUB.BAD_REQUEST",
            False,
        ),
        "no-colon": (
            b"GET /api/v1/inbox HTTP/1.1\r\nHost: x\r\nbroken header\r\n\r\n",
            400,
            "HUB.BAD_REQUEST",
            False,
        ),
        "odd-version": (b"GET /api/v1/inbox HTTP/9.9\r\nHost: x\r\n\r\n", 401, "HUB.AUTH_FAILED", False),
        "two-lengths": (
            b"POST /sendEdoc HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
            400,
            "HUB.BAD_REQUEST",
            True,
        ),
        "bad-chunk": (
            b"POST /sendEdoc HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            400,
            "HUB.BAD_REQUEST",
            True,
        ),
        "space-in-name": (
            b"GET /api/v1/inbox HTTP/1.1\r\nHost: x\r\nBad Name: x\r\n\r\n",
            400,
            "HUB.BAD_REQUEST",
            False,
        ),
        "no-host": (b"GET /api/v1/inbox HTTP/1.1\r\n\r\n", 400, "HUB.BAD_REQUEST", False),
    }
    return [Case(f"raw-{name}", data, http, code, sdk) for name, (data, http, code, sdk) in items.items()]


def all_cases() -> list[Case]:
    return (
        sdk_auth_cases()
        + api_auth_cases()
        + package_cases()
        + sdk_param_cases()
        + api_param_cases()
        + raw_cases()
    )
