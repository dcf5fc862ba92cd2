"""Attachment content: base64 text kept as received (in memory or spilled to disk), decoded on demand.

Parsing never decodes: it keeps the ``ContentTransferEncoded`` text, so a package's bytes are read
once and no attachment is held twice. Size, SHA-256 and the decoded bytes are computed in one
streaming pass the first time they are asked for, with pybase64 (SIMD) doing the decoding.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import hashlib
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol, runtime_checkable

import pybase64

_WHITESPACE = b" \t\r\n"
# Characters XML 1.0 cannot carry (a UTF-8 decoder never yields surrogates).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_READ_CHUNK = 1 << 20
_ENCODE_CHUNK = 3 * (1 << 18)  # a multiple of 3 so every chunk encodes without padding
_OPEN_IN_MEMORY = 16 << 20


class Base64Error(ValueError):
    """The attachment text is not valid base64; ``offset`` is the character where it fails."""

    def __init__(self, offset: int, reason: str) -> None:
        super().__init__(f"invalid base64 at character {offset}: {reason}")
        self.offset = offset
        self.reason = reason


@dataclass(frozen=True)
class ContentInfo:
    """What decoding an attachment gave: its size in bytes and SHA-256 (lowercase hex)."""

    size: int
    sha256: str


@runtime_checkable
class AttachmentData(Protocol):
    """The content of one attachment, whatever holds it."""

    def info(self) -> ContentInfo:
        """Size and SHA-256 of the decoded bytes; raises Base64Error if they cannot be decoded."""
        ...

    def iter_decoded(self) -> Iterator[bytes]:
        """The decoded bytes, in chunks."""
        ...

    def iter_base64(self) -> Iterator[str]:
        """The base64 text to write into ``ContentTransferEncoded``, in chunks."""
        ...


def read_bytes(data: AttachmentData) -> bytes:
    return b"".join(data.iter_decoded())


def iter_head(data: AttachmentData, size: int) -> bytes:
    """The first ``size`` decoded bytes (to recognise a file by its signature)."""
    head = b""
    for chunk in data.iter_decoded():
        head += chunk
        if len(head) >= size:
            break
    return head[:size]


def open_decoded(data: AttachmentData) -> IO[bytes]:
    """A seekable stream over the decoded bytes (in memory when small, else a temporary file)."""
    spool = tempfile.SpooledTemporaryFile(max_size=_OPEN_IN_MEMORY)  # noqa: SIM115 - returned open
    for chunk in data.iter_decoded():
        spool.write(chunk)
    spool.seek(0)
    return spool


def _info_of(chunks: Iterator[bytes]) -> ContentInfo:
    digest = hashlib.sha256()
    size = 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
    return ContentInfo(size, digest.hexdigest())


class BytesData:
    """Content held as bytes (built in memory)."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._info: ContentInfo | None = None

    def info(self) -> ContentInfo:
        if self._info is None:
            self._info = ContentInfo(len(self._data), hashlib.sha256(self._data).hexdigest())
        return self._info

    def iter_decoded(self) -> Iterator[bytes]:
        yield self._data

    def iter_base64(self) -> Iterator[str]:
        view = memoryview(self._data)
        for start in range(0, len(view), _ENCODE_CHUNK):
            yield pybase64.b64encode(view[start : start + _ENCODE_CHUNK]).decode("ascii")

    def __eq__(self, other: object) -> bool:
        return _equal_content(self, other)

    __hash__ = None  # type: ignore[assignment]


