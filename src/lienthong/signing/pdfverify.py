"""Verifying every PAdES signature of a PDF with pyHanko: offline, at the proven or the claimed time."""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import IO

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel

from lienthong.problems import Problem
from lienthong.signing import problems as P
from lienthong.signing.agencies import AgencyDirectory
from lienthong.signing.blocking import call_blocking
from lienthong.signing.certcheck import CLAIMED, TIMESTAMP, expired_since_signing, revocation_date
from lienthong.signing.identity import SignerIdentity
from lienthong.signing.pki import Clock, utc_now
from lienthong.signing.report import FileReport, SignatureReport, verdict
from lienthong.signing.trust import TrustSource

Source = bytes | bytearray | memoryview | str | os.PathLike[str] | IO[bytes]

_REVOKED = {AdESFailure.REVOKED, AdESIndeterminate.REVOKED_NO_POE, AdESIndeterminate.REVOKED_CA_NO_POE}
_OUT_OF_TIME = {
    AdESIndeterminate.EXPIRED,
    AdESIndeterminate.OUT_OF_BOUNDS_NO_POE,
    AdESIndeterminate.OUT_OF_BOUNDS_NOT_REVOKED,
    AdESIndeterminate.NOT_YET_VALID,
    AdESFailure.NOT_YET_VALID,
}
_REVOCATION_UNKNOWN = {
    AdESIndeterminate.TRY_LATER,
    AdESIndeterminate.REVOCATION_OUT_OF_BOUNDS_NO_POE,
}
_PADES_SUBFILTER = "/ETSI.CAdES.detached"
_WEAK_DIGESTS = frozenset({"sha1", "md5"})
_EOF_WINDOW = 2048  # the spec (and pyHanko) look for %%EOF in about the last 1024 bytes

# pyHanko logs every failed validation with a traceback; the verdict is in our report instead.
for _name in ("pyhanko.sign.validation", "pyhanko.sign.diff_analysis", "pyhanko_certvalidator"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)


