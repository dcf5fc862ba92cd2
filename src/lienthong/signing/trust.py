"""The trust store: trust anchors, intermediate certificates and CRLs loaded from a folder.

Nothing is fetched from the network unless the operator turns ``allow_fetching`` on. Anchors are
the certificates under ``roots/`` plus any self-signed certificate elsewhere; other certificates
help build chains but are not trusted by themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko_certvalidator import ValidationContext

from lienthong.signing import problems as P
from lienthong.signing.errors import SigningError

CERT_SUFFIXES = frozenset({".pem", ".crt", ".cer", ".der"})
CRL_SUFFIXES = frozenset({".crl"})
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
    _asn1_roots: tuple[asn1_x509.Certificate, ...] = field(init=False, repr=False, compare=False)
    _asn1_others: tuple[asn1_x509.Certificate, ...] = field(init=False, repr=False, compare=False)
    _asn1_crls: tuple[asn1_crl.CertificateList, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # asn1crypto forms, converted once: pyHanko and its validator work with those.
        object.__setattr__(self, "_asn1_roots", tuple(asn1_certificate(c) for c in self.roots))
        object.__setattr__(self, "_asn1_others", tuple(asn1_certificate(c) for c in self.intermediates))
        object.__setattr__(
            self,
            "_asn1_crls",
            tuple(asn1_crl.CertificateList.load(c.public_bytes(_DER)) for c in self.crls),
        )

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
            allow_fetching=self.allow_fetching,
            revocation_mode=self.revocation_mode,
            moment=moment,
        )

    def is_anchor(self, cert: x509.Certificate) -> bool:
        return cert in self.roots

    @property
    def summary(self) -> str:
        return f"{len(self.roots)} roots, {len(self.intermediates)} intermediates, {len(self.crls)} CRLs"


def asn1_certificate(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def load_trust_store(
    directory: str | Path, *, allow_fetching: bool = False, revocation_mode: str = "soft-fail"
) -> TrustStore:
    """Load every certificate and CRL under ``directory`` (PEM or DER, any depth).

    Raises ``SigningError`` with SIG.TRUST_STORE_MISSING, SIG.TRUST_STORE_UNREADABLE (naming the
    file) or SIG.TRUST_STORE_EMPTY: a verifier must never run against a store it misread.
    """
    base = Path(directory)
    if not base.is_dir():
        raise SigningError(P.TRUST_STORE_MISSING(str(base), file=str(base)))
    roots: list[x509.Certificate] = []
    others: list[x509.Certificate] = []
    crls: list[x509.CertificateRevocationList] = []
    for path in sorted(base.rglob("*")):
        if not path.is_file() or path.name.startswith("."):
            continue
        suffix = path.suffix.lower()
        if suffix not in CERT_SUFFIXES | CRL_SUFFIXES:
            continue  # READMEs, notes: not part of the store
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise SigningError(
                P.TRUST_STORE_UNREADABLE(str(path), file=str(path), reason=exc.strerror or str(exc))
            ) from None
        try:
            certs, file_crls = _read(data, is_crl=suffix in CRL_SUFFIXES)
        except ValueError as exc:
            raise SigningError(P.TRUST_STORE_UNREADABLE(str(path), file=str(path), reason=str(exc))) from None
        in_roots = "roots" in path.relative_to(base).parts
        for cert in certs:
            (roots if in_roots or cert.issuer == cert.subject else others).append(cert)
        crls.extend(file_crls)
    if not roots:
        raise SigningError(P.TRUST_STORE_EMPTY(str(base), file=str(base)))
    return TrustStore(
        tuple(_unique(roots)),
        tuple(_unique(others)),
        tuple(crls),
        allow_fetching=allow_fetching,
        revocation_mode=revocation_mode,
        source=str(base),
    )


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
