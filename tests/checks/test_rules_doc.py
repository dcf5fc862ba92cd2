"""docs/rules.md is generated from the rules and kept up to date; every rule has a legal basis."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from lienthong.checks import RULES
from lienthong.problems import catalogue
from lienthong.registry import load_all

REPO = Path(__file__).resolve().parents[2]


def test_docs_rules_md_is_up_to_date() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "rules_doc.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    doc = (REPO / "docs" / "rules.md").read_text("utf-8")
    for rule in RULES:
        assert f"`{rule.code}`" in doc


def test_every_check_code_is_a_rule_with_a_basis_and_both_languages() -> None:
    load_all()
    defined = {p.code for p in catalogue() if p.code.startswith("CHECK.")}
    assert defined == {r.code for r in RULES}
    for rule in RULES:
        assert rule.basis and rule.title_vi and rule.title_en and rule.check.__doc__, rule.code