class PdfVerifier:
    """Verifies every signature of a PDF against a trust store, offline, at the clock's time."""

    def __init__(
        self, trust: TrustSource, *, clock: Clock = utc_now, directory: AgencyDirectory | None = None
    ) -> None:
        self.trust = trust
        self.clock = clock
        self.directory = directory

    def verify(self, source: Source, *, name: str = "") -> FileReport:
        """The report on every signature of a PDF: its bytes, a path, or a seekable stream (read as
        pyHanko needs it, never whole: an attachment spooled to disk stays there)."""
        label = name or (str(source) if isinstance(source, (str, os.PathLike)) else "")
        with _opened(source) as stream:
            return self._verify_stream(stream, label)

    def _verify_stream(self, stream: IO[bytes], label: str) -> FileReport:
        try:
            stream.seek(0, io.SEEK_END)
            stream.seek(max(0, stream.tell() - _EOF_WINDOW))
            if b"%%EOF" not in stream.read():
                # Checked up front: pyHanko searches a damaged file backwards byte by byte, which
                # takes seconds on a large one (and would let a bad attachment stall a gateway).
                raise PdfError("no %%EOF marker at the end of the file (truncated or not a PDF)")
            stream.seek(0)
            reader = PdfFileReader(stream, strict=False)
            embedded = list(reader.embedded_regular_signatures)
        except Exception as exc:  # pyHanko's reader raises many types on damaged files; none may escape
            problem = P.UNREADABLE(label, detail=f"not a readable PDF: {exc}")
            return FileReport(label, "pdf", problems=(problem,))
        if not embedded:
            problem = P.MISSING(label, detail="the PDF carries no signature")
            return FileReport(label, "pdf", problems=(problem,))
        doc_timestamps = list(reader.embedded_timestamp_signatures)
        has_dss = "/DSS" in reader.root
        reports = tuple(self._verify_one(sig, label, has_dss, doc_timestamps) for sig in embedded)
        return FileReport(label, "pdf", signatures=reports)

    def _verify_one(
        self, sig: EmbeddedPdfSignature, label: str, has_dss: bool, doc_timestamps: list[EmbeddedPdfSignature]
    ) -> SignatureReport:
        where = f"{label}#{sig.field_name}" if label else str(sig.field_name)
        signer = _identity(sig)
        moment = self.clock()
        judged_at: str | None = None
        revoked_on: datetime | None = None
        try:
            status = self._validate(sig, moment)
            proven = _proven_time(status)
            claimed = _claimed_time(status, moment) if proven is None else None
            if proven is not None:
                # A time-stamp proves when the signature existed: judge the certificate then,
                # with the revocation data at hand (a certificate that expired or lost CRL
                # coverage since is fine; one revoked before that time is not).
                moment, judged_at = proven, TIMESTAMP
                status = self._validate(sig, moment, retroactive=True)
            elif claimed is not None:
                # No time-stamp, certificate expired since: judge it at the claimed time and say
                # so, unless a CRL lists it: a claimed time cannot outweigh a revocation.
                revoked_on = revocation_date(self.trust, _crypto_cert(status.signing_cert))
                if revoked_on is None:
                    moment, judged_at = claimed, CLAIMED
                    status = self._validate(sig, moment, retroactive=True)
        except Exception as exc:  # pyHanko raises many types for malformed signatures
            problems = [P.INVALID(where, detail=f"{type(exc).__name__}: {exc}")]
            return SignatureReport("pades", str(sig.field_name), signer, verdict(problems), tuple(problems))
        problems = _problems(status, where, moment)
        if revoked_on is not None:
            detail = f"revoked on {revoked_on.isoformat()}; the signing time is only claimed"
            problems.insert(0, P.REVOKED(where, detail=detail))
        if judged_at == CLAIMED and not any(p.is_error for p in problems):
            not_after = status.signing_cert["tbs_certificate"]["validity"]["not_after"].native
            problems.append(expired_since_signing(where, moment, not_after))
        ts = status.timestamp_validity
        signer = SignerIdentity.of(_crypto_cert(status.signing_cert)) if signer is None else signer
        return SignatureReport(
            kind="pades",
            location=str(sig.field_name),
            signer=signer,
            reason=verdict(problems),
            problems=tuple(problems),
            claimed_time=status.signer_reported_dt,
            timestamp_time=ts.timestamp if ts is not None else None,
            level=_level(sig, status, has_dss, doc_timestamps),
            algorithm=f"{status.md_algorithm}",
            coverage=status.coverage.name.lower() if status.coverage else None,
            file=label,
            signing_time_source=judged_at,
            agency=self.directory.match(signer) if self.directory is not None else None,
        )

    def _validate(
        self, sig: EmbeddedPdfSignature, moment: datetime, retroactive: bool = False
    ) -> PdfSignatureStatus:
        # One context serves the signer and the time-stamp: same anchors, same moment.
        context = self.trust.validation_context(moment, retroactive=retroactive)
        return call_blocking(validate_pdf_signature, sig, signer_validation_context=context)


def _proven_time(status: PdfSignatureStatus) -> datetime | None:
    """The time-stamped signing time, when validating at the clock's time failed only on time.

    Only a cryptographically sound time-stamp counts; its TSA is judged in the second pass.
    """
    ts = status.timestamp_validity
    if ts is None or not (ts.intact and ts.valid) or not status.intact or not status.valid:
        return None
    if status.trusted and ts.trusted:
        return None
    if status.revoked or status.trust_problem_indic in _REVOKED:
        return None
    return ts.timestamp


def _claimed_time(status: PdfSignatureStatus, now: datetime) -> datetime | None:
    """The signer's claimed time, when validating now failed only because the certificate has
    expired since and there is no time-stamp to prove a time."""
    if status.timestamp_validity is not None or not status.intact or not status.valid or status.trusted:
        return None
    if status.revoked or status.trust_problem_indic in _REVOKED:
        return None
    not_after = status.signing_cert["tbs_certificate"]["validity"]["not_after"].native
    claimed = status.signer_reported_dt
    if claimed is None or not (claimed <= not_after < now):
        return None
    return claimed


def _problems(status: PdfSignatureStatus, where: str, moment: datetime) -> list[Problem]:
    """Every finding, integrity first: a broken document makes trust questions moot."""
    found: list[Problem] = []
    if not status.intact:
        found.append(P.MODIFIED(where, detail="the signed bytes no longer match their digest"))
    elif not status.valid:
        found.append(P.INVALID(where, detail="the cryptographic signature does not verify"))
    coverage = status.coverage
    if coverage is None or coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        found.append(P.MODIFIED(where, detail="the signature does not cover its whole revision"))
    level = status.modification_level
    if (level is not None and level >= ModificationLevel.OTHER) or status.docmdp_ok is False:
        found.append(P.MODIFIED(where, detail="a later incremental update changes the signed content"))
    elif level is ModificationLevel.ANNOTATIONS:
        found.append(P.LATER_CHANGES(where, detail="annotations added after signing"))
    # Signatures added later are form filling: the normal case of a person then an agency signing.
    if not status.trusted or status.revoked:
        found.append(_trust_problem(status, where, moment))
    ts = status.timestamp_validity
    if ts is not None and not (ts.intact and ts.valid and ts.trusted):
        detail = "not intact" if not ts.intact else ("does not verify" if not ts.valid else "untrusted TSA")
        found.append(P.TIMESTAMP_INVALID(where, detail=detail))
    return found


