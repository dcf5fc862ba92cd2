"""Document types of Decree 30 with their abbreviations, and the Letter 775 electronic-only list."""

from __future__ import annotations

import pytest

from lienthong.codes.doctypes import (
    ADMINISTRATIVE_TYPES,
    ALL_TYPES,
    ELECTRONIC_ONLY_775,
    Category,
    find_type,
    fold,
    is_electronic_only,
    type_by_abbreviation,
)


def test_the_29_administrative_types_of_decree_30() -> None:
    assert len(ADMINISTRATIVE_TYPES) == 29
    names = {k.name for k in ADMINISTRATIVE_TYPES}
    assert {"Công văn", "Quyết định", "Quy định", "Thư công", "Phiếu báo"} <= names
    abbreviations = [k.abbreviation for k in ALL_TYPES if k.abbreviation]
    assert len(abbreviations) == len(set(abbreviations))


@pytest.mark.parametrize(
    ("abbreviation", "name"),
    [
        ("QĐ", "Quyết định"),
        ("QyĐ", "Quy định"),
        ("CTr", "Chương trình"),
        ("TTr", "Tờ trình"),
        ("TT", "Thông tư"),
    ],
)
def test_abbreviations(abbreviation: str, name: str) -> None:
    kind = type_by_abbreviation(abbreviation)
    assert kind is not None and kind.name == name


def test_types_without_abbreviation() -> None:
    for name in ("Công văn", "Thư công"):
        match = find_type(name)
        assert match is not None and match.kind.abbreviation is None


@pytest.mark.parametrize(
    ("text", "name", "exact"),
    [
        ("Quyết định", "Quyết định", True),
        ("quyết  ĐỊNH", "Quyết định", True),
        ("quyet dinh", "Quyết định", False),
        ("Giấy uỷ quyền", "Giấy ủy quyền", True),
        ("Thông tư", "Thông tư", True),
    ],
)
def test_find_type_exact_and_loose(text: str, name: str, exact: bool) -> None:
    match = find_type(text)
    assert match is not None
    assert (match.kind.name, match.exact) == (name, exact)


def test_unknown_or_empty_types_are_not_found() -> None:
    assert find_type("Thư tình") is None
    assert find_type("") is None
    assert find_type(None) is None


def test_decomposed_unicode_matches() -> None:
    import unicodedata

    match = find_type(unicodedata.normalize("NFD", "Công văn"))
    assert match is not None and match.exact


def test_fold_removes_case_spacing_and_diacritics() -> None:
    assert fold("  Đề   ÁN ") == "de an"


def test_letter_775_catalogue() -> None:
    assert len(ELECTRONIC_ONLY_775) == 24  # 26 entries; council/committee acts share two names
    assert is_electronic_only("Công văn")
    assert is_electronic_only("cong van")
    assert not is_electronic_only("Biên bản")
    assert not is_electronic_only("Hợp đồng")
    assert not is_electronic_only("Thư tình")
    assert is_electronic_only("Biên bản", frozenset({"Biên bản"}))


def test_legal_types_are_marked_legal() -> None:
    match = find_type("Nghị định")
    assert match is not None and match.kind.category is Category.LEGAL
