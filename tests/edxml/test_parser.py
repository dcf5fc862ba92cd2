"""The parser on the public samples and on every kind of source: bytes, files, streams, chunks."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest

from lienthong.edxml import (
    DocumentMessage,
    ParseError,
    ParseLimits,
    StatusMessage,
    parse,
    parse_document,
    parse_status,
)
from lienthong.edxml.blob import Base64Blob, encode_standard
from lienthong.edxml.splitter import SplitLimits, Splitter
from tests.conftest import DOCUMENT_SAMPLES, NEEDS_REPAIR, STATUS_SAMPLES, WELL_FORMED, needs_samples
from tests.edxml.factory import PDF, codes, document_bytes


class NonSeekable(io.RawIOBase):
    """A pipe-like stream: reads in small pieces, cannot seek."""

    def __init__(self, data: bytes, piece: int = 1000) -> None:
        self._inner = io.BytesIO(data)
        self._piece = piece

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._inner.read(min(len(buffer), self._piece))
        buffer[: len(data)] = data
        return len(data)


def pipe(data: bytes) -> io.BufferedReader:
    """A buffered binary stream over ``data`` that cannot seek, like a socket or a pipe."""
    return io.BufferedReader(NonSeekable(data))


@needs_samples
def test_samples_are_all_found() -> None:
    assert len(STATUS_SAMPLES) == 10
    assert len(DOCUMENT_SAMPLES) == 5


@needs_samples
@pytest.mark.parametrize("path", STATUS_SAMPLES, ids=lambda p: p.name)
def test_status_samples_parse_as_status_messages(path: Path) -> None:
    message = parse(path)
    assert isinstance(message, StatusMessage)
    assert message.header is not None
    assert message.header.status_code is not None
    assert path.stem.endswith(message.header.status_code) or path.name == "status.edxml"
    assert message.source_problems == []


@needs_samples
@pytest.mark.parametrize("path", [p for p in DOCUMENT_SAMPLES if p.name not in NEEDS_REPAIR], ids=str)
def test_document_samples_parse_with_their_attachment(path: Path) -> None:
    message = parse_document(path)
    assert message.header is not None and message.header.from_ is not None
    assert message.header.from_.organ_id == "000.00.00.G22"
    assert [r.content_id for r in message.references] == [a.content_id for a in message.attachment_list]
    data = message.attachment_list[0].data
    assert isinstance(data, Base64Blob)
    info = data.info()
    assert info.size > 100_000
    assert next(data.iter_decoded()).startswith(b"PK")  # a zipped .doc, as its ContentType says


def test_edoc_new_has_stray_bytes_before_the_declaration(samples_dir: Path) -> None:
    with pytest.raises(ParseError) as caught:
        parse(samples_dir / "edoc_new.edxml")
    problem = caught.value.problem
    assert problem.code == "EDXML.STRAY_PROLOG"
    assert (problem.line, problem.column) == (1, 1)
    assert problem.params["count"] == 4


def test_edoc_uses_an_undeclared_prefix_reported_with_line_and_column(samples_dir: Path) -> None:
    with pytest.raises(ParseError) as caught:
        parse(samples_dir / "edoc.edxml")
    problem = caught.value.problem
    assert problem.code == "EDXML.UNDECLARED_PREFIX"
    assert problem.params["prefix"] == "xlink"
    lines = (samples_dir / "edoc.edxml").read_text("utf-8").splitlines()
    assert problem.line is not None and problem.column is not None
    assert "xlink:href" in lines[problem.line - 1]


def test_repair_removes_stray_bytes_and_says_so(samples_dir: Path) -> None:
    message = parse(samples_dir / "edoc_new.edxml", repair=True)
    assert isinstance(message, DocumentMessage)
    assert codes(message.source_problems) == ["EDXML.REPAIRED"]
    assert "1212" in message.source_problems[0].message_en


def test_repair_declares_well_known_prefixes_and_says_so(samples_dir: Path) -> None:
    message = parse(samples_dir / "edoc.edxml", repair=True)
    assert isinstance(message, DocumentMessage)
    repaired = [p for p in message.source_problems if p.code == "EDXML.REPAIRED"]
    assert len(repaired) == 2  # xlink: in the manifest, edXML: outside the envelope
    assert any("xlink" in p.message_en for p in repaired)
    assert message.references[0].attrib == {"{http://www.w3.org/1999/xlink}href": ""}
    assert message.attachment_list[0].content_id == message.references[0].content_id


def test_parse_document_and_parse_status_refuse_the_other_kind(samples_dir: Path) -> None:
    with pytest.raises(ParseError) as caught:
        parse_document(samples_dir / "status.edxml")
    assert caught.value.problem.code == "EDXML.NOT_EDXML"
    with pytest.raises(ParseError) as caught:
        parse_status(samples_dir / "edoc_update.edxml")
    assert caught.value.problem.code == "EDXML.NOT_EDXML"
    assert isinstance(parse_status(samples_dir / "status.edxml"), StatusMessage)


# --- sources --------------------------------------------------------------------------------------


@needs_samples
@pytest.mark.parametrize("path", WELL_FORMED, ids=lambda p: p.name)
def test_bytes_file_and_streams_give_the_same_model(path: Path) -> None:
    data = path.read_bytes()
    from_bytes = parse(data)
    assert parse(path) == from_bytes
    assert parse(str(path)) == from_bytes
    assert parse(bytearray(data)) == from_bytes
    assert parse(memoryview(data)) == from_bytes
    with path.open("rb") as fh:
        assert parse(fh) == from_bytes
    assert parse(pipe(data)) == from_bytes


def test_a_stream_is_read_from_its_current_position_and_left_open() -> None:
    data = document_bytes()
    stream = io.BytesIO(b"JUNK" + data)
    stream.seek(4)
    assert parse(stream) == parse(data)
    assert not stream.closed


def test_repair_rereads_a_seekable_stream_but_not_a_pipe(samples_dir: Path) -> None:
    data = (samples_dir / "edoc.edxml").read_bytes()
    assert parse(io.BytesIO(data), repair=True) == parse(data, repair=True)
    # A prefix repair needs a second reading, impossible on a pipe: the defect is reported.
    with pytest.raises(ParseError) as caught:
        parse(pipe(data), repair=True)
    assert caught.value.problem.code == "EDXML.UNDECLARED_PREFIX"
    # Stray bytes are fixed in the first reading, so a pipe is fine for them.
    stray = (samples_dir / "edoc_new.edxml").read_bytes()
    assert parse(pipe(stray), repair=True) == parse(stray, repair=True)


def test_unreadable_path_is_reported(samples_dir: Path) -> None:
    with pytest.raises(ParseError) as caught:
        parse(samples_dir / "no-such-file.edxml")
    assert caught.value.problem.code == "EDXML.UNREADABLE"


# --- the splitter, fed in tiny chunks --------------------------------------------------------------


def _split(data: bytes, max_chunk: int, seed: int = 0) -> tuple[bytes, dict[int, bytes]]:
    splitter = Splitter(SplitLimits(64, 10_000, 1 << 20, 1 << 20))
    rng = random.Random(seed)
    out: list[bytes] = []
    pos = 0
    while pos < len(data):
        size = rng.randint(1, max_chunk)
        out.append(splitter.feed(data[pos : pos + size]))
        pos += size
    out.append(splitter.finish())
    return b"".join(out), {n: b"".join(blob.iter_raw()) for n, blob in splitter.blobs.items()}


_B64 = encode_standard(PDF).encode("ascii")
_TRICKY = document_bytes().replace(
    _B64,
    _B64[:8] + b"&#10;" + _B64[8:16] + b"&#x0A;" + _B64[16:24] + b"&#13;&#10;\n" + _B64[24:],
)


_ESCAPED = document_bytes(
    subject="Q&A <x> \"y\" 'z' &amp; \r", signer_info={"position": "Ư & Đ", "full_name": "A <B>"}
)


@pytest.mark.parametrize("max_chunk", range(1, 8))
@pytest.mark.parametrize("data", [document_bytes(), _TRICKY, _ESCAPED], ids=["plain", "entities", "escaped"])
def test_splitter_gives_the_same_result_whatever_the_chunks(data: bytes, max_chunk: int) -> None:
    whole = _split(data, len(data))
    assert whole[1]  # the attachment was lifted out
    assert _split(data, max_chunk, seed=max_chunk) == whole


def test_splitter_keeps_line_numbers_where_it_lifts_attachment_text() -> None:
    wrapped = _B64[:76] + b"\n" + _B64[76:152] + b"\n" + _B64[152:]
    data = document_bytes().replace(_B64, wrapped)
    seen, blobs = _split(data, len(data))
    assert seen.count(b"\n") == data.count(b"\n")
    assert _B64[:76] not in seen
    assert list(blobs.values()) == [wrapped]


def test_entity_references_inside_base64_are_decoded() -> None:
    message = parse(_TRICKY)
    assert isinstance(message, DocumentMessage)
    data = message.attachment_list[0].data
    assert data is not None
    assert b"".join(data.iter_decoded()) == PDF


@pytest.mark.parametrize("cut", [0, 40])
def test_cdata_around_base64_is_accepted(cut: int) -> None:
    message = parse(document_bytes().replace(_B64, _B64[:cut] + b"<![CDATA[" + _B64[cut:] + b"]]>"))
    assert isinstance(message, DocumentMessage)
    data = message.attachment_list[0].data
    assert data is not None
    assert b"".join(data.iter_decoded()) == PDF


def test_attachments_spill_to_disk_past_the_memory_budget() -> None:
    content = bytes(random.Random(1).randbytes(50_000))
    small = parse(document_bytes(content), limits=ParseLimits(spool_in_memory=1000))
    large = parse(document_bytes(content))
    assert isinstance(small, DocumentMessage) and isinstance(large, DocumentMessage)
    spilled, kept = small.attachment_list[0].data, large.attachment_list[0].data
    assert isinstance(spilled, Base64Blob) and isinstance(kept, Base64Blob)
    assert spilled.spilled and not kept.spilled
    assert b"".join(spilled.iter_decoded()) == content
    assert spilled == kept


def test_unknown_and_misplaced_elements_are_kept_and_written_back() -> None:
    from lienthong.edxml import to_bytes

    data = document_bytes().replace(
        b"<edXML:Subject>",
        b"<edXML:Colour>blue</edXML:Colour><edXML:Timestamp>2024/01/01 00:00:00</edXML:Timestamp>"
        b"<edXML:Subject>",
    )
    message = parse(data)
    found = {(p.code, p.path) for p in message.source_problems}
    assert ("EDXML.UNKNOWN_ELEMENT", "MessageHeader/Colour") in found
    assert ("EDXML.MISPLACED", "MessageHeader/Timestamp") in found
    assert message.header is not None
    assert [x.local_name for x in message.header.extras] == ["Colour", "Timestamp"]
    written = to_bytes(message)
    assert b"<edXML:Colour>blue</edXML:Colour>" in written
    again = parse(written)
    assert again == message
    # Written back where they were: just before the Subject.
    where = [written.index(tag) for tag in (b"Colour", b"<edXML:Timestamp>2024/01/01", b"Subject")]
    assert where == sorted(where)


@pytest.mark.parametrize("max_chunk", range(1, 8))
def test_an_undefined_entity_is_refused_wherever_the_chunks_cut_it(max_chunk: int) -> None:
    from lienthong.edxml.splitter import SplitterRefusal

    data = document_bytes().replace(b"<edXML:Subject>", b"<edXML:Subject>a&nbsp;b")
    with pytest.raises(SplitterRefusal) as caught:
        _split(data, max_chunk, seed=max_chunk)
    assert caught.value.problem.code == "EDXML.NOT_WELL_FORMED"
    assert caught.value.problem.path.endswith("MessageHeader/Subject")