class FileData:
    """Content in a file on disk, read when needed (the builder's choice for large files)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._info: ContentInfo | None = None

    def info(self) -> ContentInfo:
        if self._info is None:
            self._info = _info_of(self.iter_decoded())
        return self._info

    def iter_decoded(self) -> Iterator[bytes]:
        with self.path.open("rb") as fh:
            while chunk := fh.read(_ENCODE_CHUNK):
                yield chunk

    def iter_base64(self) -> Iterator[str]:
        for chunk in self.iter_decoded():
            yield pybase64.b64encode(chunk).decode("ascii")

    def __eq__(self, other: object) -> bool:
        return _equal_content(self, other)

    __hash__ = None  # type: ignore[assignment]


class SpoolBudget:
    """How much base64 text one parse may keep in memory before spilling to temporary files."""

    def __init__(self, max_in_memory: int) -> None:
        self.remaining = max_in_memory


class Base64Blob:
    """Base64 text exactly as it arrived in a package (as bytes), decoded lazily."""

    def __init__(self, budget: SpoolBudget | None = None) -> None:
        self._budget = budget or SpoolBudget(1 << 62)
        self._chunks: list[bytes] = []
        self._file: IO[bytes] | None = None
        self.length = 0
        self._info: ContentInfo | None = None
        self._error: Base64Error | None = None

    @classmethod
    def from_text(cls, text: str) -> Base64Blob:
        blob = cls()
        blob.append(text.encode("utf-8"))
        return blob

    def append(self, raw: bytes) -> None:
        """Add a chunk of the element's text as it comes off the wire."""
        self.length += len(raw)
        if self._file is None and self._budget.remaining >= len(raw):
            self._budget.remaining -= len(raw)
            self._chunks.append(raw)
            return
        if self._file is None:
            self._file = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the blob
            for chunk in self._chunks:
                self._file.write(chunk)
            self._budget.remaining += sum(len(c) for c in self._chunks)
            self._chunks = []
        self._file.seek(0, 2)
        self._file.write(raw)

    @property
    def spilled(self) -> bool:
        return self._file is not None

    def iter_raw(self) -> Iterator[bytes]:
        """The stored text unchanged (line breaks and all), as bytes."""
        if self._file is None:
            yield from self._chunks
            return
        self._file.seek(0)
        while raw := self._file.read(_READ_CHUNK):
            yield raw

    def iter_base64(self) -> Iterator[str]:
        """The stored text unchanged, so writing a parsed package back is exact.

        Valid base64 holds only its alphabet and whitespace. Invalid content may hold what XML
        cannot carry (the splitter lifts attachment text before libxml2 checks its characters):
        such characters are written as U+FFFD, so the output stays well-formed and the content
        stays invalid.
        """
        clean = self.check() is None
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        for raw in self.iter_raw():
            text = decoder.decode(raw)
            yield text if clean else _NOT_XML.sub("\ufffd", text)
        tail = decoder.decode(b"", final=True)
        if tail:
            yield tail if clean else _NOT_XML.sub("\ufffd", tail)

    def iter_decoded(self) -> Iterator[bytes]:
        base = 0  # bytes of stored text before the current chunk
        rest = b""  # bytes carried over to keep decoding on 4-character boundaries
        padded = False
        for chunk in self.iter_raw():
            text = rest + chunk if rest else chunk
            start = base - len(rest)
            base += len(chunk)
            if padded and text.strip():
                raise self._fail(start, "data after the '=' padding")
            usable = len(text) // 4 * 4
            try:
                out = pybase64.b64decode(text[:usable], validate=True)
            except (binascii.Error, ValueError):
                # Line-wrapped base64 is common and valid: drop whitespace and try again.
                text = text.translate(None, _WHITESPACE)
                usable = len(text) // 4 * 4
                try:
                    out = pybase64.b64decode(text[:usable], validate=True)
                except (binascii.Error, ValueError):
                    bad = _first_bad(text)
                    if bad < 0:  # every character is base64's: the '=' padding is in the middle
                        raise self._fail(start + _after_padding(text), "data after the '=' padding") from None
                    raise self._fail(start + bad, "not a base64 character") from None
            padded = padded or (usable > 0 and text[usable - 1] == 61)  # '='
            rest = text[usable:]
            if out:
                yield out
        if rest.translate(None, _WHITESPACE):
            raise self._fail(self.length, "length is not a multiple of 4 (truncated or unpadded)")

    def _fail(self, offset: int, reason: str) -> Base64Error:
        self._error = Base64Error(offset, reason)
        return self._error

    def info(self) -> ContentInfo:
        if self._info is None:
            self._info = _info_of(self.iter_decoded())
        return self._info

    def check(self) -> Base64Error | None:
        """Decode once (caching size and digest) and return the error, if any."""
        if self._info is None and self._error is None:
            try:
                self.info()
            except Base64Error as exc:
                return exc
        return self._error

    def __eq__(self, other: object) -> bool:
        return _equal_content(self, other)

    __hash__ = None  # type: ignore[assignment]


_ALPHABET = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")


def _first_bad(text: bytes) -> int:
    """Where the first character outside the base64 alphabet is, or -1."""
    return next((i for i, byte in enumerate(text) if byte not in _ALPHABET), -1)


def _after_padding(text: bytes) -> int:
    """Where the data after the first run of '=' padding starts."""
    end = text.find(b"=")
    while 0 <= end < len(text) and text[end] == 61:  # '='
        end += 1
    return max(end, 0)


def _equal_content(a: AttachmentData, other: object) -> bool:
    """Two contents are equal when their decoded bytes are (compared by digest)."""
    if not isinstance(other, AttachmentData):
        return NotImplemented  # type: ignore[no-any-return]
    try:
        return bool(a.info() == other.info())
    except Base64Error:
        if isinstance(a, Base64Blob) and isinstance(other, Base64Blob):
            return b"".join(a.iter_raw()) == b"".join(other.iter_raw())
        return False


def encode_standard(data: bytes) -> str:
    """Plain base64 of ``data`` (used for tests and small payloads)."""
    return base64.b64encode(data).decode("ascii")
