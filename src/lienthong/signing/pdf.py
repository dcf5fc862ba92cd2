"""PAdES signatures on PDF documents with pyHanko: sign as a person or an agency (verify: ``pdfverify``).

Signing draws the visible stamp Decree 30 describes (Appendix I): for a person, name, position,
agency and time; for the agency on an attachment, the number/notation and the signing time
(ISO 8601, Vietnam time zone) at the top right of page 1, no image. The stamp text is set in an
embedded TrueType font with the Vietnamese letters (``fonts/``), since PDF base fonts have none.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from asn1crypto import keys as asn1_keys
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator.registry import SimpleCertificateStore

from lienthong.codes.dates import VIETNAM
from lienthong.signing import problems as P
from lienthong.signing.blocking import call_blocking
from lienthong.signing.errors import SigningError
from lienthong.signing.identity import SignerIdentity
from lienthong.signing.pdfverify import PdfVerifier  # re-exported: verification lives there
from lienthong.signing.pki import Clock, Credential, utc_now
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


class _ClockedPdfSigner(signers.PdfSigner):
    """pyHanko's signer, with the signing time taken from the signer's clock (as the stamp's text is)."""

    def __init__(self, *args: Any, clock: Clock, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clock = clock

    def init_signing_session(self, pdf_out: Any, existing_fields_only: bool = False) -> Any:
        session = super().init_signing_session(pdf_out, existing_fields_only)
        session.system_time = self._clock()
        return session


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


def http_timestamper(url: str, *, timeout: float = 10) -> TimeStamper:
    """An RFC 3161 time-stamping service over HTTP (the Government CA's TSA for its signers)."""
    from pyhanko.sign.timestamps.aiohttp_client import HTTPTimeStamper

    return HTTPTimeStamper(url, timeout=timeout)


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
        pdf_signer = _ClockedPdfSigner(
            meta,
            signer=self._signer,
            timestamper=self.timestamper,
            stamp_style=stamp_style,
            new_field_spec=field_spec,
            clock=self.clock,
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
        except OSError as exc:  # pyHanko's TimestampRequestError: the TSA is down or refused
            detail = f"the time-stamping service did not answer: {exc}"
            raise SigningError(P.SIGNING_FAILED("", detail=detail)) from None
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


def _asn1_key(credential: Credential) -> asn1_keys.PrivateKeyInfo:
    der = credential.key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return asn1_keys.PrivateKeyInfo.load(der)


__all__ = [
    "FONT_PATH",
    "DocumentSigner",
    "PdfSignSpec",
    "PdfVerifier",
    "Role",
    "StampSpec",
    "http_timestamper",
    "local_timestamper",
    "vietnam_time",
]
