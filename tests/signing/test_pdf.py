"""PAdES: signing as a person and as an agency, and every verdict verification can give."""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from fontTools.ttLib import TTFont
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from lienthong.signing import problems as P
from lienthong.signing.errors import SigningError
from lienthong.signing.pdf import (
    FONT_PATH,
    DocumentSigner,
    PdfSignSpec,
    PdfVerifier,
    Role,
    StampSpec,
    local_timestamper,
    vietnam_time,
)
from lienthong.signing.pki import utc_now
from lienthong.signing.samples import sample_pdf
from tests.signing.kit import AN, SigningKit


def codes(report_problems: object) -> list[str]:
    return [p.code for p in report_problems]  # type: ignore[attr-defined]


def test_person_then_agency_signature_is_valid_and_reports_who_when_how(
    kit: SigningKit, signed_document: bytes
) -> None:
    report = kit.verifier.pdf.verify(signed_document, name="qd.pdf")
    assert report.valid and report.reason == P.VALID.code
    person, agency = report.signatures
    assert [person.reason, agency.reason] == [P.VALID.code, P.VALID.code]
    assert person.signer is not None and agency.signer is not None
    assert (person.signer.kind, person.signer.name) == ("person", AN)
    assert person.signer.organisation == "Văn phòng Chính phủ"
    assert person.signer.emails == ("nguyenvanan@chinhphu.vn",)
    assert person.signer.policies == ("2.16.704.1.1.1.1.1",)
    assert person.signer.serial == f"{kit.person().cert.serial_number:X}"
    assert "CA phục vụ các cơ quan Nhà nước G2" in person.signer.issuer
    assert (agency.signer.kind, agency.signer.name) == ("agency", "VĂN PHÒNG CHÍNH PHỦ")
    assert agency.agency is not None and agency.agency.proven and agency.agency.code == "000.00.00.G22"
    assert person.level == agency.level == "PAdES-B-B"
    assert person.claimed_time is not None and person.timestamp_time is None
    # The agency's signature came later, as an incremental update: the person's stays valid.
    assert person.coverage == "entire_revision" and agency.coverage == "entire_file"


def test_time_stamped_signature_is_pades_b_t_with_proven_time(kit: SigningKit) -> None:
    signed = kit.signer(kit.person(), timestamp=True).sign(sample_pdf())
    (sig,) = kit.verifier.pdf.verify(signed).signatures
    assert sig.valid and sig.level == "PAdES-B-T"
    assert sig.timestamp_time is not None and sig.claimed_time is not None
    assert abs(sig.timestamp_time - sig.claimed_time) < timedelta(minutes=1)


def test_long_term_and_archival_signatures(kit: SigningKit) -> None:
    tsa = local_timestamper(kit.pki.tsa)
    lt = DocumentSigner(kit.person(), timestamper=tsa, long_term=kit.trust).sign(sample_pdf())
    lta = DocumentSigner(kit.person(), timestamper=tsa, long_term=kit.trust, archival=True).sign(sample_pdf())
    assert [(s.reason, s.level) for s in kit.verifier.pdf.verify(lt).signatures] == [
        (P.VALID.code, "PAdES-B-LT")
    ]
    assert [(s.reason, s.level) for s in kit.verifier.pdf.verify(lta).signatures] == [
        (P.VALID.code, "PAdES-B-LTA")
    ]
    with pytest.raises(SigningError):
        DocumentSigner(kit.person(), long_term=kit.trust)  # no proof of time, no long term


def test_time_stamp_proves_the_certificate_was_valid_when_signing(kit: SigningKit) -> None:
    # Three years on the certificate has expired and the CRLs are stale; the time-stamp shows
    # the signature was made while the certificate was valid and not revoked.
    signed = kit.signer(kit.person(), timestamp=True).sign(sample_pdf())
    later = PdfVerifier(kit.trust, clock=lambda: utc_now() + timedelta(days=3 * 365))
    assert [s.reason for s in later.verify(signed).signatures] == [P.VALID.code]


