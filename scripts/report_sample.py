"""Renders sample reports (the test scenario's day) to docs/: PDF pages as PNG with pdftoppm.

Run from the repository root: ``.venv/bin/python scripts/report_sample.py``. Needs poppler-utils
(``pdftoppm``) once, for the pictures; nothing else in the project does.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.hub.conftest import make_hub  # noqa: E402
from tests.watch.conftest import H14, H41, REPORT_DAY, build_day  # noqa: E402

from lienthong.watch import render  # noqa: E402
from lienthong.watch.config import WatchConfig  # noqa: E402
from lienthong.watch.rules import build_daily  # noqa: E402

DOCS = ROOT / "docs"


def png(pdf: bytes, name: str) -> Path:
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "report.pdf"
        source.write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", str(source), str(Path(folder) / "p")],
            check=True,
        )
        [page] = list(Path(folder).glob("p*.png"))
        target = DOCS / name
        target.write_bytes(page.read_bytes())
    return target


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        hub = make_hub(Path(folder), f"sqlite:///{folder}/hub.sqlite3")
        build_day(hub)
        with hub.read() as s:
            reports = build_daily(s, REPORT_DAY, WatchConfig())
        hub.close()
    for name, pdf in (
        ("report-sample-nghean.png", render.to_pdf(reports.agencies[H41])),
        ("report-sample-caobang-en.png", render.to_pdf(reports.agencies[H14], "en")),
        ("report-sample-national.png", render.national_pdf(reports.national)),
    ):
        print(f"wrote {png(pdf, name)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
