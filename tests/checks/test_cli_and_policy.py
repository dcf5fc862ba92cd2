"""``lienthong check`` and the policy file: severities, thresholds, lists, and the errors a typo gives."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lienthong.checks import DEFAULT_POLICY, Outcome, PolicyError, load_policy, policy_from_dict
from lienthong.checks import problems as P
from lienthong.cli.main import app
from lienthong.codes.calendar import VIETNAM
from lienthong.edxml import to_bytes
from lienthong.edxml.builder import attachment_from_bytes
from lienthong.problems import Severity
from tests.checks.kit import package, run
from tests.signing.kit import AN, SigningKit

runner = CliRunner()
TODAY = datetime.now(UTC).astimezone(VIETNAM).strftime("%Y/%m/%d")


def write(path: Path, **kwargs: Any) -> Path:
    path.write_bytes(to_bytes(package(day=TODAY, **kwargs)))
    return path


# --- the command -----------------------------------------------------------------------------------


def test_check_a_good_package_exits_0_and_lists_every_rule(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", str(write(tmp_path / "ok.edxml")), "--json"])
    assert result.exit_code == 0, result.output
    rules = json.loads(result.output)
    assert [r["code"] for r in rules][:3] == ["CHECK.STATE_SECRET", "CHECK.SENT_LATE", "CHECK.URGENT_LATE"]
    by_code = {r["code"]: r for r in rules}
    assert by_code["CHECK.SIGNATURES"]["outcome"] == "skipped"
    assert by_code["CHECK.PAPER"]["basis"].startswith("Letter 775/VPCP-KSTT")


def test_check_a_bad_package_exits_1_with_red_lines(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.edxml", type_name="Văn bản khác")
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 1
    assert "✗ CHECK.DOCUMENT_TYPE" in result.output
    assert "✓ CHECK.STATE_SECRET" in result.output
    assert "Tên loại văn bản không thuộc danh mục" in result.output


def test_check_exits_2_when_unreadable_or_the_policy_is_wrong(tmp_path: Path) -> None:
    broken = tmp_path / "broken.edxml"
    broken.write_bytes(b"<edXML><unclosed>")
    assert runner.invoke(app, ["check", str(broken)]).exit_code == 2
    policy = tmp_path / "policy.toml"
    policy.write_text('[rules]\n"CHECK.NO_SUCH_RULE" = "off"\n', encoding="utf-8")
    result = runner.invoke(app, ["check", str(write(tmp_path / "ok.edxml")), "--policy", str(policy)])
    assert result.exit_code == 2
    assert "unknown rule CHECK.NO_SUCH_RULE" in result.output


def test_check_with_a_policy_that_makes_a_warning_an_error(tmp_path: Path) -> None:
    path = write(tmp_path / "paper.edxml", paper="1")
    assert runner.invoke(app, ["check", str(path)]).exit_code == 0  # CHECK.PAPER warns by default
    policy = tmp_path / "policy.toml"
    policy.write_text('[rules]\n"CHECK.PAPER" = "error"\n', encoding="utf-8")
    assert runner.invoke(app, ["check", str(path), "--policy", str(policy)]).exit_code == 1


def test_check_verifies_signatures_with_a_trust_store(tmp_path: Path, kit: SigningKit) -> None:
    signed = attachment_from_bytes("12.pdf", kit.signed_document())
    path = tmp_path / "signed.edxml"
    path.write_bytes(to_bytes(package(day=TODAY, full_name=AN, attachments=[signed])))
    result = runner.invoke(app, ["check", str(path), "--json", "--trust", str(kit.pki.trust_dir)])
    assert result.exit_code == 0, result.output
    outcomes = {r["code"]: r["outcome"] for r in json.loads(result.output)}
    assert outcomes["CHECK.SIGNATURES"] == outcomes["CHECK.MAIN_PDF"] == "passed"


# --- the policy ------------------------------------------------------------------------------------------


def test_a_rule_turned_off_or_changed_in_severity() -> None:
    paper = package(paper="1")
    assert run(paper).result(P.PAPER.code).outcome is Outcome.WARNED
    off = policy_from_dict({"rules": {"CHECK.PAPER": "off"}})
    assert run(paper, policy=off).result(P.PAPER.code).outcome is Outcome.OFF
    error = DEFAULT_POLICY.with_rules({"CHECK.PAPER": "error"})
    [problem] = run(paper, policy=error).result(P.PAPER.code).problems
    assert problem.severity is Severity.ERROR


def test_state_secrets_cannot_be_relaxed() -> None:
    for setting in ("off", "warning"):
        with pytest.raises(PolicyError, match="cannot be relaxed"):
            policy_from_dict({"rules": {"CHECK.STATE_SECRET": setting}})


def test_a_full_policy_file(tmp_path: Path) -> None:
    (tmp_path / "days.txt").write_text("2026-12-31 off\n", encoding="utf-8")
    path = tmp_path / "policy.toml"
    path.write_text(
        """
