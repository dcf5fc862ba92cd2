"""Small packages are parsed whole by libxml2: the same messages and the same refusals as the long path."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from lienthong.edxml import DocumentMessage, ParseError, ParseLimits, parse, to_bytes
from lienthong.edxml.blob import Base64Blob
from tests.edxml.factory import document_bytes, status_bytes

LONG = ParseLimits(whole_below=0)  # always through the splitter


@pytest.mark.parametrize("size", [0, 1000, 300_000])
def test_a_small_package_reads_the_same_either_way(size: int, tmp_path: Path) -> None:
    data = document_bytes(b"%PDF-1.4\n" + os.urandom(size))
    path = tmp_path / "p.edxml"
    path.write_bytes(data)
    fast, slow = parse(path), parse(data, limits=LONG)
    assert to_bytes(fast) == to_bytes(slow)
    assert fast.attachment_list[0].data.info().sha256 == slow.attachment_list[0].data.info().sha256  # type: ignore[union-attr]
    assert to_bytes(parse(status_bytes())) == to_bytes(parse(status_bytes(), limits=LONG))


BAD = {
    "doctype": b'<?xml version="1.0"?><!DOCTYPE edXML [<!ENTITY x "y">]><edXML>&x;</edXML>',
    "truncated": document_bytes()[:-40],
    "too deep": b"<edXML>" + b"<a>" * 80 + b"</a>" * 80 + b"</edXML>",
    "not xml": b"%PDF-1.4 not a package",
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_small_input_is_refused_with_the_long_paths_code(name: str) -> None:
    with pytest.raises(ParseError) as fast:
        parse(BAD[name])
    with pytest.raises(ParseError) as slow:
        parse(BAD[name], limits=LONG)
    assert fast.value.problem.code == slow.value.problem.code


def _with(data: bytes, before: bytes, insert: bytes) -> bytes:
    at = data.index(before)
    return data[:at] + insert + data[at:]


_CTE = b"edXML:ContentTransferEncoded"
_TRICKY: dict[str, Callable[[bytes], bytes]] = {
    # A start tag the byte search finds but that is no element: the counts differ, the long way reads it.
    "in a comment": lambda d: _with(
        d, b"<edXML:AttachmentEncoded", b"<!-- <" + _CTE + b">QUJD</" + _CTE + b"> -->"
    ),
    "in CDATA": lambda d: _with(d, b"</edXML:Subject>", b"<![CDATA[<" + _CTE + b">QUJD</" + _CTE + b">]]>"),
    "misplaced": lambda d: _with(d, b"</edXML:MessageHeader>", b"<" + _CTE + b">QUJD</" + _CTE + b">"),
    "line-wrapped base64": lambda d: d.replace(b"<" + _CTE + b">", b"<" + _CTE + b">\r\n", 1),
    "a reference in it": lambda d: d.replace(b"<" + _CTE + b">", b"<" + _CTE + b">&#x51;", 1),
    "the word in a text": lambda d: d.replace(
        b"</edXML:Subject>", b" ContentTransferEncoded></edXML:Subject>", 1
    ),
}


@pytest.mark.parametrize("name", sorted(_TRICKY))
def test_lifting_attachments_by_byte_search_reads_like_the_splitter(name: str) -> None:
    data = _TRICKY[name](document_bytes(b"%PDF-1.4\n" + os.urandom(3000)))
    fast, slow = parse(data), parse(data, limits=LONG)
    assert to_bytes(fast) == to_bytes(slow)
    assert [p.code for p in fast.source_problems] == [p.code for p in slow.source_problems]
    assert isinstance(fast, DocumentMessage) and isinstance(slow, DocumentMessage)
    fast_data = fast.attachment_list[0].data if fast.attachment_list else None
    slow_data = slow.attachment_list[0].data if slow.attachment_list else None
    assert (fast_data is None) == (slow_data is None)
    if isinstance(fast_data, Base64Blob) and isinstance(slow_data, Base64Blob):
        assert str(fast_data.check()) == str(slow_data.check())
        if fast_data.check() is None:
            assert fast_data.info() == slow_data.info()
