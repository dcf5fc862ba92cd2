"""Who a certificate names: person or agency, name, organisation, title, agency code, serial, issuer."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

from lienthong.codes.agency import is_valid_agency_code
from lienthong.codes.doctypes import fold

_AGENCY_CODE_RE = re.compile(r"\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}")
# Attributes that may carry an agency code: organizationIdentifier (what the demo PKI uses) and
# the UID/serialNumber forms some Vietnamese CAs put identifiers in ("MST:…", "MDD:…"), inferred.
_CODE_CARRIERS = (NameOID.ORGANIZATION_IDENTIFIER, NameOID.USER_ID, NameOID.SERIAL_NUMBER)


@dataclass(frozen=True)
class SignerIdentity:
    """What a signing certificate says about its holder, read once for reports and cross-checks."""

    name: str | None
    organisation: str | None
    title: str | None
    agency_code: str | None
    serial: str  # upper-case hex, as CAs print it
    issuer: str
    subject: str
    not_before: datetime
    not_after: datetime
    sha256: str

    @property
    def kind(self) -> str:
        """``agency`` for an organisation's certificate (it carries an agency code), else ``person``."""
        return "agency" if self.agency_code else "person"

    def same_person(self, full_name: str | None) -> bool:
        """Whether ``full_name`` names this holder, ignoring case, spacing and diacritics.

        Diacritics are ignored on purpose: SignerInfo is often typed without them
        ("Nguyen Thanh Phuc") while the certificate has them.
        """
        return bool(full_name and self.name and fold(full_name) == fold(self.name))

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "organisation": self.organisation,
            "title": self.title,
            "agency_code": self.agency_code,
            "serial": self.serial,
            "issuer": self.issuer,
            "subject": self.subject,
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
            "sha256": self.sha256,
        }

    @classmethod
    def of(cls, cert: x509.Certificate) -> SignerIdentity:
        subject = cert.subject
        return cls(
            name=_first(subject, NameOID.COMMON_NAME),
            organisation=_first(subject, NameOID.ORGANIZATION_NAME),
            title=_first(subject, NameOID.TITLE),
            agency_code=_agency_code(subject),
            serial=f"{cert.serial_number:X}",
            issuer=cert.issuer.rfc4514_string(),
            subject=subject.rfc4514_string(),
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
            sha256=cert.fingerprint(hashes.SHA256()).hex(),
        )


def _first(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    attrs = name.get_attributes_for_oid(oid)
    return str(attrs[0].value) if attrs else None


def _agency_code(name: x509.Name) -> str | None:
    for oid in _CODE_CARRIERS:
        for attr in name.get_attributes_for_oid(oid):
            m = _AGENCY_CODE_RE.search(str(attr.value))
            if m and is_valid_agency_code(m.group(0)):
                return m.group(0)
    return None
