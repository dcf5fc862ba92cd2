"""``lienthong hub …`` administration commands on a fresh data folder."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lienthong.cli.main import app

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LIENTHONG_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("LIENTHONG_HUB_DB", raising=False)
    return tmp_path / "data"


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_directory_and_systems(env: Path, tmp_path: Path) -> None:
    assert invoke("hub", "agency", "add", "000.00.00.H41", "--name", "UBND tỉnh Nghệ An")[0] == 0
    code, out = invoke("hub", "agency", "add", "001.00.10.H41", "--name", "Đơn vị", "--email", "a@b.vn")
    assert code == 0 and "parent 000.00.10.H41" in out  # derived from the code
    assert invoke("hub", "agency", "add", "28.22.H17", "--name", "Xã")[0] == 1  # legacy needs --legacy
    assert invoke("hub", "agency", "add", "28.22.H17", "--name", "Xã", "--legacy")[0] == 0
    csv = tmp_path / "units.csv"
    csv.write_text("code,name,parent\n000.00.01.H41,Sở Nội vụ,000.00.00.H41\n000.00.00.H41,dup,\n", "utf-8")
    code, out = invoke("hub", "agency", "import", str(csv))
    assert code == 0 and "imported 1" in out and "skipped 1" in out
    data = tmp_path / "units.json"
    data.write_text(json.dumps([{"code": "000.00.02.H41", "name": "Sở Tài chính"}]), "utf-8")
    assert "imported 1" in invoke("hub", "agency", "import", str(data))[1]
    code, out = invoke("hub", "agency", "list", "--json")
    listed = {a["code"]: a for a in json.loads(out)}
    assert listed["28.22.H17"]["legacy"] and listed["000.00.01.H41"]["parent"] == "000.00.00.H41"
    assert invoke("hub", "agency", "suspend", "000.00.02.H41")[0] == 0
    assert "suspended" in invoke("hub", "agency", "show", "000.00.02.H41")[1]
    assert invoke("hub", "agency", "resume", "000.00.02.H41")[0] == 0

    code, out = invoke("hub", "system", "add", "nghean.sys", "--agency", "000.00.00.H41")
    assert code == 0 and "secret (shown once):" in out
    code, out = invoke("hub", "system", "rotate-secret", "nghean.sys")
    assert code == 0 and "new secret" in out
    code, out = invoke("hub", "system", "token", "nghean.sys")
    assert code == 0 and out.strip().startswith("lt_")
    assert invoke("hub", "system", "add", "x.sys", "--agency", "000.00.00.Z99")[0] == 1  # unknown agency
    with sqlite3.connect(env / "hub.sqlite3") as db:
        stored = db.execute("SELECT secret_encrypted FROM systems").fetchone()[0]
        tokens = db.execute("SELECT token_hash FROM api_tokens").fetchall()
    assert b"lt_" not in stored and len(tokens[0][0]) == 64  # secrets encrypted, tokens hashed

    code, out = invoke("hub", "audit", "verify")
    assert code == 0 and "intact" in out
    with sqlite3.connect(env / "hub.sqlite3") as db:
        db.execute("UPDATE audit_log SET actor = 'someone else' WHERE seq = 2")
    code, out = invoke("hub", "audit", "verify")
    assert code == 1 and "entry 2" in out


def test_a_command_on_a_new_folder_says_it_created_an_empty_database(tmp_path: Path) -> None:
    folder = tmp_path / "moi"
    first = CliRunner().invoke(app, ["hub", "agency", "list", "--data-dir", str(folder)])
    assert first.exit_code == 0, first.output
    assert f"created a new, empty hub database at {(folder / 'hub.sqlite3').resolve()}" in first.stderr
    again = CliRunner().invoke(app, ["hub", "agency", "list", "--data-dir", str(folder)])
    assert again.exit_code == 0 and "created a new" not in again.stderr


def test_an_unreachable_database_is_one_coded_line_without_the_password() -> None:
    url = "postgresql://postgres:sekret@127.0.0.1:1/nothing"
    result = CliRunner().invoke(app, ["hub", "agency", "list", "--db", url])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("HUB.DATABASE_UNREACHABLE: ")
    assert "sekret" not in result.stderr and "127.0.0.1:1/nothing" in result.stderr
    assert "Traceback" not in result.output


def test_directory_errors_are_said_in_each_language(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["hub", "agency", "add", "12345", "--name", "X", "--data-dir", str(tmp_path / "d")]
    )
    assert result.exit_code == 1
    assert "Lỗi danh bạ: '12345' không phải mã định danh" in result.output
    assert "Directory error: '12345' is not an agency code" in result.output
    assert "Lỗi danh bạ: '12345' is not" not in result.output  # no English inside the Vietnamese