def test_time_stamp_does_not_rescue_expired_or_revoked_certificates(kit: SigningKit) -> None:
    expired = kit.signer(kit.pki.expired, timestamp=True).sign(sample_pdf())
    revoked = kit.signer(kit.pki.revoked, timestamp=True).sign(sample_pdf())
    assert [s.reason for s in kit.verifier.pdf.verify(expired).signatures] == [P.EXPIRED.code]
    assert [s.reason for s in kit.verifier.pdf.verify(revoked).signatures] == [P.REVOKED.code]


def test_time_stamp_from_an_unknown_authority_is_reported(kit: SigningKit) -> None:
    signer = DocumentSigner(kit.person(), timestamper=local_timestamper(kit.outsider_tsa))
    (sig,) = kit.verifier.pdf.verify(signer.sign(sample_pdf())).signatures
    assert sig.reason == P.TIMESTAMP_INVALID.code
    assert "untrusted" in sig.problems[0].message_en


def test_tampered_byte_is_modified(kit: SigningKit, signed_document: bytes) -> None:
    data = bytearray(signed_document)
    data[data.index(b"trang 1")] ^= 0x20  # one letter of the page text, inside the signed range
    report = kit.verifier.pdf.verify(bytes(data))
    assert not report.valid
    assert {s.reason for s in report.signatures} == {P.MODIFIED.code}


def test_illegal_incremental_update_is_modified(kit: SigningKit, signed_document: bytes) -> None:
    writer = IncrementalPdfFileWriter(io.BytesIO(signed_document))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    forged = writer.add_object(generic.StreamObject(stream_data=b"BT /F1 30 Tf 72 500 Td (FORGED) Tj ET"))
    page["/Contents"] = generic.ArrayObject([page.raw_get("/Contents"), forged])
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)  # type: ignore[no-untyped-call]  # untyped in pyHanko
    report = kit.verifier.pdf.verify(out.getvalue())
    assert not report.valid
    assert {s.reason for s in report.signatures} == {P.MODIFIED.code}
    assert "incremental update" in report.signatures[0].problems[0].message_en


def test_wrong_root_is_untrusted(kit: SigningKit) -> None:
    (sig,) = kit.verifier.pdf.verify(kit.signer(kit.outsider).sign(sample_pdf())).signatures
    assert sig.reason == P.UNTRUSTED.code


def test_certificate_expired_at_signing_time_is_expired(kit: SigningKit) -> None:
    (sig,) = kit.verifier.pdf.verify(kit.signer(kit.pki.expired).sign(sample_pdf())).signatures
    assert sig.reason == P.EXPIRED.code


def test_revoked_certificate_is_revoked(kit: SigningKit) -> None:
    (sig,) = kit.verifier.pdf.verify(kit.signer(kit.pki.revoked).sign(sample_pdf())).signatures
    assert sig.reason == P.REVOKED.code
    assert "revoked on" in sig.problems[0].message_en


def test_certificate_without_nonrepudiation_is_refused(kit: SigningKit) -> None:
    (sig,) = kit.verifier.pdf.verify(kit.signer(kit.no_nonrepudiation).sign(sample_pdf())).signatures
    assert sig.reason == P.KEY_USAGE.code


def test_unsigned_pdf_is_missing(kit: SigningKit) -> None:
    report = kit.verifier.pdf.verify(sample_pdf())
    assert not report.valid and report.reason == P.MISSING.code


def test_not_a_pdf_or_truncated_is_unreadable(kit: SigningKit, signed_document: bytes) -> None:
    assert kit.verifier.pdf.verify(b"not a pdf").reason == P.UNREADABLE.code
    assert kit.verifier.pdf.verify(signed_document[:-200]).reason == P.UNREADABLE.code


