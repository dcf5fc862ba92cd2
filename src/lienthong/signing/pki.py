"""A demo and test PKI shaped like the Government CA's: two roots, sector sub-CAs, a TSA, signers, CRLs.

The old root "Cơ quan chứng thực số chuyên dùng Chính phủ" (self-signed with SHA-1) with its
sector sub-CAs, and the G2 root with "CA phục vụ các cơ quan Nhà nước G2" (pathlen 0); agency
and personal certificates with the real profiles (``profiles``): no agency code, names in
CN/O/OU/L, e-mail SAN, the real key usages, EKUs and policy. Everything is written as files an
operator can read and a trust store can load. Keys are written unencrypted and every name says
"demo" somewhere in the files: this PKI is for tests, demos and first steps, never for real documents.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asn1crypto import algos as asn1_algos
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from lienthong.signing import profiles as prof
from lienthong.signing.credentials import Credential, PrivateKey, load_credential, pem
from lienthong.signing.pki_files import write_pki
from lienthong.signing.profiles import HolderName, ascii_name, slugify

Clock = Callable[[], datetime]
HashAlgorithm = hashes.SHA1 | hashes.SHA256

__all__ = ["Credential", "load_credential", "pem", "slugify"]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class AgencySpec:
    """An agency of the directory and how its certificates name it."""

    code: str
    name: str
    parent: str | None = None  # O on its certificates: the ministry or province above it
    locality: str = "Hà Nội"
    domain: str | None = None  # its e-mail domain (SAN)

    @property
    def mail_domain(self) -> str:
        return self.domain or f"{slugify(self.name).replace('-', '')}.gov.vn"


@dataclass(frozen=True)
class PersonSpec:
    """A personal signer. ``legacy``: certified by the old root's sub-CA, as older certificates
    are: ASCII names without diacritics and the position in front of the name in CN."""

    full_name: str
    position: str
    agency_code: str
    legacy: bool = False

    @property
    def slug(self) -> str:
        return slugify(self.full_name)


DEFAULT_AGENCIES: tuple[AgencySpec, ...] = (
    AgencySpec("000.00.00.G22", "Văn phòng Chính phủ", domain="chinhphu.vn"),
    AgencySpec("000.00.00.H41", "Ủy ban nhân dân tỉnh Nghệ An", locality="Nghệ An", domain="nghean.gov.vn"),
    AgencySpec(
        "000.00.00.H29",
        "Ủy ban nhân dân Thành phố Hồ Chí Minh",
        locality="Hồ Chí Minh",
        domain="tphcm.gov.vn",
    ),
    AgencySpec(
        "002.00.20.H13",
        "Ủy ban nhân dân xã Hòa Tiến",
        parent="Ủy ban nhân dân thành phố Đà Nẵng",
        locality="Đà Nẵng",
        domain="hoatien.danang.gov.vn",
    ),
)
DEFAULT_PEOPLE: tuple[PersonSpec, ...] = (
    PersonSpec("Nguyễn Văn An", "Chủ nhiệm Văn phòng Chính phủ", "000.00.00.G22"),
    PersonSpec("Trần Thị Bình", "Phó Chủ tịch Ủy ban nhân dân tỉnh", "000.00.00.H41"),
    PersonSpec("Lê Hoàng Cường", "Chủ tịch Ủy ban nhân dân xã", "002.00.20.H13"),
    PersonSpec("Phạm Thanh Hải", "Phó Chánh Văn phòng", "000.00.00.H29", legacy=True),
)
# Two extra personal signers every demo PKI has, for the failure cases.
REVOKED_PERSON = PersonSpec("Phạm Văn Dũng", "Chuyên viên", "000.00.00.G22")
EXPIRED_PERSON = PersonSpec("Hoàng Thị Em", "Chuyên viên", "000.00.00.G22")


@dataclass(frozen=True)
class DemoPki:
    """What ``create_demo_pki`` made and where it wrote it."""

    directory: Path
    root: Credential  # "RootCA chuyên dùng Chính phủ G2"
    issuing_ca: Credential  # "CA phục vụ các cơ quan Nhà nước G2"
    tsa: Credential
    agencies: Mapping[str, Credential]
    people: Mapping[str, Credential]
    revoked: Credential
    expired: Credential
    crls: tuple[x509.CertificateRevocationList, ...] = field(default=())
    legacy_root: Credential | None = None  # the old SHA-1 root
    legacy_cas: tuple[Credential, ...] = ()  # its sector sub-CAs
    agency_specs: tuple[AgencySpec, ...] = ()

    @property
    def trust_dir(self) -> Path:
        return self.directory / "trust"

    def person(self, full_name: str) -> Credential:
        return self.people[slugify(full_name)]


def new_key(key_size: int = 2048) -> PrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=key_size)


def issue(
    issuer: Credential | None,
    subject: x509.Name,
    *,
    not_before: datetime,
    not_after: datetime,
    ca: bool = False,
    timestamping: bool = False,
    key: PrivateKey | None = None,
    key_usage: x509.KeyUsage | None = None,
    path_length: int | None = None,
    extensions: Iterable[x509.ExtensionType] = (),
    hash_algorithm: HashAlgorithm | None = None,
) -> Credential:
    """A certificate for ``subject`` signed by ``issuer`` (self-signed when ``issuer`` is None)."""
    key = key or new_key()
    issuer_name = issuer.cert.subject if issuer else subject
    signing_key = issuer.key if issuer else key
    usage = key_usage or (prof.ca_key_usage() if ca else prof.signer_key_usage())
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length if ca else None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False
        )
        # Declaring where the issuer publishes makes validators check revocation ("check if
        # declared"); the URLs are never fetched: CRLs and OCSP responses come from the operator.
        for extension in prof.publication_extensions(issuer.name):
            builder = builder.add_extension(extension, critical=False)
    if timestamping:
        eku = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING])
        builder = builder.add_extension(eku, critical=True)
    for extension in extensions:
        builder = builder.add_extension(extension, critical=False)
    cert = builder.sign(signing_key, hashes.SHA256())
    if isinstance(hash_algorithm, hashes.SHA1):
        cert = resigned_with_sha1(cert, signing_key)
    chain = (issuer.cert, *issuer.chain) if issuer else ()
    # The root is a trust anchor the verifier has; it is not carried in signatures.
    chain = tuple(c for c in chain if c.issuer != c.subject)
    return Credential(key, cert, chain)


def resigned_with_sha1(cert: x509.Certificate, key: PrivateKey) -> x509.Certificate:
    """The same certificate signed with sha1WithRSAEncryption, as the old root was.

    ``cryptography`` no longer makes SHA-1 signatures on certificates, so the to-be-signed part
    is rewritten with asn1crypto and signed with the bare RSA primitive.
    """
    parsed = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
    algorithm = asn1_algos.SignedDigestAlgorithm({"algorithm": "sha1_rsa"})
    tbs = parsed["tbs_certificate"].copy()
    tbs["signature"] = algorithm
    signature = key.sign(tbs.dump(force=True), padding.PKCS1v15(), hashes.SHA1())
    rebuilt = asn1_x509.Certificate(
        {"tbs_certificate": tbs, "signature_algorithm": algorithm, "signature_value": signature}
    )
    return x509.load_der_x509_certificate(rebuilt.dump())


def new_root(common_name: str, now: datetime, *, organisation: str = prof.GOV_CA_ORGANISATION) -> Credential:
    start, end = now - timedelta(days=3650), now + timedelta(days=7300)
    return issue(None, prof.ca_name(common_name, organisation), not_before=start, not_after=end, ca=True)


def new_legacy_root(now: datetime) -> Credential:
    """The old root: self-signed with SHA-1 (as in 2010), still the anchor of older certificates."""
    subject = prof.ca_name(prof.LEGACY_ROOT_NAME, prof.GOV_CA_ORGANISATION_ASCII)
    start, end = now - timedelta(days=5000), now + timedelta(days=1500)
    return issue(None, subject, not_before=start, not_after=end, ca=True, hash_algorithm=hashes.SHA1())


def issue_ca(
    root: Credential, common_name: str, now: datetime, *, organisation: str = prof.GOV_CA_ORGANISATION
) -> Credential:
    """A sub-CA that issues only end entities (pathlen 0, as the G2 CAs)."""
    start, end = now - timedelta(days=1825), now + timedelta(days=3650)
    subject = prof.ca_name(common_name, organisation)
    return issue(root, subject, not_before=start, not_after=end, ca=True, path_length=0)


def agency_holder(agency: AgencySpec) -> HolderName:
    """An agency's own certificate (its seal): CN = the agency in capitals, O = the body above it."""
    return HolderName(
        common_name=agency.name.upper(),
        organisation=(agency.parent or agency.name).upper(),
        locality=agency.locality,
        email=f"vanthu@{agency.mail_domain}",
    )


