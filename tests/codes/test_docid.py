"""DocumentId: ``issuer,yyyy/MM/dd,number/notation``."""

from __future__ import annotations

from datetime import date

import pytest

from lienthong.codes.agency import CodeKind
from lienthong.codes.dates import DateFormatError, ImpossibleDateError, parse_date, parse_timestamp
from lienthong.codes.docid import DocumentId
from lienthong.codes.notation import Notation


def test_parse_and_format() -> None:
    docid = DocumentId.parse("000.00.00.G22,2015/09/30,7816/VPCP-TTĐT")
    assert docid.issuer.kind is CodeKind.AGENCY
    assert docid.day == date(2015, 9, 30)
    assert docid.notation == Notation.parse("7816/VPCP-TTĐT")
    assert str(docid) == "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"
    made = DocumentId.make("000.00.00.G22", date(2015, 9, 30), Notation.parse("7816/VPCP-TTĐT"))
    assert made == docid


def test_spaces_around_parts_are_tolerated() -> None:
    assert str(DocumentId.parse(" 000.00.00.G22 , 2015/09/30 , 7816/VPCP-TTĐT ")) == (
        "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"
    )


def test_the_issuer_is_classified_not_refused() -> None:
    assert DocumentId.parse("vxp.saas.03,2015/09/30,1/VPCP").issuer.kind is CodeKind.SYSTEM_ID


def test_impossible_date_is_its_own_error() -> None:
    with pytest.raises(ImpossibleDateError):
        DocumentId.parse("000.00.00.G22,2014/02/30,7806/VPCP-TTĐT")


@pytest.mark.parametrize(
    "text",
    ["9fbfbad2-f1f8-4256-a2eb-50fb1061cddb", "000.00.00.G22,2015-09-30,1/VPCP", "a,b", "x,2015/09/30,VPCP"],
)
def test_malformed_document_ids_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        DocumentId.parse(text)


def test_date_formats_are_strict() -> None:
    assert parse_date("2024/02/29") == date(2024, 2, 29)
    with pytest.raises(ImpossibleDateError):
        parse_date("2023/02/29")
    for text in ("2024-02-29", "24/02/29", "2024/2/29", "2024/02/29 10:00:00"):
        with pytest.raises(DateFormatError):
            parse_date(text)
    stamp = parse_timestamp("2024/03/05 09:30:00")
    assert stamp.utcoffset() is not None and stamp.utcoffset().total_seconds() == 7 * 3600  # type: ignore[union-attr]
    with pytest.raises(ImpossibleDateError):
        parse_timestamp("2024/03/05 25:00:00")
    with pytest.raises(DateFormatError):
        parse_timestamp("2024/03/05T09:30:00")
