"""The demo (``make demo``): works on the samples, fails clearly without them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lienthong import demo
from lienthong.edxml import parse
from lienthong.edxml.validate import validate
from tests.conftest import SAMPLES


def test_demo_validates_the_samples_and_builds_a_valid_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LIENTHONG_DEMO_EXCHANGE", "0")  # the exchange has its own test below
    assert demo.main([str(SAMPLES)]) == 0
    out = capsys.readouterr().out
    assert "edoc_new.edxml" in out and "STRAY_PROLOG" in out
    built = tmp_path / "demo-output" / "demo.edxml"
    assert validate(parse(built)) == []


def test_samples_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIENTHONG_SAMPLES", str(SAMPLES))
    assert demo.find_samples() == SAMPLES


def test_samples_beside_the_repository_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    samples = tmp_path / "shared" / "samples"
    samples.mkdir(parents=True)
    shutil.copy(SAMPLES / "status.edxml", samples)
    monkeypatch.setattr(demo, "REPO", tmp_path / "lienthong")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LIENTHONG_SAMPLES", raising=False)
    assert demo.find_samples() == samples
    (samples / "status.edxml").unlink()  # a directory without packages does not count
    with pytest.raises(demo.SamplesMissing):
        demo.find_samples()


def test_missing_samples_fail_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert demo.main([str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert "LIENTHONG_SAMPLES" in err and "nowhere" in err


def test_the_exchange_runs_a_hub_and_three_gateways_as_processes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The demo's real exchange: separate processes on loopback, a signed package, 01→03→06, 02, a warning."""
    from rich.console import Console

    from lienthong import exchange_demo

    console = Console(width=200, force_terminal=False)
    assert exchange_demo.run(console, tmp_path / "exchange") == 0
    out = capsys.readouterr().out
    assert "01 → 03 → 06" in out and "01 → 02" in out
    assert "Chưa đến nơi nhận" in out and "Bị trả lại" in out
    # Signatures verify clean; the two findings are warnings: certificates carry no agency code and
    # the gateway has no agency directory yet, so the package's and the PDF's seal stay unidentified.
    assert "verification findings at the province on arrival: 2" in out
    assert '"ok": true' in out