def _trust_problem(status: PdfSignatureStatus, where: str, moment: datetime) -> Problem:
    indic = status.trust_problem_indic
    cert = status.signing_cert
    validity = cert["tbs_certificate"]["validity"]
    not_before, not_after = validity["not_before"].native, validity["not_after"].native
    weak = str(status.md_algorithm).lower() in _WEAK_DIGESTS
    if weak and isinstance(indic, Enum) and "CRYPTO_CONSTRAINTS" in indic.name:
        # pyHanko refuses SHA-1 in a CMS signature: say why, not merely "untrusted".
        return P.WEAK_ALGORITHM(where, algorithm=str(status.md_algorithm), severity=P.E)
    if status.revoked or indic in _REVOKED:
        details = status.revocation_details
        when = f"revoked on {details.revocation_date.isoformat()}" if details is not None else "per the CRL"
        return P.REVOKED(where, detail=when)
    # pyHanko checks revocation before validity: an expired certificate with a stale CRL
    # comes back as "try later", yet "expired" is the answer that tells the user something.
    out_of_time = not (not_before <= moment <= not_after)
    if indic in _OUT_OF_TIME or (indic in _REVOCATION_UNKNOWN and out_of_time):
        span = f"valid {not_before.isoformat()} – {not_after.isoformat()}, checked at {moment.isoformat()}"
        return P.EXPIRED(where, detail=span)
    if indic in _REVOCATION_UNKNOWN:
        return P.REVOCATION_UNKNOWN(where, detail="no current CRL covers the certificate")
    if indic is AdESIndeterminate.CHAIN_CONSTRAINTS_FAILURE:
        missing = _missing_key_usage(cert)
        if missing:
            return P.KEY_USAGE(where, detail=missing)
    if isinstance(indic, Enum) and "CRYPTO_CONSTRAINTS" in indic.name:
        detail = "a certificate of the chain is signed with an algorithm refused as weak (SHA-1, MD5)"
        return P.UNTRUSTED(where, detail=detail + " or has too short a key; only anchors are exempt")
    name = indic.name if isinstance(indic, Enum) else "no trusted path"
    return P.UNTRUSTED(where, detail=f"{name.lower().replace('_', ' ')}")


def _missing_key_usage(cert: asn1_x509.Certificate) -> str:
    usage = cert.key_usage_value
    present = set(usage.native) if usage is not None else set()
    wanted = ["digital_signature", "non_repudiation"]
    return " + ".join(u for u in wanted if u not in present)


def _level(
    sig: EmbeddedPdfSignature,
    status: PdfSignatureStatus,
    has_dss: bool,
    doc_timestamps: list[EmbeddedPdfSignature],
) -> str:
    subfilter = sig.sig_object.get("/SubFilter")
    if subfilter != _PADES_SUBFILTER:
        return f"CMS {str(subfilter).lstrip('/')} (not PAdES)"
    if status.timestamp_validity is None:
        return "PAdES-B-B"
    if not has_dss:
        return "PAdES-B-T"
    later = [ts for ts in doc_timestamps if ts.signed_revision > sig.signed_revision]
    return "PAdES-B-LTA" if later else "PAdES-B-LT"


def _identity(sig: EmbeddedPdfSignature) -> SignerIdentity | None:
    try:
        return SignerIdentity.of(_crypto_cert(sig.signer_cert))
    except (ValueError, KeyError, TypeError):
        return None


def _crypto_cert(cert: asn1_x509.Certificate) -> x509.Certificate:
    return x509.load_der_x509_certificate(cert.dump())


@contextmanager
def _opened(source: Source) -> Iterator[IO[bytes]]:
    """A seekable binary stream over ``source`` (a caller's stream is used as it is, not closed)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        yield io.BytesIO(source)
    elif isinstance(source, (str, os.PathLike)):
        with Path(source).open("rb") as fh:
            yield fh
    else:
        yield source
