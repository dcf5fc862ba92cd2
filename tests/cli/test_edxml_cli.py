"""``lienthong edxml validate|show|pack`` and ``lienthong problems``, through Typer's runner."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from lienthong.cli.main import app
from lienthong.edxml import DocumentMessage, parse, read_bytes
from lienthong.edxml.validate import validate
from tests.conftest import SAMPLES, STATUS_SAMPLES, needs_samples
from tests.edxml.factory import PDF, metadata

runner = CliRunner()


def run_json(*args: str) -> tuple[int, Any]:
    result = runner.invoke(app, [*args, "--json"])
    return result.exit_code, json.loads(result.stdout)


@needs_samples
def test_validate_status_samples_exits_0() -> None:
    code, results = run_json("edxml", "validate", *map(str, STATUS_SAMPLES))
    assert code == 0
    assert [(r["ok"], r["kind"], r["problems"]) for r in results] == [(True, "status", [])] * len(
        STATUS_SAMPLES
    )


@needs_samples
def test_validate_reports_each_file_and_exits_1_when_some_are_invalid() -> None:
    files = [SAMPLES / "status.edxml", SAMPLES / "edoc_update.edxml", SAMPLES / "edoc_new.edxml"]
    code, results = run_json("edxml", "validate", *map(str, files))
    assert code == 1
    assert [r["file"] for r in results] == [str(f) for f in files]
    assert [r["ok"] for r in results] == [True, False, False]
    assert [r["kind"] for r in results] == ["status", "document", None]
    stray = results[2]["problems"]
    assert [(p["code"], p["line"], p["column"]) for p in stray] == [("EDXML.STRAY_PROLOG", 1, 1)]
    assert set(stray[0]) == {"code", "severity", "path", "message_vi", "message_en", "line", "column"}
    update = {(p["code"], p["path"], p["severity"]) for p in results[1]["problems"]}
    assert ("EDXML.IMPOSSIBLE_DATE", "TraceHeaderList/Bussiness/DocumentId", "error") in update


@needs_samples
def test_repair_fixes_the_two_harmless_defects_and_says_so() -> None:
    code, results = run_json(
        "edxml", "validate", "--repair", str(SAMPLES / "edoc_new.edxml"), str(SAMPLES / "edoc.edxml")
    )
    assert code == 1  # other, real defects remain
    for result in results:
        found = [p["code"] for p in result["problems"]]
        assert result["kind"] == "document"
        assert "EDXML.REPAIRED" in found
        assert "EDXML.STRAY_PROLOG" not in found and "EDXML.UNDECLARED_PREFIX" not in found
    assert [p["severity"] for p in results[0]["problems"] if p["code"] == "EDXML.REPAIRED"] == ["info"]


@needs_samples
def test_strict_turns_system_ids_into_errors(tmp_path: Path) -> None:
    source = (SAMPLES / "status_inbox_01.edxml").read_text("utf-8")
    target = tmp_path / "vxp.edxml"
    target.write_text(source.replace("000.00.00.H41", "vxp.saas.03", 1), "utf-8")
    code, results = run_json("edxml", "validate", str(target))
    assert code == 0
    assert [(p["code"], p["severity"]) for p in results[0]["problems"]] == [
        ("EDXML.SYSTEM_ID_AS_AGENCY", "warning")
    ]
    code, results = run_json("edxml", "validate", "--strict", str(target))
    assert code == 1
    assert [(p["code"], p["severity"]) for p in results[0]["problems"]] == [
        ("EDXML.SYSTEM_ID_AS_AGENCY", "error")
    ]


@needs_samples
def test_unreadable_input_exits_2(tmp_path: Path) -> None:
    code, results = run_json("edxml", "validate", str(SAMPLES / "status.edxml"), str(tmp_path / "none.edxml"))
    assert code == 2
    assert results[1]["problems"][0]["code"] == "EDXML.UNREADABLE"


def test_usage_error_exits_2() -> None:
    assert runner.invoke(app, ["edxml", "validate"]).exit_code == 2
    assert runner.invoke(app, ["edxml", "validate", "--no-such-option", "x"]).exit_code == 2


@needs_samples
def test_validate_prints_a_readable_report() -> None:
    result = runner.invoke(app, ["edxml", "validate", str(SAMPLES / "edoc_update.edxml")])
    assert result.exit_code == 1
    assert "EDXML.IMPOSSIBLE_DATE" in result.stdout
    assert "TraceHeaderList/Bussiness/DocumentId" in result.stdout


@needs_samples
def test_show_json_lists_attachments_with_size_and_digest() -> None:
    path = SAMPLES / "edoc_replacement.edxml"
    code, data = run_json("edxml", "show", str(path))
    assert code == 0
    message = parse(path)
    assert isinstance(message, DocumentMessage)
    content = read_bytes(message.attachment_list[0].data)  # type: ignore[arg-type]
    assert data["kind"] == "document"
    assert data["header"]["from"]["organ_id"] == "000.00.00.G22"
    assert data["trace"]["business"]["bussiness_doc_type"] == "3"
    assert [(a["name"], a["content_type"], a["size"], a["sha256"]) for a in data["attachments"]] == [
        ("1896_QD-TTg_m_294779.doc", "application/zip", len(content), hashlib.sha256(content).hexdigest())
    ]


@needs_samples
def test_show_reports_undecodable_attachments_instead_of_failing() -> None:
    code, data = run_json("edxml", "show", "--repair", str(SAMPLES / "edoc.edxml"))
    assert code == 0
    assert data["attachments"][0]["size"] is None
    assert data["signature"] == "xmldsig"


@needs_samples
def test_show_status_and_readable_form() -> None:
    code, data = run_json("edxml", "show", str(SAMPLES / "status_rejection_02.edxml"))
    assert code == 0
    assert (data["kind"], data["header"]["status_code"]) == ("status", "02")
    result = runner.invoke(app, ["edxml", "show", str(SAMPLES / "edoc_update.edxml")])
    assert result.exit_code == 0
    assert "1896_QD-TTg" in result.stdout


@needs_samples
def test_show_refuses_a_broken_file_with_its_code() -> None:
    result = runner.invoke(app, ["edxml", "show", str(SAMPLES / "edoc_new.edxml")])
    assert result.exit_code == 1
    assert "EDXML.STRAY_PROLOG" in result.stderr


def test_pack_builds_a_valid_package(tmp_path: Path) -> None:
    meta = tmp_path / "meta.json"
    meta.write_text(json.dumps(metadata(), ensure_ascii=False), "utf-8")
    pdf = tmp_path / "cong-van.pdf"
    pdf.write_bytes(PDF)
    out = tmp_path / "out.edxml"
    result = runner.invoke(app, ["edxml", "pack", str(meta), str(pdf), "-o", str(out)])
    assert result.exit_code == 0, result.output
    message = parse(out)
    assert isinstance(message, DocumentMessage)
    assert validate(message) == []
    assert read_bytes(message.attachment_list[0].data) == PDF  # type: ignore[arg-type]
    code, results = run_json("edxml", "validate", str(out))
    assert (code, results[0]["problems"]) == (0, [])


def test_pack_refuses_invalid_metadata(tmp_path: Path) -> None:
    bad = metadata()
    bad["subject"] = "x" * 501
    meta = tmp_path / "meta.json"
    meta.write_text(json.dumps(bad), "utf-8")
    out = tmp_path / "out.edxml"
    result = runner.invoke(app, ["edxml", "pack", str(meta), "-o", str(out)])
    assert result.exit_code == 1
    assert "EDXML.TOO_LONG" in result.stderr
    assert not out.exists()
    typo = tmp_path / "typo.json"
    typo.write_text('{"subjet": "x"}', "utf-8")
    assert runner.invoke(app, ["edxml", "pack", str(typo), "-o", str(out)]).exit_code == 2


def test_problems_lists_the_catalogue() -> None:
    code, data = run_json("problems")
    assert code == 0
    codes = [p["code"] for p in data]
    assert codes == sorted(codes)
    assert {"EDXML.TRUNCATED", "EDXML.DTD_FORBIDDEN", "EDXML.IMPOSSIBLE_DATE"} <= set(codes)
    assert all(set(p) == {"code", "severity", "message_vi", "message_en", "basis"} for p in data)


def test_version() -> None:
    from lienthong import __version__

    result = runner.invoke(app, ["version"])
    assert (result.exit_code, result.stdout.strip()) == (0, __version__)


@needs_samples
def test_validate_a_copy_in_a_path_with_spaces(tmp_path: Path) -> None:
    target = tmp_path / "thư mục có dấu" / "status.edxml"
    target.parent.mkdir()
    shutil.copy(SAMPLES / "status.edxml", target)
    code, results = run_json("edxml", "validate", str(target))
    assert (code, results[0]["file"]) == (0, str(target))
