"""PAdES signatures on PDF documents with pyHanko: sign as a person or an agency, verify every signature.

Signing draws the visible stamp Decree 30 describes (Appendix I): for a person, name, position,
agency and time; for the agency on an attachment, the number/notation and the signing time
(ISO 8601, Vietnam time zone) at the top right of page 1, no image. The stamp text is set in an
embedded TrueType font with the Vietnamese letters (``fonts/``), since PDF base fonts have none.
"""

from __future__ import annotations

import io
import logging
import os
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import Enum, StrEnum
from functools import cache
from pathlib import Path
from typing import IO, Any

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields, signers
from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator.registry import SimpleCertificateStore

from lienthong.codes.dates import VIETNAM
from lienthong.problems import Problem
from lienthong.signing import problems as P
from lienthong.signing.agencies import AgencyDirectory
from lienthong.signing.blocking import call_blocking
from lienthong.signing.errors import SigningError
from lienthong.signing.identity import SignerIdentity
from lienthong.signing.pki import Clock, Credential, utc_now
from lienthong.signing.report import FileReport, SignatureReport, verdict
from lienthong.signing.trust import TrustSource, asn1_certificate

# Rescaled to 1000 units per em: pyHanko 0.38 writes glyph widths in font units where PDF
# expects thousandths of an em, which spreads the letters of 2048-unit fonts apart.
FONT_PATH = Path(__file__).parent / "fonts" / "DejaVuSans-Vietnamese.ttf"
_FONT_SIZE = 8
_MARGIN = 36.0  # half an inch from the page edges
_STAMP_SIZE = (230.0, 62.0)
_A4 = (595.0, 842.0)
# The signature container is reserved up front so pyHanko does not sign twice to measure it.
_RESERVED = 16 * 1024
_RESERVED_WITH_TIMESTAMP = 32 * 1024
_RESERVED_LONG_TERM = 64 * 1024  # the validation data goes in the DSS, the container stays the same

Source = bytes | bytearray | memoryview | str | os.PathLike[str] | IO[bytes]


class Role(StrEnum):
    """Who signs: a person (the signer's own signature) or the agency (its seal, Decree 30)."""

    PERSON = "person"
    AGENCY = "agency"


@dataclass(frozen=True)
class StampSpec:
    """Where the visible stamp goes: page (0-based; -1 the last) and box; ``None`` means the default."""

    visible: bool = True
    page: int | None = None  # agency: first page; person: last page
    box: tuple[float, float, float, float] | None = None  # x1, y1, x2, y2 in PDF points


@dataclass(frozen=True)
class PdfSignSpec:
    """What to sign and how it should read on the page."""

    role: Role = Role.PERSON
    number_notation: str | None = None  # "12/QĐ-UBND": the agency stamp shows it
    reason: str | None = None
    location: str | None = None
    field_name: str | None = None
    stamp: StampSpec = StampSpec()


def vietnam_time(moment: datetime) -> str:
    """ISO 8601 in Vietnam time, to the second: ``2026-11-25T19:05:00+07:00``."""
    return moment.astimezone(VIETNAM).isoformat(timespec="seconds")


@cache
def _font() -> GlyphAccumulatorFactory:
    # The shaping size must equal the text box's, or lines after the first drift (pyHanko #733).
    return GlyphAccumulatorFactory(str(FONT_PATH), font_size=_FONT_SIZE)


def local_timestamper(tsa: Credential) -> TimeStamper:
    """A time-stamping authority run in-process with a TSA key (the demo PKI's, for tests and demos)."""
    return DummyTimeStamper(
        tsa_cert=asn1_certificate(tsa.cert),
        tsa_key=_asn1_key(tsa),
        certs_to_embed=SimpleCertificateStore.from_certs(  # type: ignore[no-untyped-call]
            [asn1_certificate(c) for c in tsa.chain]
        ),
    )


