"""Writing edXML messages: the header as a tree, attachment content streamed in chunks."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import IO

from lxml import etree

from lienthong.edxml.blob import AttachmentData
from lienthong.edxml.mapping import TreeWriter, attrs
from lienthong.edxml.model import Message
from lienthong.edxml.xmltools import NS, PREFIX, qn

DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def write(message: Message, out: IO[bytes], *, pretty: bool = True) -> None:
    """Serialise ``message`` to a binary stream without building attachment text in memory."""
    writer = TreeWriter()
    root = writer.build(message, qn("edXML"), {PREFIX: NS})
    if pretty:
        etree.indent(root, space="  ")
    out.write(DECLARATION)
    # Elements themselves are the keys: holding them keeps lxml's proxies (and identities) alive.
    blobs: dict[etree._Element, AttachmentData] = dict(writer.pending)
    if not blobs:
        out.write(etree.tostring(root, encoding="utf-8"))
        out.write(b"\n")
        return
    holders: set[etree._Element] = set()
    for element in blobs:
        holders.update(element.iterancestors())
    with etree.xmlfile(out, encoding="utf-8") as xf:
        _stream(xf, root, blobs, holders, root.nsmap)
    out.write(b"\n")


def _stream(
    xf: etree.xmlfile,
    element: etree._Element,
    blobs: dict[etree._Element, AttachmentData],
    holders: set[etree._Element],
    nsmap: dict[str | None, str] | None = None,
) -> None:
    """Write ``element``, descending only into the branches that hold attachment content."""
    if element not in holders and element not in blobs:
        xf.write(element, with_tail=False)
        return
    with xf.element(element.tag, attrs(element), nsmap=nsmap):
        if element.text:
            xf.write(element.text)
        data = blobs.get(element)
        if data is not None:
            for chunk in data.iter_base64():
                xf.write(chunk)
        for child in element:
            _stream(xf, child, blobs, holders)
            if child.tail:
                xf.write(child.tail)


def to_bytes(message: Message, *, pretty: bool = True) -> bytes:
    buffer = io.BytesIO()
    write(message, buffer, pretty=pretty)
    return buffer.getvalue()


def write_file(message: Message, path: str | os.PathLike[str], *, pretty: bool = True) -> None:
    """Write to ``path`` through a temporary file renamed into place, so no reader sees half."""
    target = Path(path)
    partial = target.with_name(f".{target.name}.partial")
    with partial.open("wb") as fh:
        write(message, fh, pretty=pretty)
        fh.flush()
        os.fsync(fh.fileno())
    partial.replace(target)