[rules]
"CHECK.SENT_LATE" = "error"
[time]
next_day_deadline = "10:30"
urgent_priority = 2
urgent_grace_minutes = 15
calendar_file = "days.txt"
[format]
allow_legal_types = false
issuer_abbreviations = { "000.00.00.G22" = "VPCP" }
min_pdf_version = "1.5"
[authority]
head_only_types = ["Quyết định"]
[authority.max_level]
"Kế hoạch" = 2
[secrets]
keywords = ["lưu hành nội bộ"]
[attachments]
extensions = ["pdf"]
content_types = ["application/pdf"]
max_file_mb = 20
max_total_mb = 40
[catalogue]
electronic_only = ["Công văn", "Giấy mời"]
paper_recipients = ["000.00.00.G22", "000.00.00.A01"]
[catalogue.agency_paper]
"000.00.00.H41" = ["Quyết định"]
""",
        encoding="utf-8",
    )
    policy = load_policy(path)
    assert policy.severity("CHECK.SENT_LATE", Severity.WARNING) is Severity.ERROR
    assert (policy.time.next_day_deadline.hour, policy.time.next_day_deadline.minute) == (10, 30)
    assert policy.time.calendar_file == tmp_path / "days.txt"
    assert not policy.calendar().is_working_day(datetime(2026, 12, 31).date())
    assert policy.format.min_pdf_version == (1, 5)
    assert policy.authority.max_level == {"Kế hoạch": 2}
    assert policy.attachments.max_file_bytes == 20 << 20 and policy.attachments.extensions == {"pdf"}
    assert policy.catalogue.electronic_only == {"Công văn", "Giấy mời"}
    assert policy.catalogue.agency_paper == {"000.00.00.H41": {"Quyết định"}}


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"ruels": {}}, "unknown section(s) ruels"),
        ({"time": {"deadline": "12:00"}}, "unknown key(s) deadline"),
        ({"time": {"next_day_deadline": "noon"}}, "expected HH:MM"),
        ({"rules": {"CHECK.PAPER": "fatal"}}, "expected error, warning, info or off"),
        ({"catalogue": {"electronic_only": ["Sắc lệnh"]}}, "unknown document type 'Sắc lệnh'"),
        ({"time": {"urgent_grace_minutes": -5}}, "whole number"),
        ({"time": {"calendar_file": "no-such-file.txt"}}, "calendar_file"),
        ({"attachments": {"max_file_mb": "lots"}}, "positive number of MB"),
        ({"format": {"allow_legal_types": "no"}}, "true or false"),
        ({"format": {"min_pdf_version": "one"}}, "like 1.4"),
    ],
)
def test_policy_mistakes_are_refused_with_their_place(data: dict[str, object], says: str) -> None:
    with pytest.raises(PolicyError) as caught:
        policy_from_dict(data, source="policy.toml")
    assert says in str(caught.value) and str(caught.value).startswith("policy.toml")


def test_the_default_catalogue_is_letter_775() -> None:
    from lienthong.codes.doctypes import ELECTRONIC_ONLY_775

    assert DEFAULT_POLICY.catalogue.electronic_only == ELECTRONIC_ONLY_775
    assert "Biên bản" not in ELECTRONIC_ONLY_775 and "Công văn" in ELECTRONIC_ONLY_775
