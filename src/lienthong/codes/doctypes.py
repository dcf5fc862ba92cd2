"""Document types (Decree 30/2020 Art. 7 and Appendix III; legal documents) and their abbreviations.

Also the default electronic-only catalogue (Letter 775/VPCP-KSTT, 2020): the types sent without a
paper copy. The catalogue is a default: operators may replace it by configuration.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum


class Category(StrEnum):
    ADMINISTRATIVE = "administrative"  # văn bản hành chính (Decree 30 Art. 7)
    LEGAL = "legal"  # văn bản quy phạm pháp luật


@dataclass(frozen=True)
class DocumentKind:
    """One document type: its Vietnamese name, notation abbreviation and English name."""

    name: str
    abbreviation: str | None  # None: no abbreviation in the notation (Công văn, Thư công)
    name_en: str
    category: Category = Category.ADMINISTRATIVE


_ADMIN: list[tuple[str, str | None, str]] = [
    ("Nghị quyết", "NQ", "Resolution"),
    ("Quyết định", "QĐ", "Decision"),
    ("Chỉ thị", "CT", "Directive"),
    ("Quy chế", "QC", "Regulation"),
    ("Quy định", "QyĐ", "Rules"),
    ("Thông cáo", "TC", "Communiqué"),
    ("Thông báo", "TB", "Notice"),
    ("Hướng dẫn", "HD", "Guidance"),
    ("Chương trình", "CTr", "Programme"),
    ("Kế hoạch", "KH", "Plan"),
    ("Phương án", "PA", "Option"),
    ("Đề án", "ĐA", "Scheme"),
    ("Dự án", "DA", "Project"),
    ("Báo cáo", "BC", "Report"),
    ("Biên bản", "BB", "Minutes"),
    ("Tờ trình", "TTr", "Submission"),
    ("Hợp đồng", "HĐ", "Contract"),
    ("Công văn", None, "Official letter"),
    ("Công điện", "CĐ", "Official telegram"),
    ("Bản ghi nhớ", "BGN", "Memorandum of understanding"),
    ("Bản thỏa thuận", "BTT", "Agreement"),
    ("Giấy ủy quyền", "GUQ", "Power of attorney"),
    ("Giấy mời", "GM", "Invitation"),
    ("Giấy giới thiệu", "GGT", "Letter of introduction"),
    ("Giấy nghỉ phép", "GNP", "Leave permit"),
    ("Phiếu gửi", "PG", "Dispatch slip"),
    ("Phiếu chuyển", "PC", "Transfer slip"),
    ("Phiếu báo", "PB", "Notification slip"),
    ("Thư công", None, "Public letter"),
]

_LEGAL: list[tuple[str, str | None, str]] = [
    ("Hiến pháp", None, "Constitution"),
    ("Bộ luật", None, "Code"),
    ("Luật", None, "Law"),
    ("Pháp lệnh", "PL", "Ordinance"),
    ("Lệnh", "L", "Order"),
    ("Nghị định", "NĐ", "Decree"),
    ("Thông tư", "TT", "Circular"),
    ("Thông tư liên tịch", "TTLT", "Joint circular"),
    ("Nghị quyết liên tịch", "NQLT", "Joint resolution"),
]

ADMINISTRATIVE_TYPES: tuple[DocumentKind, ...] = tuple(
    DocumentKind(n, a, e, Category.ADMINISTRATIVE) for n, a, e in _ADMIN
)
LEGAL_TYPES: tuple[DocumentKind, ...] = tuple(DocumentKind(n, a, e, Category.LEGAL) for n, a, e in _LEGAL)
ALL_TYPES: tuple[DocumentKind, ...] = ADMINISTRATIVE_TYPES + LEGAL_TYPES

# Abbreviations of copies (bản sao), which may follow a number instead of a type abbreviation.
COPY_ABBREVIATIONS: frozenset[str] = frozenset({"SY", "TrS", "SL"})

# Letter 775/VPCP-KSTT: types sent electronically without paper. Legal documents in the list are
# Thông tư, Thông tư liên tịch, and Nghị quyết / Quyết định of local councils and committees
# (the latter two share their names with administrative types, so they are listed by name).
ELECTRONIC_ONLY_775: frozenset[str] = frozenset(
    {
        "Thông tư",
        "Thông tư liên tịch",
        "Nghị quyết",
        "Quyết định",
        "Chỉ thị",
        "Quy chế",
        "Quy định",
        "Thông cáo",
        "Thông báo",
        "Hướng dẫn",
        "Chương trình",
        "Kế hoạch",
        "Phương án",
        "Đề án",
        "Dự án",
        "Báo cáo",
        "Tờ trình",
        "Công văn",
        "Công điện",
        "Giấy ủy quyền",
        "Giấy mời",
        "Phiếu gửi",
        "Phiếu chuyển",
        "Phiếu báo",
    }
)


def fold(text: str) -> str:
    """Case-, space- and diacritic-insensitive key ("Công  văn" == "cong van")."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


_BY_NAME = {_norm(k.name): k for k in ALL_TYPES}
# Old spelling "Giấy uỷ quyền", "Bản thoả thuận" (tone mark placement) is common in the field.
_BY_NAME[_norm("Giấy uỷ quyền")] = _BY_NAME[_norm("Giấy ủy quyền")]
_BY_NAME[_norm("Bản thoả thuận")] = _BY_NAME[_norm("Bản thỏa thuận")]
_BY_FOLDED = {fold(k.name): k for k in ALL_TYPES}
_BY_ABBREVIATION = {k.abbreviation: k for k in ALL_TYPES if k.abbreviation}


@dataclass(frozen=True)
class TypeMatch:
    kind: DocumentKind
    exact: bool  # False when only a diacritic-less or case-folded spelling matched


def find_type(name: str | None) -> TypeMatch | None:
    """Look a type up by its name, exactly (NFC, case-insensitive) or loosely (no diacritics)."""
    if not name or not name.strip():
        return None
    kind = _BY_NAME.get(_norm(name))
    if kind is not None:
        return TypeMatch(kind, True)
    kind = _BY_FOLDED.get(fold(name))
    if kind is not None:
        return TypeMatch(kind, False)
    return None


def type_by_abbreviation(abbreviation: str) -> DocumentKind | None:
    return _BY_ABBREVIATION.get(unicodedata.normalize("NFC", abbreviation))


def is_electronic_only(type_name: str, catalogue: frozenset[str] = ELECTRONIC_ONLY_775) -> bool:
    """True if the type is on the (default 775) electronic-only catalogue."""
    match = find_type(type_name)
    if match is None:
        return False
    return match.kind.name in catalogue
