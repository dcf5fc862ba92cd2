"""A newcomer's fresh machine: a clone with nothing beside it runs ``make demo``; sample tests skip."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REASON, REPO

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("git") is None or shutil.which("make") is None, reason="needs git and make"
    ),
    pytest.mark.skipif(not (REPO / ".git").exists(), reason="needs the repository's git history to clone"),
]


def _clone(tmp_path: Path) -> Path:
    """A clone of the committed tree plus the working tree's changes (so an uncommitted fix is tested)."""
    target = tmp_path / "empty" / "lienthong"
    target.parent.mkdir()
    subprocess.run(["git", "clone", "-q", str(REPO), str(target)], check=True)
    diff = subprocess.run(["git", "diff", "HEAD", "--binary"], cwd=REPO, capture_output=True, check=True)
    if diff.stdout:
        subprocess.run(["git", "apply", "--whitespace=nowarn"], cwd=target, input=diff.stdout, check=True)
    return target


def _environment(clone: Path) -> dict[str, str]:
    """This interpreter's packages, but the clone's source first and no hint of where the samples are."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIENTHONG_")}
    env["PYTHONPATH"] = str(clone / "src") + os.pathsep + str(clone)
    return env


def test_make_demo_passes_in_a_clone_with_no_shared_folder(tmp_path: Path) -> None:
    clone = _clone(tmp_path)
    assert not (clone.parent / "shared").exists()
    # The Makefile's own demo target, with this interpreter standing in for the venv it would create
    # (creating one would download every dependency again).
    stamp = tmp_path / "installed"
    stamp.touch()
    bin_dir = Path(sys.executable).parent
    result = subprocess.run(
        [
            "make",
            "demo",
            f"BIN={bin_dir}",
            f"STAMP={stamp}",
            f"VENV={bin_dir.parent}",
            "DEMO_ARGS=--agencies 4 --documents 1",  # the whole demo at a small size: CI's time is shared
        ],
        cwd=clone,
        env=_environment(clone),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "No public sample packages" in result.stdout
    assert (
        str(clone / "src")
        in subprocess.run(
            [sys.executable, "-c", "import lienthong; print(lienthong.__file__)"],
            env=_environment(clone),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )  # the demo ran the clone's code, not this checkout's
    assert (clone / "demo-output" / "demo.edxml").is_file()
    assert json.loads((clone / "demo-output" / "results.json").read_text("utf-8"))["ok"] is True


def test_sample_tests_skip_with_their_reason_in_a_clone_with_no_shared_folder(tmp_path: Path) -> None:
    clone = _clone(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "tests/edxml/test_parser.py"],
        cwd=clone,
        env=_environment(clone),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "skipped" in result.stdout and REASON.split(":")[0] in result.stdout
    assert " passed" in result.stdout  # the tests that build their own packages still ran


def test_required_samples_missing_fail_the_run(tmp_path: Path) -> None:
    clone = _clone(tmp_path)
    env = _environment(clone) | {"LIENTHONG_REQUIRE_SAMPLES": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/edxml/test_parser.py"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode != 0
    assert "LIENTHONG_REQUIRE_SAMPLES=1" in result.stdout + result.stderr
