"""Safe, streaming reading of edXML packages from bytes, a file or a stream.

A byte-level ``Splitter`` enforces the limits and lifts the text of each attachment into a
``Base64Blob``; libxml2 then parses what remains, a small header tree with true line numbers.
A package is never held twice, and a 200 MB package costs a few MB of memory beyond its blobs
(which spill to disk past a threshold). No DTD, no entities, no network or file access. Every
refusal is a ``ParseError`` carrying one EDXML problem with its code and, where known, the line and
column.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from lxml import etree

from lienthong.edxml import problems as P
from lienthong.edxml.blob import Base64Blob
from lienthong.edxml.mapping import TreeReader
from lienthong.edxml.model import DocumentMessage, Message, StatusMessage
from lienthong.edxml.splitter import SplitLimits, Splitter, SplitterRefusal
from lienthong.edxml.xmltools import NS, WELL_KNOWN_PREFIXES, local_name, namespace_of
from lienthong.problems import LienthongError, Problem

_CHUNK = 1 << 20
_HEAD = 64 << 10  # how far into the file the root start tag is looked for when repairing
_BOMS = (b"\xef\xbb\xbf",)
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_BLOB_NAME = b"ContentTransferEncoded"
_BLOB_ANY_NS = "{*}ContentTransferEncoded"
_QNAME_RE = re.compile(rb"(?:[A-Za-z_][A-Za-z0-9._-]*:)?ContentTransferEncoded")
_SPACES_RE = re.compile(rb"\s*")
_DEEPER = etree.XPath("boolean(//*[count(ancestor::*) >= $limit])")
_UNDECLARED_RE = re.compile(r"Namespace prefix (\S+) (?:for \S+ )?on \S+ is not defined")


@dataclass(frozen=True)
class ParseLimits:
    """Bounds every parse respects; the defaults suit the field (a 500 MB provincial limit)."""

    max_bytes: int = 600 << 20
    max_depth: int = 64
    max_elements: int = 200_000
    max_text: int = 1 << 20  # characters of text in one element other than attachment content
    spool_in_memory: int = 32 << 20  # base64 characters kept in memory before spilling to disk
    # Inputs up to this size go to libxml2 whole (no splitter: the splitter's walk in Python is
    # most of a small package's cost) and the limits are checked on the tree. Never above max_text,
    # so no text node can break that limit unseen.
    whole_below: int = 1 << 20


DEFAULT_LIMITS = ParseLimits()


class ParseError(LienthongError):
    """The input could not be read as an edXML package."""


Source = bytes | bytearray | memoryview | str | os.PathLike[str] | IO[bytes]


def parse(source: Source, *, limits: ParseLimits = DEFAULT_LIMITS, repair: bool = False) -> Message:
    """Read a document or status message.

    ``source`` is the package's bytes, a path (``str`` or ``Path``) or a binary stream. With
    ``repair``, known harmless defects (stray bytes before the XML declaration, undeclared
    well-known prefixes such as ``xlink:``) are fixed and reported as ``EDXML.REPAIRED``.
    """
    repairs: list[Problem] = []
    extra_prefixes: list[str] = []
    if _known_size(source) <= min(limits.whole_below, limits.max_text, limits.spool_in_memory):
        try:  # the fast path for a small, well-formed package; anything else is read the long way
            lifted = _parse_lifted(source, limits)
            if lifted is not None:
                return lifted
            with _open(source) as stream:
                return _parse_stream(stream, limits, repair, [], [], whole=True)
        except (ParseError, _RetryWithPrefix):
            pass  # the splitter's path gives the precise refusal (truncation, DTD, prefixes …)
    is_stream = not isinstance(source, (bytes, bytearray, memoryview, str, os.PathLike))
    start = source.tell() if is_stream and source.seekable() else None  # type: ignore[union-attr]
    while True:
        with _open(source) as stream:
            try:
                return _parse_stream(stream, limits, repair, extra_prefixes, repairs)
            except _RetryWithPrefix as retry:
                # A repair needs a second reading: possible for bytes, files and seekable streams.
                if retry.prefix in extra_prefixes or (is_stream and start is None):
                    raise ParseError(retry.problem) from None
                extra_prefixes.append(retry.prefix)
                if is_stream:
                    stream.seek(start or 0)


def parse_document(source: Source, **kwargs: Any) -> DocumentMessage:
    """Like ``parse``, but the message must be a document package."""
    message = parse(source, **kwargs)
    if not isinstance(message, DocumentMessage):
        raise ParseError(
            P.NOT_EDXML(
                "",
                detail_vi="đây là thông điệp trạng thái, cần một văn bản",
                detail_en="a status message where a document was expected",
            )
        )
    return message


def parse_status(source: Source, **kwargs: Any) -> StatusMessage:
    """Like ``parse``, but the message must be a status message."""
    message = parse(source, **kwargs)
    if not isinstance(message, StatusMessage):
        raise ParseError(
            P.NOT_EDXML(
                "",
                detail_vi="đây là văn bản, cần một thông điệp trạng thái",
                detail_en="a document where a status message was expected",
            )
        )
    return message


# --- input handling ---------------------------------------------------------------------------


def _known_size(source: Source) -> int:
    """The input's size when it is known without reading it (bytes, a file); else a huge number."""
    if isinstance(source, (bytes, bytearray)):
        return len(source)
    if isinstance(source, memoryview):
        return source.nbytes
    if isinstance(source, (str, os.PathLike)):
        try:
            return os.stat(source).st_size
        except OSError:
            return 1 << 62  # let the normal path report why it cannot be read
    return 1 << 62