class DocumentSigner:
    """Signs PDFs with one key: a ``Credential`` (converted once and reused: pyHanko would re-parse
    it on every call) or any pyHanko ``Signer``, such as a PKCS#11 token's."""

    def __init__(
        self,
        credential: Credential | signers.Signer,
        *,
        timestamper: TimeStamper | None = None,
        long_term: TrustSource | None = None,
        archival: bool = False,
        clock: Clock = utc_now,
    ) -> None:
        """``timestamper`` makes PAdES-B-T; with ``long_term`` (the store the chain and CRLs come
        from) the validation data is embedded too (B-LT), and ``archival`` adds a document
        time-stamp (B-LTA). Both need a time-stamp: without proof of time they mean nothing.
        """
        if (long_term is not None or archival) and timestamper is None:
            detail = "long-term (B-LT/B-LTA) signatures need a time-stamping authority"
            raise SigningError(P.SIGNING_FAILED("", detail=detail))
        if archival and long_term is None:
            raise SigningError(P.SIGNING_FAILED("", detail="B-LTA needs the trust store for B-LT"))
        self.timestamper = timestamper
        self.long_term = long_term
        self.archival = archival
        self.clock = clock
        if isinstance(credential, signers.Signer):
            # pyHanko's Signer is the port for keys held elsewhere (a PKCS#11 token, an HSM).
            cert = credential.signing_cert
            if cert is None:
                raise SigningError(P.SIGNING_FAILED("", detail="the signer has no certificate"))
            self._signer = credential
            self.identity = SignerIdentity.of(x509.load_der_x509_certificate(cert.dump()))
            return
        self._signer = signers.SimpleSigner(
            signing_cert=asn1_certificate(credential.cert),
            signing_key=_asn1_key(credential),
            cert_registry=SimpleCertificateStore.from_certs(  # type: ignore[no-untyped-call]
                [asn1_certificate(c) for c in credential.chain]
            ),
        )
        self.identity = SignerIdentity.of(credential.cert)

    def sign(self, pdf: bytes, spec: PdfSignSpec = PdfSignSpec()) -> bytes:
        """The PDF with one more signature, added as an incremental update (earlier ones stay valid)."""
        try:
            writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        except (PdfError, ValueError, KeyError) as exc:
            raise SigningError(P.SIGNING_FAILED("", detail=f"not a readable PDF: {exc}")) from None
        field_name = spec.field_name or f"{spec.role.value}-{uuid.uuid4().hex[:8]}"
        meta = signers.PdfSignatureMetadata(
            field_name=field_name,
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            reason=spec.reason,
            location=spec.location,
            name=self.identity.name,
            embed_validation_info=self.long_term is not None,
            validation_context=self.long_term.validation_context() if self.long_term else None,
            use_pades_lta=self.archival,
        )
        stamp_style = None
        field_spec = None
        params: dict[str, str] = {}
        if spec.stamp.visible:
            page, box = _placement(writer, spec)
            field_spec = fields.SigFieldSpec(field_name, on_page=page, box=box)
            text, params = self._stamp_text(spec)
            stamp_style = TextStampStyle(
                stamp_text=text,
                text_box_style=TextBoxStyle(font=_font(), font_size=_FONT_SIZE, leading=_FONT_SIZE + 2),
                border_width=1,
            )
        else:
            field_spec = fields.SigFieldSpec(field_name)
        pdf_signer = signers.PdfSigner(
            meta,
            signer=self._signer,
            timestamper=self.timestamper,
            stamp_style=stamp_style,
            new_field_spec=field_spec,
        )
        out = io.BytesIO()
        try:
            call_blocking(
                pdf_signer.sign_pdf,
                writer,
                appearance_text_params=params or None,
                output=out,
                bytes_reserved=self._reserved(),
            )
        except (PyHankoSigningError, PdfError, ValueError) as exc:
            raise SigningError(P.SIGNING_FAILED("", detail=str(exc))) from None
        return out.getvalue()

    def _reserved(self) -> int:
        if self.long_term is not None:
            return _RESERVED_LONG_TERM
        return _RESERVED_WITH_TIMESTAMP if self.timestamper else _RESERVED

    def _stamp_text(self, spec: PdfSignSpec) -> tuple[str, dict[str, str]]:
        who = self.identity
        # Values go in as parameters, never into the template, so a '%' in a name is harmless.
        params = {"when": vietnam_time(self.clock()), "org": who.organisation or who.name or ""}
        if spec.role is Role.AGENCY:
            lines = ["%(org)s"]
            if spec.number_notation:
                params["number"] = spec.number_notation
                lines.append("Số, ký hiệu: %(number)s")
            lines.append("Thời gian ký: %(when)s")
            return "\n".join(lines), params
        params["name"] = who.name or ""
        lines = ["Ký bởi: %(name)s"]
        if who.title:
            params["title"] = who.title
            lines.append("Chức vụ: %(title)s")
        lines += ["Cơ quan: %(org)s", "Thời gian ký: %(when)s"]
        return "\n".join(lines), params


