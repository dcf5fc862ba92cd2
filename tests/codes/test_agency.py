"""Agency identifier codes (Decision 20/2020): parse, classify, level, parent, compare."""

from __future__ import annotations

import pytest

from lienthong.codes.agency import AgencyCode, CodeKind, classify, is_valid_agency_code


@pytest.mark.parametrize(
    ("text", "level", "parent"),
    [
        ("000.00.00.G22", 1, None),
        ("000.00.04.G14", 2, "000.00.00.G14"),
        ("000.00.15.H51", 2, "000.00.00.H51"),
        ("002.00.20.H13", 4, "000.00.20.H13"),
        ("001.00.10.H47", 4, "000.00.10.H47"),
        ("000.01.10.H47", 3, "000.00.10.H47"),
    ],
)
def test_level_and_default_parent(text: str, level: int, parent: str | None) -> None:
    code = AgencyCode.parse(text)
    assert str(code) == text
    assert code.level == level
    assert (str(code.parent) if code.parent else None) == parent


def test_ancestors_root_and_within() -> None:
    code = AgencyCode.parse("002.01.20.H13")
    assert [str(a) for a in code.ancestors()] == ["000.01.20.H13", "000.00.20.H13", "000.00.00.H13"]
    assert str(code.root) == "000.00.00.H13"
    assert code.is_within(AgencyCode.parse("000.00.20.H13"))
    assert code.is_within(code)
    assert not code.is_within(AgencyCode.parse("000.00.00.H14"))
    assert code.branch == "H"


def test_codes_order_by_level_one_first() -> None:
    codes = [AgencyCode.parse(t) for t in ("000.00.00.H41", "001.00.00.G22", "000.00.00.G22")]
    assert [str(c) for c in sorted(codes)] == ["000.00.00.G22", "001.00.00.G22", "000.00.00.H41"]
    assert AgencyCode.parse("000.00.00.G22") == AgencyCode.parse("000.00.00.G22")


@pytest.mark.parametrize(
    "text", ["", "000.00.00.g22", "00.00.00.G22", "000.00.00.G2", "000-00-00-G22", "000.00.00.G22 x"]
)
def test_malformed_codes_do_not_parse(text: str) -> None:
    with pytest.raises(ValueError):
        AgencyCode.parse(text)
    assert AgencyCode.try_parse(text) is None


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("000.00.00.G22", CodeKind.AGENCY),
        (" 000.00.00.H41 ", CodeKind.AGENCY),
        ("000.00.00.W00", CodeKind.SYSTEM),
        ("28.22.H17", CodeKind.LEGACY),
        ("01.02.G22", CodeKind.LEGACY),
        ("vxp.saas.03", CodeKind.SYSTEM_ID),
        ("null", CodeKind.NULL),
        ("None", CodeKind.NULL),
        ("", CodeKind.EMPTY),
        ("   ", CodeKind.EMPTY),
        (None, CodeKind.EMPTY),
        ("G22", CodeKind.INVALID),
        ("Văn phòng", CodeKind.INVALID),
    ],
)
def test_classify(text: str | None, kind: CodeKind) -> None:
    found = classify(text)
    assert found.kind is kind
    assert found.is_standard is (kind is CodeKind.AGENCY)
    assert is_valid_agency_code(text) is (kind is CodeKind.AGENCY)
    if kind in (CodeKind.AGENCY, CodeKind.SYSTEM):
        assert found.code is not None and str(found.code) == (text or "").strip()


def test_system_codes_are_recognised() -> None:
    assert AgencyCode.parse("000.00.00.W00").is_system
    assert not AgencyCode.parse("000.00.00.G22").is_system
