"""Judging a signer's certificate at the right moment: now, the proven (time-stamped) or the claimed time.

Signers' certificates expire while the documents they signed stay valid. A time-stamp proves
when a signature existed, so the certificate is judged then. Without one, only the signer's own
claim says when: the certificate is judged at that claimed time and the verdict says so plainly
("valid when signed (claimed time), expired since, no timestamp", a warning). A claim cannot
outweigh a revocation: a revoked certificate stays revoked whatever time is claimed.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pyhanko_certvalidator import CertificateValidator
from pyhanko_certvalidator.errors import (
    ExpiredError,
    InsufficientRevinfoError,
    InvalidCertificateError,
    NotYetValidError,
    PathBuildingError,
    PathValidationError,
    RevokedError,
    ValidationError,
)

from lienthong.problems import Problem
from lienthong.signing import problems as P
from lienthong.signing.blocking import call_blocking
from lienthong.signing.trust import TrustSource, asn1_certificate

CLAIMED, TIMESTAMP = "claimed", "timestamp"


@dataclass(frozen=True)
class Judgement:
    """The certificate's findings and the moment they were judged at (None: now)."""

    problems: tuple[Problem, ...] = ()
    judged_at: str | None = None  # "claimed" or "timestamp"


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def check_certificate(
    trust: TrustSource,
    leaf: x509.Certificate,
    others: list[x509.Certificate],
    moment: datetime,
    where: str,
    *,
    retroactive: bool = False,
) -> Problem | None:
    """The first problem of ``leaf`` at ``moment`` (chain, validity, revocation), or None.

    Only digitalSignature is asked of the key usage and no extended key usage at all: the
    Government CA's certificates carry clientAuth + emailProtection + smartcardLogon, no
    document-signing EKU, and must verify.
    """
    if not (leaf.not_valid_before_utc <= moment <= leaf.not_valid_after_utc):
        span = f"valid {iso(leaf.not_valid_before_utc)} – {iso(leaf.not_valid_after_utc)}"
        return P.EXPIRED(where, detail=f"{span}, checked at {iso(moment)}")
    validator = CertificateValidator(
        asn1_certificate(leaf),
        intermediate_certs=[asn1_certificate(c) for c in others],
        validation_context=trust.validation_context(moment, retroactive=retroactive),
    )
    try:
        check = validator.async_validate_usage({"digital_signature"})  # type: ignore[no-untyped-call]
        call_blocking(asyncio.run, check)
    except RevokedError as exc:
        return P.REVOKED(where, detail=str(exc))
    except (ExpiredError, NotYetValidError) as exc:
        return P.EXPIRED(where, detail=str(exc))
    except InsufficientRevinfoError as exc:
        return P.REVOCATION_UNKNOWN(where, detail=str(exc))
    except PathBuildingError as exc:
        return P.UNTRUSTED(where, detail=str(exc))
    except InvalidCertificateError as exc:
        return P.KEY_USAGE(where, detail=str(exc))
    except (PathValidationError, ValidationError) as exc:
        return P.UNTRUSTED(where, detail=str(exc))
    return None


def judge(
    trust: TrustSource,
    leaf: x509.Certificate,
    others: list[x509.Certificate],
    *,
    now: datetime,
    claimed: datetime | None,
    where: str,
) -> Judgement:
    """The certificate judged now; if that fails only because it has expired since, at the claimed time."""
    problem = check_certificate(trust, leaf, others, now, where)
    if problem is None:
        return Judgement()
    expired_since = problem.code == P.EXPIRED.code and now > leaf.not_valid_after_utc
    if not expired_since or claimed is None or claimed > now:
        return Judgement((problem,))
    revoked = revocation_date(trust, leaf)
    if revoked is not None:
        detail = f"revoked on {iso(revoked)}; the signing time is only claimed"
        return Judgement((P.REVOKED(where, detail=detail),))
    then = check_certificate(trust, leaf, others, claimed, where, retroactive=True)
    if then is not None:
        return Judgement((then,), CLAIMED)
    return Judgement((expired_since_signing(where, claimed, leaf.not_valid_after_utc),), CLAIMED)


def expired_since_signing(where: str, claimed: datetime, not_after: datetime) -> Problem:
    return P.EXPIRED_SINCE(where, claimed=iso(claimed), expired=iso(not_after))


def revocation_date(trust: TrustSource, cert: x509.Certificate) -> datetime | None:
    """When a CRL of the trust store lists ``cert`` as revoked (any time), else None."""
    for crl in getattr(trust, "crls", ()):
        if crl.issuer != cert.issuer or not _signed_by_issuer(trust, crl):
            continue
        entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
        if entry is not None:
            revoked: datetime = entry.revocation_date_utc
            return revoked
    return None


def _signed_by_issuer(trust: TrustSource, crl: x509.CertificateRevocationList) -> bool:
    """Whether a CA certificate of the store with the CRL's issuer name signed it."""
    known = [*getattr(trust, "roots", ()), *getattr(trust, "intermediates", ())]
    for ca in known:
        if ca.subject == crl.issuer:
            key = ca.public_key()
            if isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey) and crl.is_signature_valid(key):
                return True
    return False
