"""The builder: plain data and files to a package, deriving what the standard derives."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from lienthong.edxml import DocumentMessage, FileData, parse, read_bytes, to_bytes
from lienthong.edxml.builder import (
    BuildError,
    attachment_from_file,
    build_document,
    build_status,
    from_dict,
    load_metadata,
    response_for_document,
    to_dict,
)
from lienthong.edxml.model import MessageHeader, Organization
from lienthong.edxml.validate import validate
from tests.edxml.factory import PDF, clock, document, metadata


def test_build_derives_document_id_trace_manifest_and_content_ids() -> None:
    message = document()
    assert message.header is not None
    assert message.header.document_id == "000.00.00.G22,2024/03/05,807/VPCP-KSTT"
    assert message.trace is not None
    assert [(t.organ_id, t.timestamp) for t in message.trace.trace_headers] == [
        ("000.00.00.G22", "2024/03/05 09:30:00")
    ]
    assert message.business is not None
    assert (message.business.bussiness_doc_type, message.business.paper) == ("0", "0")
    att = message.attachment_list[0]
    assert att.content_id is not None and att.content_id.startswith("cid:1-")
    assert [(r.content_id, r.attachment_name, r.content_type) for r in message.references] == [
        (att.content_id, "cong-van.pdf", "application/pdf")
    ]
    assert validate(message) == []


def test_an_explicit_document_id_is_kept() -> None:
    message = document(document_id="000.00.00.G22,2024/03/05,807/VPCP-KSTT")
    assert message.header is not None
    assert message.header.document_id == "000.00.00.G22,2024/03/05,807/VPCP-KSTT"
    partial = metadata()
    del partial["code"]
    assert build_document(partial, clock=clock).header.document_id is None  # type: ignore[union-attr]


def test_unknown_keys_are_refused_naming_the_key() -> None:
    with pytest.raises(BuildError, match=r"signer_info\.name"):
        document(signer_info={"name": "x"})
    with pytest.raises(BuildError, match="subjet"):
        document(subjet="typo")
    with pytest.raises(BuildError, match="'to' must be a list"):
        document(to={"organ_id": "000.00.00.H41"})


def test_from_dict_and_to_dict_are_inverse() -> None:
    data = metadata()
    data["to_places"] = ["Các bộ", "UBND các tỉnh"]
    data["other_info"] = {"priority": 1, "appendixes": ["Phụ lục I"]}
    header = from_dict(MessageHeader, data)
    assert header.other_info.priority == "1"
    again = to_dict(header)
    assert from_dict(MessageHeader, again) == header
    assert again["from"] == data["from"]


def test_attachments_from_files_pdf_as_is_others_zipped(tmp_path: Path) -> None:
    pdf = tmp_path / "van-ban.pdf"
    pdf.write_bytes(PDF)
    odt = tmp_path / "ghi-chu.odt"
    odt.write_bytes(b"not a common format")
    as_is = attachment_from_file(pdf)
    assert (as_is.content_type, as_is.attachment_name) == ("application/pdf", "van-ban.pdf")
    assert isinstance(as_is.data, FileData)
    zipped = attachment_from_file(odt)
    assert zipped.content_type == "application/zip"
    assert zipped.data is not None
    with zipfile.ZipFile(io.BytesIO(read_bytes(zipped.data))) as zf:
        assert zf.read("ghi-chu.odt") == b"not a common format"
    with pytest.raises(BuildError, match="not found"):
        attachment_from_file(tmp_path / "missing.pdf")


def test_metadata_may_list_attachments_relative_to_its_directory(tmp_path: Path) -> None:
    (tmp_path / "a.pdf").write_bytes(PDF)
    meta = metadata()
    meta["attachments"] = [{"path": "a.pdf", "name": "Công văn.pdf"}]
    message = build_document(meta, base_dir=tmp_path, clock=clock)
    again = parse(to_bytes(message))
    assert isinstance(again, DocumentMessage)
    assert again == message
    assert [a.attachment_name for a in again.attachment_list] == ["Công văn.pdf"]
    assert validate(again) == []


def test_load_metadata_reads_toml_and_json(tmp_path: Path) -> None:
    toml = tmp_path / "meta.toml"
    toml.write_text('subject = "Trích yếu"\n[from]\norgan_id = "000.00.00.G22"\n', "utf-8")
    assert load_metadata(toml) == {"subject": "Trích yếu", "from": {"organ_id": "000.00.00.G22"}}
    js = tmp_path / "meta.json"
    js.write_text(json.dumps(metadata(), ensure_ascii=False), "utf-8")
    assert load_metadata(js) == metadata()
    broken = tmp_path / "broken.toml"
    broken.write_text("subject = ", "utf-8")
    with pytest.raises(BuildError, match=r"broken\.toml"):
        load_metadata(broken)
    listed = tmp_path / "list.json"
    listed.write_text("[1, 2]", "utf-8")
    with pytest.raises(BuildError, match="top level"):
        load_metadata(listed)


def test_status_names_the_document_it_answers() -> None:
    doc = document()
    reply = build_status(
        sender=Organization(organ_id="000.00.00.H41", organ_name="UBND Tỉnh Nghệ An"),
        document=doc,
        status_code="02",
        description="Gửi nhầm nơi nhận",
        clock=clock,
    )
    assert reply.header is not None and reply.header.response_for is not None
    assert reply.header.response_for == response_for_document(doc)
    assert reply.header.response_for.code == "807/VPCP-KSTT"
    assert reply.header.response_for.document_id == "000.00.00.G22,2024/03/05,807/VPCP-KSTT"
    assert reply.header.timestamp == "2024/03/05 09:30:00"
    assert validate(reply) == []
    assert parse(to_bytes(reply)) == reply
