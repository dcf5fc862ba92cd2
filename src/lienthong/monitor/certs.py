"""Certificate expiry: read PEM/DER files, folders and text; grade each by days left (60/30/7/expired)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from lienthong.monitor import problems as MP
from lienthong.problems import Problem

WARN_DAYS: tuple[int, ...] = (60, 30, 7)
CERT_SUFFIXES = {".pem", ".crt", ".cer", ".der", ".ca-bundle"}
EXPIRED = "expired"
FINE = "ok"


@dataclass(frozen=True)
class CertInfo:
    """One certificate and where it was found (``kind``: trust, agency, tls, or what a caller names)."""

    kind: str
    source: str
    subject: str
    issuer: str
    not_before: datetime
    not_after: datetime
    sha256: str

    def days_left(self, now: datetime) -> int:
        """Whole days until expiry (negative once expired); a certificate expiring today has 0."""
        return (self.not_after - now).days

    def level(self, now: datetime, warn_days: Sequence[int] = WARN_DAYS) -> str:
        """``expired``, the smallest warning threshold reached (``"7"``, ``"30"``, ``"60"``), or ``ok``."""
        if self.not_after <= now:
            return EXPIRED
        left = self.not_after - now
        reached = [d for d in warn_days if left <= timedelta(days=d)]  # "60 days before" includes day 60
        return str(min(reached)) if reached else FINE

    def problem(self, now: datetime, warn_days: Sequence[int] = WARN_DAYS) -> Problem | None:
        level = self.level(now, warn_days)
        if level == FINE:
            return None
        where = f"{self.kind}:{self.source}"
        if level == EXPIRED:
            return MP.CERT_EXPIRED(
                where, subject=self.subject, source=self.source, not_after=self.not_after.date().isoformat()
            )
        return MP.CERT_EXPIRING(
            where,
            subject=self.subject,
            source=self.source,
            days=self.days_left(now),
            not_after=self.not_after.date().isoformat(),
        )


def severity_rank(level: str) -> int:
    """Orders levels from harmless to worst: ok < 60 < 30 < 7 < expired."""
    if level == FINE:
        return 0
    if level == EXPIRED:
        return 1_000_000
    return 1_000 - int(level)


def info_of(cert: x509.Certificate, kind: str, source: str) -> CertInfo:
    return CertInfo(
        kind=kind,
        source=source,
        subject=cert.subject.rfc4514_string() or "(no subject)",
        issuer=cert.issuer.rfc4514_string(),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        sha256=sha256_fingerprint(cert),
    )


def sha256_fingerprint(cert: x509.Certificate) -> str:
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def load_certificates(data: bytes) -> list[x509.Certificate]:
    """Every certificate in PEM text (one or a bundle) or one DER certificate. Raises ValueError."""
    if b"-----BEGIN" in data:
        return x509.load_pem_x509_certificates(data)
    return [x509.load_der_x509_certificate(data)]


@dataclass(frozen=True)
class ScanResult:
    certificates: list[CertInfo]
    unreadable: list[Problem]


def scan_bytes(data: bytes, kind: str, source: str) -> ScanResult:
    try:
        certs = load_certificates(data)
    except ValueError as exc:
        if _is_crl(data):  # trust stores keep CRLs beside the certificates: nothing to watch, no error
            return ScanResult([], [])
        return ScanResult([], [MP.CERT_UNREADABLE(f"{kind}:{source}", source=source, detail=str(exc))])
    return ScanResult([info_of(c, kind, source) for c in certs], [])


def _is_crl(data: bytes) -> bool:
    if b"-----BEGIN X509 CRL" in data:
        return True
    try:
        x509.load_der_x509_crl(data)
    except ValueError:
        return False
    return True


def scan_path(path: Path, kind: str) -> ScanResult:
    """A file, or every certificate file in a folder at any depth (by suffix), as the trust store loads it."""
    path = Path(path)
    files: list[Path]
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in CERT_SUFFIXES)
    else:
        files = [path]
    found: list[CertInfo] = []
    unreadable: list[Problem] = []
    for file in files:
        try:
            data = file.read_bytes()
        except OSError as exc:
            unreadable.append(
                MP.CERT_UNREADABLE(f"{kind}:{file}", source=str(file), detail=exc.strerror or "")
            )
            continue
        result = scan_bytes(data, kind, str(file))
        found.extend(result.certificates)
        unreadable.extend(result.unreadable)
    return ScanResult(found, unreadable)


def scan_paths(paths: Iterable[tuple[str, Path]]) -> ScanResult:
    """Scan ``(kind, path)`` pairs into one result."""
    found: list[CertInfo] = []
    unreadable: list[Problem] = []
    for kind, path in paths:
        result = scan_path(path, kind)
        found.extend(result.certificates)
        unreadable.extend(result.unreadable)
    return ScanResult(found, unreadable)


def utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
