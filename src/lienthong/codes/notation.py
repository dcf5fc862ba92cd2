"""Number and notation (số, ký hiệu) of a document, Decree 30/2020 Art. 8 and Appendix I.

``807/VPCP-KSTT`` (official letter: issuer and drafting unit), ``12/QĐ-UBND`` (typed document:
type abbreviation then issuer), ``20/2020/QĐ-TTg`` (legal document: number, year, type, issuer).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from lienthong.codes.doctypes import (
    COPY_ABBREVIATIONS,
    DocumentKind,
    type_by_abbreviation,
)

# A group is letters (Vietnamese included) and digits, e.g. VPCP, TTĐT, QyĐ, TTg, QH14.
_GROUP = r"[^\W_]+"
_NOTATION_RE = re.compile(rf"^{_GROUP}(?:-{_GROUP})*$")
_FULL_RE = re.compile(r"^(?P<number>\d+)/(?:(?P<year>\d{4})/)?(?P<notation>.+)$")


class NotationIssue(StrEnum):
    """Why a number/notation is not as Decree 30 wants it."""

    BAD_FORMAT = "bad_format"
    BAD_NUMBER = "bad_number"
    NUMBER_NOT_PADDED = "number_not_padded"  # numbers below 10 are written 01…09
    TYPE_MISMATCH = "type_mismatch"  # the notation's type abbreviation is another type's
    TYPE_MISSING = "type_missing"  # a typed document without its type abbreviation
    UNEXPECTED_TYPE = "unexpected_type"  # a Công văn carrying a type abbreviation


@dataclass(frozen=True)
class Notation:
    """A parsed number/notation: ``number`` (kept as written), optional year, groups."""

    number: str
    groups: tuple[str, ...]
    year: str | None = None

    @classmethod
    def parse(cls, text: str) -> Notation:
        """Parse ``807/VPCP-KSTT``; raise ValueError with the reason otherwise."""
        value = unicodedata.normalize("NFC", text.strip())
        m = _FULL_RE.match(value)
        if not m:
            raise ValueError(f"not a number/notation such as 807/VPCP-KSTT: {text!r}")
        return cls.from_parts(m.group("number"), m.group("notation"), m.group("year"))

    @classmethod
    def from_parts(cls, number: str, notation: str, year: str | None = None) -> Notation:
        """Build from edXML's CodeNumber and CodeNotation (which may start with the year)."""
        number = number.strip()
        notation = unicodedata.normalize("NFC", notation.strip())
        if not number.isdigit() or not number.isascii():
            raise ValueError(f"the number must be digits: {number!r}")
        if year is None:
            m = re.match(r"^(\d{4})/(.+)$", notation)
            if m:
                year, notation = m.group(1), m.group(2)
        if not _NOTATION_RE.match(notation):
            raise ValueError(
                f"the notation must be letter/digit groups joined by '-' without spaces: {notation!r}"
            )
        return cls(number, tuple(notation.split("-")), year)

    @property
    def notation(self) -> str:
        text = "-".join(self.groups)
        return f"{self.year}/{text}" if self.year else text

    def __str__(self) -> str:
        return f"{self.number}/{self.notation}"

    @property
    def type_abbreviation(self) -> str | None:
        """The first group when it is a known type (or copy) abbreviation."""
        first = self.groups[0]
        if type_by_abbreviation(first) is not None or first in COPY_ABBREVIATIONS:
            return first
        return None

    @property
    def issuer_groups(self) -> tuple[str, ...]:
        return self.groups[1:] if self.type_abbreviation else self.groups


def check(notation: Notation, kind: DocumentKind | None = None) -> list[NotationIssue]:
    """The ways ``notation`` departs from Decree 30, given the document's type when known."""
    issues: list[NotationIssue] = []
    if int(notation.number) < 10 and len(notation.number) < 2:
        issues.append(NotationIssue.NUMBER_NOT_PADDED)
    if int(notation.number) == 0:
        issues.append(NotationIssue.BAD_NUMBER)
    if kind is None:
        return issues
    found = notation.type_abbreviation
    if kind.abbreviation is None:
        if found is not None and found not in COPY_ABBREVIATIONS:
            issues.append(NotationIssue.UNEXPECTED_TYPE)
    elif found is None:
        issues.append(NotationIssue.TYPE_MISSING)
    elif found != kind.abbreviation:
        issues.append(NotationIssue.TYPE_MISMATCH)
    return issues
