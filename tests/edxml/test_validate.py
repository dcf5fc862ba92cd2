"""Validation of the public samples: the status samples are clean, each defect has its own code."""

from __future__ import annotations

from pathlib import Path

import pytest

from lienthong.edxml import parse
from lienthong.edxml.validate import LIMITS, STATUS_CODES, normalise_cid, validate
from lienthong.problems import Problem, Severity, catalogue
from lienthong.registry import load_all
from tests.conftest import SAMPLES, STATUS_SAMPLES, needs_samples
from tests.edxml.factory import document, status


def found(name: str, *, strict: bool = False) -> list[Problem]:
    return validate(parse(SAMPLES / name, repair=True), strict=strict)


def where(problems: list[Problem]) -> set[tuple[str, str]]:
    return {(p.code, p.path) for p in problems}


@needs_samples
@pytest.mark.parametrize("path", STATUS_SAMPLES, ids=lambda p: p.name)
def test_status_samples_validate_with_no_problems_at_all(path: Path) -> None:
    assert validate(parse(path)) == []
    assert validate(parse(path), strict=True) == []


@needs_samples
@pytest.mark.parametrize("name", ["edoc_update.edxml", "edoc_new.edxml"])
def test_the_impossible_date_in_bussiness_document_id_is_reported(name: str) -> None:
    impossible = [p for p in found(name) if p.code == "EDXML.IMPOSSIBLE_DATE"]
    assert [(p.path, p.params["value"], p.severity) for p in impossible] == [
        ("TraceHeaderList/Bussiness/DocumentId", "2014/02/30", Severity.ERROR)
    ]


@needs_samples
def test_edoc_update_has_only_the_impossible_date_as_an_error() -> None:
    errors = [p for p in found("edoc_update.edxml") if p.is_error]
    assert [p.code for p in errors] == ["EDXML.IMPOSSIBLE_DATE"]


@needs_samples
@pytest.mark.parametrize("name", ["edoc_replacement.edxml", "edoc_revocation.edxml"])
def test_replacement_and_revocation_samples_have_no_errors(name: str) -> None:
    problems = found(name)
    assert [p for p in problems if p.is_error] == []
    # Their DocumentId says 2015/09/30 while PromulgationDate says 2018/09/28.
    assert where(problems) == {("EDXML.DOCUMENT_ID_MISMATCH", "MessageHeader/DocumentId")}
    assert problems[0].params["element"] == "PromulgationDate"


@needs_samples
def test_edoc_new_defects_each_have_their_code() -> None:
    problems = found("edoc_new.edxml")
    assert {
        ("EDXML.REPAIRED", ""),
        ("EDXML.LEGACY_AGENCY_CODE", "MessageHeader/To[1]/OrganId"),
        ("EDXML.BAD_CODE_NUMBER", "MessageHeader/Code/CodeNumber"),
        ("EDXML.IMPOSSIBLE_DATE", "TraceHeaderList/Bussiness/DocumentId"),
    } <= where(problems)
    legacy = next(p for p in problems if p.code == "EDXML.LEGACY_AGENCY_CODE")
    assert legacy.params["value"] == "28.22.H17"
    assert legacy.severity is Severity.WARNING
    strict = next(p for p in found("edoc_new.edxml", strict=True) if p.code == "EDXML.LEGACY_AGENCY_CODE")
    assert strict.severity is Severity.ERROR


@needs_samples
def test_edoc_defects_each_have_their_code() -> None:
    problems = found("edoc.edxml")
    assert [p.code for p in problems].count("EDXML.REPAIRED") == 2
    assert {
        ("EDXML.BAD_BASE64", "AttachmentEncoded/Attachment[1]/ContentTransferEncoded"),
        ("EDXML.BAD_DOCUMENT_ID", "MessageHeader/DocumentId"),
        ("EDXML.EMPTY_RESPONSE_FOR", "MessageHeader/ResponseFor[1]"),
        ("EDXML.LEGACY_AGENCY_CODE", "TraceHeaderList/TraceHeader[1]/OrganId"),
        ("EDXML.NOTATION_TYPE_MISMATCH", "MessageHeader/Code/CodeNotation"),
    } <= where(problems)
    bad = next(p for p in problems if p.code == "EDXML.BAD_BASE64")
    assert bad.params["offset"] == 0  # "${__StringFromFile(…)}": the very first character