@contextmanager
def _open(source: Source) -> Iterator[IO[bytes]]:
    """A binary stream for any accepted source; streams given by the caller are not closed."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        yield io.BytesIO(source)
        return
    if isinstance(source, (str, os.PathLike)):
        try:
            stream = Path(source).open("rb")  # noqa: SIM115 - closed by the with below
        except OSError as exc:
            raise ParseError(P.UNREADABLE(str(source), reason=exc.strerror or str(exc))) from None
        with stream:
            yield stream
        return
    yield source


def _chunks(stream: IO[bytes], limits: ParseLimits) -> Iterator[bytes]:
    total = 0
    while True:
        try:
            chunk = stream.read(_CHUNK)
        except OSError as exc:
            raise ParseError(P.UNREADABLE("", reason=str(exc))) from None
        if not chunk:
            return
        total += len(chunk)
        if total > limits.max_bytes:
            raise ParseError(P.TOO_LARGE("", limit=limits.max_bytes))
        yield chunk


def _head_fixups(
    chunks: Iterator[bytes], repair: bool, prefixes: list[str], repairs: list[Problem]
) -> Iterator[bytes]:
    """Check (and with ``repair`` fix) the start of the input, then pass the rest through."""
    head = b""
    for chunk in chunks:
        head += chunk
        if len(head) >= _HEAD:
            break
    if not head:
        raise ParseError(P.EMPTY_INPUT(""))
    if not head.startswith(_UTF16_BOMS):
        head = _fix_prolog(head, repair, repairs)
        if prefixes:
            head = _declare_prefixes(head, prefixes, repairs)
    yield head
    yield from chunks


# Files people pick by mistake instead of a package: told as what they are, never "stray bytes".
_NOT_EDXML = (
    (b"%PDF-", "một tệp PDF", "a PDF file"),
    (b"PK\x03\x04", "một tệp nén (ZIP, DOCX, XLSX…)", "a ZIP archive (or DOCX, XLSX…)"),
    (b"\xd0\xcf\x11\xe0", "một tệp Office cũ (DOC, XLS)", "an old Office file (DOC, XLS)"),
    (b"\x89PNG", "một ảnh PNG", "a PNG image"),
    (b"\xff\xd8\xff", "một ảnh JPEG", "a JPEG image"),
    (b"{\\rtf", "một tệp RTF", "an RTF file"),
)


def _fix_prolog(head: bytes, repair: bool, repairs: list[Problem]) -> bytes:
    for magic, kind_vi, kind_en in _NOT_EDXML:
        if head.startswith(magic):
            raise ParseError(P.WRONG_FILE_TYPE("", line=1, column=1, kind_vi=kind_vi, kind_en=kind_en))
    bom = next((b for b in _BOMS if head.startswith(b)), b"")
    body = head[len(bom) :]
    start = body.find(b"<")
    stray = body[:start] if start > 0 else (body if start < 0 else b"")
    if not stray:
        return head
    if start < 0 or (not stray.strip() and not body.startswith(b"<?xml", start)):
        return head  # no markup at all, or only whitespace before the root: libxml2 decides
    preview = repr(stray[:16])[2:-1]
    if not repair:
        raise ParseError(P.STRAY_PROLOG("", line=1, column=1, count=len(stray), preview=preview))
    repairs.append(
        P.REPAIRED(
            "",
            what_vi=f"đã bỏ {len(stray)} byte lạ trước khai báo XML ({preview})",
            what_en=f"removed {len(stray)} stray bytes before the XML declaration ({preview})",
        )
    )
    return bom + body[start:]


_ROOT_TAG_RE = re.compile(rb"<(?![?!])[^\s/>]+")


def _declare_prefixes(head: bytes, prefixes: list[str], repairs: list[Problem]) -> bytes:
    m = _ROOT_TAG_RE.search(head)
    if m is None:
        return head
    decls = b"".join(f' xmlns:{p}="{WELL_KNOWN_PREFIXES[p]}"'.encode("ascii") for p in prefixes)
    for p in prefixes:
        repairs.append(
            P.REPAIRED(
                "",
                what_vi=f"đã khai báo tiền tố {p} = {WELL_KNOWN_PREFIXES[p]}",
                what_en=f"declared the well-known prefix {p} = {WELL_KNOWN_PREFIXES[p]}",
            )
        )
    return head[: m.end()] + decls + head[m.end() :]


# --- the parser target --------------------------------------------------------------------------


class _RetryWithPrefix(Exception):
    def __init__(self, prefix: str, problem: Problem) -> None:
        super().__init__(prefix)
        self.prefix = prefix
        self.problem = problem


_ENCODING_RE = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def _ascii_compatible(head: bytes) -> bool:
    """Whether markup can be found by looking at bytes (true of UTF-8 and single-byte codes)."""
    if head.startswith(_UTF16_BOMS):
        return False
    m = _ENCODING_RE.match(head.lstrip(b"\xef\xbb\xbf"))
    name = m.group(1).decode("ascii").lower() if m else "utf-8"
    return not name.startswith(("utf-16", "utf16", "utf-32", "ucs", "ebcdic", "cp037"))


def _parse_stream(
    stream: IO[bytes],
    limits: ParseLimits,
    repair: bool,
    prefixes: list[str],
    repairs: list[Problem],
    whole: bool = False,
) -> Message:
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,  # what reaches libxml2 is the header only: keep its own limits too
        remove_comments=False,
        collect_ids=False,
    )
    splitter = Splitter(
        SplitLimits(limits.max_depth, limits.max_elements, limits.max_text, limits.spool_in_memory)
    )
    local_repairs: list[Problem] = []
    split = True
    lines = 1  # lines libxml2 has seen (the splitter keeps line breaks), to place a truncation
    unfinished = False  # the input ended inside an element or an unfinished construct
    try:
        for n, chunk in enumerate(_head_fixups(_chunks(stream, limits), repair, prefixes, local_repairs)):
            if n == 0:
                split = not whole and _ascii_compatible(chunk)
            fed = splitter.feed(chunk) if split else chunk
            if not whole:  # only a refusal needs the line count; a failed whole parse is redone
                lines += fed.count(b"\n")
            parser.feed(fed)
        if split:
            unfinished = bool(splitter.stack or splitter.pending)
            rest = splitter.finish()
            lines += rest.count(b"\n")
            parser.feed(rest)
        root = parser.close()
    except SplitterRefusal as refusal:
        raise ParseError(refusal.problem) from None
    except etree.XMLSyntaxError as exc:
        problem = _syntax_problem(exc, parser.error_log)
        if "Excessive depth" in str(problem.params.get("detail", "")):  # libxml2's own bound (256)
            problem = P.TOO_DEEP("", limit=limits.max_depth, line=problem.line, column=problem.column)
        elif unfinished and _is_truncation(problem, lines):
            problem = P.TRUNCATED(
                "",
                detail=problem.params.get("detail") or problem.message_en,
                line=problem.line,
                column=problem.column,
            )
        prefix = problem.params.get("prefix")
        if repair and problem.code == P.UNDECLARED_PREFIX.code and prefix in WELL_KNOWN_PREFIXES:
            raise _RetryWithPrefix(str(prefix), problem) from None
        raise ParseError(problem) from None
    if root.getroottree().docinfo.doctype:  # type: ignore[attr-defined]
        raise ParseError(P.DTD_FORBIDDEN(""))
    if not split:
        _check_tree_limits(root, limits, texts=not whole)
    repairs[:] = local_repairs
    return _to_message(root, _place_blobs(root, splitter.blobs), repairs)


def _parse_lifted(source: Source, limits: ParseLimits) -> Message | None:
    """A small package whose attachment text is lifted out with ``bytes.find`` before libxml2 reads it.

    The splitter's job for a small package, at C speed: each ``ContentTransferEncoded`` start
    tag's text (up to its own end tag) goes into a ``Base64Blob`` and libxml2 gets only its line
    breaks, so it builds the small header tree without copying the base64. Taken only when it is
    certain: every such start tag in the bytes must be an element of the tree in its place
    (``AttachmentEncoded/Attachment``) — a start tag inside a comment, CDATA or a processing
    instruction makes the counts differ — and the text plain (no reference, CDATA or comment).
    Otherwise None: the caller parses the long way. Refusals are left to the long way too.
    """
    if isinstance(source, bytes):
        data = source
    else:
        with _open(source) as stream:
            data = stream.read(limits.whole_below + 1)
    if not data or len(data) > min(limits.whole_below, limits.max_bytes):
        return None
    if data.startswith(_BOMS) or not _ascii_compatible(data[:_HEAD]):
        return None
    spans: list[tuple[int, int]] = []  # (start, end) of each attachment's text
    pos = 0
    find = data.find
    while (at := find(_BLOB_NAME, pos)) >= 0:
        pos = at + len(_BLOB_NAME)
        lt = data.rfind(b"<", max(0, at - 64), at)
        name = data[lt + 1 : pos]
        if lt < 0 or not _QNAME_RE.fullmatch(name):
            continue  # an end tag, or the word in a text or an attribute
        gt = find(b">", pos)
        if gt < 0 or not _SPACES_RE.fullmatch(data, pos, gt):
            return None  # attributes or an empty element: the long way
        stop = find(b"<", gt + 1)
        if stop < 0 or not data.startswith(b"</" + name + b">", stop) or find(b"&", gt + 1, stop) >= 0:
            return None  # a reference, CDATA or a comment in the text: the long way
        spans.append((gt + 1, stop))
        pos = stop
    if not spans:
        return None
    out: list[bytes] = []
    blobs: list[Base64Blob] = []
    done = 0
    for begin, end in spans:
        text = data[begin:end]
        out.append(data[done:begin])
        if b"\n" in text:  # libxml2's line numbers stay true (a search is far cheaper than a count)
            out.append(b"\n" * text.count(b"\n"))
        blob = Base64Blob()
        blob.append(text)
        blobs.append(blob)
        done = end
    out.append(data[done:])
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, collect_ids=False
    )
    header = b"".join(out)
    try:
        root = etree.fromstring(header, parser)
    except etree.XMLSyntaxError:
        return None
    if root is None or root.getroottree().docinfo.doctype:  # type: ignore[union-attr]
        return None
    found = list(root.iter(_BLOB_ANY_NS))
    if len(found) != len(blobs):
        return None  # a start tag in a comment, CDATA or processing instruction
    for element in found:
        parent = element.getparent()
        grand = parent.getparent() if parent is not None else None
        if (
            parent is None
            or grand is None
            or local_name(str(parent.tag)) != "Attachment"
            or local_name(str(grand.tag)) != "AttachmentEncoded"
            or len(element)
        ):
            return None  # not where the splitter lifts attachments: the long way decides
    # The limits, without a walk in Python: an element takes at least 4 bytes ("<a/>"), and one
    # XPath in C finds any element too deep. Past either bound the long way gives the refusal.
    if len(header) // 4 > limits.max_elements or _DEEPER(root, limit=limits.max_depth):
        return None
    return _to_message(root, dict(zip(found, blobs, strict=True)), [])


def _check_tree_limits(root: etree._Element, limits: ParseLimits, texts: bool = True) -> None:
    """The splitter's limits, checked on the tree when the encoding (UTF-16 …) kept the splitter out.

    libxml2's own limits (depth 256, 10 MB per text node) and ``max_bytes`` bound the parse itself;
    this gives the same refusals, with the same codes, as for a UTF-8 package. ``texts`` is off
    for an input smaller than ``max_text``: none of its texts can be longer.
    """
    stack: list[str] = []
    elements = 0
    for event, element in etree.iterwalk(root, events=("start", "end")):
        if event == "end":
            stack.pop()
            if texts and len(element.tail or "") > limits.max_text and stack:
                raise ParseError(P.TEXT_TOO_LARGE("/".join(stack), limit=limits.max_text))
            continue
        if len(stack) >= limits.max_depth:
            raise ParseError(P.TOO_DEEP("/".join(stack), limit=limits.max_depth))
        stack.append(local_name(str(element.tag)))
        elements += 1
        if elements > limits.max_elements:
            raise ParseError(P.TOO_MANY_ELEMENTS("/".join(stack[:-1]), limit=limits.max_elements))
        if texts and len(element.text or "") > limits.max_text:
            raise ParseError(P.TEXT_TOO_LARGE("/".join(stack), limit=limits.max_text))


def _place_blobs(root: etree._Element, blobs: dict[int, Base64Blob]) -> dict[etree._Element, Base64Blob]:
    """Attach each blob to its element, found by its number in document order."""
    if not blobs:
        return {}
    placed: dict[etree._Element, Base64Blob] = {}
    for number, element in enumerate(root.iter(etree.Element), start=1):
        blob = blobs.get(number)
        if blob is not None:
            tail_text = (element.text or "").strip()
            if tail_text:  # a CDATA section or the like that libxml2 read after the blob text
                blob.append(tail_text.encode("utf-8"))
            placed[element] = blob
    return placed


def _is_truncation(problem: Problem, last_line: int) -> bool:
    """An error libxml2 reports on the last line of an input that ended inside an element.

    libxml2 words an early end in many ways ("expected '>'", "Incomplete UTF-8 sequence" …);
    what they share is that the input stopped with elements still open, where the error is.
    """
    if problem.code not in (P.NOT_WELL_FORMED.code, P.BAD_ENCODING.code, P.UNDECLARED_PREFIX.code):
        return False  # a cut inside a multi-byte character or before a prefix's declaration too
    return problem.line == last_line and "mismatch" not in str(problem.params.get("detail", ""))


def _syntax_problem(exc: etree.XMLSyntaxError, log: etree._ListErrorLog) -> Problem:
    line, column = exc.position if exc.position else (None, None)
    # The first error is the cause; later ones are often its echoes.
    # This parser's own log (the exception's may hold earlier parses' entries); the first error
    # is the cause, later ones are often its echoes.
    errors = [e for e in log if e.level_name in ("ERROR", "FATAL")]
    entry = errors[0] if errors else None
    if entry is not None:
        line, column = entry.line, entry.column
    message = (entry.message if entry is not None else str(exc)).strip()
    type_name = entry.type_name if entry is not None else ""
    m = _UNDECLARED_RE.search(message)
    if m:
        return P.UNDECLARED_PREFIX("", prefix=m.group(1), line=line, column=column)
    # Declarations and their expansion only (a DOCTYPE reaches libxml2 in UTF-16 input); a reference
    # to an undefined entity or a bare '&' is a plain syntax error.
    if any(word in message for word in ("DOCTYPE", "ENTITY", "EntityDecl", "PEReference", "amplification")):
        return P.DTD_FORBIDDEN("", line=line, column=column)
    if "encoding" in message.lower() or "UTF-8" in message or "ENCODING" in type_name:
        return P.BAD_ENCODING("", detail=message, line=line, column=column)
    if (
        "Premature end" in message
        or "EndTag" in message
        or type_name
        in (
            "ERR_TAG_NOT_FINISHED",
            "ERR_DOCUMENT_END",
        )
    ):
        return P.TRUNCATED("", detail=message, line=line, column=column)
    if "Document is empty" in message:
        return P.EMPTY_INPUT("", line=line, column=column)
    return P.NOT_WELL_FORMED("", detail=message, line=line, column=column)


def _to_message(
    root: etree._Element, blobs: dict[etree._Element, Base64Blob], repairs: list[Problem]
) -> Message:
    tag = str(root.tag)
    if local_name(tag) != "edXML":
        raise ParseError(
            P.NOT_EDXML(
                "",
                detail_vi=f"phần tử gốc là {local_name(tag)}, không phải edXML",
                detail_en=f"the root element is {local_name(tag)}, not edXML",
            )
        )
    if namespace_of(tag) != NS:
        raise ParseError(
            P.NOT_EDXML(
                "",
                detail_vi=f"phần tử gốc thuộc không gian tên '{namespace_of(tag)}', không phải {NS}",
                detail_en=f"the root is in namespace '{namespace_of(tag)}', not {NS}",
            )
        )
    envelope = next(
        (c for c in root if isinstance(c.tag, str) and local_name(str(c.tag)) == "edXMLEnvelope"),
        None,
    )
    if envelope is None:
        raise ParseError(
            P.NOT_EDXML("", detail_vi="không có edXMLEnvelope", detail_en="there is no edXMLEnvelope")
        )
    reader = TreeReader(blobs)
    cls: type[DocumentMessage] | type[StatusMessage] = (
        StatusMessage if _is_status(envelope) else DocumentMessage
    )
    message = reader.read(cls, root)
    message.source_problems = repairs + reader.problems
    return message  # type: ignore[no-any-return]


def _is_status(envelope: etree._Element) -> bool:
    for header in envelope:
        if isinstance(header.tag, str) and local_name(str(header.tag)) == "edXMLHeader":
            for mh in header:
                if isinstance(mh.tag, str) and local_name(str(mh.tag)) == "MessageHeader":
                    return any(isinstance(c.tag, str) and local_name(str(c.tag)) == "StatusCode" for c in mh)
    return False