def test_expired_since_signing_without_timestamp_is_judged_at_the_claimed_time(
    kit: SigningKit, signed_document: bytes
) -> None:
    # Three years on, a B-B signature (no proof of time): valid when signed by the signer's own
    # claim, expired since, and the verdict says exactly that (a warning, not a proof).
    future = PdfVerifier(kit.trust, clock=lambda: utc_now() + timedelta(days=3 * 365))
    signatures = future.verify(signed_document).signatures
    assert all(s.valid and s.signing_time_source == "claimed" for s in signatures)
    for sig in signatures:
        (problem,) = sig.problems
        assert problem.code == P.EXPIRED_SINCE.code and problem.message_en.endswith("no timestamp")
        assert problem.message_vi.startswith("Chứng thư còn hiệu lực khi ký")
    stamped = kit.signer(kit.person(), timestamp=True).sign(sample_pdf())
    (proven,) = future.verify(stamped).signatures
    assert proven.valid and proven.problems == () and proven.signing_time_source == "timestamp"


def test_revoked_signer_without_timestamp_stays_revoked_after_expiry(kit: SigningKit) -> None:
    signed = kit.signer(kit.pki.revoked).sign(sample_pdf())
    future = PdfVerifier(kit.trust, clock=lambda: utc_now() + timedelta(days=3 * 365))
    assert [s.reason for s in future.verify(signed).signatures] == [P.REVOKED.code]


def test_stale_crl_leaves_revocation_unknown(kit: SigningKit, signed_document: bytes) -> None:
    # The demo CRLs are good for 30 days; after that nobody can say the certificate is not revoked.
    month_later = PdfVerifier(kit.trust, clock=lambda: utc_now() + timedelta(days=40))
    assert {s.reason for s in month_later.verify(signed_document).signatures} == {P.REVOCATION_UNKNOWN.code}


def test_agency_stamp_sits_top_right_of_page_one_and_person_stamp_on_last_page(kit: SigningKit) -> None:
    pdf = sample_pdf(pages=3)
    data = kit.signer(kit.person()).sign(pdf, PdfSignSpec(role=Role.PERSON, field_name="ca-nhan"))
    data = kit.signer(kit.agency()).sign(
        data, PdfSignSpec(role=Role.AGENCY, number_notation="12/QĐ-VPCP", field_name="co-quan")
    )
    reader = PdfFileReader(io.BytesIO(data))
    rects = {}
    for index in range(3):
        page = reader.root["/Pages"]["/Kids"][index].get_object()
        for annot in page.get("/Annots", []):
            widget = annot.get_object()
            rects[str(widget["/T"])] = (index, [float(v) for v in widget["/Rect"]])
    page, (_, _, x2, y2) = rects["co-quan"]
    assert page == 0 and x2 > 500 and y2 > 780  # top right of an A4 page
    assert rects["ca-nhan"][0] == 2
    assert b"/FontFile2" in data  # the TrueType font is embedded


def test_invisible_signature_has_no_stamp(kit: SigningKit) -> None:
    spec = PdfSignSpec(stamp=StampSpec(visible=False), field_name="an")
    data = kit.signer(kit.person()).sign(sample_pdf(), spec)
    assert b"/FontFile2" not in data
    assert kit.verifier.pdf.verify(data).valid


def test_stamp_font_has_every_vietnamese_letter() -> None:
    cmap = TTFont(FONT_PATH).getBestCmap()
    letters = "ĂÂĐÊÔƠƯăâđêôơư" + "ÀÁẢÃẠẰẮẲẴẶẦẤẨẪẬÈÉẺẼẸỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌỒỐỔỖỘỜỚỞỠỢÙÚỦŨỤỪỨỬỮỰỲÝỶỸỴ"
    text = letters + letters.lower() + "Số, ký hiệu: 12/QĐ-UBND Thời gian ký"
    assert [c for c in text if c != " " and ord(c) not in cmap] == []


def test_stamp_font_uses_1000_units_per_em_without_hinting() -> None:
    # pyHanko writes widths in font units; PDF reads thousandths of an em (letters spread apart
    # otherwise), and hinting made for 2048 units distorts rescaled glyphs.
    font = TTFont(FONT_PATH)
    assert font["head"].unitsPerEm == 1000
    assert "fpgm" not in font and "prep" not in font


