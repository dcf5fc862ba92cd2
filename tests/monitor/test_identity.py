"""Mutual TLS behind a proxy: the forwarded client certificate must be the one registered for the caller."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from lienthong.api.app import create_app
from lienthong.hub import directory
from lienthong.hub.service import Hub
from lienthong.monitor.config import MonitorConfig
from lienthong.monitor.hub import HubMonitor
from lienthong.monitor.identity import (
    ClientCertMode,
    ClientCertPolicy,
    HeaderFormat,
    forwarded_fingerprint,
    verify_client,
)
from tests.hub.conftest import SECRET, Server
from tests.monitor.conftest import Clock, der, make_certificate, new_hub, pem

HEADER = "X-Client-Cert"


@pytest.fixture
def hub(tmp_path: Path, clock: Clock) -> Iterator[Hub]:
    h = new_hub(tmp_path, f"sqlite:///{tmp_path / 'hub.sqlite3'}", clock)
    yield h
    h.close()


def served(hub: Hub, policy: ClientCertPolicy) -> Server:
    monitor = HubMonitor(hub, MonitorConfig(min_free_bytes=1, client_cert=policy, background=False))
    return Server(create_app(hub, monitor=monitor))


def bearer(hub: Hub, system_id: str, clock: Clock) -> dict[str, str]:
    with hub.write() as s:
        return {"Authorization": f"Bearer {directory.issue_token(s, system_id, clock.now, 'mtls')}"}


def sdk_headers(system_id: str) -> dict[str, str]:
    """An SDK-protocol request signed as the SDK signs it (HMAC-SHA256 over the sign-header)."""
    values = {
        "XroadVnpt-systemid": system_id,
        "XroadVnpt-servicetype": "eDoc",
        "XroadVnpt-messagetype": "edoc",
    }
    sign = json.dumps(values, separators=(",", ":"))
    mac = hmac.new(SECRET.encode(), sign.encode(), hashlib.sha256).hexdigest()
    return {**values, "XroadVnpt-sign-header": sign, "XroadVnpt-hash-header": mac}


def test_forwarded_certificate_checked_against_the_agency_registry(hub: Hub, clock: Clock) -> None:
    registered = make_certificate("Văn phòng Chính phủ", clock.now + timedelta(days=365))
    stranger = make_certificate("Someone else", clock.now + timedelta(days=365))
    with hub.write() as s:
        directory.get_agency(s, "000.00.00.G22").certificate_pem = pem(registered).decode()
    vpcp, nghean = bearer(hub, "vpcp.sys", clock), bearer(hub, "nghean.sys", clock)
    policy = ClientCertPolicy(ClientCertMode.REQUIRED, HEADER, HeaderFormat.PEM, ("127.0.0.1/32",))
    with served(hub, policy) as server, httpx.Client(base_url=server.url) as http:
        good = {**vpcp, HEADER: quote(pem(registered).decode(), safe="")}  # nginx $ssl_client_escaped_cert
        assert http.get("/api/v1/inbox", headers=good).status_code == 200

        wrong = http.get("/api/v1/inbox", headers={**vpcp, HEADER: quote(pem(stranger).decode(), safe="")})
        assert wrong.status_code == 403 and wrong.json()["code"] == "MONITOR.CLIENT_CERT_MISMATCH"

        missing = http.get("/api/v1/inbox", headers=vpcp)
        assert missing.status_code == 403 and missing.json()["code"] == "MONITOR.CLIENT_CERT_MISSING"

        garbled = http.get("/api/v1/inbox", headers={**vpcp, HEADER: "-----BEGIN CERTIFICATE-----%%%"})
        assert garbled.json()["code"] == "MONITOR.CLIENT_CERT_UNREADABLE"

        # Nghệ An registered no certificate: with mTLS required it cannot pass.
        unregistered = http.get("/api/v1/inbox", headers={**nghean, HEADER: quote(pem(stranger).decode())})
        assert unregistered.json()["code"] == "MONITOR.CLIENT_CERT_UNREGISTERED"

        # The SDK protocol applies the same check.
        sdk_good = http.post(
            "/getReceivedEdocList", headers={**sdk_headers("vpcp.sys"), HEADER: good[HEADER]}
        )
        assert sdk_good.json()["status"] == "OK"
        sdk_wrong = http.post(
            "/getReceivedEdocList",
            headers={**sdk_headers("vpcp.sys"), HEADER: quote(pem(stranger).decode(), safe="")},
        )
        assert sdk_wrong.json()["status"] == "FAIL"
        assert "MONITOR.CLIENT_CERT_MISMATCH" in sdk_wrong.json()["ErrorDesc"]


def test_a_header_from_an_untrusted_address_is_ignored(hub: Hub, clock: Clock) -> None:
    registered = make_certificate("Văn phòng Chính phủ", clock.now + timedelta(days=365))
    with hub.write() as s:
        directory.get_agency(s, "000.00.00.G22").certificate_pem = pem(registered).decode()
    vpcp = bearer(hub, "vpcp.sys", clock)
    policy = ClientCertPolicy(ClientCertMode.REQUIRED, HEADER, HeaderFormat.PEM, ("10.0.0.0/8",))
    with served(hub, policy) as server, httpx.Client(base_url=server.url) as http:
        forged = http.get("/api/v1/inbox", headers={**vpcp, HEADER: quote(pem(registered).decode())})
        assert forged.status_code == 403 and forged.json()["code"] == "MONITOR.CLIENT_CERT_MISSING"


def test_fingerprint_header_and_optional_mode(hub: Hub, clock: Clock) -> None:
    registered = make_certificate("Văn phòng Chính phủ", clock.now + timedelta(days=365))
    with hub.write() as s:
        directory.get_agency(s, "000.00.00.G22").certificate_pem = pem(registered).decode()
    digest = hashlib.sha256(der(registered)).hexdigest().upper()
    colons = ":".join(digest[i : i + 2] for i in range(0, 64, 2))
    vpcp, nghean = bearer(hub, "vpcp.sys", clock), bearer(hub, "nghean.sys", clock)
    policy = ClientCertPolicy(ClientCertMode.OPTIONAL, "X-SSL-Client-SHA256", HeaderFormat.SHA256)
    with served(hub, policy) as server, httpx.Client(base_url=server.url) as http:
        assert http.get("/api/v1/inbox", headers={**vpcp, "X-SSL-Client-SHA256": colons}).status_code == 200
        other = http.get("/api/v1/inbox", headers={**vpcp, "X-SSL-Client-SHA256": "ab" * 32})
        assert other.json()["code"] == "MONITOR.CLIENT_CERT_MISMATCH"
        assert http.get("/api/v1/inbox", headers=vpcp).status_code == 200  # optional: no certificate is fine
        assert http.get("/api/v1/inbox", headers=nghean).status_code == 200  # nothing registered to compare


def test_parsing_of_forwarded_values(clock: Clock) -> None:
    cert = make_certificate("x", clock.now + timedelta(days=1))
    expected = hashlib.sha256(der(cert)).hexdigest()
    text = pem(cert).decode()
    assert forwarded_fingerprint(quote(text, safe=""), HeaderFormat.PEM) == expected
    assert forwarded_fingerprint(text.replace("\n", " "), HeaderFormat.PEM) == expected  # one-line PEM
    assert forwarded_fingerprint("sha256:" + expected.upper(), HeaderFormat.SHA256) == expected
    for bad, fmt in (("", HeaderFormat.PEM), ("abc", HeaderFormat.SHA256), ("zz" * 32, HeaderFormat.SHA256)):
        with pytest.raises(ValueError):
            forwarded_fingerprint(bad, fmt)
    off = ClientCertPolicy()
    assert verify_client(off, None, None, "s", []) is None
    assert not ClientCertPolicy(trusted_proxies=("::1/128",)).trusts("not an address")
    assert ClientCertPolicy(trusted_proxies=("::1/128",)).trusts("::1")
