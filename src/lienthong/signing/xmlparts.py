"""The parts of an XML-DSig Signature element both verifiers read: certificates, algorithms, signing time."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from cryptography import x509
from lxml import etree
from signxml.algorithms import SignatureMethod
from signxml.exceptions import InvalidDigest, InvalidInput, SignXMLException

from lienthong.codes.dates import VIETNAM
from lienthong.edxml import XMLDSIG_NS
from lienthong.problems import Problem
from lienthong.signing import problems as P

T = TypeVar("T")

DS = f"{{{XMLDSIG_NS}}}"
# Public-key methods only: an HMAC "signature" proves nothing about a certificate holder.
ACCEPTED_METHODS = frozenset(m for m in SignatureMethod if not m.name.startswith("HMAC"))


def is_weak(uri: str) -> bool:
    return uri.endswith(("#rsa-sha1", "#sha1", "#dsa-sha1"))


def certificates_of(signature: etree._Element) -> list[x509.Certificate]:
    """The X509Certificate values of a Signature's KeyInfo (raises ValueError on a damaged one)."""
    certs = []
    for element in signature.iter(f"{DS}X509Certificate"):
        der = base64.b64decode("".join((element.text or "").split()), validate=True)
        certs.append(x509.load_der_x509_certificate(der))
    return certs


def leaf_of(certs: list[x509.Certificate]) -> x509.Certificate:
    """The end-entity certificate: the one that issued none of the others."""
    issuers = {c.issuer for c in certs}
    for cert in certs:
        if cert.subject not in issuers:
            return cert
    return certs[0]


def signed_signing_time(signature: etree._Element, uris: list[str]) -> datetime | None:
    """The ``SigningTime`` of a SignatureProperty the signature references (unsigned ones don't count)."""
    signed_ids = {u[1:] for u in uris if u.startswith("#")}
    for prop in signature.iter(f"{DS}SignatureProperty"):
        holders = [prop]
        for ancestor in prop.iterancestors():
            if ancestor is signature:
                break
            holders.append(ancestor)
        if not any(h.get("Id") in signed_ids for h in holders):
            continue
        for element in prop.iter():
            if isinstance(element.tag, str) and etree.QName(element).localname == "SigningTime":
                moment = _parse_time((element.text or "").strip())
                if moment is not None:
                    return moment
    return None


def _parse_time(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=VIETNAM)  # local time, as written


def run_signxml(verify: Callable[[], T], where: str, modified: str) -> tuple[T | None, Problem | None]:
    """signxml's verification as a verdict: a digest mismatch is SIG.MODIFIED (``modified`` says
    what changed), anything else SIG.INVALID; a malformed Signature never escapes as a crash."""
    try:
        return verify(), None
    except InvalidDigest:
        return None, P.MODIFIED(where, detail=modified)
    except (SignXMLException, InvalidInput, etree.XMLSyntaxError, ValueError) as exc:
        return None, P.INVALID(where, detail=str(exc) or type(exc).__name__)
    except Exception as exc:
        return None, P.INVALID(where, detail=f"{type(exc).__name__}: {exc}")
