"""XML-DSig over a package without copies of it: the header tree canonicalised, attachment text streamed.

signxml canonicalises and copies the whole document several times (≈ 7 × a package's size). Here the
edXML splitter lifts each attachment's ``ContentTransferEncoded`` text out (spilled to disk past a
threshold) and libxml2 builds only the small header tree, where each such element holds a marker
instead. signxml then does all of its work on that small tree, except that the digest of a
reference expands each marker in the canonical form into the attachment's text, streamed through
the hash in chunks. Valid base64 holds only its alphabet and whitespace, which canonical XML writes
as they are (line ends normalised to LF, as the XML parser does): the digest is byte for byte the
one of the whole document's canonical form, whatever the c14n method. Anything outside that shape
(invalid base64, character references or CDATA in attachment text, a UTF-16 package) is not split
(``split_package`` gives None) and the caller takes signxml's whole-document path.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any, Protocol

from cryptography.hazmat.primitives.hashes import Hash
from lxml import etree
from signxml.algorithms import DigestAlgorithm, digest_algorithm_implementations

from lienthong.edxml import ParseLimits
from lienthong.edxml.blob import Base64Blob
from lienthong.edxml.splitter import SplitLimits, Splitter, SplitterRefusal

_CHUNK = 1 << 20
SPOOL_IN_MEMORY = 4 << 20  # attachment text kept in memory before spilling to a temporary file
_UTF16 = (b"\xff\xfe", b"\xfe\xff", b"\x00")


class Writer(Protocol):
    def write(self, chunk: bytes, /) -> Any: ...


class _Splitter(Splitter):
    """The edXML splitter, noting whether attachment text carried references (``&…;``)."""

    references = False

    def _blob_text(self, piece: bytes) -> None:
        if b"&" in piece or self.entity_tail:
            self.references = True  # "&#13;" and a literal CR read alike once unescaped: not split
        super()._blob_text(piece)


@dataclass
class SplitPackage:
    """A package as its header tree (markers where attachment text was) and the text itself."""

    root: etree._Element
    blobs: list[Base64Blob]
    marker: re.Pattern[bytes]

    def digest(self, canonical: bytes, algorithm: DigestAlgorithm) -> bytes:
        """The digest of ``canonical`` with every marker replaced by its attachment's text."""
        hasher = Hash(digest_algorithm_implementations[algorithm]())
        for piece in self.expand(canonical):
            hasher.update(piece)
        return hasher.finalize()

    def expand(self, data: bytes) -> Iterator[bytes]:
        """``data`` (canonical or serialised XML of the tree) with the attachment text put back."""
        start = 0
        for m in self.marker.finditer(data):
            yield data[start : m.start()]
            yield from _text(self.blobs[int(m.group(1))])
            start = m.end()
        yield data[start:]

    def write(self, data: bytes, out: Writer) -> None:
        for piece in self.expand(data):
            if piece:
                out.write(piece)


def split_package(source: IO[bytes], limits: ParseLimits) -> SplitPackage | None:
    """The package read from ``source`` as a header tree and attachment text; None when it cannot be
    split exactly (the caller then reads it whole). Raises nothing for malformed input: None."""
    spool = min(limits.spool_in_memory, SPOOL_IN_MEMORY)
    splitter = _Splitter(SplitLimits(limits.max_depth, limits.max_elements, limits.max_text, spool))
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,  # the header only: attachment text never reaches libxml2
        remove_comments=False,
        collect_ids=False,
    )
    total = 0
    try:
        first = True
        while chunk := source.read(_CHUNK):
            if first and chunk.startswith(_UTF16):
                return None
            first = False
            total += len(chunk)
            if total > limits.max_bytes:
                return None
            parser.feed(splitter.feed(chunk))
        parser.feed(splitter.finish())
        root = parser.close()
    except (SplitterRefusal, etree.XMLSyntaxError):
        return None
    if splitter.references or root.getroottree().docinfo.doctype:  # type: ignore[attr-defined]
        return None
    token = secrets.token_hex(12)  # unknown to whoever wrote the package: it cannot forge a marker
    blobs: list[Base64Blob] = []
    for number, element in enumerate(root.iter(etree.Element), start=1):
        blob = splitter.blobs.get(number)
        if blob is None:
            continue
        if (element.text or "").strip() or len(element) or blob.check() is not None:
            return None  # CDATA or markup beside the text, or not base64: only the whole document is exact
        element.text = f"LTBLOB{token}N{len(blobs)}E"
        blobs.append(blob)
    return SplitPackage(root, blobs, re.compile(rb"LTBLOB" + token.encode() + rb"N(\d+)E"))


def _text(blob: Base64Blob) -> Iterator[bytes]:
    """An attachment's text as the parser reads it: CRLF and a lone CR become LF (XML 1.0 §2.11).

    Valid base64 holds nothing else canonical XML or serialisation would escape.
    """
    carry = False  # a CR ending the previous chunk, whose LF may start this one
    for raw in blob.iter_raw():
        if carry:
            raw = b"\r" + raw
        carry = raw.endswith(b"\r")
        if carry:
            raw = raw[:-1]
        if b"\r" in raw:
            raw = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        if raw:
            yield raw
    if carry:
        yield b"\n"
