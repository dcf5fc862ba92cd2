"""The production install (docs/install.md): a built wheel carries every file the services read."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_the_wheel_carries_migrations_templates_fonts_and_policies(tmp_path: Path) -> None:
    # The same backend `python -m build` uses; no isolation, so nothing is downloaded.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(REPO),
        ],
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    [wheel] = list(tmp_path.glob("lienthong-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    wanted = {
        "lienthong/py.typed",
        "lienthong/store/migrations/env.py",
        "lienthong/store/migrations/versions/0001_initial_hub_schema.py",
        "lienthong/gateway/migrations/versions/g0001_initial_gateway_schema.py",
        "lienthong/signing/fonts/DejaVuSans-Vietnamese.ttf",
        "lienthong/demo/documents.toml",
    }
    assert wanted <= names, wanted - names
    assert any(n.startswith("lienthong/watch/templates/") and n.endswith(".html") for n in names)
    assert not any(n.startswith(("tests/", "bench/")) for n in names)
    metadata = next(n for n in names if n.endswith("METADATA"))
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    assert "Requires-Dist: lxml" in text and "Requires-Dist: pyhanko" in text
