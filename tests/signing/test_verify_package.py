"""Whole packages: the XML-DSig, every PDF, and Decree 30's cross-checks between them and the metadata."""

from __future__ import annotations

import pytest

from lienthong.edxml import to_bytes
from lienthong.problems import Problem
from lienthong.signing import problems as P
from lienthong.signing.pki import AgencySpec
from lienthong.signing.report import FileReport
from lienthong.signing.samples import sample_pdf
from lienthong.signing.xmldsig import PackageSigner
from tests.conftest import DOCUMENT_SAMPLES, SAMPLES, needs_samples
from tests.signing.kit import BINH, RECIPIENT, SigningKit, package


def verify(kit: SigningKit, data: bytes) -> FileReport:
    return kit.verifier.verify_package(data, name="package.edxml")


def errors(report: FileReport) -> list[str]:
    return [p.code for p in report.all_problems if p.is_error]


def found(report: FileReport, code: str) -> list[Problem]:
    return [p for p in report.all_problems if p.code == code]


def test_well_signed_package_is_valid(kit: SigningKit, signed_document: bytes) -> None:
    data = to_bytes(package([("qd.pdf", signed_document), ("phu-luc.pdf", kit.signed_attachment())]))
    report = verify(kit, PackageSigner(kit.agency()).sign(data))
    assert report.valid and report.reason == P.VALID.code, report.all_problems
    assert [a.file for a in report.attachments] == ["qd.pdf", "phu-luc.pdf"]
    assert all(s.valid for a in report.attachments for s in a.signatures)


def test_placeholder_package_with_signed_pdfs_is_valid_with_a_warning(
    kit: SigningKit, signed_document: bytes
) -> None:
    report = verify(kit, to_bytes(package([("qd.pdf", signed_document)])))
    assert report.valid
    assert report.signatures[0].reason == P.MISSING.code  # no XML signature: a warning only


def test_signer_info_differs_from_personal_signature(kit: SigningKit, signed_document: bytes) -> None:
    report = verify(kit, to_bytes(package([("qd.pdf", signed_document)], signer_name=BINH)))
    assert errors(report) == [P.SIGNER_MISMATCH.code]
    assert BINH in found(report, P.SIGNER_MISMATCH.code)[0].message_en


def test_agency_signature_of_another_agency(kit: SigningKit) -> None:
    document = kit.signed_document(agency=kit.agency(RECIPIENT.code))
    report = verify(kit, to_bytes(package([("qd.pdf", document)])))
    assert errors(report) == [P.AGENCY_MISMATCH.code]
    problem = found(report, P.AGENCY_MISMATCH.code)[0]
    assert "000.00.00.H41" in problem.message_en and "000.00.00.G22" in problem.message_en


def test_every_pdf_must_be_signed_as_decree_30_requires(kit: SigningKit, signed_document: bytes) -> None:
    only_person = kit.signer(kit.person()).sign(sample_pdf())
    data = to_bytes(
        package(
            [
                ("qd.pdf", only_person),  # main document: the agency's signature is missing
                ("phu-luc-1.pdf", sample_pdf("Phu luc 1")),  # not signed at all
                ("phu-luc-2.pdf", kit.signer(kit.person()).sign(sample_pdf())),  # not by the agency
            ]
        )
    )
    report = verify(kit, data)
    problems = found(report, P.NOT_SIGNED_AS_REQUIRED.code)
    assert errors(report) == [P.NOT_SIGNED_AS_REQUIRED.code] * 3
    assert sorted(p.path for p in problems) == ["phu-luc-1.pdf", "phu-luc-2.pdf", "qd.pdf"]


def test_invalid_pdf_signature_inside_a_package(kit: SigningKit) -> None:
    document = kit.signed_document(person=kit.pki.revoked)
    report = verify(kit, to_bytes(package([("qd.pdf", document)], signer_name=None)))
    assert not report.valid and report.reason == P.REVOKED.code


@needs_samples
@pytest.mark.parametrize("sample", [p.name for p in DOCUMENT_SAMPLES])
def test_sample_packages_have_no_valid_signature(kit: SigningKit, sample: str) -> None:
    report = kit.verifier.verify_file(SAMPLES / sample)
    assert not report.valid
    assert report.signatures[0].reason == P.PLACEHOLDER.code
    assert P.MISSING.code in errors(report)


@needs_samples
def test_status_message_without_signature_is_not_an_error(kit: SigningKit) -> None:
    report = kit.verifier.verify_file(SAMPLES / "status_acceptance_03.edxml")
    assert report.valid and report.reason == P.MISSING.code and report.attachments == ()


def test_unreadable_package(kit: SigningKit) -> None:
    assert verify(kit, b"<edXML").reason == P.UNREADABLE.code


def test_older_ascii_certificate_with_the_position_in_cn_matches_signer_info(kit: SigningKit) -> None:
    hcm = AgencySpec("000.00.00.H29", "Ủy ban nhân dân Thành phố Hồ Chí Minh")
    document = kit.signed_document(person=kit.pki.person("Phạm Thanh Hải"), agency=kit.agency(hcm.code))
    report = verify(kit, to_bytes(package([("qd.pdf", document)], signer_name="Phạm Thanh Hải", sender=hcm)))
    assert report.valid and errors(report) == [], report.all_problems
    person = report.attachments[0].signatures[0]
    assert person.signer is not None and person.signer.name == "Pho Chanh Van phong Pham Thanh Hai"
    other = verify(kit, to_bytes(package([("qd.pdf", document)], signer_name="Thanh Hải", sender=hcm)))
    assert errors(other) == [P.SIGNER_MISMATCH.code]
