"""Hostile and broken input: each refused or flagged with its own code, never a crash or a hang."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lienthong.edxml import DocumentMessage, ParseError, ParseLimits, StatusMessage, parse, to_bytes
from lienthong.edxml.blob import encode_standard
from lienthong.edxml.model import Organization, ResponseFor
from lienthong.edxml.validate import validate
from lienthong.problems import Problem, Severity
from tests.edxml.factory import NS, PDF, codes, document, document_bytes, status

_PASSWD = Path("/etc/passwd")
_NSB = NS.encode("ascii")


def refusal(data: bytes, **kwargs: object) -> Problem:
    """The problem ``parse`` refuses ``data`` with (it must refuse it)."""
    with pytest.raises(ParseError) as caught:
        parse(data, **kwargs)  # type: ignore[arg-type]
    return caught.value.problem


def problems_at(problems: list[Problem], code: str) -> list[str]:
    return [p.path for p in problems if p.code == code]


# --- refused while reading --------------------------------------------------------------------------

_XXE = (
    b'<?xml version="1.0"?>\n<!DOCTYPE edXML [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    b'<edXML xmlns="' + _NSB + b'"><edXMLEnvelope><edXMLHeader><MessageHeader>'
    b"<Subject>&xxe;</Subject></MessageHeader></edXMLHeader></edXMLEnvelope></edXML>"
)
_XXE_PARAMETER = (
    b'<?xml version="1.0"?>\n<!DOCTYPE edXML [<!ENTITY % ext SYSTEM "file:///etc/passwd"> %ext;]>\n'
    b'<edXML xmlns="' + _NSB + b'"/>'
)


def _laughs(encoding: str = "utf-8") -> bytes:
    entities = "".join(
        f'<!ENTITY lol{i} "{(f"&lol{i - 1};" if i > 1 else "lol") * 10}">' for i in range(1, 11)
    )
    text = f'<?xml version="1.0" encoding="{encoding}"?>\n<!DOCTYPE edXML [{entities}]>\n'
    text += f'<edXML xmlns="{NS}"><edXMLEnvelope>&lol10;</edXMLEnvelope></edXML>'
    return text.encode(encoding)


@pytest.mark.parametrize(
    "data",
    [
        _XXE,
        _XXE_PARAMETER,
        _XXE.decode("ascii").replace("1.0", '1.0" encoding="UTF-16', 1).encode("utf-16"),
        b"1212" + _XXE,
    ],
    ids=["general-entity", "parameter-entity", "utf-16", "after-stray-bytes"],
)
@pytest.mark.parametrize("repair", [False, True])
def test_xxe_is_refused_and_nothing_of_the_file_leaks(data: bytes, repair: bool) -> None:
    problem = refusal(data, repair=repair)
    assert problem.code in ("EDXML.DTD_FORBIDDEN", "EDXML.STRAY_PROLOG")
    if not data.startswith(b"1212") or repair:
        assert problem.code == "EDXML.DTD_FORBIDDEN"
    if _PASSWD.exists():
        first_line = _PASSWD.read_text("utf-8", "replace").splitlines()[0]
        shown = f"{problem} {problem.to_dict()} {problem.params}"
        assert first_line not in shown
        assert "root:" not in shown


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_billion_laughs_is_refused_quickly(encoding: str) -> None:
    start = time.perf_counter()
    assert refusal(_laughs(encoding)).code == "EDXML.DTD_FORBIDDEN"
    assert time.perf_counter() - start < 1.0


def test_deep_nesting_is_refused() -> None:
    data = b'<edXML xmlns="' + _NSB + b'">' + b"<a>" * 10_000 + b"</a>" * 10_000 + b"</edXML>"
    problem = refusal(data)
    assert problem.code == "EDXML.TOO_DEEP"
    assert problem.params["limit"] == 64
    assert refusal(data[:2000] + b"x", limits=ParseLimits(max_depth=5)).code == "EDXML.TOO_DEEP"


def test_nesting_within_the_limit_is_not_refused() -> None:
    inner = b"<a>" * 20 + b"</a>" * 20
    data = document_bytes().replace(
        b"<edXML:Subject>", b"<edXML:Deep>" + inner + b"</edXML:Deep><edXML:Subject>"
    )
    message = parse(data)
    assert "EDXML.UNKNOWN_ELEMENT" in codes(message.source_problems)


def test_too_many_elements_is_refused() -> None:
    data = document_bytes()
    count = data.count(b"<edXML:")  # every start tag; the builder writes no empty elements
    assert isinstance(parse(data, limits=ParseLimits(max_elements=count)), DocumentMessage)
    problem = refusal(data, limits=ParseLimits(max_elements=count - 1))
    assert problem.code == "EDXML.TOO_MANY_ELEMENTS"
    assert problem.params["limit"] == count - 1


def test_over_long_text_is_refused_but_attachments_are_not_text() -> None:
    subject = "Trích yếu " * 200
    data = document_bytes(subject=subject)
    problem = refusal(data, limits=ParseLimits(max_text=1000))
    assert problem.code == "EDXML.TEXT_TOO_LARGE"
    assert problem.path.endswith("MessageHeader/Subject")
    # CDATA is text as well.
    cdata = document_bytes().replace(b"<edXML:Content>", b"<edXML:Content>")
    cdata = cdata.replace(b"<edXML:Subject>", b"<edXML:Subject><![CDATA[" + b"x" * 2000 + b"]]>")
    assert refusal(cdata, limits=ParseLimits(max_text=1000)).code == "EDXML.TEXT_TOO_LARGE"
    # A 100 KB attachment is not limited by max_text.
    big = parse(document_bytes(PDF * 50), limits=ParseLimits(max_text=1000))
    assert isinstance(big, DocumentMessage)


def test_too_large_is_refused() -> None:
    data = document_bytes()
    assert refusal(data, limits=ParseLimits(max_bytes=len(data) - 1)).code == "EDXML.TOO_LARGE"
    assert isinstance(parse(data, limits=ParseLimits(max_bytes=len(data))), DocumentMessage)


def _cuts(data: bytes, step: int) -> list[int]:
    end = data.rindex(b"</edXML:edXML>") + len(b"</edXML:edXML>") - 1
    return sorted({*range(60, end, step), end - 1, end - 5})


_TRUNCATABLE = document_bytes()


@pytest.mark.parametrize("cut", _cuts(_TRUNCATABLE, 61))
def test_truncated_xml_is_reported_as_truncated(cut: int) -> None:
    problem = refusal(_TRUNCATABLE[:cut])
    assert problem.code == "EDXML.TRUNCATED"
    assert problem.line is not None
    assert problem.line == _TRUNCATABLE[:cut].count(b"\n") + 1


def test_truncated_inside_a_multibyte_character_is_truncated() -> None:
    data = document_bytes()
    cut = data.index("ủ".encode()) + 1
    assert refusal(data[:cut]).code == "EDXML.TRUNCATED"


def test_an_error_before_the_end_is_not_called_truncation() -> None:
    data = document_bytes().replace(b"<edXML:Subject>", b"<edXML:Subject a='1' a='2'>")
    assert refusal(data).code == "EDXML.NOT_WELL_FORMED"
    assert refusal(data[:-200]).code == "EDXML.NOT_WELL_FORMED"
    assert refusal(data.replace(b"</edXML:Subject>", b"</edXML:Content>")).code == "EDXML.NOT_WELL_FORMED"


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        (b'<foo xmlns="' + _NSB + b'"><edXMLEnvelope/></foo>', "root"),
        (b'<edXML xmlns="urn:other"><edXMLEnvelope/></edXML>', "namespace"),
        (b"<edXML><edXMLEnvelope/></edXML>", "namespace"),
        (b'<edXML xmlns="' + _NSB + b'"/>', "edXMLEnvelope"),
    ],
    ids=["wrong-root", "wrong-namespace", "no-namespace", "no-envelope"],
)
def test_not_edxml_is_refused(data: bytes, detail: str) -> None:
    problem = refusal(data)
    assert problem.code == "EDXML.NOT_EDXML"
    assert detail in problem.params["detail_en"]


def test_empty_input_is_refused() -> None:
    assert refusal(b"").code == "EDXML.EMPTY_INPUT"


@pytest.mark.parametrize(
    "data",
    [b"hello world", bytes(range(256)), b"\x00" * 100, b"<", b"<?xml", b"<!", b"<![CDATA[", b"<!--"],
    ids=["text", "bytes", "zeros", "lt", "decl", "bang", "cdata", "comment"],
)
def test_garbage_is_refused_with_a_reading_code(data: bytes) -> None:
    problem = refusal(data)
    assert problem.code.startswith("EDXML.")
    assert problem.code in {
        "EDXML.NOT_WELL_FORMED",
        "EDXML.TRUNCATED",
        "EDXML.STRAY_PROLOG",
        "EDXML.DTD_FORBIDDEN",
        "EDXML.BAD_ENCODING",
        "EDXML.EMPTY_INPUT",
    }


@pytest.mark.parametrize(
    "insert",
    [b"a&nbsp;b", b"AT&T", b"&amp", b"&#xZZ;", b"&#0;"],
    ids=["undefined-entity", "bare-ampersand", "unterminated", "bad-char-ref", "nul-char-ref"],
)
def test_bad_references_are_not_well_formed(insert: bytes) -> None:
    data = document_bytes().replace(b"<edXML:Subject>", b"<edXML:Subject>" + insert)
    assert refusal(data).code == "EDXML.NOT_WELL_FORMED"


def test_an_undefined_entity_in_an_attribute_is_not_well_formed() -> None:
    data = document_bytes().replace(b"<edXML:Subject>", b'<edXML:Subject lang="&vi;">')
    assert refusal(data).code == "EDXML.NOT_WELL_FORMED"


def test_invalid_utf8_is_a_bad_encoding() -> None:
    data = document_bytes().replace("Hà Nội".encode(), b"H\xff N\xfei")
    assert refusal(data).code == "EDXML.BAD_ENCODING"


# --- flagged by validation ----------------------------------------------------------------------------


def test_the_built_document_and_status_are_clean() -> None:
    assert validate(document()) == []
    assert validate(status()) == []


def _with_base64(text: bytes) -> DocumentMessage:
    data = document_bytes().replace(encode_standard(PDF).encode("ascii"), text)
    message = parse(data)
    assert isinstance(message, DocumentMessage)
    return message


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (b"JVBERi0x!!!!", "not a base64 character"),
        (b"${__StringFromFile(test.txt,,,)}", "not a base64 character"),
        (b"JVBERi0xLjQ=AAAA", "padding"),
        (b"JVBERi0xLjQ", "multiple of 4"),
    ],
    ids=["bad-char", "placeholder", "after-padding", "unpadded"],
)
def test_malformed_base64_is_reported(text: bytes, reason: str) -> None:
    found = validate(_with_base64(text))
    bad = [p for p in found if p.code == "EDXML.BAD_BASE64"]
    assert [p.path for p in bad] == ["AttachmentEncoded/Attachment[1]/ContentTransferEncoded"]
    assert reason in str(bad[0].params["reason"])


def test_base64_with_data_after_padding_across_read_chunks_is_reported() -> None:
    # The decoder works in 1 MB chunks of stored text: put the padding at the end of one.
    head = encode_standard(b"x" * 3 * 262_143 + b"y")  # ends with '=='
    message = _with_base64(head.encode("ascii") + b"QUJD")
    assert "EDXML.BAD_BASE64" in codes(validate(message))


def test_manifest_and_attachments_must_match_one_to_one() -> None:
    message = document()
    assert message.envelope is not None and message.envelope.body is not None
    manifest = message.envelope.body.manifest
    assert manifest is not None
    manifest.references[0].content_id = "cid:other"
    found = validate(message)
    assert problems_at(found, "EDXML.ATTACHMENT_MISMATCH") == [
        "edXMLManifest/Reference[1]/ContentId",
        "AttachmentEncoded/Attachment[1]/ContentId",
    ]


def test_duplicate_content_ids_are_reported() -> None:
    message = parse(document_bytes())
    assert isinstance(message, DocumentMessage) and message.attachments is not None
    twin = parse(document_bytes())
    assert isinstance(twin, DocumentMessage)
    message.attachments.append(twin.attachment_list[0])
    found = validate(message)
    assert problems_at(found, "EDXML.DUPLICATE_CONTENT_ID") == ["AttachmentEncoded/Attachment[2]/ContentId"]


def test_content_id_matches_with_or_without_its_scheme() -> None:
    message = document()
    message.attachment_list[0].content_id = (message.attachment_list[0].content_id or "").removeprefix("cid:")
    assert validate(message) == []


def _header_problems(mutate: Callable[[DocumentMessage], None], *, strict: bool = False) -> list[Problem]:
    message = document()
    mutate(message)
    # Through the wire as well: the same problems after writing and reading back.
    again = parse(to_bytes(message))
    found = validate(message, strict=strict)
    assert codes(validate(again, strict=strict)) == codes(found)
    return found


def _set(field: str, value: str) -> Callable[[DocumentMessage], None]:
    """Set a MessageHeader field by its dotted model path, e.g. ``code.code_notation``."""

    def mutate(message: DocumentMessage) -> None:
        *parts, last = field.split(".")
        target: object = message.header
        for part in parts:
            target = getattr(target, part)
        setattr(target, last, value)

    return mutate


@pytest.mark.parametrize(
    ("field", "value", "code", "path"),
    [
        ("promulgation_info.promulgation_date", "05/03/2024", "EDXML.BAD_DATE", "PromulgationDate"),
        ("promulgation_info.promulgation_date", "2024-03-05", "EDXML.BAD_DATE", "PromulgationDate"),
        ("promulgation_info.promulgation_date", "2014/02/30", "EDXML.IMPOSSIBLE_DATE", "PromulgationDate"),
        ("due_date", "2024/13/01", "EDXML.IMPOSSIBLE_DATE", "MessageHeader/DueDate"),
        ("due_date", "tomorrow", "EDXML.BAD_DATE", "MessageHeader/DueDate"),
        ("document_id", "000.00.00.G22,2014/02/30,807/VPCP-KSTT", "EDXML.IMPOSSIBLE_DATE", "DocumentId"),
        ("document_id", "000.00.00.G22;2024/03/05;807", "EDXML.BAD_DOCUMENT_ID", "DocumentId"),
    ],
)
def test_wrong_dates_are_reported(field: str, value: str, code: str, path: str) -> None:
    found = _header_problems(_set(field, value))
    assert any(p.code == code and p.path.endswith(path) for p in found), codes(found)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("2024-03-05T09:30:00", "EDXML.BAD_TIMESTAMP"),
        ("2024/03/05", "EDXML.BAD_TIMESTAMP"),
        ("2024/02/30 10:00:00", "EDXML.IMPOSSIBLE_DATE"),
        ("2024/03/05 24:00:00", "EDXML.IMPOSSIBLE_DATE"),
    ],
)
def test_wrong_timestamps_are_reported(value: str, code: str) -> None:
    def mutate(message: DocumentMessage) -> None:
        assert message.trace is not None
        message.trace.trace_headers[0].timestamp = value

    found = _header_problems(mutate)
    assert problems_at(found, code) == ["TraceHeaderList/TraceHeader[1]/Timestamp"]


@pytest.mark.parametrize(
    ("field", "limit", "path"),
    [
        ("subject", 500, "MessageHeader/Subject"),
        ("content", 500, "MessageHeader/Content"),
        ("code.code_notation", 30, "MessageHeader/Code/CodeNotation"),
        ("signer_info.full_name", 50, "MessageHeader/SignerInfo/FullName"),
        ("signer_info.position", 100, "MessageHeader/SignerInfo/Position"),
        ("from_.organ_name", 200, "MessageHeader/From/OrganName"),
        ("promulgation_info.place", 150, "MessageHeader/PromulgationInfo/Place"),
    ],
)
def test_over_long_fields_are_reported_at_their_limit(field: str, limit: int, path: str) -> None:
    letters = "VPCP-" if "notation" in field else "Văn bản "
    at_limit = (letters * limit)[:limit]
    assert problems_at(_header_problems(_set(field, at_limit)), "EDXML.TOO_LONG") == []
    over = _header_problems(_set(field, at_limit + "X"))
    too_long = [p for p in over if p.code == "EDXML.TOO_LONG"]
    assert [p.path for p in too_long] == [path]
    assert too_long[0].params["limit"] == limit


def test_attachment_name_over_200_characters_is_too_long() -> None:
    message = document()
    message.attachment_list[0].attachment_name = "a" * 197 + ".pdf"
    assert problems_at(validate(message), "EDXML.TOO_LONG") == [
        "AttachmentEncoded/Attachment[1]/AttachmentName"
    ]


def test_unknown_status_code_is_reported() -> None:
    message = status("07")
    assert problems_at(validate(message), "EDXML.UNKNOWN_STATUS") == ["MessageHeader/StatusCode"]
    for known in ("01", "02", "03", "04", "05", "06", "13", "15", "16"):
        assert "EDXML.UNKNOWN_STATUS" not in codes(validate(status(known)))


def test_rejection_without_a_reason_is_missing_its_description() -> None:
    message = status("02", description="")
    assert problems_at(validate(message), "EDXML.MISSING") == ["MessageHeader/Description"]


def test_duplicate_recipients_are_reported_once_per_duplicate() -> None:
    def mutate(message: DocumentMessage) -> None:
        assert message.header is not None
        message.header.to.append(Organization(organ_id="000.00.00.H41", organ_name="Nghệ An"))

    found = _header_problems(mutate)
    assert problems_at(found, "EDXML.DUPLICATE_RECIPIENT") == ["MessageHeader/To[3]/OrganId"]


def test_no_recipient_is_reported() -> None:
    def mutate(message: DocumentMessage) -> None:
        assert message.header is not None
        message.header.to.clear()

    assert problems_at(_header_problems(mutate), "EDXML.NO_RECIPIENT") == ["MessageHeader/To"]


@pytest.mark.parametrize("null", ["null", "NULL", "None"])
def test_null_as_an_agency_code_is_reported(null: str) -> None:
    def mutate(message: DocumentMessage) -> None:
        assert message.header is not None and message.header.to
        message.header.to[1].organ_id = null

    found = _header_problems(mutate)
    assert problems_at(found, "EDXML.NULL_VALUE") == ["MessageHeader/To[2]/OrganId"]


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("vxp.saas.03", "EDXML.SYSTEM_ID_AS_AGENCY"),
        ("28.22.H17", "EDXML.LEGACY_AGENCY_CODE"),
        ("000.00.00.W00", "EDXML.SYSTEM_CODE_AS_AGENCY"),
    ],
)
def test_non_agency_codes_warn_by_default_and_fail_in_strict_mode(value: str, code: str) -> None:
    def mutate(message: DocumentMessage) -> None:
        assert message.header is not None
        message.header.to[0].organ_id = value

    default = [p for p in _header_problems(mutate) if p.code == code]
    assert [(p.path, p.severity) for p in default] == [("MessageHeader/To[1]/OrganId", Severity.WARNING)]
    strict = [p for p in _header_problems(mutate, strict=True) if p.code == code]
    assert [(p.path, p.severity) for p in strict] == [("MessageHeader/To[1]/OrganId", Severity.ERROR)]


def test_malformed_agency_code_is_an_error() -> None:
    found = _header_problems(_set("from_.organ_id", "G22"))
    assert problems_at(found, "EDXML.BAD_AGENCY_CODE") == ["MessageHeader/From/OrganId"]


@pytest.mark.parametrize(("doc_type", "action"), [("1", "revocation"), ("2", "update"), ("3", "replacement")])
def test_revocation_update_replacement_need_a_target(doc_type: str, action: str) -> None:
    message = document(business={"bussiness_doc_type": doc_type, "paper": "0"})
    found = [p for p in validate(message) if p.code == "EDXML.MISSING_TARGET"]
    assert [p.path for p in found] == ["TraceHeaderList/Bussiness/BussinessDocType"]
    assert found[0].params["action"] == action
    target = document(
        business={"bussiness_doc_type": doc_type, "paper": "0"},
        response_for=[
            {
                "organ_id": "000.00.00.G22",
                "code": "806/VPCP-KSTT",
                "promulgation_date": "2024/03/04",
                "document_id": "000.00.00.G22,2024/03/04,806/VPCP-KSTT",
            }
        ],
    )
    assert validate(target) == []


def test_unknown_business_doc_type_is_reported() -> None:
    message = document(business={"bussiness_doc_type": "9"})
    assert problems_at(validate(message), "EDXML.BAD_BUSINESS_DOC_TYPE") == [
        "TraceHeaderList/Bussiness/BussinessDocType"
    ]


def test_status_about_nothing_is_missing_its_target() -> None:
    message = status()
    assert message.header is not None
    message.header.response_for = ResponseFor()
    assert "EDXML.EMPTY_RESPONSE_FOR" in codes(validate(message))
    message.header.response_for = None
    assert problems_at(validate(message), "EDXML.MISSING") == ["MessageHeader/ResponseFor"]
    assert isinstance(message, StatusMessage)


def _utf16(body: str) -> bytes:
    text = f'<?xml version="1.0" encoding="UTF-16"?><edXML xmlns="{NS}">'
    text += f"<edXMLEnvelope>{body}</edXMLEnvelope></edXML>"
    return text.encode("utf-16")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("<a>" * 100 + "</a>" * 100, "EDXML.TOO_DEEP"),
        ("<a>" * 10_000 + "</a>" * 10_000, "EDXML.TOO_DEEP"),
        ("<x/>" * 300, "EDXML.TOO_MANY_ELEMENTS"),
        ("<x>" + "y" * 3000 + "</x>", "EDXML.TEXT_TOO_LARGE"),
        ("<x/>" + "y" * 3000, "EDXML.TEXT_TOO_LARGE"),
    ],
    ids=["deep", "very-deep", "many", "text", "tail"],
)
def test_limits_hold_in_utf16_too(body: str, code: str) -> None:
    assert refusal(_utf16(body), limits=ParseLimits(max_elements=100, max_text=1000)).code == code


def test_utf16_package_within_the_limits_parses() -> None:
    message = parse(_utf16("<x>y</x>"))
    assert codes(message.source_problems) == ["EDXML.UNKNOWN_ELEMENT"]


@pytest.mark.parametrize(
    ("anchor", "insert", "code", "path"),
    [
        (b"<edXML:AttachmentEncoded>", b"<edXML:Extra>1</edXML:Extra>", "EDXML.UNKNOWN_ELEMENT", "Extra"),
        (
            b"<edXML:Paper>",
            b"<edXML:PackageInfo>x</edXML:PackageInfo>",
            "EDXML.MISPLACED",
            "TraceHeaderList/Bussiness/PackageInfo",
        ),
        (
            b"<edXML:ContentTransferEncoded>",
            b"<edXML:Checksum>ab</edXML:Checksum>",
            "EDXML.UNKNOWN_ELEMENT",
            "AttachmentEncoded/Attachment[1]/Checksum",
        ),
        (
            b"<edXML:Subject>",
            b"<edXML:Subject>twice</edXML:Subject>",
            "EDXML.DUPLICATE_ELEMENT",
            "MessageHeader/Subject",
        ),
        (
            b"<edXML:Subject>",
            b"<edXML:OtherInfo>text</edXML:OtherInfo>",
            "EDXML.UNEXPECTED_CONTENT",
            "MessageHeader/OtherInfo",
        ),
        (
            b"<edXML:Subject>",
            b'<Content xmlns="urn:other">x</Content>',
            "EDXML.WRONG_NAMESPACE",
            "MessageHeader/Content",
        ),
    ],
    ids=["root-level", "misplaced-2022", "in-attachment", "duplicate", "text-in-node", "other-namespace"],
)
def test_odd_elements_are_flagged_kept_and_written_back(
    anchor: bytes, insert: bytes, code: str, path: str
) -> None:
    data = document_bytes()
    assert anchor in data
    message = parse(data.replace(anchor, insert + anchor, 1))
    assert [p.path for p in message.source_problems if p.code == code] == [path]
    written = to_bytes(message)
    assert parse(written) == message
    assert insert.split(b">")[1].split(b"<")[0] in written  # the element's text survived


def test_attachment_text_xml_cannot_carry_is_written_well_formed() -> None:
    # The splitter lifts attachment text before libxml2 checks its characters: a NUL byte or
    # invalid UTF-8 there reaches the blob. Writing must not fail, and the content stays invalid.
    b64 = encode_standard(PDF).encode("ascii")
    data = document_bytes().replace(b64, b64[:20] + b"\x00\x01\xf3\xef\xbf\xbe" + b64[20:])
    message = parse(data)
    assert "EDXML.BAD_BASE64" in codes(validate(message))
    again = parse(to_bytes(message))
    assert "EDXML.BAD_BASE64" in codes(validate(again))


_MUTATIONS = [
    b"<",
    b">",
    b"&",
    b"/",
    b"<!--",
    b"]]>",
    b"<![CDATA[",
    b"&#10;",
    b"\x00",
    b"\xff",
    b"<x/>",
    b"'",
    b"\n",
]


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(["document", "status"]),
    st.lists(
        st.tuples(st.floats(0, 1), st.integers(0, 1 << 16), st.sampled_from(_MUTATIONS), st.integers(0, 255)),
        min_size=1,
        max_size=4,
    ),
    st.booleans(),
)
def test_mutated_packages_never_crash(
    kind: str, edits: list[tuple[float, int, bytes, int]], repair: bool
) -> None:
    data = bytearray(_DOCUMENT if kind == "document" else _STATUS)
    for op, where, token, byte in edits:
        pos = where % len(data)
        if op < 0.3:
            del data[pos : pos + 1 + byte % 20]
        elif op < 0.6:
            data[pos:pos] = token
        else:
            data[pos] = byte
    try:
        message = parse(bytes(data), repair=repair)
    except ParseError as exc:
        assert exc.problem.code.startswith("EDXML.")
        return
    for problem in validate(message) + validate(message, strict=True):
        assert problem.code.startswith("EDXML.")
    assert isinstance(parse(to_bytes(message)), type(message))


_DOCUMENT = document_bytes()
_STATUS = to_bytes(status())


@pytest.mark.parametrize(
    ("tail", "code"),
    [
        (b'<edXMLEnvelope a="' + b"x" * 5_000_000, "EDXML.TEXT_TOO_LARGE"),
        (b"<!--" + b"x" * 5_000_000, "EDXML.TEXT_TOO_LARGE"),
        (b"<?pi " + b"x" * 5_000_000, "EDXML.TEXT_TOO_LARGE"),
        (b"<AttachmentEncoded><Attachment><ContentTransferEncoded>" + b"QUJD" * 1_000_000, "EDXML.TRUNCATED"),
    ],
    ids=["endless-attribute", "endless-comment", "endless-pi", "endless-attachment"],
)
def test_unterminated_constructs_are_refused_quickly(tail: bytes, code: str) -> None:
    start = time.perf_counter()
    assert refusal(b'<edXML xmlns="' + _NSB + b'">' + tail).code == code
    assert time.perf_counter() - start < 2.0


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"%PDF-1.7\n%\xf0\x9f\x96\xa4\n5 0 obj", "PDF"),
        (b"PK\x03\x04\x14\x00\x06\x00word/document.xml", "ZIP"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", "DOC"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "PNG"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "JPEG"),
    ],
)
def test_a_file_that_is_not_xml_is_named_for_what_it_is(head: bytes, kind: str) -> None:
    """A clerk who picks the PDF instead of the package is told so, not sent to --repair."""
    for repair in (False, True):
        with pytest.raises(ParseError) as caught:
            parse(head + b"\x00" * 200, repair=repair)
        problem = caught.value.problem
        assert problem.code == "EDXML.WRONG_FILE_TYPE"
        assert kind in problem.message_en and "không phải gói tin edXML" in problem.message_vi
        assert "--repair" not in problem.message_en


def test_not_edxml_details_are_in_each_language() -> None:
    with pytest.raises(ParseError) as caught:
        parse(b'<?xml version="1.0"?><html><body/></html>')
    problem = caught.value.problem
    assert problem.code == "EDXML.NOT_EDXML"
    assert "phần tử gốc là html" in problem.message_vi and "the root element is html" in problem.message_en
