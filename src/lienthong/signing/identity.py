"""Who a certificate names, read from CN / O / OU / L and the e-mail SAN (no agency code is carried).

Whether the holder is a person or an agency (its seal) is read from the names, since the Government
CA's profiles mark neither: CN equal to O or an OU, or CN opening with the word for a body ("Văn
phòng", "Ủy ban nhân dân", "Bộ", "Tổng cục", …) is an agency; a directory match overrides it
(``agencies``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

from lienthong.codes.doctypes import fold

# Folded (lower case, no diacritics) openings of the names of bodies, never of people.
_BODY_OPENINGS = (
    "van phong",
    "uy ban nhan dan",
    "ubnd",
    "bo ",
    "tong cuc",
    "cuc ",
    "chi cuc",
    "so ",
    "ban ",
    "hoi dong",
    "toa an",
    "vien kiem sat",
    "kiem toan",
    "ngan hang",
    "benh vien",
    "trung tam",
    "co quan",
    "tinh uy",
    "thanh uy",
    "huyen uy",
    "dang uy",
    "cong ty",
    "truong ",
    "vien ",
    "thanh tra",
    "kho bac",
)
_POSITION_ENDINGS = frozenset(
    {"truong", "pho", "tich", "nhiem", "doc", "phong", "vien", "ky", "chanh", "thu", "ban", "tra"}
)
# Words of a position standing before a person's name in CN ("Phó Chi cục Trưởng Phạm Thanh Hải").
_POSITION_WORDS = re.compile(r"\b(pho|truong|chu tich|chu nhiem|giam doc|chanh|chuyen vien|thu ky)\b")


@dataclass(frozen=True)
class SignerIdentity:
    """What a signing certificate says about its holder, read once for reports and cross-checks."""

    name: str | None  # CN
    organisation: str | None  # O
    title: str | None  # the title attribute, when a CA sets it
    serial: str  # upper-case hex, as CAs print it
    issuer: str
    subject: str
    not_before: datetime
    not_after: datetime
    sha256: str
    units: tuple[str, ...] = ()  # OU, in the certificate's order (unit first, then its parents)
    locality: str | None = None  # L
    emails: tuple[str, ...] = ()  # subjectAltName rfc822Name (and the legacy emailAddress attribute)
    policies: tuple[str, ...] = ()  # certificate policy OIDs (2.16.704.1.1.1.1.1 on G2)

    @property
    def kind(self) -> str:
        """``agency`` for a body's own certificate (its seal), else ``person``."""
        cn = fold(self.name or "")
        if not cn:
            return "person"
        if cn in {fold(n) for n in (self.organisation, *self.units) if n}:
            return "agency"
        opening = next((o for o in _BODY_OPENINGS if cn.startswith(o)), None)
        # "Chi cục Trưởng Phạm Thanh Hải" opens like a body but is a person with a position.
        return "agency" if opening and not _POSITION_WORDS.search(cn[len(opening) :]) else "person"

    @property
    def domains(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(e.rsplit("@", 1)[-1].lower() for e in self.emails if "@" in e))

    def same_person(self, full_name: str | None) -> bool:
        """Whether ``full_name`` names this holder, ignoring case, spacing and diacritics.

        Diacritics are ignored on purpose: SignerInfo is often typed without them and older
        certificates have none. A CN may put the position first ("Phó Chi cục Trưởng Phạm
        Thanh Hải"): the name then ends it.
        """
        if not (full_name and self.name):
            return False
        wanted, cn = fold(full_name), fold(self.name)
        if not wanted or not cn.endswith(wanted):
            return False
        before = cn[: -len(wanted)]
        # Only a position may precede the name: "… Trưởng Phạm Thanh Hải", never "… Phạm Thanh Hải".
        return not before or (before.endswith(" ") and before.split()[-1] in _POSITION_ENDINGS)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "organisation": self.organisation,
            "units": list(self.units),
            "locality": self.locality,
            "title": self.title,
            "emails": list(self.emails),
            "policies": list(self.policies),
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
            serial=f"{cert.serial_number:X}",
            issuer=cert.issuer.rfc4514_string(),
            subject=subject.rfc4514_string(),
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
            sha256=cert.fingerprint(hashes.SHA256()).hex(),
            units=tuple(
                str(a.value) for a in subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
            ),
            locality=_first(subject, NameOID.LOCALITY_NAME),
            emails=_emails(cert),
            policies=_policies(cert),
        )


def _first(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    attrs = name.get_attributes_for_oid(oid)
    return str(attrs[0].value) if attrs else None


def _emails(cert: x509.Certificate) -> tuple[str, ...]:
    found = [str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.EMAIL_ADDRESS)]
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        found += [str(v) for v in san.get_values_for_type(x509.RFC822Name)]
    except x509.ExtensionNotFound:
        pass
    return tuple(dict.fromkeys(found))


def _policies(cert: x509.Certificate) -> tuple[str, ...]:
    try:
        policies = cert.extensions.get_extension_for_class(x509.CertificatePolicies).value
    except x509.ExtensionNotFound:
        return ()
    return tuple(p.policy_identifier.dotted_string for p in policies)