def person_holder(person: PersonSpec, agency: AgencySpec | None) -> HolderName:
    """A person's certificate: the name in CN, the unit in OU, the body above in O, no agency code."""
    unit = agency.name if agency else None
    organisation = (agency.parent or agency.name) if agency else None
    domain = agency.mail_domain if agency else "example.gov.vn"
    email = f"{person.slug.replace('-', '')}@{domain}"
    if not person.legacy:
        units = (unit,) if unit and unit != organisation else ()
        locality = agency.locality if agency else None
        return HolderName(person.full_name, organisation, units, locality, email)
    return HolderName(
        common_name=ascii_name(f"{person.position} {person.full_name}"),
        organisation=ascii_name(organisation) if organisation else None,
        units=(ascii_name(unit),) if unit and unit != organisation else (),
        locality=ascii_name(agency.locality) if agency else None,
        email=email,
    )


def issue_holder(
    ca: Credential,
    holder: HolderName,
    now: datetime,
    *,
    g2: bool = True,
    validity: tuple[datetime, datetime] | None = None,
    key_usage: x509.KeyUsage | None = None,
) -> Credential:
    start, end = validity or (now - timedelta(days=1), now + timedelta(days=730))
    extensions = prof.signer_extensions(holder, g2=g2)
    return issue(
        ca, holder.subject(), not_before=start, not_after=end, key_usage=key_usage, extensions=extensions
    )


