"""The demo (``make demo``): builds its own packages, shows the public samples when they are there."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lienthong import demo
from lienthong.demo import samples as demo_samples
from lienthong.edxml import parse
from lienthong.edxml.validate import validate
from tests.conftest import SAMPLES, needs_samples


@needs_samples
def test_demo_validates_the_samples_and_builds_a_valid_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LIENTHONG_DEMO_EXCHANGE", "0")  # the exchange has its own test below
    assert demo.main([str(SAMPLES)], out=tmp_path / "demo-output") == 0
    out = capsys.readouterr().out
    assert "edoc_new.edxml" in out and "STRAY_PROLOG" in out
    built = tmp_path / "demo-output" / "demo.edxml"
    assert validate(parse(built)) == []


@needs_samples
def test_samples_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIENTHONG_SAMPLES", str(SAMPLES))
    assert demo_samples.find_samples() == SAMPLES


@needs_samples
def test_samples_beside_the_repository_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    samples = tmp_path / "shared" / "samples"
    samples.mkdir(parents=True)
    shutil.copy(SAMPLES / "status.edxml", samples)
    monkeypatch.setattr(demo_samples, "REPO", tmp_path / "lienthong")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LIENTHONG_SAMPLES", raising=False)
    assert demo_samples.find_samples() == samples
    (samples / "status.edxml").unlink()  # a directory without packages does not count
    assert demo_samples.find_samples() is None


def test_a_named_samples_directory_without_packages_fails_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert demo.main([str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert "LIENTHONG_SAMPLES" in err and "nowhere" in err


def test_without_any_samples_the_demo_builds_its_own_and_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A fresh machine: nothing beside the repository, nothing in the environment."""
    monkeypatch.setattr(demo_samples, "REPO", tmp_path / "lienthong")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LIENTHONG_SAMPLES", raising=False)
    monkeypatch.setenv("LIENTHONG_DEMO_EXCHANGE", "0")
    assert demo_samples.find_samples() is None
    assert demo.main([], out=tmp_path / "demo-output") == 0
    out = capsys.readouterr().out
    assert "No public sample packages" in out and "builds its own" in out
    assert validate(parse(tmp_path / "demo-output" / "demo.edxml")) == []


SCENES = {
    "one-to-many",
    "statuses 01→06",
    "return (02)",
    "routine",
    "recall 13→15/16",
    "update, replacement",
    "revocation",
    "tampered signature",
    "duplicate",
    "late send",
    "agency offline",
    "agency back",
    "hub down",
    "hub restarted",
    "SMTP down",
}


@pytest.mark.slow
def test_the_country_demo_at_a_small_size_shows_every_fault_and_its_outcome(tmp_path: Path) -> None:
    """``lienthong demo``: real hub and gateway processes, every scene and fault, results in JSON."""
    out = tmp_path / "demo-output"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIENTHONG_")}
    command = [sys.executable, "-m", "lienthong.cli.main", "demo", "--agencies", "4", "--documents", "1"]
    done = subprocess.run(
        [*command, "--out", str(out)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900
    )
    results = json.loads((out / "results.json").read_text("utf-8"))
    failed = [f"{o['scene']}: {o['observed']}" for o in results["outcomes"] if not o["ok"]]
    assert done.returncode == 0 and results["ok"], (failed, done.stdout[-2000:])
    assert {o["scene"] for o in results["outcomes"]} == SCENES
    assert len(results["agencies"]) == 4 and any(a["sdk"] for a in results["agencies"])
    # What the reader is told to look at is there.
    for agency in results["agencies"]:
        for fmt in ("pdf", "html", "json"):
            assert (out / "reports" / f"{agency['code']}-{results['report_date']}.{fmt}").stat().st_size > 0
    assert (out / "reports" / f"national-{results['report_date']}.pdf").is_file()
    assert list((out / "emails").glob("*.eml")) and (out / "trace.png").read_bytes()[:4] == b"\x89PNG"
    assert b"<svg" in (out / "trace.svg").read_bytes()
    screen = (out / "terminal.svg").read_text("utf-8")  # the run's own screen, with no web font fetched
    assert "Kết quả / outcomes" in screen.replace("&#160;", " ") and 'url("http' not in screen
    assert "Mọi kết quả như mong đợi" in done.stdout and "results.json" in done.stdout
