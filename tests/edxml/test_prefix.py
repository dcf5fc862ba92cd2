"""Every package the project writes carries `edXML:` on each header element, at the byte level (issue 16)."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from typer.testing import CliRunner

from lienthong.cli.main import app
from lienthong.demo.cast import Body
from lienthong.demo.papers import Paper, package
from lienthong.edxml import DocumentMessage, StatusMessage, parse, to_bytes
from lienthong.edxml.builder import attachment_from_bytes, build_document, build_status
from lienthong.edxml.model import Organization, ResponseFor, StaffInfo
from lienthong.edxml.prefix import default_namespace_declared, prefix_header, unprefixed_header_elements
from lienthong.edxml.xmltools import XMLDSIG_NS, canonical
from tests.conftest import SAMPLES, needs_samples
from tests.edxml.factory import NS, PDF, clock, document, metadata, status_bytes

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DOCID = "000.00.00.G22,2024/03/05,807/VPCP-KSTT"
STATUS_CODES = ("01", "02", "03", "04", "05", "06", "13", "15", "16")
_TAG = re.compile(rb"<(/?)([^\s>/!?]+)")
_DSIG = re.compile(rb"<(\w+:)?Signature[^>]*xmldsig#.*?</(\w+:)?Signature>", re.DOTALL)


def assert_prefixed(data: bytes) -> None:
    """Byte level: every start and end tag from the root to the end of the header is ``edXML:…``,
    and nothing declares the QCVN namespace as the default; the tree agrees."""
    head = data.split(b"edXMLBody", 1)[0]
    head = _DSIG.sub(b"", head)  # a real XML-DSig signature is in its own namespace, not QCVN's
    tags = [name for _, name in _TAG.findall(head)]
    assert tags, "no element found"
    assert all(name.startswith(b"edXML:") for name in tags), [n for n in tags if not n.startswith(b"edXML:")]
    assert not default_namespace_declared(data)
    assert b'xmlns="' not in head
    assert unprefixed_header_elements(data) == []
    root = etree.fromstring(data, etree.XMLParser(huge_tree=True))
    header = root.find(f"{{{NS}}}edXMLEnvelope/{{{NS}}}edXMLHeader")
    assert header is not None
    for element in header.iter():
        if isinstance(element.tag, str) and not _in_xmldsig(element):
            assert element.tag.startswith(f"{{{NS}}}") and element.prefix == "edXML", element.tag


def _in_xmldsig(element: etree._Element) -> bool:
    return any(str(e.tag).startswith(f"{{{XMLDSIG_NS}}}") for e in (element, *element.iterancestors()))


def _business(kind: str) -> dict[str, Any]:
    business: dict[str, Any] = {"bussiness_doc_type": kind, "paper": "0", "document_id": DOCID}
    if kind == "0":
        business["staff_info"] = {"department": "Văn thư", "staff": "Nguyễn Thị B", "mobile": "0912000001"}
    if kind == "1":
        business["bussiness_doc_reason"] = "Thu hồi văn bản ban hành nhầm"
    if kind == "2":
        business["bussiness_document_info"] = {
            "document_info": "1",
            "document_receiver": "1",
            "receiver_list": [{"organ_id": "000.00.00.H41", "receiver_type": "1"}],
        }
    if kind == "3":
        business["replacement_info_list"] = [{"document_id": DOCID, "organ_id_list": ["000.00.00.H41"]}]
    return business


@pytest.mark.parametrize("kind", ["0", "1", "2", "3"], ids=["new", "revocation", "update", "replacement"])
def test_each_kind_of_document_is_prefixed_and_reads_back_the_same(kind: str) -> None:
    meta = metadata()
    meta["business"] = _business(kind)
    meta["trace_headers"] = [
        {"organ_id": "000.00.00.G22", "timestamp": "2024/03/05 09:30:00"},
        {"organ_id": "000.00.00.H41", "timestamp": "2024/03/05 09:31:00"},  # a second hop
    ]
    meta["other_info"] = {"priority": "1", "appendixes": ["Phụ lục I"]}
    meta["to_places"] = ["Các bộ, cơ quan ngang bộ"]
    if kind != "0":
        meta["response_for"] = [{"organ_id": "000.00.00.G22", "code": "807/VPCP-KSTT", "document_id": DOCID}]
    message = build_document(meta, [attachment_from_bytes("cong-van.pdf", PDF)], clock=clock)
    for pretty in (True, False):
        data = to_bytes(message, pretty=pretty)
        assert_prefixed(data)
        assert b"<edXML:ReplacementInfoList>" in data or kind != "3"
        again = parse(data)
        assert isinstance(again, DocumentMessage)
        assert again.business is not None and again.business.bussiness_doc_type == kind
        # Written again, the same information (the round trip loses nothing).
        assert canonical(etree.fromstring(to_bytes(again))) == canonical(etree.fromstring(data))


@pytest.mark.parametrize("code", STATUS_CODES)
def test_each_status_code_is_prefixed(code: str) -> None:
    message = build_status(
        sender=Organization(organ_id="000.00.00.H41", organ_name="UBND Tỉnh Nghệ An"),
        document=document(),
        status_code=code,
        description="Mô tả",
        staff=StaffInfo(department="Văn thư", staff="Lê Văn C", email="c@nghean.gov.vn"),
        clock=clock,
    )
    data = to_bytes(message)
    assert_prefixed(data)
    assert f"<edXML:StatusCode>{code}</edXML:StatusCode>".encode() in data
    again = parse(data)
    assert isinstance(again, StatusMessage) and again.header is not None
    assert again.header.status_code == code


def test_a_status_about_a_reference_only_is_prefixed() -> None:
    reference = ResponseFor(organ_id="000.00.00.G22", code="807/VPCP-KSTT", document_id=DOCID)
    sender = Organization(organ_id="000.00.00.H14", organ_name="UBND Tỉnh Cao Bằng")
    assert_prefixed(
        to_bytes(build_status(sender=sender, document=reference, status_code="13", description="Lấy lại"))
    )


def test_a_package_built_from_toml_by_edxml_pack_is_prefixed(tmp_path: Path) -> None:
    pdf = tmp_path / "cong-van-807.pdf"
    pdf.write_bytes(PDF)
    out = tmp_path / "807.edxml"
    result = CliRunner().invoke(
        app, ["edxml", "pack", str(EXAMPLES / "document.toml"), str(pdf), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert_prefixed(out.read_bytes())
    meta = tmp_path / "meta.json"
    meta.write_text(json.dumps(metadata(), ensure_ascii=False), "utf-8")
    result = CliRunner().invoke(app, ["edxml", "pack", str(meta), str(pdf), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert_prefixed(out.read_bytes())


def test_the_demo_papers_are_prefixed() -> None:
    body = Body("000.00.00.G22", "Văn phòng Chính phủ", "VPCP", "vpcp.sys", "Trần Văn Sơn", "Chủ nhiệm")
    other = Body("000.00.00.H41", "UBND tỉnh Nghệ An", "UBND", "nghean.sys", "Lê Văn D", "Chủ tịch")
    paper = Paper(body, 12, "V/v thử", "Nội dung", (other,), date(2026, 11, 30), {"bussiness_doc_type": "0"})
    assert_prefixed(package(paper, PDF))


def test_a_default_namespace_in_the_input_is_not_kept_in_the_output() -> None:
    """Header parts written with ``xmlns="…QCVN…"`` (a Signature placeholder, an unknown element of
    a newer version, a whole TraceHeaderList) come back out with the prefix."""
    data = to_bytes(document())
    decl = f'xmlns="{NS}"'.encode()
    data = data.replace(b"<edXML:TraceHeaderList>", b"<TraceHeaderList " + decl + b">")
    data = data.replace(b"</edXML:TraceHeaderList>", b"</TraceHeaderList>")
    for name in (b"TraceHeader", b"OrganId", b"Timestamp", b"Bussiness", b"BussinessDocType", b"Paper"):
        # only inside the trace list: the first occurrences after it
        start = data.index(b"<TraceHeaderList ")
        end = data.index(b"</TraceHeaderList>")
        inner = data[start:end].replace(b"<edXML:" + name + b">", b"<" + name + b">")
        inner = inner.replace(b"</edXML:" + name + b">", b"</" + name + b">")
        data = data[:start] + inner + data[end:]
    placeholder = (
        b"<Signature " + decl + b"><SignedInfo><Reference URI=''/></SignedInfo>"
        b"<SignatureValue>AAAA</SignatureValue></Signature>"
        b"<Feedback " + decl + b"><Note>newer</Note></Feedback>"
    )
    data = data.replace(b"</edXML:edXMLHeader>", placeholder + b"</edXML:edXMLHeader>")
    assert unprefixed_header_elements(data)  # the input really lacks the prefix
    assert default_namespace_declared(data)
    message = parse(data)
    out = to_bytes(message)
    assert_prefixed(out)
    assert b"<edXML:Signature>" in out and b"<edXML:Note>newer</edXML:Note>" in out
    assert canonical(etree.fromstring(out)) == canonical(etree.fromstring(data))


@needs_samples
@pytest.mark.parametrize("name", sorted(p.name for p in SAMPLES.glob("*.edxml")) or ["none"])
def test_real_packages_are_written_back_prefixed(name: str) -> None:
    """The public samples declare a default namespace on the root and leave the Signature
    placeholder unprefixed; what the project writes from them has edXML: everywhere."""
    message = parse(SAMPLES / name, repair=True)
    out = to_bytes(message)
    assert_prefixed(out)
    again = parse(out)
    assert canonical(etree.fromstring(to_bytes(again))) == canonical(etree.fromstring(out))
    # A relaying hub rewrites the header's bytes only: the same meaning, the header prefixed.
    raw = (SAMPLES / name).read_bytes()
    try:
        before = etree.fromstring(raw, etree.XMLParser(huge_tree=True))
    except etree.XMLSyntaxError:
        return  # a sample broken on purpose (stray bytes before the declaration)
    relayed, _ = _relayed(raw)
    assert canonical(etree.fromstring(relayed, etree.XMLParser(huge_tree=True))) == canonical(before)
    end = _HEADER_END.search(relayed)
    assert end is not None
    header = _DSIG.sub(b"", relayed[relayed.index(b"edXMLHeader") - 7 : end.end()])
    assert all(t.startswith(b"edXML:") for _, t in _TAG.findall(header))


_HEADER_END = re.compile(rb"</(?:[\w.-]+:)?edXMLHeader\s*>")


def _relayed(data: bytes) -> tuple[bytes, bytes]:
    """What a relaying hub does: the head rewritten by ``prefix_header``, the rest copied; (out, rest)."""
    end = _HEADER_END.search(data)
    assert end is not None
    return prefix_header(data[: end.end()]) + data[end.end() :], data[end.end() :]


def _default_namespace(data: bytes) -> bytes:
    return data.replace(b"edXML:", b"").replace(b"xmlns:edXML=", b"xmlns=")


@pytest.mark.parametrize("kind", ["document", "status", "with a placeholder"])
def test_a_header_rewritten_in_place_gets_the_prefix_and_keeps_its_meaning(kind: str) -> None:
    written = to_bytes(document()) if kind != "status" else status_bytes("05")
    head, _ = _relayed(written)
    assert head == written  # already prefixed: not a byte changes
    if kind == "with a placeholder":
        placeholder = f'<Signature xmlns="{NS}"><SignedInfo><X a="&gt;1"/></SignedInfo></Signature>'
        written = written.replace(b"</edXML:edXMLHeader>", placeholder.encode() + b"</edXML:edXMLHeader>")
    source = _default_namespace(written)
    assert unprefixed_header_elements(source)
    out, rest = _relayed(source)
    assert out.endswith(rest)  # the body and attachments are copied as they were
    # The root and the envelope keep the default namespace the body still needs; the header is prefixed.
    assert [p for p in unprefixed_header_elements(out) if "edXMLHeader" in p] == []
    end = _HEADER_END.search(out)
    assert end is not None
    header = out[out.index(b"edXMLHeader") - 7 : end.end()]
    assert f'xmlns="{NS}"'.encode() not in header
    tags = [name for _, name in _TAG.findall(header)]
    assert tags and all(t.startswith(b"edXML:") for t in tags), tags
    assert canonical(etree.fromstring(out)) == canonical(etree.fromstring(source))
    assert _relayed(out)[0] == out  # a second hop changes nothing more


def test_a_header_with_comments_cdata_and_foreign_elements() -> None:
    head = (
        f'<?xml version="1.0"?><!-- a > comment --><edXML xmlns="{NS}"><edXMLEnvelope><edXMLHeader>'
        "<MessageHeader><From><OrganId><![CDATA[<x>]]></OrganId></From>"
        '<x:Extra xmlns:x="urn:other"><x:Y/></x:Extra><Plain xmlns=""><Z/></Plain></MessageHeader>'
        "</edXMLHeader>"
    ).encode()
    body = b"<edXMLBody/></edXMLEnvelope></edXML>"
    out = prefix_header(head)
    assert b"<edXML:MessageHeader>" in out and b"<edXML:OrganId><![CDATA[<x>]]></edXML:OrganId>" in out
    assert b'<x:Extra xmlns:x="urn:other"><x:Y/></x:Extra>' in out  # not QCVN's: untouched
    assert b'<Plain xmlns=""><Z/></Plain>' in out  # in no namespace: untouched
    assert out.startswith(b'<?xml version="1.0"?><!-- a > comment --><edXML xmlns=')
    assert canonical(etree.fromstring(out + body)) == canonical(etree.fromstring(head + body))
    clash = head.replace(b"<edXMLHeader>", b'<edXMLHeader xmlns:edXML="urn:other">')
    assert prefix_header(clash) == clash  # the prefix means something else here: left alone
