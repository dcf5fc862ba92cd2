"""The Government CA's certificate profiles (Ban Cơ yếu Chính phủ), as public material shows them.

Used by the demo PKI so that every test exercises the real shapes, and by the verifier to know
what to read: no agency code anywhere; the holder in CN / O / OU / L, an e-mail subjectAltName;
key usage digitalSignature + nonRepudiation (+ key/data encipherment); extended key usage
clientAuth + emailProtection + smartcardLogon (no document-signing EKU); policy
2.16.704.1.1.1.1.1 on G2; AIA/OCSP/CRL addresses on ca.gov.vn that are never fetched.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

GOV_CA_ORGANISATION = "Ban Cơ yếu Chính phủ"
GOV_CA_ORGANISATION_ASCII = "Ban Co yeu Chinh phu"
LEGACY_ROOT_NAME = "Cơ quan chứng thực số chuyên dùng Chính phủ"
G2_ROOT_NAME = "RootCA chuyên dùng Chính phủ G2"
# Sector sub-CAs of the old root (ASCII names, as issued) and of G2.
LEGACY_SUB_CAS = ("Co quan chung thuc so Chinh phu", "Co quan chung thuc so Bo Tai chinh")
G2_STATE_CA = "CA phục vụ các cơ quan Nhà nước G2"
G2_POLICY = "2.16.704.1.1.1.1.1"
CA_BASE_URL = "http://ca.gov.vn/pki/pub"  # published, but never fetched by a verifier
OCSP_URL = "http://ocsp.ca.gov.vn"
SIGNER_EKUS = (
    ExtendedKeyUsageOID.CLIENT_AUTH,
    ExtendedKeyUsageOID.EMAIL_PROTECTION,
    ExtendedKeyUsageOID.SMARTCARD_LOGON,
)


@dataclass(frozen=True)
class HolderName:
    """Who a certificate names, attribute by attribute (OU may repeat: unit, then its parent)."""

    common_name: str
    organisation: str | None = None
    units: tuple[str, ...] = ()
    locality: str | None = None
    email: str | None = None

    def subject(self) -> x509.Name:
        attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
        if self.locality:
            attrs.append(x509.NameAttribute(NameOID.LOCALITY_NAME, self.locality))
        if self.organisation:
            attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, self.organisation))
        attrs += [x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit) for unit in self.units]
        attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, self.common_name))
        return x509.Name(attrs)


def ca_name(common_name: str, organisation: str = GOV_CA_ORGANISATION) -> x509.Name:
    return HolderName(common_name, organisation).subject()


def signer_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=True,  # nonRepudiation
        key_encipherment=True,
        data_encipherment=True,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def ca_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=False,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )


def slugify(text: str) -> str:
    """An ASCII slug for a Vietnamese name (``Nguyễn Văn An`` → ``nguyen-van-an``): files, URLs, e-mail."""
    folded = unicodedata.normalize("NFKD", text.replace("Đ", "D").replace("đ", "d"))
    ascii_text = folded.encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-") or "signer"


def ascii_name(text: str) -> str:
    """``Phạm Thanh Hải`` → ``Pham Thanh Hai``: how older certificates spell names."""
    folded = unicodedata.normalize("NFKD", text.replace("Đ", "D").replace("đ", "d"))
    return folded.encode("ascii", "ignore").decode("ascii")


def publication_extensions(issuer_name: str) -> list[x509.ExtensionType]:
    """Where the issuer's certificate, CRL and OCSP responder are published (ca.gov.vn)."""
    slug = slugify(issuer_name)
    crl = x509.DistributionPoint(
        [x509.UniformResourceIdentifier(f"{CA_BASE_URL}/crl/{slug}.crl")], None, None, None
    )
    aia = x509.AuthorityInformationAccess(
        [
            x509.AccessDescription(
                AuthorityInformationAccessOID.CA_ISSUERS,
                x509.UniformResourceIdentifier(f"{CA_BASE_URL}/cert/{slug}.cer"),
            ),
            x509.AccessDescription(
                AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(OCSP_URL)
            ),
        ]
    )
    return [x509.CRLDistributionPoints([crl]), aia]


def signer_extensions(holder: HolderName, *, g2: bool) -> list[x509.ExtensionType]:
    """An end entity's extensions besides key usage: EKUs, e-mail SAN and (G2) the policy OID."""
    found: list[x509.ExtensionType] = [x509.ExtendedKeyUsage(list(SIGNER_EKUS))]
    if holder.email:
        found.append(x509.SubjectAlternativeName([x509.RFC822Name(holder.email)]))
    if g2:
        found.append(
            x509.CertificatePolicies([x509.PolicyInformation(x509.ObjectIdentifier(G2_POLICY), None)])
        )
    return found
