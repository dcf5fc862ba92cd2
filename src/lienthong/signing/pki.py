"""A demo and test PKI: root and issuing CA, a time-stamping authority, agency and personal signers, a CRL.

Everything is made locally with ``cryptography`` and written as PEM files an operator can read
and a trust store can load. Keys are written unencrypted: this PKI is for tests, demos and first
steps, never for real documents (its names say so).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from lienthong.signing import problems as P
from lienthong.signing.errors import SigningError

Clock = Callable[[], datetime]
CRL_BASE_URL = "http://pki.lienthong.invalid/crl"  # .invalid: a name that can never resolve
PrivateKey = rsa.RSAPrivateKey


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Credential:
    """A private key, its certificate and the issuing chain above it (root excluded)."""

    key: PrivateKey
    cert: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()

    @property
    def name(self) -> str:
        cns = self.cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        return str(cns[0].value) if cns else self.cert.subject.rfc4514_string()

    def save(self, directory: Path, stem: str) -> tuple[Path, Path]:
        """Write ``stem.key.pem`` and ``stem.cert.pem`` (the certificate followed by its chain)."""
        directory.mkdir(parents=True, exist_ok=True)
        key_path = directory / f"{stem}.key.pem"
        cert_path = directory / f"{stem}.cert.pem"
        key_path.write_bytes(
            self.key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        key_path.chmod(0o600)
        cert_path.write_bytes(b"".join(pem(c) for c in (self.cert, *self.chain)))
        return key_path, cert_path


@dataclass(frozen=True)
class AgencySpec:
    code: str
    name: str


@dataclass(frozen=True)
class PersonSpec:
    full_name: str
    position: str
    agency_code: str

    @property
    def slug(self) -> str:
        return slugify(self.full_name)


DEFAULT_AGENCIES: tuple[AgencySpec, ...] = (
    AgencySpec("000.00.00.G22", "Văn phòng Chính phủ"),
    AgencySpec("000.00.00.H41", "Ủy ban nhân dân tỉnh Nghệ An"),
    AgencySpec("000.00.00.H29", "Ủy ban nhân dân Thành phố Hồ Chí Minh"),
    AgencySpec("002.00.20.H13", "Ủy ban nhân dân xã Hòa Tiến"),
)
DEFAULT_PEOPLE: tuple[PersonSpec, ...] = (
    PersonSpec("Nguyễn Văn An", "Chủ nhiệm Văn phòng Chính phủ", "000.00.00.G22"),
    PersonSpec("Trần Thị Bình", "Phó Chủ tịch Ủy ban nhân dân tỉnh", "000.00.00.H41"),
    PersonSpec("Lê Hoàng Cường", "Chủ tịch Ủy ban nhân dân xã", "002.00.20.H13"),
)
# Two extra personal signers every demo PKI has, for the failure cases.
REVOKED_PERSON = PersonSpec("Phạm Văn Dũng", "Chuyên viên (chứng thư đã thu hồi)", "000.00.00.G22")
EXPIRED_PERSON = PersonSpec("Hoàng Thị Em", "Chuyên viên (chứng thư hết hạn)", "000.00.00.G22")


@dataclass(frozen=True)
class DemoPki:
    """What ``create_demo_pki`` made and where it wrote it."""

    directory: Path
    root: Credential
    issuing_ca: Credential
    tsa: Credential
    agencies: Mapping[str, Credential]
    people: Mapping[str, Credential]
    revoked: Credential
    expired: Credential
    crls: tuple[x509.CertificateRevocationList, ...] = field(default=())

    @property
    def trust_dir(self) -> Path:
        return self.directory / "trust"

    def person(self, full_name: str) -> Credential:
        return self.people[slugify(full_name)]


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def slugify(text: str) -> str:
    """An ASCII file name for a Vietnamese name (``Nguyễn Văn An`` → ``nguyen-van-an``)."""
    folded = unicodedata.normalize("NFKD", text.replace("Đ", "D").replace("đ", "d"))
    ascii_text = folded.encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-") or "signer"


def new_key(key_size: int = 2048) -> PrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=key_size)


def _name(*attrs: tuple[x509.ObjectIdentifier, str]) -> x509.Name:
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in attrs])


def _key_usage(*, signer: bool, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signer,
        content_commitment=signer,  # nonRepudiation: pyHanko requires it by default for PDF signers
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


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
) -> Credential:
    """A certificate for ``subject`` signed by ``issuer`` (self-signed when ``issuer`` is None)."""
    key = key or new_key()
    issuer_name = issuer.cert.subject if issuer else subject
    signing_key = issuer.key if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(key_usage or _key_usage(signer=not ca, ca=ca), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False
        )
    if issuer is not None:
        # Declaring where the issuer's CRL lives makes validators check revocation ("check if
        # declared"); the URL is never fetched: the CRL itself comes from the trust store.
        url = f"{CRL_BASE_URL}/{slugify(issuer.name)}.crl"
        point = x509.DistributionPoint([x509.UniformResourceIdentifier(url)], None, None, None)
        builder = builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)
    if timestamping:
        eku = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING])
        builder = builder.add_extension(eku, critical=True)
    cert = builder.sign(signing_key, hashes.SHA256())
    chain = (issuer.cert, *issuer.chain) if issuer else ()
    # The root is a trust anchor the verifier has; it is not carried in signatures.
    chain = tuple(c for c in chain if c.issuer != c.subject)
    return Credential(key, cert, chain)


def new_root(common_name: str, now: datetime) -> Credential:
    subject = _name(
        (NameOID.COUNTRY_NAME, "VN"),
        (NameOID.ORGANIZATION_NAME, "Lienthong Demo PKI - không dùng cho văn bản thật"),
        (NameOID.COMMON_NAME, common_name),
    )
    start, end = now - timedelta(days=3650), now + timedelta(days=7300)
    return issue(None, subject, not_before=start, not_after=end, ca=True)


def issue_ca(root: Credential, common_name: str, now: datetime) -> Credential:
    subject = _name(
        (NameOID.COUNTRY_NAME, "VN"),
        (NameOID.ORGANIZATION_NAME, "Lienthong Demo PKI - không dùng cho văn bản thật"),
        (NameOID.COMMON_NAME, common_name),
    )
    start, end = now - timedelta(days=1825), now + timedelta(days=3650)
    return issue(root, subject, not_before=start, not_after=end, ca=True)


def issue_agency(
    ca: Credential, agency: AgencySpec, now: datetime, *, validity: tuple[datetime, datetime] | None = None
) -> Credential:
    """An agency (organisation) signing certificate: the agency code in organizationIdentifier."""
    subject = _name(
        (NameOID.COUNTRY_NAME, "VN"),
        (NameOID.ORGANIZATION_NAME, agency.name),
        (NameOID.ORGANIZATION_IDENTIFIER, agency.code),
        (NameOID.COMMON_NAME, agency.name),
    )
    start, end = validity or (now - timedelta(days=1), now + timedelta(days=730))
    return issue(ca, subject, not_before=start, not_after=end)


def issue_person(
    ca: Credential,
    person: PersonSpec,
    organisation: str,
    now: datetime,
    *,
    validity: tuple[datetime, datetime] | None = None,
    key_usage: x509.KeyUsage | None = None,
) -> Credential:
    """A personal signing certificate: name, position (title) and organisation."""
    subject = _name(
        (NameOID.COUNTRY_NAME, "VN"),
        (NameOID.ORGANIZATION_NAME, organisation),
        (NameOID.TITLE, person.position),
        (NameOID.COMMON_NAME, person.full_name),
    )
    start, end = validity or (now - timedelta(days=1), now + timedelta(days=730))
    return issue(ca, subject, not_before=start, not_after=end, key_usage=key_usage)


def _aki(ca: Credential) -> x509.AuthorityKeyIdentifier:
    return x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key())


def issue_crl(
    ca: Credential, revoked: Iterable[x509.Certificate], now: datetime
) -> x509.CertificateRevocationList:
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.cert.subject)
        .last_update(now - timedelta(hours=1))
        .next_update(now + timedelta(days=30))
        .add_extension(x509.CRLNumber(1), critical=False)
        .add_extension(_aki(ca), critical=False)
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


def create_demo_pki(
    directory: Path,
    *,
    agencies: Iterable[AgencySpec] = DEFAULT_AGENCIES,
    people: Iterable[PersonSpec] = DEFAULT_PEOPLE,
    clock: Clock = utc_now,
) -> DemoPki:
    """Make a whole demo PKI and write it under ``directory``.

    Layout: ``trust/{roots,intermediates,crls}`` (what a verifier trusts: point ``--trust`` here),
    ``tsa/``, ``agencies/<code>.{key,cert}.pem``, ``people/<name>.{key,cert}.pem`` and
    ``pki.json`` listing who is who.
    """
    now = clock()
    directory = Path(directory)
    agency_list = list(agencies)
    names = {a.code: a.name for a in agency_list}
    root = new_root("Lienthong Demo Root CA", now)
    ca = issue_ca(root, "Lienthong Demo Issuing CA", now)
    tsa = issue(
        ca,
        _name((NameOID.COUNTRY_NAME, "VN"), (NameOID.COMMON_NAME, "Lienthong Demo Time-Stamping Authority")),
        not_before=now - timedelta(days=1),
        not_after=now + timedelta(days=1825),
        timestamping=True,
    )
    agency_creds = {a.code: issue_agency(ca, a, now) for a in agency_list}
    people_creds = {p.slug: issue_person(ca, p, names.get(p.agency_code, p.agency_code), now) for p in people}
    revoked = issue_person(ca, REVOKED_PERSON, names.get(REVOKED_PERSON.agency_code, ""), now)
    expired = issue_person(
        ca,
        EXPIRED_PERSON,
        names.get(EXPIRED_PERSON.agency_code, ""),
        now,
        validity=(now - timedelta(days=1095), now - timedelta(days=365)),
    )
    crls = (issue_crl(ca, [revoked.cert], now), issue_crl(root, [], now))

    trust = directory / "trust"
    for sub in ("roots", "intermediates", "crls"):
        (trust / sub).mkdir(parents=True, exist_ok=True)
    (trust / "roots" / "lienthong-demo-root.pem").write_bytes(pem(root.cert))
    (trust / "intermediates" / "lienthong-demo-issuing-ca.pem").write_bytes(pem(ca.cert))
    der = serialization.Encoding.DER
    (trust / "crls" / "lienthong-demo-issuing-ca.crl").write_bytes(crls[0].public_bytes(der))
    (trust / "crls" / "lienthong-demo-root.crl").write_bytes(crls[1].public_bytes(der))
    root.save(directory / "ca", "root")
    ca.save(directory / "ca", "issuing-ca")
    tsa.save(directory / "tsa", "tsa")
    for code, cred in agency_creds.items():
        cred.save(directory / "agencies", code)
    for slug, cred in people_creds.items():
        cred.save(directory / "people", slug)
    revoked.save(directory / "people", f"{REVOKED_PERSON.slug}.revoked")
    expired.save(directory / "people", f"{EXPIRED_PERSON.slug}.expired")
    listing = {
        "warning": "Demo PKI: never use these keys for real documents.",
        "trust": "trust",
        "agencies": {
            code: {
                "name": names[code],
                "key": f"agencies/{code}.key.pem",
                "cert": f"agencies/{code}.cert.pem",
            }
            for code in agency_creds
        },
        "people": {
            slug: {"name": cred.name, "key": f"people/{slug}.key.pem", "cert": f"people/{slug}.cert.pem"}
            for slug, cred in people_creds.items()
        },
        "revoked": f"people/{REVOKED_PERSON.slug}.revoked.cert.pem",
        "expired": f"people/{EXPIRED_PERSON.slug}.expired.cert.pem",
    }
    (directory / "pki.json").write_text(json.dumps(listing, ensure_ascii=False, indent=2), encoding="utf-8")
    return DemoPki(directory, root, ca, tsa, agency_creds, people_creds, revoked, expired, crls)


PKCS12_SUFFIXES = frozenset({".p12", ".pfx"})


def load_credential(
    key_path: Path, cert_path: Path | None = None, password: bytes | None = None
) -> Credential:
    """A signing credential from files.

    Either a PKCS#12 file (``.p12``/``.pfx``: key, certificate and chain together; ``cert_path``
    optional) or a private key (PEM or DER) with its certificate file (PEM: the certificate and
    its chain in any order, or DER). Only RSA keys: what Vietnamese CAs issue and signxml and
    pyHanko both handle.
    """
    key_path = Path(key_path)
    key_data = _read(key_path)
    extra: list[x509.Certificate] = []
    try:
        if key_path.suffix.lower() in PKCS12_SUFFIXES:
            key, own, more = pkcs12.load_key_and_certificates(key_data, password)
            extra = [c for c in (own, *more) if c is not None]
        elif b"-----BEGIN" in key_data:
            key = serialization.load_pem_private_key(key_data, password)
        else:
            key = serialization.load_der_private_key(key_data, password)
    except (ValueError, TypeError) as exc:
        raise SigningError(P.KEY_UNREADABLE(str(key_path), file=str(key_path), reason=str(exc))) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        reason = f"{type(key).__name__} keys are not supported; use RSA"
        raise SigningError(P.KEY_UNREADABLE(str(key_path), file=str(key_path), reason=reason))
    certs = extra + (_read_certificates(Path(cert_path)) if cert_path is not None else [])
    # The certificate of this key may come anywhere in the files: find it by its public key.
    public = key.public_key().public_numbers()
    own_cert = next((c for c in certs if _public_numbers(c) == public), None)
    if own_cert is None:
        where = str(cert_path or key_path)
        reason = "no certificate matches the private key"
        raise SigningError(P.KEY_UNREADABLE(where, file=where, reason=reason))
    chain = tuple(c for c in certs if c != own_cert and c.issuer != c.subject)
    return Credential(key, own_cert, tuple(dict.fromkeys(chain)))


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise SigningError(P.KEY_UNREADABLE(str(path), file=str(path), reason=reason)) from None


def _read_certificates(path: Path) -> list[x509.Certificate]:
    data = _read(path)
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificates(data)
        return [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        raise SigningError(P.KEY_UNREADABLE(str(path), file=str(path), reason=str(exc))) from None


def _public_numbers(cert: x509.Certificate) -> rsa.RSAPublicNumbers | None:
    key = cert.public_key()
    return key.public_numbers() if isinstance(key, rsa.RSAPublicKey) else None
