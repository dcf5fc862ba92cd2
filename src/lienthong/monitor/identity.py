"""Mutual TLS behind a proxy: check the client certificate a trusted proxy forwards against the registry.

The TLS-terminating proxy verifies the client certificate's chain; what only the hub knows is
*whose* certificate it must be. The proxy forwards the certificate (URL-encoded PEM, as nginx's
``$ssl_client_escaped_cert``) or its SHA-256 fingerprint in a header; the header is believed only
when the request comes straight from a configured proxy address, since anyone can send a header.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import unquote

from lienthong.monitor import certs as C
from lienthong.monitor import problems as MP
from lienthong.problems import Problem

_PEM_BODY = re.compile(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", re.S)
_HEX64 = re.compile(r"[0-9a-f]{64}")


class ClientCertMode(StrEnum):
    OFF = "off"  # no check (the default: a hub reached directly, or a proxy that does not forward)
    OPTIONAL = "optional"  # check when a certificate is forwarded and one is registered
    REQUIRED = "required"  # every authenticated request must come with the registered certificate


class HeaderFormat(StrEnum):
    PEM = "pem"  # URL-encoded (or plain) PEM: nginx $ssl_client_escaped_cert
    SHA256 = "sha256"  # hex SHA-256 of the DER certificate, colons allowed (HAProxy, Envoy)


@dataclass(frozen=True)
class ClientCertPolicy:
    mode: ClientCertMode = ClientCertMode.OFF
    header: str = "X-Client-Cert"
    header_format: HeaderFormat = HeaderFormat.PEM
    trusted_proxies: tuple[str, ...] = ("127.0.0.1/32", "::1/128")

    def trusts(self, peer: str | None) -> bool:
        """True if ``peer`` (the direct TCP peer's address) is one of the configured proxies."""
        if not peer:
            return False
        try:
            address = ipaddress.ip_address(peer)
        except ValueError:
            return False
        return any(address in ipaddress.ip_network(net, strict=False) for net in self.trusted_proxies)


def forwarded_fingerprint(value: str, header_format: HeaderFormat) -> str:
    """The lower-case hex SHA-256 of the forwarded certificate. Raises ValueError if it cannot be read."""
    text = unquote(value.strip())  # unquote, not unquote_plus: '+' is a base64 character
    if header_format is HeaderFormat.SHA256:
        compact = text.lower().removeprefix("sha256:").replace(":", "").replace(" ", "")
        if not _HEX64.fullmatch(compact):
            raise ValueError("not a hex SHA-256 fingerprint")
        return compact
    match = _PEM_BODY.search(text)
    if match is None:
        raise ValueError("no PEM certificate in the header")
    try:
        der = base64.b64decode("".join(match.group(1).split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"bad base64: {exc}") from None
    certificates = C.load_certificates(der)  # ValueError when it is not a certificate
    return C.sha256_fingerprint(certificates[0])


def registered_fingerprints(pems: Iterable[str]) -> set[str]:
    """SHA-256 of every certificate in the registered PEM texts (unreadable ones are skipped)."""
    out: set[str] = set()
    for pem in pems:
        try:
            out |= {C.sha256_fingerprint(c) for c in C.load_certificates(pem.encode("ascii", "replace"))}
        except ValueError:
            continue
    return out


def verify_client(
    policy: ClientCertPolicy,
    peer: str | None,
    header_value: str | None,
    system_id: str,
    registered_pems: Iterable[str],
) -> Problem | None:
    """None if the caller may go on; else the problem to refuse it with."""
    if policy.mode is ClientCertMode.OFF:
        return None
    value = header_value if header_value and policy.trusts(peer) else None
    if value is None:
        return MP.CLIENT_CERT_MISSING("") if policy.mode is ClientCertMode.REQUIRED else None
    try:
        presented = forwarded_fingerprint(value, policy.header_format)
    except ValueError as exc:
        return MP.CLIENT_CERT_UNREADABLE("", detail=str(exc))
    registered = registered_fingerprints(registered_pems)
    if not registered:
        if policy.mode is ClientCertMode.REQUIRED:
            return MP.CLIENT_CERT_UNREGISTERED("", system=system_id)
        return None
    if presented not in registered:
        return MP.CLIENT_CERT_MISMATCH("", fingerprint=presented, system=system_id)
    return None


def fingerprint_of_pem(pem: str) -> str:
    """SHA-256 of the first certificate in a PEM text (for operators and tests)."""
    return C.sha256_fingerprint(C.load_certificates(pem.encode("ascii"))[0])
