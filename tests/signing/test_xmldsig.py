"""XML-DSig on edXML packages: signing, verdicts, placeholders, weak algorithms, large attachments."""

from __future__ import annotations

import pytest
from lxml import etree

from lienthong.edxml import XMLDSIG_NS, parse, to_bytes
from lienthong.edxml.xmltools import XmlFragment
from lienthong.signing import problems as P
from lienthong.signing.errors import SigningError
from lienthong.signing.report import SignatureReport
from lienthong.signing.samples import sample_pdf
from lienthong.signing.xmldsig import (
    PackageSignatureVerifier,
    PackageSigner,
    PackageSignSpec,
    placeholder_reason,
)
from tests.conftest import DOCUMENT_SAMPLES, SAMPLES, needs_samples
from tests.signing.kit import RECIPIENT, SigningKit, package


def verify_bytes(kit: SigningKit, data: bytes) -> SignatureReport:
    message = parse(data, repair=True)
    return kit.verifier.package_signature.verify(data, message)


@pytest.fixture(scope="module")
def unsigned(kit: SigningKit) -> bytes:
    return to_bytes(package([("qd.pdf", kit.signed_document())]))


def codes(report: SignatureReport) -> list[str]:
    return [p.code for p in report.problems]


def test_signed_package_is_valid_and_names_the_sending_agency(kit: SigningKit, unsigned: bytes) -> None:
    signed = PackageSigner(kit.agency()).sign(unsigned)
    report = verify_bytes(kit, signed)
    assert report.valid and report.problems == ()
    assert report.agency is not None and report.agency.proven and report.agency.code == "000.00.00.G22"
    assert report.algorithm == "rsa-sha256 / sha256"
    # The signature sits in edXMLHeader, in the XML-DSig namespace, where the standard puts it.
    message = parse(signed)
    assert message.signature is not None and message.signature.namespace == XMLDSIG_NS


@needs_samples
def test_signing_replaces_the_placeholder_of_a_sample(kit: SigningKit) -> None:
    sample = (SAMPLES / "edoc_new.edxml").read_bytes()  # From 002.00.20.H13
    signed = PackageSigner(kit.pki.agencies["002.00.20.H13"]).sign(sample)
    report = verify_bytes(kit, signed)
    assert report.valid, report.problems
    assert signed.count(b"SignatureValue>") == 2  # one element: the placeholder is gone


def test_sha1_signature_verifies_but_is_reported_weak(kit: SigningKit, unsigned: bytes) -> None:
    signed = PackageSigner(kit.agency(), PackageSignSpec("rsa-sha1")).sign(unsigned)
    report = verify_bytes(kit, signed)
    assert report.valid and report.reason == P.VALID.code
    assert codes(report) == [P.WEAK_ALGORITHM.code]
    assert report.problems[0].severity is P.W


def test_changed_package_is_modified(kit: SigningKit, unsigned: bytes) -> None:
    signed = PackageSigner(kit.agency()).sign(unsigned)
    forged = signed.replace("thử nghiệm".encode(), "giả mạo".encode())
    assert forged != signed
    assert verify_bytes(kit, forged).reason == P.MODIFIED.code


def test_broken_signature_value_is_invalid(kit: SigningKit, unsigned: bytes) -> None:
    signed = PackageSigner(kit.agency()).sign(unsigned)
    start = signed.index(b"SignatureValue>") + len(b"SignatureValue>")
    broken = signed[:start] + (b"A" if signed[start : start + 1] != b"A" else b"B") + signed[start + 1 :]
    assert verify_bytes(kit, broken).reason == P.INVALID.code


def test_signing_for_another_agency_is_refused(kit: SigningKit, unsigned: bytes) -> None:
    with pytest.raises(SigningError) as caught:
        PackageSigner(kit.agency(RECIPIENT.code), directory=kit.directory).sign(unsigned)
    assert caught.value.problem.code == P.AGENCY_MISMATCH.code
    # Without a directory the signer cannot tell: the certificate carries no agency code.
    assert PackageSigner(kit.agency(RECIPIENT.code)).sign(unsigned)


def test_other_agency_signature_is_agency_mismatch(kit: SigningKit, unsigned: bytes) -> None:
    lax = PackageSignSpec(require_sender_match=False)
    signed = PackageSigner(kit.agency(RECIPIENT.code), lax).sign(unsigned)
    report = verify_bytes(kit, signed)
    assert report.reason == P.AGENCY_MISMATCH.code
    assert "000.00.00.H41" in report.problems[0].message_en


