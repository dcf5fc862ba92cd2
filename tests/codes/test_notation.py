"""Number and notation (số, ký hiệu) of Decree 30: parse, format, check against the type."""

from __future__ import annotations

import pytest

from lienthong.codes.doctypes import find_type
from lienthong.codes.notation import Notation, NotationIssue, check


@pytest.mark.parametrize(
    ("text", "number", "groups", "year", "abbreviation"),
    [
        ("807/VPCP-KSTT", "807", ("VPCP", "KSTT"), None, None),
        ("12/QĐ-UBND", "12", ("QĐ", "UBND"), None, "QĐ"),
        ("20/2020/QĐ-TTg", "20", ("QĐ", "TTg"), "2020", "QĐ"),
        ("7816/VPCP-TTĐT", "7816", ("VPCP", "TTĐT"), None, None),
        (" 05/SY-VPCP ", "05", ("SY", "VPCP"), None, "SY"),
    ],
)
def test_parse(
    text: str, number: str, groups: tuple[str, ...], year: str | None, abbreviation: str | None
) -> None:
    notation = Notation.parse(text)
    assert (notation.number, notation.groups, notation.year) == (number, groups, year)
    assert notation.type_abbreviation == abbreviation
    assert str(notation) == text.strip()


def test_from_parts_reads_the_year_in_code_notation() -> None:
    notation = Notation.from_parts("20", "2020/QĐ-TTg")
    assert (notation.year, notation.groups, notation.notation) == ("2020", ("QĐ", "TTg"), "2020/QĐ-TTg")
    assert notation.issuer_groups == ("TTg",)


@pytest.mark.parametrize(
    "text", ["VPCP-KSTT", "abc/VPCP", "807/", "807/VPCP KSTT", "807/VPCP--KSTT", "807/-VPCP"]
)
def test_malformed_notations_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        Notation.parse(text)


def test_number_must_be_ascii_digits() -> None:
    with pytest.raises(ValueError):
        Notation.from_parts("74fass22", "VPCP")
    with pytest.raises(ValueError):
        Notation.from_parts("١٢", "VPCP")  # Arabic-Indic digits are digits, but not Arabic numerals


def test_decomposed_unicode_is_normalised() -> None:
    import unicodedata

    notation = Notation.parse(unicodedata.normalize("NFD", "12/QĐ-UBND"))
    assert notation.type_abbreviation == "QĐ"


@pytest.mark.parametrize(
    ("text", "type_name", "issues"),
    [
        ("12/QĐ-UBND", "Quyết định", []),
        ("12/UBND", "Quyết định", [NotationIssue.TYPE_MISSING]),
        ("12/CT-UBND", "Quyết định", [NotationIssue.TYPE_MISMATCH]),
        ("807/VPCP-KSTT", "Công văn", []),
        ("807/QĐ-VPCP", "Công văn", [NotationIssue.UNEXPECTED_TYPE]),
        ("5/QĐ-UBND", "Quyết định", [NotationIssue.NUMBER_NOT_PADDED]),
        ("05/QĐ-UBND", "Quyết định", []),
        ("0/VPCP", None, [NotationIssue.NUMBER_NOT_PADDED, NotationIssue.BAD_NUMBER]),
        ("00/VPCP", None, [NotationIssue.BAD_NUMBER]),
        ("05/SY-VPCP", "Công văn", []),
    ],
)
def test_check_against_the_type(text: str, type_name: str | None, issues: list[NotationIssue]) -> None:
    match = find_type(type_name) if type_name else None
    assert check(Notation.parse(text), match.kind if match else None) == issues
