"""The DocumentId of edXML: ``issuer,yyyy/MM/dd,number/notation``, parsed and formatted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from lienthong.codes.agency import Classified, classify
from lienthong.codes.dates import format_date, parse_date
from lienthong.codes.notation import Notation


@dataclass(frozen=True)
class DocumentId:
    issuer: Classified
    day: date
    notation: Notation

    @classmethod
    def parse(cls, text: str) -> DocumentId:
        """Parse; raises ValueError (DateFormatError/ImpossibleDateError for the date part)."""
        parts = text.strip().split(",")
        if len(parts) != 3:
            raise ValueError(
                f"a DocumentId has three comma-separated parts (issuer,yyyy/MM/dd,number/notation): {text!r}"
            )
        issuer, day, notation = (p.strip() for p in parts)
        return cls(classify(issuer), parse_date(day), Notation.parse(notation))

    @classmethod
    def make(cls, issuer: str, day: date, notation: Notation) -> DocumentId:
        return cls(classify(issuer), day, notation)

    def __str__(self) -> str:
        return f"{self.issuer.text},{format_date(self.day)},{self.notation}"
