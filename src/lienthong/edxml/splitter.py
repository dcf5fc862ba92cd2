"""A byte-level pre-pass that enforces limits and lifts attachment text out of the XML stream.

It walks the markup only (jumping from ``<`` to ``<`` with ``bytes.find``): it counts elements
and depth, bounds text, refuses DOCTYPE, and routes the content of every
``AttachmentEncoded/Attachment/ContentTransferEncoded`` into a ``Base64Blob`` while libxml2 receives
the same number of line breaks in its place, so libxml2 builds only the small header tree and its
line numbers stay true. Base64 cannot contain ``<``, so the content ends at the next ``<``. The
splitter never decides well-formedness: anything it does not understand is passed on for libxml2
to judge.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lienthong.edxml import problems as P
from lienthong.edxml.blob import Base64Blob, SpoolBudget
from lienthong.problems import Problem

_BLOB_PARENTS = [b"AttachmentEncoded", b"Attachment"]
_BLOB_TAG = b"ContentTransferEncoded"
_ENTITY_RE = re.compile(rb"&(#x[0-9A-Fa-f]+|#[0-9]+|amp|lt|gt|quot|apos);")
_NAMED = {b"amp": b"&", b"lt": b"<", b"gt": b">", b"quot": b'"', b"apos": b"'"}
_TAG_END_RE = re.compile(rb"""(?:[^>"']|"[^"]*"|'[^']*')*>""")
# A named reference: without a DTD only the five predefined ones exist. libxml2's push parser
# fails on any other without saying why ("Document is empty"), so the splitter names it.
_NAMED_REF_RE = re.compile(rb"&([A-Za-z_:][^\s&;<>\"']*);")


class SplitterRefusal(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message_en)
        self.problem = problem


@dataclass
class SplitLimits:
    max_depth: int
    max_elements: int
    max_text: int
    spool_in_memory: int


class Splitter:
    """Feed it chunks; it returns what libxml2 should see and collects the attachment blobs."""

    def __init__(self, limits: SplitLimits) -> None:
        self.limits = limits
        self.budget = SpoolBudget(limits.spool_in_memory)
        self.blobs: dict[int, Base64Blob] = {}  # element number (document order, from 1) -> blob
        self.elements = 0
        self.stack: list[bytes] = []
        self.text = 0
        self.pending = b""  # an incomplete construct carried to the next chunk
        self.blob: Base64Blob | None = None
        self.entity_tail = b""
        self.ref_tail = b""  # text ending in a possibly cut reference, checked with the next chunk

    def feed(self, chunk: bytes) -> bytes:
        data = self.pending + chunk if self.pending else chunk
        self.pending = b""
        out: list[bytes] = []
        pos = 0
        end = len(data)
        while pos < end:
            if self.blob is not None:
                stop = data.find(b"<", pos)
                piece = data[pos:] if stop < 0 else data[pos:stop]
                self._blob_text(piece)
                out.append(b"\n" * piece.count(b"\n"))
                if stop < 0:
                    break
                self.blob = None
                self._flush_entities()
                pos = stop
                continue
            lt = data.find(b"<", pos)
            if lt < 0:
                self._count_text(end - pos)
                self._check_refs(data[pos:], open_end=True)
                out.append(data[pos:])
                break
            self._count_text(lt - pos)
            self._check_refs(data[pos:lt])
            consumed = self._markup(data, lt)
            if consumed < 0:  # incomplete: wait for more bytes
                self.pending = data[lt:]
                self._count_text(0, extra=len(self.pending))
                out.append(data[pos:lt])
                break
            out.append(data[pos:consumed])
            pos = consumed
        return b"".join(out)

    def finish(self) -> bytes:
        """What is left when the input ends (libxml2 will judge an unfinished construct)."""
        self._flush_entities()
        rest, self.pending = self.pending, b""
        return rest

    # -- markup ----------------------------------------------------------------------------

    def _markup(self, data: bytes, lt: int) -> int:
        """Handle the construct starting at ``lt``; return where it ends, or -1 if incomplete."""
        head = data[lt : lt + 9]
        if head.startswith(b"<!--"):
            return _after(data, b"-->", lt + 4)
        if head.startswith(b"<![CDATA["):
            end = _after(data, b"]]>", lt + 9)
            if end >= 0 and not self._in_blob_element():  # CDATA is text: it counts against max_text
                self._count_text(end - lt - 12)
            return end
        if head.startswith(b"<?"):
            return _after(data, b"?>", lt + 2)
        if head.startswith(b"<!"):
            if len(head) < 9 and len(data) - lt < 9:
                return -1
            raise SplitterRefusal(P.DTD_FORBIDDEN(self._path()))
        m = _TAG_END_RE.match(data, lt + 1)
        if m is None:
            return -1  # no closing '>' yet (or an attribute value still open)
        tag_end = m.end()
        if head.startswith(b"</"):
            if self.stack:
                self.stack.pop()
            self.text = 0
            return tag_end
        name = re.match(rb"[^\s/>]*", data[lt + 1 : tag_end]).group(0)  # type: ignore[union-attr]
        local = name.rsplit(b":", 1)[-1]
        if b"&" in data[lt:tag_end]:
            self._check_refs(data[lt:tag_end])
        self.elements += 1
        if self.elements > self.limits.max_elements:
            raise SplitterRefusal(P.TOO_MANY_ELEMENTS(self._path(), limit=self.limits.max_elements))
        self.text = 0
        if data[tag_end - 2 : tag_end - 1] == b"/":
            return tag_end  # empty element: no depth change, no content
        if len(self.stack) >= self.limits.max_depth:
            raise SplitterRefusal(P.TOO_DEEP(self._path(), limit=self.limits.max_depth))
        if local == _BLOB_TAG and self.stack[-2:] == _BLOB_PARENTS:
            self.blob = Base64Blob(self.budget)
            self.blobs[self.elements] = self.blob
        self.stack.append(local)
        return tag_end

    def _count_text(self, length: int, extra: int = 0) -> None:
        self.text += length
        if self.text + extra > self.limits.max_text:
            raise SplitterRefusal(P.TEXT_TOO_LARGE(self._path(), limit=self.limits.max_text))

    def _check_refs(self, text: bytes, *, open_end: bool = False) -> None:
        """Refuse named references other than the predefined five (text or a start tag).

        With ``open_end`` the text may go on in the next chunk: a reference cut there is kept
        and checked with what follows.
        """
        if self.ref_tail:
            text, self.ref_tail = self.ref_tail + text, b""
        if b"&" not in text:
            return
        for m in _NAMED_REF_RE.finditer(text):
            if m.group(1) not in _NAMED:
                name = m.group(1).decode("utf-8", "replace")
                raise SplitterRefusal(
                    P.NOT_WELL_FORMED(
                        self._path(),
                        detail=f"undefined entity &{name}; (without a DTD only &amp; &lt; &gt; "
                        "&quot; &apos; and character references exist)",
                    )
                )
        if open_end:
            amp = text.rfind(b"&")
            if amp >= 0 and b";" not in text[amp:] and len(text) - amp < 64:
                self.ref_tail = text[amp:]

    def _in_blob_element(self) -> bool:
        """Inside an attachment's ContentTransferEncoded (whose CDATA the parser adds to the blob)."""
        return self.stack[-3:] == [*_BLOB_PARENTS, _BLOB_TAG]

    def _path(self) -> str:
        return "/".join(s.decode("utf-8", "replace") for s in self.stack)

    # -- attachment text ---------------------------------------------------------------------

    def _blob_text(self, piece: bytes) -> None:
        assert self.blob is not None
        if self.entity_tail or b"&" in piece:
            piece = self.entity_tail + piece
            cut = piece.rfind(b"&")
            if cut >= 0 and b";" not in piece[cut:]:
                self.entity_tail, piece = piece[cut:], piece[:cut]
            else:
                self.entity_tail = b""
            piece = _ENTITY_RE.sub(_unescape, piece)
        if piece:
            self.blob.append(piece)

    def _flush_entities(self) -> None:
        if self.entity_tail and self.blob is not None:
            self.blob.append(self.entity_tail)
        self.entity_tail = b""


def _after(data: bytes, terminator: bytes, start: int) -> int:
    found = data.find(terminator, start)
    return -1 if found < 0 else found + len(terminator)


def _unescape(m: re.Match[bytes]) -> bytes:
    ref = m.group(1)
    if ref in _NAMED:
        return _NAMED[ref]
    code = int(ref[2:], 16) if ref.startswith(b"#x") else int(ref[1:])
    return chr(code).encode("utf-8")
