"""Attachment content: base64 kept as received, decoded lazily, spilled to disk past a budget."""

from __future__ import annotations

import base64
import hashlib
import random
from pathlib import Path

import pytest

from lienthong.edxml.blob import (
    Base64Blob,
    Base64Error,
    BytesData,
    FileData,
    SpoolBudget,
    iter_head,
    open_decoded,
    read_bytes,
)

_CONTENT = random.Random(7).randbytes(5000)
_TEXT = base64.b64encode(_CONTENT)


def blob_of(raw: bytes, budget: int = 1 << 30, piece: int = 1000) -> Base64Blob:
    blob = Base64Blob(SpoolBudget(budget))
    for start in range(0, len(raw), piece):
        blob.append(raw[start : start + piece])
    return blob


def test_info_gives_size_and_sha256_of_the_decoded_bytes() -> None:
    info = blob_of(_TEXT).info()
    assert info.size == len(_CONTENT)
    assert info.sha256 == hashlib.sha256(_CONTENT).hexdigest()


@pytest.mark.parametrize("budget", [0, 100, 1 << 30])
def test_decoding_is_the_same_in_memory_and_spilled(budget: int) -> None:
    blob = blob_of(_TEXT, budget)
    assert blob.spilled is (budget < len(_TEXT))
    assert read_bytes(blob) == _CONTENT
    assert b"".join(blob.iter_raw()) == _TEXT
    assert "".join(blob.iter_base64()) == _TEXT.decode("ascii")


def test_spilling_gives_back_the_memory_budget() -> None:
    budget = SpoolBudget(3000)
    first = Base64Blob(budget)
    first.append(b"A" * 2000)
    assert budget.remaining == 1000
    first.append(b"A" * 2000)  # over the budget: this blob moves to disk and frees its share
    assert first.spilled
    assert budget.remaining == 3000


@pytest.mark.parametrize("width", [1, 3, 64, 76])
@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b" "])
def test_line_wrapped_base64_decodes(width: int, newline: bytes) -> None:
    wrapped = newline.join(_TEXT[i : i + width] for i in range(0, len(_TEXT), width))
    assert read_bytes(blob_of(wrapped, piece=777)) == _CONTENT


def test_decoding_across_chunk_boundaries_that_split_a_quantum() -> None:
    big = random.Random(3).randbytes(1_500_000)  # base64 longer than one 1 MB read
    text = base64.b64encode(big)
    blob = blob_of(text, budget=0, piece=1_048_573)
    assert read_bytes(blob) == big


@pytest.mark.parametrize(
    ("raw", "offset", "reason"),
    [
        (b"QUJD!EFG", 4, "not a base64 character"),
        (b"QUJDRA==QUJD", 8, "padding"),
        (b"QUJDRA", 6, "multiple of 4"),
    ],
)
def test_invalid_base64_raises_with_offset_and_reason(raw: bytes, offset: int, reason: str) -> None:
    blob = blob_of(raw)
    with pytest.raises(Base64Error) as caught:
        blob.info()
    assert caught.value.offset == offset
    assert reason in caught.value.reason
    assert blob.check() is caught.value


def test_check_returns_none_for_valid_content() -> None:
    assert blob_of(_TEXT).check() is None


def test_empty_content_has_the_empty_digest() -> None:
    info = Base64Blob().info()
    assert (info.size, info.sha256) == (0, hashlib.sha256(b"").hexdigest())


def test_contents_compare_by_decoded_bytes(tmp_path: Path) -> None:
    path = tmp_path / "a.bin"
    path.write_bytes(_CONTENT)
    wrapped = b"\n".join(_TEXT[i : i + 76] for i in range(0, len(_TEXT), 76))
    assert BytesData(_CONTENT) == FileData(path) == blob_of(wrapped) == blob_of(_TEXT)
    assert BytesData(_CONTENT) != BytesData(_CONTENT + b"x")
    assert blob_of(b"!!!!") != BytesData(b"")
    assert blob_of(b"!!!!") == blob_of(b"!!!!")  # undecodable: compared as text


def test_bytes_and_file_data_encode_to_standard_base64(tmp_path: Path) -> None:
    content = random.Random(5).randbytes(2_000_000)  # more than one encoding chunk
    path = tmp_path / "big.bin"
    path.write_bytes(content)
    expected = base64.b64encode(content).decode("ascii")
    assert "".join(BytesData(content).iter_base64()) == expected
    assert "".join(FileData(path).iter_base64()) == expected
    assert FileData(path).info().sha256 == hashlib.sha256(content).hexdigest()


def test_head_and_stream_over_decoded_bytes() -> None:
    blob = blob_of(_TEXT)
    assert iter_head(blob, 10) == _CONTENT[:10]
    with open_decoded(blob) as stream:
        stream.seek(100)
        assert stream.read(5) == _CONTENT[100:105]
