"""scripts/federation_picture.py writes a valid SVG (and PNG) naming each hub, the same bytes each run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "federation_picture.py"
SVG_NS = "http://www.w3.org/2000/svg"


def test_the_script_draws_every_hub_and_road(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(tmp_path)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    svg, png = tmp_path / "federation-roads.svg", tmp_path / "federation-roads.png"
    root = etree.parse(str(svg), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
    assert root.tag == f"{{{SVG_NS}}}svg"
    texts = {(t.text or "").strip() for t in root.iter(f"{{{SVG_NS}}}text")}
    for name in (
        "Trục quốc gia (VDXP)",
        "National hub",
        "Trục tỉnh Nghệ An (LGSP)",
        "Nghệ An provincial hub",
        "Trục tỉnh Cao Bằng (LGSP)",
        "Cao Bằng provincial hub",
        "Cổng Bộ Xây dựng",
        "Ministry of Construction gateway",
        "Hàng đợi chuyển tiếp",
        "Relay queue",
    ):
        assert name in texts, name
    joined = " ".join(texts)
    for words in ("TraceHeader 1", "TraceHeader 2", "TraceHeader 3", "To cut", "Statuses come back"):
        assert words in joined, words
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    # What is committed in docs/images is what the script draws (rerun it after a change).
    assert svg.read_bytes() == (ROOT / "docs" / "images" / "federation-roads.svg").read_bytes()
