"""The command starts fast: `--help` and `edxml validate` import no heavy stack (bench/cli_start.py)."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("sqlalchemy", "fastapi", "pyhanko", "weasyprint", "matplotlib", "uvicorn")

PROBE = """
import sys
from typer.testing import CliRunner
from lienthong.cli.main import app
result = CliRunner().invoke(app, sys.argv[1:])
assert result.exit_code in (0, 1), result.output
print(result.output)
print("LOADED=" + ",".join(m for m in {heavy!r} if m in sys.modules))
"""


def _loaded(*args: str) -> tuple[str, set[str]]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), *args], capture_output=True, text=True, check=True
    ).stdout
    line = out.strip().splitlines()[-1]
    return out, {m for m in line.removeprefix("LOADED=").split(",") if m}


def test_help_lists_every_command_without_importing_them() -> None:
    out, loaded = _loaded("--help")
    for name in ("edxml", "check", "hub", "gateway", "pki", "sign", "verify", "problems", "version"):
        assert name in out
    assert loaded == set()


def test_edxml_validate_imports_no_database_web_or_signing_stack(tmp_path: object) -> None:
    out, loaded = _loaded("edxml", "validate", "--help")
    assert "validate" in out.lower()
    assert loaded == set()


def test_a_sub_command_is_loaded_when_run() -> None:
    out, loaded = _loaded("hub", "--help")
    assert "agency" in out and "sqlalchemy" in loaded
