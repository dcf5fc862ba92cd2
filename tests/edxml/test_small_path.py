"""Small packages are parsed whole by libxml2: the same messages and the same refusals as the long path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lienthong.edxml import ParseError, ParseLimits, parse, to_bytes
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