@needs_samples
def test_every_reported_code_is_in_the_catalogue_with_both_messages() -> None:
    load_all()
    known = {t.code for t in catalogue()}
    for path in sorted(SAMPLES.glob("*.edxml")):
        for problem in validate(parse(path, repair=True)):
            assert problem.code in known
            assert problem.message_vi and problem.message_en
            assert "{" not in problem.message_en  # every placeholder was filled


def test_missing_required_elements_are_named() -> None:
    message = document()
    assert message.header is not None
    message.header.subject = "   "
    message.header.signer_info = None
    message.header.code = None
    problems = validate(message)
    assert {
        ("EDXML.MISSING", "MessageHeader/Subject"),
        ("EDXML.MISSING", "MessageHeader/SignerInfo"),
        ("EDXML.MISSING", "MessageHeader/Code"),
    } <= where(problems)


def test_notation_must_fit_the_document_type() -> None:
    message = document(
        document_type={"type": "1", "type_name": "Quyết định"},
        code={"code_number": "12", "code_notation": "UBND"},
    )
    problems = validate(message)
    mismatch = [p for p in problems if p.code == "EDXML.NOTATION_TYPE_MISMATCH"]
    assert [p.path for p in mismatch] == ["MessageHeader/Code/CodeNotation"]
    fitting = document(
        document_type={"type": "1", "type_name": "Quyết định"},
        code={"code_number": "12", "code_notation": "QĐ-UBND"},
    )
    assert validate(fitting) == []


def test_unpadded_number_and_loose_type_name_are_warnings() -> None:
    message = document(
        document_type={"type": "1", "type_name": "cong van"},
        code={"code_number": "7", "code_notation": "VPCP-KSTT"},
    )
    problems = validate(message)
    assert {("EDXML.NUMBER_NOT_PADDED", "MessageHeader/Code/CodeNotation")} <= where(problems)
    assert {("EDXML.LOOSE_DOCUMENT_TYPE", "MessageHeader/DocumentType/TypeName")} <= where(problems)
    assert not any(p.is_error for p in problems)


def test_a_pdf_that_is_not_a_pdf_is_flagged() -> None:
    message = document(b"GIF89a not a pdf")
    assert where(validate(message)) == {
        ("EDXML.BAD_CONTENT_TYPE", "AttachmentEncoded/Attachment[1]/ContentType")
    }


def test_empty_attachment_is_an_error() -> None:
    assert where(validate(document(b""))) == {
        ("EDXML.EMPTY_ATTACHMENT", "AttachmentEncoded/Attachment[1]/ContentTransferEncoded")
    }


def test_attachments_can_be_left_undecoded() -> None:
    message = document(b"")
    assert validate(message, check_attachments=False) == []


def test_status_timestamp_is_checked() -> None:
    message = status()
    assert message.header is not None
    message.header.timestamp = "2024/03/05"
    assert where(validate(message)) == {("EDXML.BAD_TIMESTAMP", "MessageHeader/Timestamp")}


def test_tables_match_the_standard() -> None:
    assert sorted(STATUS_CODES) == ["01", "02", "03", "04", "05", "06", "13", "15", "16"]
    assert (LIMITS["Subject"], LIMITS["CodeNotation"], LIMITS["FullName"], LIMITS["CodeNumber"]) == (
        500,
        30,
        50,
        11,
    )
    assert normalise_cid(" cid:abc ") == normalise_cid("abc") == "abc"
