"""The trust store: trust anchors, intermediate certificates, CRLs and OCSP responses from folders.

Nothing is fetched from the network unless the operator turns ``allow_fetching`` on: the
Government CA's AIA/OCSP/CRL addresses (ca.gov.vn) are unreachable from closed networks, so
revocation data comes from files the operator provides (a folder refreshed by a scheduled fetch
where the network allows). Anchors are the certificates under ``roots/`` plus any self-signed
certificate anywhere, PEM or DER, roots and sub-CAs mixed in one folder or one bundle; an
anchor's own signature is never checked, so the old root self-signed with SHA-1 anchors fine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko_certvalidator import ValidationContext

from lienthong.signing import problems as P
from lienthong.signing.errors import SigningError

CERT_SUFFIXES = frozenset({".pem", ".crt", ".cer", ".der"})
CRL_SUFFIXES = frozenset({".crl"})
OCSP_SUFFIXES = frozenset({".ocsp", ".ors"})  # DER OCSPResponse, as ``openssl ocsp -respout`` writes
_DER = serialization.Encoding.DER
_PEM_CERT = b"-----BEGIN CERTIFICATE-----"
_PEM_CRL = b"-----BEGIN X509 CRL-----"


class TrustSource(Protocol):
    """The port verifiers depend on: validation contexts at a moment. ``TrustStore`` (a folder)
    is one; a store kept in the database or refreshed from the CAs would be another."""

    def validation_context(
        self, moment: datetime | None = None, *, retroactive: bool = False
    ) -> ValidationContext:
        """A fresh context judging certificates at ``moment`` (now when None)."""
        ...


@dataclass(frozen=True)
class TrustStore:
    """What a verifier trusts; build validation contexts from it, one per verification."""

    roots: tuple[x509.Certificate, ...]
    intermediates: tuple[x509.Certificate, ...] = ()
    crls: tuple[x509.CertificateRevocationList, ...] = ()
    allow_fetching: bool = False
    revocation_mode: str = "soft-fail"  # a CRL that is present is always applied
    source: str = ""
    ocsps: tuple[bytes, ...] = ()  # DER OCSP responses
    _asn1_roots: tuple[asn1_x509.Certificate, ...] = field(init=False, repr=False, compare=False)
    _asn1_others: tuple[asn1_x509.Certificate, ...] = field(init=False, repr=False, compare=False)
    _asn1_crls: tuple[asn1_crl.CertificateList, ...] = field(init=False, repr=False, compare=False)
    _asn1_ocsps: tuple[asn1_ocsp.OCSPResponse, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # asn1crypto forms, converted once: pyHanko and its validator work with those.
        object.__setattr__(self, "_asn1_roots", tuple(asn1_certificate(c) for c in self.roots))
        object.__setattr__(self, "_asn1_others", tuple(asn1_certificate(c) for c in self.intermediates))
        object.__setattr__(
            self,
            "_asn1_crls",
            tuple(asn1_crl.CertificateList.load(c.public_bytes(_DER)) for c in self.crls),
        )
        object.__setattr__(self, "_asn1_ocsps", tuple(asn1_ocsp.OCSPResponse.load(o) for o in self.ocsps))

    def validation_context(
        self, moment: datetime | None = None, *, retroactive: bool = False
    ) -> ValidationContext:
        """A fresh pyHanko validation context (they cache per-validation state) at ``moment``.

        ``retroactive`` lets CRLs issued after ``moment`` speak for it (validating at a
        time-stamped signing time with today's CRLs).
        """
        return ValidationContext(
            retroactive_revinfo=retroactive,
            trust_roots=list(self._asn1_roots),
            other_certs=list(self._asn1_others),
            crls=list(self._asn1_crls),
            ocsps=list(self._asn1_ocsps),
            allow_fetching=self.allow_fetching,
            revocation_mode=self.revocation_mode,
            moment=moment,
        )

    def is_anchor(self, cert: x509.Certificate) -> bool:
        return cert in self.roots

    @property
    def summary(self) -> str:
        counts = f"{len(self.roots)} roots, {len(self.intermediates)} intermediates, {len(self.crls)} CRLs"
        return f"{counts}, {len(self.ocsps)} OCSP responses"


def asn1_certificate(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def load_trust_store(
    directory: str | Path,
    *,
    allow_fetching: bool = False,
    revocation_mode: str = "soft-fail",
    revocation: str | Path | None = None,
) -> TrustStore:
    """Load every certificate, CRL and OCSP response under ``directory`` (PEM or DER, any depth),
    and the CRLs and OCSP responses under ``revocation`` (a separate folder a scheduled fetch
    refreshes), if given.

    Raises ``SigningError`` with SIG.TRUST_STORE_MISSING, SIG.TRUST_STORE_UNREADABLE (naming the
    file) or SIG.TRUST_STORE_EMPTY: a verifier must never run against a store it misread.
    """
    base = Path(directory)
    found = _Found()
    for folder in (base, *([Path(revocation)] if revocation is not None else [])):
        if not folder.is_dir():
            raise SigningError(P.TRUST_STORE_MISSING(str(folder), file=str(folder)))
        found.scan(folder)
    if not found.roots:
        raise SigningError(P.TRUST_STORE_EMPTY(str(base), file=str(base)))
    return TrustStore(
        tuple(_unique(found.roots)),
        tuple(_unique(found.others)),
        tuple(found.crls),
        allow_fetching=allow_fetching,
        revocation_mode=revocation_mode,
        source=str(base),
        ocsps=tuple(found.ocsps),
    )


@dataclass
class _Found:
    roots: list[x509.Certificate] = field(default_factory=list)
    others: list[x509.Certificate] = field(default_factory=list)
    crls: list[x509.CertificateRevocationList] = field(default_factory=list)
    ocsps: list[bytes] = field(default_factory=list)

    def scan(self, base: Path) -> None:
        for path in sorted(base.rglob("*")):
            if not path.is_file() or path.name.startswith("."):
                continue
            suffix = path.suffix.lower()
            if suffix not in CERT_SUFFIXES | CRL_SUFFIXES | OCSP_SUFFIXES:
                continue  # READMEs, notes: not part of the store
            try:
                data = path.read_bytes()
            except OSError as exc:
                reason = exc.strerror or str(exc)
                raise SigningError(
                    P.TRUST_STORE_UNREADABLE(str(path), file=str(path), reason=reason)
                ) from None
            try:
                if suffix in OCSP_SUFFIXES:
                    self.ocsps.append(_ocsp(data))
                    continue
                certs, file_crls = _read(data, is_crl=suffix in CRL_SUFFIXES)
            except ValueError as exc:
                raise SigningError(
                    P.TRUST_STORE_UNREADABLE(str(path), file=str(path), reason=str(exc))
                ) from None
            in_roots = "roots" in path.relative_to(base).parts
            for cert in certs:
                (self.roots if in_roots or cert.issuer == cert.subject else self.others).append(cert)
            self.crls.extend(file_crls)


def _ocsp(data: bytes) -> bytes:
    try:
        response = asn1_ocsp.OCSPResponse.load(data)
        status = response["response_status"].native
    except Exception as exc:  # asn1crypto parses lazily and raises many types on garbage
        raise ValueError(f"not a DER OCSP response: {exc}") from None
    if status != "successful":
        raise ValueError(f"the OCSP response's status is {status}")
    return data


CertsAndCrls = tuple[list[x509.Certificate], list[x509.CertificateRevocationList]]


def _read(data: bytes, *, is_crl: bool) -> CertsAndCrls:
    if _PEM_CERT in data or _PEM_CRL in data:
        certs = x509.load_pem_x509_certificates(data) if _PEM_CERT in data else []
        crls = [x509.load_pem_x509_crl(block) for block in _pem_blocks(data, _PEM_CRL)]
        return certs, crls
    if is_crl:
        return [], [x509.load_der_x509_crl(data)]
    return [x509.load_der_x509_certificate(data)], []


def _pem_blocks(data: bytes, begin: bytes) -> list[bytes]:
    end = begin.replace(b"BEGIN", b"END")
    blocks = []
    start = data.find(begin)
    while start >= 0:
        stop = data.find(end, start)
        if stop < 0:
            raise ValueError("a PEM block has no END line")
        blocks.append(data[start : stop + len(end)] + b"\n")
        start = data.find(begin, stop)
    return blocks


def _unique(certs: list[x509.Certificate]) -> list[x509.Certificate]:
    seen: set[bytes] = set()
    out = []
    for cert in certs:
        der = cert.public_bytes(serialization.Encoding.DER)
        if der not in seen:
            seen.add(der)
            out.append(cert)
    return out