def _placement(writer: IncrementalPdfFileWriter, spec: PdfSignSpec) -> tuple[int, tuple[int, int, int, int]]:
    pages = int(writer.root["/Pages"]["/Count"])
    page = spec.stamp.page
    if page is None:
        page = 0 if spec.role is Role.AGENCY else pages - 1
    elif page < 0:
        page = pages + page
    page = max(0, min(page, pages - 1))
    if spec.stamp.box is not None:
        x1, y1, x2, y2 = spec.stamp.box
        return page, (int(x1), int(y1), int(x2), int(y2))
    width, height = _page_size(writer, page)
    w, h = _STAMP_SIZE
    if spec.role is Role.AGENCY:  # top right of the page (Decree 30, Appendix I)
        box = (width - _MARGIN - w, height - _MARGIN - h, width - _MARGIN, height - _MARGIN)
    else:  # bottom right, where the signature block usually ends
        box = (width - _MARGIN - w, _MARGIN * 2, width - _MARGIN, _MARGIN * 2 + h)
    return page, (int(box[0]), int(box[1]), int(box[2]), int(box[3]))


def _page_size(writer: IncrementalPdfFileWriter, page: int) -> tuple[float, float]:
    try:
        page_ref, _ = writer.find_page_for_modification(page)  # type: ignore[no-untyped-call]
        node: Any = page_ref.get_object()
        while node is not None:
            box = node.get("/MediaBox")
            if box is not None:
                x1, y1, x2, y2 = (float(v) for v in box)
                return x2 - x1, y2 - y1
            parent = node.get("/Parent")
            node = parent.get_object() if parent is not None else None
    except (PdfError, KeyError, ValueError, TypeError):
        pass
    return _A4


# --- verification -------------------------------------------------------------------------------

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
        label = name or (str(source) if isinstance(source, (str, os.PathLike)) else "")
        try:
            data = _read(source)
            if b"%%EOF" not in data[-_EOF_WINDOW:]:
                # Checked up front: pyHanko searches a damaged file backwards byte by byte, which
                # takes seconds on a large one (and would let a bad attachment stall a gateway).
                raise PdfError("no %%EOF marker at the end of the file (truncated or not a PDF)")
            reader = PdfFileReader(io.BytesIO(data), strict=False)
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
        try:
            status = self._validate(sig, moment)
            proven = _proven_time(status)
            if proven is not None:
                # A time-stamp proves when the signature existed: judge the certificate then,
                # with the revocation data at hand (a certificate that expired or lost CRL
                # coverage since is fine; one revoked before that time is not).
                moment = proven
                status = self._validate(sig, moment, retroactive=True)
        except Exception as exc:  # pyHanko raises many types for malformed signatures
            problems = [P.INVALID(where, detail=f"{type(exc).__name__}: {exc}")]
            return SignatureReport("pades", str(sig.field_name), signer, verdict(problems), tuple(problems))
        problems = _problems(status, where, moment)
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


def _asn1_key(credential: Credential) -> asn1_keys.PrivateKeyInfo:
    der = credential.key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return asn1_keys.PrivateKeyInfo.load(der)


def _read(source: Source) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    if isinstance(source, (str, os.PathLike)):
        return Path(source).read_bytes()
    return source.read()


__all__ = [
    "FONT_PATH",
    "DocumentSigner",
    "PdfSignSpec",
    "PdfVerifier",
    "Role",
    "StampSpec",
    "local_timestamper",
    "vietnam_time",
]
