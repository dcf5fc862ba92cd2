"""Writing a demo PKI to disk: the trust folder (roots and sub-CAs mixed, PEM and DER, CRLs),
credentials, ``pki.json`` (who is who) and ``directory.json`` (the agencies, for identity matching)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from lienthong.signing.credentials import pem
from lienthong.signing.profiles import slugify

if TYPE_CHECKING:
    from lienthong.signing.pki import DemoPki


def write_pki(pki: DemoPki, *, revoked_stem: str, expired_stem: str) -> None:
    """Write the PKI's files: trust store, CA, TSA, agency and people credentials, listings."""
    directory = pki.directory
    trust = directory / "trust"
    (trust / "crls").mkdir(parents=True, exist_ok=True)
    der = serialization.Encoding.DER
    # Roots and sub-CAs side by side, as operators receive them: G2 in PEM, the old ones in DER.
    (trust / "g2-root.pem").write_bytes(pem(pki.root.cert))
    (trust / "g2-state-ca.pem").write_bytes(pem(pki.issuing_ca.cert))
    if pki.legacy_root is not None:
        (trust / "legacy-root.cer").write_bytes(pki.legacy_root.cert.public_bytes(der))
    for ca in pki.legacy_cas:
        (trust / f"{slugify(ca.name)}.cer").write_bytes(ca.cert.public_bytes(der))
    for crl in pki.crls:
        name = crl.issuer.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
        (trust / "crls" / f"{slugify(str(name))}.crl").write_bytes(crl.public_bytes(der))
    pki.root.save(directory / "ca", "g2-root")
    pki.issuing_ca.save(directory / "ca", "g2-state-ca")
    pki.tsa.save(directory / "tsa", "tsa")
    for code, cred in pki.agencies.items():
        cred.save(directory / "agencies", code)
    for slug, cred in pki.people.items():
        cred.save(directory / "people", slug)
    pki.revoked.save(directory / "people", revoked_stem)
    pki.expired.save(directory / "people", expired_stem)
    _write_listings(pki, revoked_stem, expired_stem)


def _write_listings(pki: DemoPki, revoked_stem: str, expired_stem: str) -> None:
    directory = pki.directory
    listing = {
        "warning": "Demo PKI: never use these keys for real documents.",
        "trust": "trust",
        "agencies": {
            code: {"name": cred.name, "key": f"agencies/{code}.key.pem", "cert": f"agencies/{code}.cert.pem"}
            for code, cred in pki.agencies.items()
        },
        "people": {
            slug: {"name": cred.name, "key": f"people/{slug}.key.pem", "cert": f"people/{slug}.cert.pem"}
            for slug, cred in pki.people.items()
        },
        "revoked": f"people/{revoked_stem}.cert.pem",
        "expired": f"people/{expired_stem}.cert.pem",
    }
    (directory / "pki.json").write_text(json.dumps(listing, ensure_ascii=False, indent=2), encoding="utf-8")
    sha256 = hashes.SHA256()
    agencies = [
        {
            "code": spec.code,
            "name": spec.name,
            "domains": [spec.mail_domain],
            "certificates": [pki.agencies[spec.code].cert.fingerprint(sha256).hex()],
        }
        for spec in pki.agency_specs
    ]
    text = json.dumps({"agencies": agencies, "mappings": []}, ensure_ascii=False, indent=2)
    (directory / "directory.json").write_text(text, encoding="utf-8")