def test_personal_certificate_matches_the_sender_by_name_only(kit: SigningKit, unsigned: bytes) -> None:
    report = verify_bytes(kit, PackageSigner(kit.person()).sign(unsigned))
    assert report.valid and codes(report) == [P.AGENCY_NAME_MATCH.code]
    assert report.agency is not None and not report.agency.proven
    assert report.agency.method == "name" and "O=Văn phòng Chính phủ" in report.agency.detail


def test_without_a_directory_the_signer_is_unidentified(kit: SigningKit, unsigned: bytes) -> None:
    signed = PackageSigner(kit.agency()).sign(unsigned)
    report = PackageSignatureVerifier(kit.trust).verify(signed, parse(signed))
    assert report.valid and codes(report) == [P.SIGNER_UNIDENTIFIED.code] and report.agency is None


def test_wrong_root_revoked_and_expired_signers(kit: SigningKit, unsigned: bytes) -> None:
    assert P.UNTRUSTED.code in codes(verify_bytes(kit, PackageSigner(kit.outsider).sign(unsigned)))
    assert P.REVOKED.code in codes(verify_bytes(kit, PackageSigner(kit.pki.revoked).sign(unsigned)))
    assert P.EXPIRED.code in codes(verify_bytes(kit, PackageSigner(kit.pki.expired).sign(unsigned)))


@needs_samples
@pytest.mark.parametrize("sample", [p.name for p in DOCUMENT_SAMPLES])
def test_sample_signatures_are_placeholders_never_valid(kit: SigningKit, sample: str) -> None:
    report = verify_bytes(kit, (SAMPLES / sample).read_bytes())
    assert report.kind == "placeholder" and not report.valid
    assert report.reason == P.PLACEHOLDER.code


def test_placeholder_recognition() -> None:
    qcvn = XmlFragment(etree.fromstring(b'<Signature xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"/>'))
    assert "namespace" in (placeholder_reason(qcvn) or "")
    empty = XmlFragment(
        etree.fromstring(f'<Signature xmlns="{XMLDSIG_NS}"><SignedInfo/></Signature>'.encode())
    )
    assert placeholder_reason(empty) == "it has no SignatureValue"


def test_package_without_signature_is_a_warning_only(kit: SigningKit, unsigned: bytes) -> None:
    report = verify_bytes(kit, unsigned)
    assert report.reason == P.MISSING.code and not report.valid
    assert report.problems[0].severity is P.W


def test_unknown_algorithm_is_refused(kit: SigningKit) -> None:
    with pytest.raises(SigningError) as caught:
        PackageSigner(kit.agency(), PackageSignSpec("rsa-md5"))
    assert caught.value.problem.code == P.SIGNING_FAILED.code


@pytest.mark.slow
def test_package_with_a_20_mb_attachment_signs_and_verifies(kit: SigningKit) -> None:
    # Its base64 text (27 MB) is past libxml2's 10 MB text-node limit: huge_tree must be on.
    big = sample_pdf(padding=20 << 20)
    data = to_bytes(package([("qd.pdf", kit.signed_document()), ("scan.pdf", big)]))
    signed = PackageSigner(kit.agency()).sign(data)
    assert len(signed) > 26 << 20 and signed.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    report = verify_bytes(kit, signed)
    assert report.valid and report.problems == ()


@needs_samples
def test_status_message_signed_by_its_sender(kit: SigningKit) -> None:
    # Gateways sign statuses too; the sample status comes from Nghệ An (000.00.00.H41).
    status = (SAMPLES / "status.edxml").read_bytes()
    report = verify_bytes(kit, PackageSigner(kit.agency(RECIPIENT.code)).sign(status))
    assert report.valid and report.problems == ()
    lax = PackageSignSpec(require_sender_match=False)
    assert verify_bytes(kit, PackageSigner(kit.agency(), lax).sign(status)).reason == P.AGENCY_MISMATCH.code


@pytest.mark.parametrize(
    "damage",
    [
        (b"<ds:SignedInfo>", b"<ds:SignedInfo><ds:Junk/>"),
        (b'<ds:Reference URI="">', b'<ds:Reference URI="#nowhere">'),
        (b"<ds:DigestValue>", b"<ds:DigestValue>!!"),
        (b"<ds:X509Certificate>", b"<ds:X509Certificate>AAAA"),
        (b"rsa-sha256", b"hmac-sha256"),
    ],
)
def test_damaged_signatures_are_verdicts_not_crashes(
    kit: SigningKit, unsigned: bytes, damage: tuple[bytes, bytes]
) -> None:
    signed = PackageSigner(kit.agency()).sign(unsigned)
    assert damage[0] in signed
    report = verify_bytes(kit, signed.replace(damage[0], damage[1], 1))
    assert not report.valid and report.reason in {P.INVALID.code, P.MODIFIED.code}
