"""Rewrite a package's header for the next hop without reading its attachments: cut To, append a TraceHeader.

Only the header (everything up to the closing ``edXMLHeader``) is read into memory; the rest of the
package — the body and the encoded attachments, possibly hundreds of megabytes — is copied through
in chunks. A package carrying an XML-DSig signature is copied byte for byte instead: changing any
signed byte would break it.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from typing import IO
from xml.sax.saxutils import escape

from lienthong.edxml.prefix import prefix_header

XMLDSIG = b"http://www.w3.org/2000/09/xmldsig#"
MAX_HEADER = 16 << 20  # a header larger than this is not a header
_CHUNK = 1 << 16
_HEADER_END = re.compile(rb"</(?:[\w.-]+:)?edXMLHeader\s*>")
_MESSAGE_HEADER = re.compile(rb"<((?:[\w.-]+:)?)MessageHeader[\s>]")
_TO = re.compile(rb"(\s*)<(?P<p>(?:[\w.-]+:)?)To(?=[\s>/])[^>]*?(?:/>|>.*?</(?P=p)To\s*>)", re.DOTALL)
_ORGAN_ID = re.compile(rb"<(?:[\w.-]+:)?OrganId[^>]*>\s*([^<]*?)\s*<")


class SpliceError(ValueError):
    """The package's header cannot be found or rewritten."""


@dataclass(frozen=True)
class Spliced:
    signed: bool  # forwarded byte for byte (XML-DSig)
    kept: tuple[str, ...]  # the To codes of the rewritten header
    removed: tuple[str, ...]  # the To codes cut out


def read_header(src: IO[bytes]) -> tuple[bytes, int]:
    """(the bytes up to and including the closing edXMLHeader tag, its end offset); src is left after it."""
    buffer = b""
    while True:
        found = _HEADER_END.search(buffer)
        if found is not None:
            return buffer, found.end()
        if len(buffer) > MAX_HEADER:
            raise SpliceError(f"no closing edXMLHeader within {MAX_HEADER} bytes")
        chunk = src.read(_CHUNK)
        if not chunk:
            raise SpliceError("the package has no edXMLHeader")
        buffer += chunk


def splice(
    src: IO[bytes],
    out: IO[bytes],
    *,
    recipients: list[str] | None,
    organ_id: str,
    timestamp: str,
) -> Spliced:
    """Copy ``src`` to ``out``, To cut to ``recipients`` (None: a status, no To), a TraceHeader added."""
    buffer, end = read_header(src)
    head = buffer[:end]
    if XMLDSIG in head:
        out.write(buffer)
        shutil.copyfileobj(src, out, _CHUNK)
        return Spliced(True, (), ())
    match = _MESSAGE_HEADER.search(head)
    if match is None:
        raise SpliceError("the package has no MessageHeader")
    prefix = match.group(1)
    kept: list[str] = []
    removed: list[str] = []
    if recipients is not None:
        head, kept, removed = _cut_to(head, prefix, recipients)
    head = _add_trace(head, prefix, organ_id, timestamp)
    head = prefix_header(head)  # edXML: on every header element, as the Government Office's parser needs
    out.write(head)
    out.write(buffer[end:])
    shutil.copyfileobj(src, out, _CHUNK)
    return Spliced(False, tuple(kept), tuple(removed))


def _cut_to(head: bytes, prefix: bytes, recipients: list[str]) -> tuple[bytes, list[str], list[str]]:
    wanted = {r.encode() for r in recipients}
    kept: list[str] = []
    removed: list[str] = []

    def one(m: re.Match[bytes]) -> bytes:
        organ = _ORGAN_ID.search(m.group(0))
        code = organ.group(1).strip() if organ else b""
        if code in wanted and code.decode() not in kept:
            kept.append(code.decode())
            return m.group(0)
        removed.append(code.decode(errors="replace"))
        return b""

    head = _TO.sub(one, head)
    missing = [r for r in recipients if r not in kept]
    if missing:
        # A recipient named only outside the package (the API's ``to``): named in the header for the next hop.
        close_from = re.search(rb"</" + re.escape(prefix) + rb"From\s*>", head)
        if close_from is None:
            raise SpliceError("the MessageHeader has no From")
        p = prefix
        added = b"".join(
            b"<" + p + b"To><" + p + b"OrganId>" + escape(r).encode() + b"</" + p + b"OrganId></" + p + b"To>"
            for r in missing
        )
        head = head[: close_from.end()] + added + head[close_from.end() :]
        kept.extend(missing)
    return head, kept, removed


def _add_trace(head: bytes, prefix: bytes, organ_id: str, timestamp: str) -> bytes:
    """Append ``<TraceHeader>`` after the last one (TraceHeaders come before Bussiness)."""
    listed = re.search(rb"<((?:[\w.-]+:)?)TraceHeaderList(\s[^>]*)?(/?)>", head)
    p = listed.group(1) if listed else prefix
    trace = (
        b"<"
        + p
        + b"TraceHeader><"
        + p
        + b"OrganId>"
        + escape(organ_id).encode()
        + b"</"
        + p
        + b"OrganId><"
        + p
        + b"Timestamp>"
        + escape(timestamp).encode()
        + b"</"
        + p
        + b"Timestamp></"
        + p
        + b"TraceHeader>"
    )
    if listed is None:
        close = re.search(rb"</" + re.escape(prefix) + rb"MessageHeader\s*>", head)
        if close is None:
            raise SpliceError("the MessageHeader is not closed")
        block = b"<" + p + b"TraceHeaderList>" + trace + b"</" + p + b"TraceHeaderList>"
        return head[: close.end()] + block + head[close.end() :]
    if listed.group(3):  # <TraceHeaderList/>
        block = b"<" + p + b"TraceHeaderList" + (listed.group(2) or b"") + b">" + trace
        return head[: listed.start()] + block + b"</" + p + b"TraceHeaderList>" + head[listed.end() :]
    ends = list(re.finditer(rb"</" + re.escape(p) + rb"TraceHeader\s*>", head))
    if ends:
        last = ends[-1]
        return head[: last.end()] + trace + head[last.end() :]
    business = re.search(rb"<" + re.escape(p) + rb"Bussiness[\s/>]", head[listed.end() :])
    at = (
        listed.end() + business.start()
        if business
        else head.index(b"</" + p + b"TraceHeaderList", listed.end())
    )
    return head[:at] + trace + head[at:]
