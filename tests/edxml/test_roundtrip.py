"""Round trips: every sample, and random messages (hypothesis), survive parse → write → parse."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from lienthong.edxml import (
    Attachment,
    BytesData,
    Code,
    DocumentMessage,
    Message,
    MessageHeader,
    Organization,
    StatusMessage,
    parse,
    to_bytes,
)
from lienthong.edxml.blob import encode_standard
from lienthong.edxml.model import (
    Body,
    Business,
    ElementList,
    Envelope,
    Header,
    Manifest,
    OtherInfo,
    PromulgationInfo,
    Reference,
    ResponseFor,
    SignerInfo,
    StaffInfo,
    StatusEnvelope,
    StatusHeader,
    StatusMessageHeader,
    TraceHeader,
    TraceHeaderList,
)
from lienthong.edxml.xmltools import canonical
from tests.conftest import NEEDS_REPAIR, SAMPLES, WELL_FORMED, needs_samples

_SAFE = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)


def digests(message: Message) -> list[str]:
    if not isinstance(message, DocumentMessage):
        return []
    return [a.data.info().sha256 for a in message.attachment_list if a.data is not None]


@needs_samples
@pytest.mark.parametrize("path", WELL_FORMED, ids=lambda p: p.name)
def test_sample_round_trips(path: Path) -> None:
    original = parse(path)
    written = to_bytes(original)
    again = parse(written)
    assert again == original
    assert type(again) is type(original)
    raw_tree = etree.fromstring(path.read_bytes(), _SAFE)
    assert canonical(etree.fromstring(written, _SAFE)) == canonical(raw_tree)
    assert digests(again) == digests(original)
    if isinstance(original, DocumentMessage):
        assert digests(original)  # the sample's attachment was really decoded


@needs_samples
@pytest.mark.parametrize("name", sorted(NEEDS_REPAIR))
def test_repaired_sample_round_trips(name: str) -> None:
    original = parse(SAMPLES / name, repair=True)
    written = to_bytes(original)
    again = parse(written)
    assert again == original
    # The written package is well-formed on its own: no repair needed to read it back.
    assert [p.code for p in again.source_problems] == []
    assert canonical(etree.fromstring(written, _SAFE)) == canonical(etree.fromstring(to_bytes(again), _SAFE))


@needs_samples
def test_compact_output_parses_to_the_same_model() -> None:
    original = parse(SAMPLES / "edoc_update.edxml")
    assert parse(to_bytes(original, pretty=False)) == original


# --- property tests ------------------------------------------------------------------------------

# XML 1.0 can carry any character but the C0 controls other than tab/newline/CR, surrogates
# and U+FFFE/U+FFFF. Carriage returns must survive (the writer escapes them as &#13;).
_CHAR = st.characters(
    exclude_categories=["Cs"],
    exclude_characters=[chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"] + ["\ufffe", "\uffff"],
)
_VIET = st.sampled_from(["Văn phòng Chính phủ", "Hà Nội", "Quyết định", "Nguyễn Thị Ngọc Trâm", "đ Đ ư Ư"])
_SPECIAL = st.sampled_from(["&", "<", ">", '"', "'", "\r", "\r\n", " ", "  ", "\t", "]]>", "&amp;"])
_TEXT = st.lists(st.one_of(st.text(_CHAR, max_size=12), _VIET, _SPECIAL), max_size=5).map("".join)
_OPT = st.one_of(st.none(), _TEXT)


@st.composite
def organizations(draw: st.DrawFn) -> Organization:
    return Organization(
        organ_id=draw(_OPT),
        organization_in_charge=draw(_OPT),
        organ_name=draw(_OPT),
        email=draw(_OPT),
        website=draw(_OPT),
    )


@st.composite
def response_fors(draw: st.DrawFn) -> ResponseFor:
    return ResponseFor(
        organ_id=draw(_OPT), code=draw(_OPT), promulgation_date=draw(_OPT), document_id=draw(_OPT)
    )


def _maybe_list(draw: st.DrawFn, items: st.SearchStrategy[str]) -> ElementList[str] | None:
    values = draw(st.one_of(st.none(), st.lists(items, max_size=3)))
    return None if values is None else ElementList(values)


@st.composite
def attachments(draw: st.DrawFn) -> Attachment:
    return Attachment(
        content_id=draw(_OPT),
        attachment_name=draw(_OPT),
        description=draw(_OPT),
        content_type=draw(_OPT),
        data=BytesData(draw(st.binary(max_size=600))),
    )


@st.composite
def document_messages(draw: st.DrawFn) -> DocumentMessage:
    header = MessageHeader(
        from_=draw(st.one_of(st.none(), organizations())),
        to=draw(st.lists(organizations(), max_size=3)),
        document_id=draw(_OPT),
        code=Code(code_number=draw(_OPT), code_notation=draw(_OPT)),
        promulgation_info=PromulgationInfo(place=draw(_OPT), promulgation_date=draw(_OPT)),
        subject=draw(_OPT),
        content=draw(_OPT),
        signer_info=draw(
            st.one_of(
                st.none(),
                st.builds(SignerInfo, competence=_OPT, position=_OPT, full_name=_OPT),
            )
        ),
        due_date=draw(_OPT),
        other_info=OtherInfo(priority=draw(_OPT), appendixes=_maybe_list(draw, _TEXT)),
        response_for=draw(st.lists(response_fors(), max_size=2)),
        steering_type=draw(_OPT),
        to_places=_maybe_list(draw, _TEXT),
        application_type=draw(_OPT),
    )
    trace = TraceHeaderList(
        trace_headers=draw(
            st.lists(st.builds(TraceHeader, organ_id=_OPT, timestamp=_OPT), max_size=2),
        ),
        business=Business(
            document_id=draw(_OPT),
            bussiness_doc_type=draw(_OPT),
            bussiness_doc_reason=draw(_OPT),
            paper=draw(_OPT),
            staff_info=draw(
                st.one_of(st.none(), st.builds(StaffInfo, department=_OPT, staff=_OPT, staff_id=_OPT))
            ),
        ),
    )
    atts = draw(st.lists(attachments(), max_size=3))
    manifest = Manifest(
        attrib={"version": "1.0"},
        references=[Reference(content_id=a.content_id, attachment_name=a.attachment_name) for a in atts],
    )
    return DocumentMessage(
        envelope=Envelope(
            header=Header(message_header=header, trace_header_list=trace), body=Body(manifest=manifest)
        ),
        attachments=draw(st.sampled_from([None, ElementList(atts)])) if not atts else ElementList(atts),
    )


@st.composite
def status_messages(draw: st.DrawFn) -> StatusMessage:
    header = StatusMessageHeader(
        from_=draw(organizations()),
        response_for=draw(st.one_of(st.none(), response_fors())),
        staff_info=draw(st.one_of(st.none(), st.builds(StaffInfo, department=_OPT, mobile=_OPT))),
        # The status code decides the message kind: it must be present (any text will do).
        status_code=draw(_TEXT.filter(lambda s: s != "")),
        description=draw(_OPT),
        timestamp=draw(_OPT),
    )
    return StatusMessage(envelope=StatusEnvelope(header=StatusHeader(message_header=header)))


_PROPERTY = settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_PROPERTY
@given(document_messages(), st.booleans())
def test_document_build_write_parse_gives_the_same_model(message: DocumentMessage, pretty: bool) -> None:
    again = parse(to_bytes(message, pretty=pretty))
    assert isinstance(again, DocumentMessage)
    assert again == message
    assert digests(again) == digests(message)


@_PROPERTY
@given(status_messages(), st.booleans())
def test_status_build_write_parse_gives_the_same_model(message: StatusMessage, pretty: bool) -> None:
    again = parse(to_bytes(message, pretty=pretty))
    assert isinstance(again, StatusMessage)
    assert again == message


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=3000), st.integers(min_value=4, max_value=120))
def test_line_wrapped_base64_decodes_to_the_same_bytes(content: bytes, width: int) -> None:
    text = encode_standard(content)
    wrapped = "\r\n".join(text[i : i + width] for i in range(0, len(text), width))
    message = parse(to_bytes(_one_attachment(content)).replace(text.encode("ascii"), wrapped.encode("ascii")))
    assert isinstance(message, DocumentMessage)
    data = message.attachment_list[0].data
    assert data is not None
    assert b"".join(data.iter_decoded()) == content


def _one_attachment(content: bytes) -> DocumentMessage:
    att = Attachment(content_id="cid:1", attachment_name="a.bin", data=BytesData(content))
    return DocumentMessage(envelope=Envelope(header=Header()), attachments=ElementList([att]))
