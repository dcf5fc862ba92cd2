"""One passing and one failing package per rule, and what each failure says."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from lienthong.checks import (
    AgencyRecord,
    Facts,
    InMemoryHistory,
    InMemoryRegistry,
    Outcome,
    SentDocument,
    policy_from_dict,
    secrecy_level,
)
from lienthong.checks import problems as P
from lienthong.edxml import DocumentMessage, XmlFragment
from lienthong.edxml.builder import attachment_from_bytes
from lienthong.problems import Problem, Severity
from lienthong.signing.agencies import AgencyMatch, MatchMethod
from lienthong.signing.report import SignatureReport
from tests.checks.kit import (
    PDF,
    RECIPIENT,
    SENDER,
    at,
    package,
    report,
    run,
    signature,
    signed_by_both,
)

REGISTRY = InMemoryRegistry.of(
    [
        AgencyRecord(SENDER),
        AgencyRecord(RECIPIENT),
        AgencyRecord("000.00.00.H14", state="suspended"),
        AgencyRecord("001.00.10.H47"),  # a level-4 unit (by its code)
    ]
)


def outcome(code: str, *, message: DocumentMessage, **kwargs: Any) -> Outcome:
    return run(message, **kwargs).result(code).outcome


def findings(code: str, message: DocumentMessage, **kwargs: Any) -> list[str]:
    return [p.message_en for p in run(message, **kwargs).result(code).problems]


# --- the whole checklist --------------------------------------------------------------------------


def test_a_complete_signed_package_passes_every_rule() -> None:
    result = run(
        package(),
        signatures=signed_by_both(at(2026, 11, 25, 8)),
        registry=REGISTRY,
        history=InMemoryHistory(),
    )
    assert [r.outcome for r in result.results] == [Outcome.PASSED] * len(result.results)
    assert not result.has_errors


def test_rules_without_what_they_need_are_skipped_not_failed() -> None:
    result = run(package())
    skipped = {r.rule.code for r in result.results if r.outcome is Outcome.SKIPPED}
    assert skipped == {P.SENDER_AUTHORITY.code, P.LEVEL_PERMISSION.code, P.SIGNATURES.code, P.DUPLICATE.code}
    assert result.result(P.DUPLICATE.code).note == "needs history"


def test_a_rule_that_breaks_is_skipped_and_logged_not_fatal(caplog: pytest.LogCaptureFixture) -> None:
    from lienthong.checks import Rule, run_rules
    from lienthong.checks.rules import document_type_known

    def broken(f: Facts) -> Iterator[Problem]:
        raise KeyError("boom")
        yield  # pragma: no cover

    rules = (Rule(P.PAPER, "x", "x", broken), Rule(P.DOCUMENT_TYPE, "y", "y", document_type_known))
    result = run_rules(rules, package(type_name="Văn bản khác"))
    assert [r.outcome for r in result.results] == [Outcome.SKIPPED, Outcome.FAILED]
    assert result.results[0].note == "internal error: KeyError"
    assert "check CHECK.PAPER failed" in caplog.text


# --- time limits ------------------------------------------------------------------------------------


def test_sent_the_next_morning_is_on_time_the_afternoon_is_late() -> None:
    signed = signed_by_both(at(2026, 11, 25, 16, 30))  # Wednesday afternoon
    message = package()
    assert outcome(P.SENT_LATE.code, message=message, signatures=signed, now=at(2026, 11, 26, 11, 59)) is (
        Outcome.PASSED
    )
    late = findings(P.SENT_LATE.code, message, signatures=signed, now=at(2026, 11, 26, 12, 1))
    assert late == [
        "Sent late: signed at 2026/11/25 16:31:00, due by 2026/11/26 12:00:00, sent at 2026/11/26 12:01:00"
    ]


def test_the_signing_time_is_the_verified_one_not_the_promulgation_date() -> None:
    message = package(day="2026/11/20")  # the date says Friday; the seal says Wednesday
    signed = signed_by_both(at(2026, 11, 25, 9))
    assert outcome(P.SENT_LATE.code, message=message, signatures=signed, now=at(2026, 11, 25, 10)) is (
        Outcome.PASSED
    )
    # Unverified, only the date is known: Friday 20 → due Monday 23 at noon.
    assert outcome(P.SENT_LATE.code, message=message, now=at(2026, 11, 25, 10)) is Outcome.WARNED
    # An invalid signature proves nothing either.
    forged = report(("12.pdf", [signature(at(2026, 11, 25, 9), valid=False)]))
    assert outcome(P.SENT_LATE.code, message=message, signatures=forged, now=at(2026, 11, 25, 10)) is (
        Outcome.WARNED
    )


@pytest.mark.parametrize(
    ("signed", "on_time", "late", "why"),
    [
        # Tết 2026: Mon 16 – Fri 20 February off; signed the Friday before, due Monday 23 at noon.
        (at(2026, 2, 13, 15), at(2026, 2, 23, 11, 30), at(2026, 2, 23, 12, 30), "Tết"),
        # 30/4 and 1/5 2026 (Thursday, Friday): signed Wednesday 29, due Monday 4 May at noon.
        (at(2026, 4, 29, 16), at(2026, 5, 4, 11, 0), at(2026, 5, 4, 13, 0), "30/4–1/5"),
        # 2/9 2026 (with 1/9 and the day off on Monday 31/8): signed Friday 28/8, due Thursday 3/9.
        (at(2026, 8, 28, 10), at(2026, 9, 3, 11, 59), at(2026, 9, 3, 12, 1), "2/9"),
        # Saturday 22/8/2026 is a compensatory working day: signed Friday 21, due Saturday noon.
        (at(2026, 8, 21, 15), at(2026, 8, 22, 11, 0), at(2026, 8, 24, 9, 0), "compensatory Saturday"),
    ],
)
def test_time_limit_follows_vietnams_calendar(
    signed: datetime, on_time: datetime, late: datetime, why: str
) -> None:
    message = package(day=f"{signed:%Y/%m/%d}")
    evidence = signed_by_both(signed)
    assert outcome(P.SENT_LATE.code, message=message, signatures=evidence, now=on_time) is Outcome.PASSED, why
    assert outcome(P.SENT_LATE.code, message=message, signatures=evidence, now=late) is Outcome.WARNED, why


def test_the_operators_calendar_file_moves_the_deadline(tmp_path: Path) -> None:
    folder = tmp_path
    (folder / "calendar.txt").write_text("2026-11-26 off  a day off announced late\n", encoding="utf-8")
    (folder / "policy.toml").write_text('[time]\ncalendar_file = "calendar.txt"\n', encoding="utf-8")
    from lienthong.checks import load_policy

    policy = load_policy(folder / "policy.toml")
    signed = signed_by_both(at(2026, 11, 25, 16))
    thursday = at(2026, 11, 27, 11)  # Friday morning: late by default, on time with the day off
    assert outcome(P.SENT_LATE.code, message=package(), signatures=signed, now=thursday) is Outcome.WARNED
    assert (
        outcome(P.SENT_LATE.code, message=package(), signatures=signed, now=thursday, policy=policy)
        is Outcome.PASSED
    )


def test_revocations_and_updates_carry_the_originals_time_and_are_not_late() -> None:
    old = signed_by_both(at(2026, 11, 2, 9))
    for business, late in (
        ("0", Outcome.WARNED),
        ("1", Outcome.PASSED),
        ("2", Outcome.PASSED),
        ("3", Outcome.WARNED),
    ):
        message = package(day="2026/11/02", business_type=business)
        assert outcome(P.SENT_LATE.code, message=message, signatures=old) is late, business
    urgent = package(day="2026/11/02", priority="1")
    [problem] = run(urgent).result(P.URGENT_LATE.code).problems
    assert "promulgated on 2026/11/02, due by 2026/11/03 01:59:59" in problem.message_en


def test_urgent_documents_go_within_the_grace() -> None:
    message = package(priority="2")
    signed = signed_by_both(at(2026, 11, 25, 9))
    # The seal is at 09:01; the default grace is two hours.
    assert outcome(P.URGENT_LATE.code, message=message, signatures=signed, now=at(2026, 11, 25, 11)) is (
        Outcome.PASSED
    )
    assert outcome(P.URGENT_LATE.code, message=message, signatures=signed, now=at(2026, 11, 25, 11, 2)) is (
        Outcome.WARNED
    )
    # The next-morning rule does not apply to urgent documents: the stricter one does.
    assert outcome(P.SENT_LATE.code, message=message, signatures=signed, now=at(2026, 11, 26, 11)) is (
        Outcome.PASSED
    )
    strict = policy_from_dict({"time": {"urgent_grace_minutes": 30}, "rules": {"CHECK.URGENT_LATE": "error"}})
    assert (
        outcome(
            P.URGENT_LATE.code, message=message, signatures=signed, now=at(2026, 11, 25, 9, 45), policy=strict
        )
        is Outcome.FAILED
    )


# --- metadata ----------------------------------------------------------------------------------------


def test_metadata_complete_and_in_range() -> None:
    assert outcome(P.METADATA_INCOMPLETE.code, message=package()) is Outcome.PASSED
    message = package(subject="x" * 501, full_name="", priority="7")
    assert message.header is not None and message.header.code is not None
    message.header.code.code_notation = None
    found = findings(P.METADATA_INCOMPLETE.code, message)
    assert "Metadata incomplete or out of range: Code/CodeNotation is missing" in found
    assert "Metadata incomplete or out of range: SignerInfo/FullName is missing" in found
    assert "Metadata incomplete or out of range: Subject has 501 characters, at most 500" in found
    assert "Metadata incomplete or out of range: OtherInfo/Priority = '7' (expected 0–3)" in found


# --- format ------------------------------------------------------------------------------------------


def test_notation_consistent_with_type_and_issuer() -> None:
    assert outcome(P.NOTATION.code, message=package()) is Outcome.PASSED
    assert findings(P.NOTATION.code, package(notation="TB-VPCP")) == [
        "Number/notation not as prescribed: 12/TB-VPCP: the type abbreviation is another type's"
    ]
    assert findings(P.NOTATION.code, package(number="7")) == [
        "Number/notation not as prescribed: 7/QĐ-VPCP: numbers below 10 are written 01…09"
    ]
    assert findings(P.NOTATION.code, package(notation="QĐ VPCP"))[0].startswith(
        "Number/notation not as prescribed: unreadable"
    )
    issuers = policy_from_dict({"format": {"issuer_abbreviations": {SENDER: "VPCP"}}})
    assert outcome(P.NOTATION.code, message=package(), policy=issuers) is Outcome.PASSED
    assert findings(P.NOTATION.code, package(notation="QĐ-UBND"), policy=issuers) == [
        "Number/notation not as prescribed: 12/QĐ-UBND: the issuer's abbreviation (VPCP) is missing"
    ]
    assert findings(P.NOTATION.code, package(document_id=f"{RECIPIENT},2026/11/25,12/QĐ-VPCP")) == [
        f"Number/notation not as prescribed: the DocumentId names issuer {RECIPIENT}, not the sender {SENDER}"
    ]


def test_promulgation_date_not_in_the_future_and_the_signing_day() -> None:
    assert outcome(
        P.PROMULGATION_DATE.code, message=package(), signatures=signed_by_both(at(2026, 11, 25, 8))
    ) is (Outcome.PASSED)
    future = findings(P.PROMULGATION_DATE.code, package(day="2026/11/26"))
    assert future == ["Promulgation date not acceptable: 2026/11/26 is in the future (today is 2026/11/25)"]
    result = run(package(day="2026/11/24"), signatures=signed_by_both(at(2026, 11, 25, 8)))
    [problem] = result.result(P.PROMULGATION_DATE.code).problems
    assert problem.severity is Severity.WARNING
    assert problem.message_en.endswith("promulgated 2026/11/24 but digitally signed 2026/11/25")


def test_document_type_is_one_of_the_29() -> None:
    assert outcome(P.DOCUMENT_TYPE.code, message=package()) is Outcome.PASSED
    assert outcome(P.DOCUMENT_TYPE.code, message=package(type_name="Thông tư", notation="TT-BNV")) is (
        Outcome.PASSED
    )
    assert outcome(P.DOCUMENT_TYPE.code, message=package(type_name="Văn bản khác")) is Outcome.FAILED
    assert outcome(P.DOCUMENT_TYPE.code, message=package(type_name="Quyet dinh")) is Outcome.WARNED
    no_legal = policy_from_dict({"format": {"allow_legal_types": False}})
    legal = package(type_name="Thông tư", notation="TT-BNV")
    assert outcome(P.DOCUMENT_TYPE.code, message=legal, policy=no_legal) is Outcome.FAILED


@pytest.mark.parametrize(
    "good",
    ["TM. ỦY BAN NHÂN DÂN", "KT. BỘ TRƯỞNG", "TL. CHỦ NHIỆM", "TUQ. BỘ TRƯỞNG", "Q. CHÁNH VĂN PHÒNG", ""],
)
def test_competence_markers_well_formed(good: str) -> None:
    assert outcome(P.COMPETENCE_MARKER.code, message=package(competence=good)) is Outcome.PASSED


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        ("KT BỘ TRƯỞNG", "write 'KT.'"),
        ("T/M ỦY BAN NHÂN DÂN", "write 'TM.'"),
        ("tl. chủ nhiệm", "write 'TL.'"),
        ("KT.", "must be followed by a position"),
        ("KT. Bộ trưởng", "is written in capitals"),
    ],
)
def test_competence_markers_malformed(bad: str, says: str) -> None:
    [message] = findings(P.COMPETENCE_MARKER.code, package(competence=bad))
    assert says in message


def test_main_pdf_version_and_both_signatures() -> None:
    both = signed_by_both(at(2026, 11, 25, 8))
    assert outcome(P.MAIN_PDF.code, message=package(), signatures=both) is Outcome.PASSED
    old = PDF.replace(b"%PDF-1.7", b"%PDF-1.3", 1)
    message = package(attachments=[attachment_from_bytes("12.pdf", old)])
    assert findings(P.MAIN_PDF.code, message) == [
        "Main document format or signatures wrong: 12.pdf is PDF 1.3, needs ≥ 1.4"
    ]
    person_only = report(("12.pdf", [signature(at(2026, 11, 25, 8))]))
    assert findings(P.MAIN_PDF.code, package(), signatures=person_only) == [
        "Main document format or signatures wrong: 12.pdf lacks a valid signature of the agency"
    ]
    someone_else = report(
        (
            "12.pdf",
            [
                signature(at(2026, 11, 25, 8), name="Trần Thị Bình"),
                signature(at(2026, 11, 25, 8), agency=SENDER),
            ],
        )
    )
    assert findings(P.MAIN_PDF.code, package(), signatures=someone_else) == [
        "Main document format or signatures wrong: "
        "12.pdf is signed by Trần Thị Bình, not Nguyễn Văn An (SignerInfo)"
    ]
    other_seal = report(
        ("12.pdf", [signature(at(2026, 11, 25, 8)), signature(at(2026, 11, 25, 8), agency=RECIPIENT)])
    )
    assert findings(P.MAIN_PDF.code, package(), signatures=other_seal) == [
        "Main document format or signatures wrong: "
        f"12.pdf carries the seal of {RECIPIENT}, not of the sender {SENDER}"
    ]
    no_pdf = package(attachments=[attachment_from_bytes("12.docx", b"PK\x03\x04", "application/docx")])
    assert outcome(P.MAIN_PDF.code, message=no_pdf) is Outcome.FAILED


def test_the_seal_of_the_sender_by_certificate_by_name_or_unknown() -> None:
    when = at(2026, 11, 25, 8)
    person = signature(when)

    def seal(method: MatchMethod | None, code: str = SENDER) -> SignatureReport:
        sealed = signature(when, agency=code)
        match = AgencyMatch(method, code, kind="agency") if method is not None else None
        return dataclasses.replace(sealed, agency=match)

    def main_pdf(*sigs: SignatureReport) -> list[tuple[str, str]]:
        problems = run(package(), signatures=report(("12.pdf", list(sigs)))).result(P.MAIN_PDF.code).problems
        return [(p.severity.value, p.message_en) for p in problems]

    assert main_pdf(person, seal(MatchMethod.CERTIFICATE)) == []
    assert main_pdf(person, seal(MatchMethod.MAPPING)) == []
    assert main_pdf(person, seal(None)) == []  # no directory: certificates carry no code, nothing to say
    assert main_pdf(person, seal(MatchMethod.NAME)) == [
        (
            "warning",
            "Main document format or signatures wrong: "
            f"the seal on 12.pdf matches the sender {SENDER} by name only, which is not proof",
        )
    ]
    assert main_pdf(person, seal(MatchMethod.NAME, RECIPIENT)) == [
        (
            "warning",
            "Main document format or signatures wrong: "
            f"12.pdf carries the seal of {RECIPIENT} (name), not of the sender {SENDER}",
        )
    ]
    assert main_pdf(person, seal(MatchMethod.MAPPING, RECIPIENT))[0][0] == "error"


# --- authority ---------------------------------------------------------------------------------------


def test_sender_registered_and_active() -> None:
    assert outcome(P.SENDER_AUTHORITY.code, message=package(), registry=REGISTRY) is Outcome.PASSED
    assert findings(P.SENDER_AUTHORITY.code, package(sender="000.00.00.G17"), registry=REGISTRY) == [
        "Sender not entitled to send: code 000.00.00.G17 is not registered"
    ]
    assert findings(P.SENDER_AUTHORITY.code, package(sender="000.00.00.H14"), registry=REGISTRY) == [
        "Sender not entitled to send: 000.00.00.H14 is suspended"
    ]


def test_some_types_only_from_level_one_bodies() -> None:
    directive: dict[str, Any] = {"type_name": "Chỉ thị", "notation": "CT-UBND"}
    assert outcome(P.LEVEL_PERMISSION.code, message=package(**directive), registry=REGISTRY) is Outcome.PASSED
    unit = package(sender="001.00.10.H47", **directive)
    result = run(unit, registry=REGISTRY)
    [problem] = result.result(P.LEVEL_PERMISSION.code).problems
    assert (
        problem.message_en
        == "A level-4 unit may not send this type: 'Chỉ thị' is sent only by level-1 units or above"
    )
    # The registry's level wins over the code's reading; a plain letter is open to every level.
    promoted = InMemoryRegistry.of([AgencyRecord("001.00.10.H47", level=1)])
    assert outcome(P.LEVEL_PERMISSION.code, message=unit, registry=promoted) is Outcome.PASSED
    letter = package(sender="001.00.10.H47", type_name="Công văn", notation="UBND-VP")
    assert outcome(P.LEVEL_PERMISSION.code, message=letter, registry=REGISTRY) is Outcome.PASSED


def test_delegated_signature_where_the_head_must_sign() -> None:
    directive: dict[str, Any] = {"type_name": "Chỉ thị", "notation": "CT-VPCP"}
    assert outcome(P.COMPETENCE_POLICY.code, message=package(competence="KT. CHỦ NHIỆM", **directive)) is (
        Outcome.PASSED
    )
    assert outcome(P.COMPETENCE_POLICY.code, message=package(competence="TL. CHỦ NHIỆM", **directive)) is (
        Outcome.WARNED
    )
    assert outcome(P.COMPETENCE_POLICY.code, message=package(competence="TL. CHỦ NHIỆM")) is Outcome.PASSED


# --- state secrets -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "level"),
    [
        ("MẬT - Về việc triển khai phương án", "Mật"),
        ("(Mật) Kế hoạch bảo vệ", "Mật"),
        ("Tài liệu tối mật về quốc phòng", "Tối mật"),
        ("TUYỆT MẬT: phương án tác chiến", "Tuyệt mật"),
        ("Độ mật: Tối mật. Về việc bảo đảm an ninh", "Tối mật"),
    ],
)
def test_secrecy_marks_in_the_subject_are_refused(subject: str, level: str) -> None:
    assert secrecy_level(subject) == level
    result = run(package(subject=subject))
    [problem] = result.result(P.STATE_SECRET.code).problems
    assert problem.is_error and problem.params["level"] == level


@pytest.mark.parametrize(
    "subject",
    [
        "Về việc bảo vệ bí mật nhà nước",
        "V/V BẢO VỆ BÍ MẬT NHÀ NƯỚC",
        "V/V TĂNG CƯỜNG BẢO MẬT THÔNG TIN",
        "Báo cáo mật độ dân số năm 2026",
        "HƯỚNG DẪN ĐỔI MẬT KHẨU HỆ THỐNG",
        "Quan hệ mật thiết giữa các ngành",
    ],
)
def test_words_that_merely_contain_mat_are_not_secrets(subject: str) -> None:
    assert secrecy_level(subject) is None
    assert outcome(P.STATE_SECRET.code, message=package(subject=subject)) is Outcome.PASSED


def test_a_classification_element_and_the_operators_keywords() -> None:
    message = package()
    assert message.header is not None
    message.header.extras.append(XmlFragment.from_string("<DoMat>Tuyệt mật</DoMat>"))
    [problem] = run(message).result(P.STATE_SECRET.code).problems
    assert (problem.path, problem.params["level"]) == ("MessageHeader/DoMat", "Tuyệt mật")
    plain = package()
    assert plain.header is not None
    plain.header.extras.append(XmlFragment.from_string("<DoMat>Thường</DoMat>"))
    assert outcome(P.STATE_SECRET.code, message=plain) is Outcome.PASSED
    keywords = policy_from_dict({"secrets": {"keywords": ["không phổ biến"]}})
    flagged = package(subject="Tài liệu KHÔNG PHỔ BIẾN về nhân sự")
    assert outcome(P.STATE_SECRET.code, message=flagged) is Outcome.PASSED
    assert outcome(P.STATE_SECRET.code, message=flagged, policy=keywords) is Outcome.FAILED


# --- signatures and attachments ------------------------------------------------------------------------


def test_every_pdf_signed_as_required() -> None:
    when = at(2026, 11, 25, 8)
    sealed = report(
        ("12.pdf", [signature(when), signature(when, agency=SENDER)]),
        ("phu-luc.pdf", [signature(when, agency=SENDER)]),
    )
    assert outcome(P.SIGNATURES.code, message=package(), signatures=sealed) is Outcome.PASSED
    bare = report(("12.pdf", [signature(when), signature(when, agency=SENDER)]), ("phu-luc.pdf", []))
    assert findings(P.SIGNATURES.code, package(), signatures=bare) == [
        "File phu-luc.pdf is not validly signed as required: no valid signature (SIG.MISSING)"
    ]
    personal = report(
        ("12.pdf", [signature(when), signature(when, agency=SENDER)]), ("phu-luc.pdf", [signature(when)])
    )
    assert findings(P.SIGNATURES.code, package(), signatures=personal) == [
        "File phu-luc.pdf is not validly signed as required: "
        "an attached document must carry the agency's signature"
    ]


def test_manifest_and_attachments_match() -> None:
    assert outcome(P.MANIFEST.code, message=package()) is Outcome.PASSED
    message = package()
    assert message.envelope is not None and message.envelope.body is not None
    manifest = message.envelope.body.manifest
    assert manifest is not None
    ghost = type(manifest.references[0])(content_id="cid:ghost", attachment_name="ghost.pdf")
    manifest.references.append(ghost)
    message.attachment_list[0].attachment_name = "renamed.pdf"
    assert message.attachments is not None
    message.attachments.append(attachment_from_bytes("extra.pdf", PDF))
    message.attachments[-1].content_id = "cid:extra"
    assert set(findings(P.MANIFEST.code, message)) == {
        "Manifest and attachments do not match: ghost.pdf is in the manifest but not attached",
        "Manifest and attachments do not match: the name '12.pdf' differs from 'renamed.pdf'",
        "Manifest and attachments do not match: extra.pdf is attached but not in the manifest",
    }


def test_attachment_types_allowed() -> None:
    assert outcome(P.ATTACHMENT_TYPE.code, message=package()) is Outcome.PASSED
    exe = attachment_from_bytes("setup.exe", b"MZ\x90\x00", "application/x-msdownload")
    fake = attachment_from_bytes("fake.pdf", b"<html>not a pdf</html>")
    message = package(attachments=[attachment_from_bytes("12.pdf", PDF), exe, fake])
    assert findings(P.ATTACHMENT_TYPE.code, message) == [
        "File setup.exe: format not allowed (content type 'application/x-msdownload')",
        "File setup.exe: format not allowed (extension 'exe')",
        "File fake.pdf: format not allowed (the content is not a PDF)",
    ]


def test_attachment_sizes_within_limits() -> None:
    small = policy_from_dict({"attachments": {"max_file_mb": 0.01, "max_total_mb": 0.012}})
    assert outcome(P.ATTACHMENT_SIZE.code, message=package(), policy=small) is Outcome.PASSED
    big = attachment_from_bytes("big.pdf", PDF + b"%" * 12_000)
    message = package(attachments=[attachment_from_bytes("12.pdf", PDF), big])
    found = findings(P.ATTACHMENT_SIZE.code, message, policy=small)
    assert len(found) == 2
    assert found[0].startswith("Size over the limit: big.pdf:") and found[1].endswith("at most 12582")


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("../../etc/passwd", "contains a path"),
        ("C:\\Windows\\x.pdf", "contains a path"),
        ("bao-cao\x00.pdf", "control characters"),
        ("hop-dong\u202efdp.exe", "control characters"),
        ("a" * 201 + ".pdf", "at most 200"),
        ("CON.pdf", "Windows device name"),
        ("", "empty"),
    ],
)
def test_unsafe_attachment_names(name: str, why: str) -> None:
    message = package(attachments=[attachment_from_bytes(name, PDF)])
    found = findings(P.ATTACHMENT_NAME.code, message)
    assert found and why in found[0]


def test_vietnamese_attachment_names_are_safe() -> None:
    message = package(attachments=[attachment_from_bytes("Quyết định số 12 (bản ký số).pdf", PDF)])
    assert outcome(P.ATTACHMENT_NAME.code, message=message) is Outcome.PASSED


# --- duplicates ------------------------------------------------------------------------------------------


def _history() -> InMemoryHistory:
    history = InMemoryHistory()
    history.record(
        SentDocument("pkg-1", RECIPIENT, f"{SENDER},2026/11/20,12/QĐ-VPCP", SENDER, 12, "QĐ-VPCP", 2026)
    )
    return history


def test_never_sent_twice_to_the_same_recipient() -> None:
    history = _history()
    assert outcome(P.DUPLICATE.code, message=package(number="13"), history=history) is Outcome.PASSED
    assert outcome(P.DUPLICATE.code, message=package(recipients=["000.00.00.H14"]), history=history) is (
        Outcome.PASSED
    )
    # Same number, notation, issuer and year (the date differs, so the DocumentId does too).
    result = run(package(day="2026/11/25"), history=history)
    [problem] = result.result(P.DUPLICATE.code).problems
    assert problem.is_error and problem.params["original"] == "pkg-1" and problem.path == "MessageHeader/Code"
    # Same DocumentId.
    result = run(package(document_id=f"{SENDER},2026/11/20,12/QĐ-VPCP", number="99"), history=history)
    [problem] = result.result(P.DUPLICATE.code).problems
    assert problem.path == "MessageHeader/DocumentId"
    assert problem.message_en == f"Already sent to {RECIPIENT} (pkg-1): the same DocumentId"


def test_updates_and_replacements_may_repeat_a_document() -> None:
    for kind in ("2", "3"):
        message = package(business_type=kind)
        assert outcome(P.DUPLICATE.code, message=message, history=_history()) is Outcome.PASSED


# --- the electronic-only catalogue ------------------------------------------------------------------


def test_paper_flag_against_the_catalogue() -> None:
    assert outcome(P.PAPER.code, message=package(paper="0")) is Outcome.PASSED
    assert findings(P.PAPER.code, package(paper="1")) == [
        "Paper flag does not match the electronic-only catalogue: "
        "'Quyết định' is on the electronic-only catalogue (letter 775): Paper must be 0"
    ]
    contract: dict[str, Any] = {"type_name": "Hợp đồng", "notation": "HĐ-VPCP"}
    assert outcome(P.PAPER.code, message=package(paper="1", **contract)) is Outcome.PASSED
    assert outcome(P.PAPER.code, message=package(paper="0", **contract)) is Outcome.WARNED


def test_decision_28_exceptions_government_and_an_agencys_own_list() -> None:
    to_government = package(sender=RECIPIENT, recipients=[SENDER], notation="QĐ-UBND", paper="1")
    assert outcome(P.PAPER.code, message=to_government) is Outcome.PASSED
    without_paper = package(sender=RECIPIENT, recipients=[SENDER], notation="QĐ-UBND", paper="0")
    assert outcome(P.PAPER.code, message=without_paper) is Outcome.WARNED
    own = policy_from_dict({"catalogue": {"agency_paper": {SENDER: ["Quyết định"]}}})
    assert outcome(P.PAPER.code, message=package(paper="1"), policy=own) is Outcome.PASSED
    assert outcome(P.PAPER.code, message=package(paper="0"), policy=own) is Outcome.WARNED
    assert outcome(P.PAPER.code, message=package(paper="1"), policy=own) is Outcome.PASSED
