"""The problem catalogue: stable codes, both languages, and docs/problems.md kept up to date."""

from __future__ import annotations

import string
import subprocess
import sys
from pathlib import Path

import pytest

from lienthong.edxml import problems as P
from lienthong.problems import LienthongError, Severity, catalogue, define, has_errors
from lienthong.registry import load_all

REPO = Path(__file__).resolve().parents[1]


def test_codes_are_unique_and_defined_once() -> None:
    with pytest.raises(ValueError, match="defined twice"):
        define("EDXML.MISSING", Severity.ERROR, "x", "x")
    load_all()
    codes = [t.code for t in catalogue()]
    assert codes == sorted(set(codes))


KNOWN_LAYERS = {"EDXML", "SIG", "HUB", "CHECK", "GATEWAY", "WATCH", "MONITOR", "ACCOUNTS"}


def test_every_type_has_both_languages_with_the_same_placeholders() -> None:
    load_all()
    for ptype in catalogue():
        assert ptype.code.split(".", 1)[0] in KNOWN_LAYERS, ptype.code
        assert ptype.code == ptype.code.upper()
        assert ptype.message_vi.strip() and ptype.message_en.strip()
        # A parameter may come in two languages itself: what_vi in one message, what_en in the other.
        vi = {f.removesuffix("_vi") for _, f, _, _ in string.Formatter().parse(ptype.message_vi) if f}
        en = {f.removesuffix("_en") for _, f, _, _ in string.Formatter().parse(ptype.message_en) if f}
        assert vi == en, ptype.code


def test_a_problem_fills_its_messages_and_keeps_its_parameters() -> None:
    problem = P.TOO_LONG("MessageHeader/Subject", element="Subject", length=501, limit=500)
    assert (problem.code, problem.severity, problem.path) == (
        "EDXML.TOO_LONG",
        Severity.ERROR,
        "MessageHeader/Subject",
    )
    assert "501" in problem.message_en and "501" in problem.message_vi
    assert problem.params == {"element": "Subject", "length": 501, "limit": 500}
    assert problem.is_error
    assert P.TOO_LONG.placeholders == {"element", "length", "limit"}


def test_to_dict_has_line_and_column_only_when_known() -> None:
    plain = P.EMPTY_INPUT("")
    assert set(plain.to_dict()) == {"code", "severity", "path", "message_vi", "message_en"}
    placed = P.UNDECLARED_PREFIX("", prefix="xlink", line=116, column=39)
    assert (placed.to_dict()["line"], placed.to_dict()["column"]) == (116, 39)
    assert "line 116, column 39" in str(placed)


def test_severity_can_be_changed_and_errors_counted() -> None:
    warning = P.LEGACY_AGENCY_CODE("To/OrganId", value="28.22.H17")
    assert not warning.is_error and not has_errors([warning])
    error = warning.with_severity(Severity.ERROR)
    assert error.is_error and has_errors([warning, error])
    assert (error.code, error.path, error.message_en) == (warning.code, warning.path, warning.message_en)
    assert P.REPAIRED("", what_vi="a", what_en="b").severity is Severity.INFO


def test_the_error_carries_its_problem() -> None:
    problem = P.TOO_DEEP("edXML", limit=64)
    error = LienthongError(problem)
    assert error.problem is problem
    assert "EDXML.TOO_DEEP" in str(error)


def test_docs_problems_md_is_up_to_date() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "problems_doc.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    doc = (REPO / "docs" / "problems.md").read_text("utf-8")
    load_all()
    for ptype in catalogue():
        assert f"`{ptype.code}`" in doc