def test_stamp_time_is_iso_8601_in_vietnam_time() -> None:
    from datetime import UTC, datetime

    assert vietnam_time(datetime(2026, 11, 25, 12, 5, 9, 123, tzinfo=UTC)) == "2026-11-25T19:05:09+07:00"


def test_report_serialises_to_json_ready_data(kit: SigningKit, signed_document: bytes) -> None:
    data = kit.verifier.pdf.verify(signed_document, name="qd.pdf").to_dict()
    assert data["valid"] is True and data["reason"] == "SIG.VALID"
    first = data["signatures"][0]
    assert first["signer"]["name"] == AN and first["level"] == "PAdES-B-B"
    assert first["claimed_time"].endswith("+00:00")


def test_signing_and_verifying_work_inside_a_running_event_loop(kit: SigningKit) -> None:
    # An async web handler calling the blocking API: pyHanko's asyncio.run must not collide.
    async def handler() -> bool:
        signed = kit.signer(kit.person()).sign(sample_pdf())
        return kit.verifier.pdf.verify(signed).valid

    assert asyncio.run(handler())


def test_padding_after_eof_is_tolerated(kit: SigningKit, signed_document: bytes) -> None:
    # Some producers add line breaks after %%EOF; the quick pre-check must not refuse them.
    assert kit.verifier.pdf.verify(signed_document + b"\n" * 512).valid


def test_any_pyhanko_signer_can_sign(kit: SigningKit) -> None:
    # What a PKCS#11 token looks like to DocumentSigner: a pyHanko Signer, not a key file.
    cred = kit.person()
    der = serialization.Encoding.DER
    token = signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(cred.cert.public_bytes(der)),
        signing_key=asn1_keys.PrivateKeyInfo.load(
            cred.key.private_bytes(der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        ),
        cert_registry=SimpleCertificateStore.from_certs(  # type: ignore[no-untyped-call]
            [asn1_x509.Certificate.load(c.public_bytes(der)) for c in cred.chain]
        ),
    )
    signer = DocumentSigner(token)
    assert signer.identity.name == AN
    assert kit.verifier.pdf.verify(signer.sign(sample_pdf())).valid


def test_damaged_pdfs_are_verdicts_not_crashes(kit: SigningKit, signed_document: bytes) -> None:
    cut = signed_document.index(b"/ByteRange")
    for damaged in (
        signed_document[:cut] + b"/ByteRange [0 1 2]" + signed_document[cut + 18 :],
        signed_document.replace(b"/Contents <", b"/Contents <zz", 1),
        signed_document.replace(b"xref", b"xref\n garbage", 1),
    ):
        report = kit.verifier.pdf.verify(damaged)
        assert not report.valid


def test_the_signing_time_is_the_signers_clock(kit: SigningKit) -> None:
    """A signer whose clock says an earlier hour signs at that hour: the stamp and the signed time agree."""
    moment = utc_now().replace(microsecond=0) - timedelta(hours=5)
    signed = DocumentSigner(kit.person(), clock=lambda: moment).sign(
        sample_pdf(), PdfSignSpec(role=Role.PERSON)
    )
    report = kit.verifier.pdf.verify(signed, name="earlier.pdf")
    [signature] = report.signatures
    assert signature.claimed_time == moment


def test_sha1_pdf_signature_made_today_is_flagged_weak(kit: SigningKit) -> None:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    meta = signers.PdfSignatureMetadata(
        field_name="old-tool", md_algorithm="sha1", subfilter=fields.SigSeedSubFilter.PADES
    )
    out = io.BytesIO()
    writer = IncrementalPdfFileWriter(io.BytesIO(sample_pdf()))
    signers.PdfSigner(meta, signer=kit.signer(kit.person())._signer).sign_pdf(writer, output=out)
    (sig,) = kit.verifier.pdf.verify(out.getvalue()).signatures
    assert sig.reason == P.WEAK_ALGORITHM.code and sig.algorithm == "sha1"
    assert "sha1" in sig.problems[0].message_en