def issue_agency(
    ca: Credential, agency: AgencySpec, now: datetime, *, validity: tuple[datetime, datetime] | None = None
) -> Credential:
    return issue_holder(ca, agency_holder(agency), now, validity=validity)


def issue_person(
    ca: Credential,
    person: PersonSpec,
    agency: AgencySpec | None,
    now: datetime,
    *,
    validity: tuple[datetime, datetime] | None = None,
    key_usage: x509.KeyUsage | None = None,
) -> Credential:
    holder = person_holder(person, agency)
    return issue_holder(ca, holder, now, g2=not person.legacy, validity=validity, key_usage=key_usage)


def issue_crl(
    ca: Credential, revoked: Iterable[x509.Certificate], now: datetime
) -> x509.CertificateRevocationList:
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.cert.subject)
        .last_update(now - timedelta(hours=1))
        .next_update(now + timedelta(days=30))
        .add_extension(x509.CRLNumber(1), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False
        )
    )
    for cert in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(cert.serial_number)
            .revocation_date(now - timedelta(minutes=30))
            .add_extension(x509.CRLReason(x509.ReasonFlags.key_compromise), critical=False)
            .build()
        )
    return builder.sign(ca.key, hashes.SHA256())


@dataclass(frozen=True)
class _Authorities:
    g2_root: Credential
    g2_ca: Credential
    legacy_root: Credential
    legacy_cas: tuple[Credential, ...]
    tsa: Credential


def _authorities(now: datetime) -> _Authorities:
    g2_root = new_root(prof.G2_ROOT_NAME, now)
    g2_ca = issue_ca(g2_root, prof.G2_STATE_CA, now)
    legacy_root = new_legacy_root(now)
    legacy_cas = tuple(
        issue_ca(legacy_root, name, now, organisation=prof.GOV_CA_ORGANISATION_ASCII)
        for name in prof.LEGACY_SUB_CAS
    )
    tsa_name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, prof.GOV_CA_ORGANISATION),
            x509.NameAttribute(NameOID.COMMON_NAME, "Demo Time-Stamping Authority G2"),
        ]
    )
    start, end = now - timedelta(days=1), now + timedelta(days=1825)
    tsa = issue(g2_ca, tsa_name, not_before=start, not_after=end, timestamping=True)
    return _Authorities(g2_root, g2_ca, legacy_root, legacy_cas, tsa)


def create_demo_pki(
    directory: Path,
    *,
    agencies: Iterable[AgencySpec] = DEFAULT_AGENCIES,
    people: Iterable[PersonSpec] = DEFAULT_PEOPLE,
    clock: Clock = utc_now,
) -> DemoPki:
    """Make a whole demo PKI and write it under ``directory``.

    Layout: ``trust/`` (what a verifier trusts: roots and sub-CAs mixed, PEM and DER, and
    ``crls/``; point ``--trust`` here), ``tsa/``, ``agencies/<code>.{key,cert}.pem``,
    ``people/<name>.{key,cert}.pem``, ``directory.json`` (the agencies, for identity matching)
    and ``pki.json`` listing who is who.
    """
    now = clock()
    directory = Path(directory)
    specs = {a.code: a for a in agencies}
    auth = _authorities(now)
    ca = auth.g2_ca
    legacy_ca = auth.legacy_cas[-1]

    def person(spec: PersonSpec, validity: tuple[datetime, datetime] | None = None) -> Credential:
        issuer = legacy_ca if spec.legacy else ca
        return issue_person(issuer, spec, specs.get(spec.agency_code), now, validity=validity)

    agency_creds = {code: issue_agency(ca, spec, now) for code, spec in specs.items()}
    people_creds = {p.slug: person(p) for p in people}
    revoked = person(REVOKED_PERSON)
    expired = person(EXPIRED_PERSON, validity=(now - timedelta(days=1095), now - timedelta(days=365)))
    crls = (
        issue_crl(ca, [revoked.cert], now),
        issue_crl(auth.g2_root, [], now),
        issue_crl(auth.legacy_root, [], now),
        *(issue_crl(c, [], now) for c in auth.legacy_cas),
    )
    pki = DemoPki(
        directory, auth.g2_root, ca, auth.tsa, agency_creds, people_creds, revoked, expired, crls,
        auth.legacy_root, auth.legacy_cas, tuple(specs.values()),
    )  # fmt: skip
    write_pki(
        pki, revoked_stem=f"{REVOKED_PERSON.slug}.revoked", expired_stem=f"{EXPIRED_PERSON.slug}.expired"
    )
    return pki
