"""A bounded sustained load from a separate process: no error, the hub's memory flat.

Short in CI (LIENTHONG_LOAD_SECONDS, default 24 s in four windows); the figures of a long run
(``bench/hub_load.py --seconds 300 --window 60``) are in docs/reliability.md. Latency is printed by the
bench, never asserted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from lienthong.hub import directory
from tests.hub.conftest import make_hub
from tests.security.harness import HubProcess

SECONDS = float(os.environ.get("LIENTHONG_LOAD_SECONDS", "24"))
BENCH = Path(__file__).resolve().parents[2] / "bench" / "hub_load.py"


def test_sustained_load_has_no_error_and_flat_memory(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.sqlite3'}"
    setup = make_hub(tmp_path, url, rate_per_second=10_000, rate_burst=10_000)
    now = datetime.now(UTC)
    with setup.write() as s:
        tokens = {
            "sender": f"Bearer {directory.issue_token(s, 'vpcp.sys', now)}",
            "receiver": f"Bearer {directory.issue_token(s, 'nghean.sys', now)}",
        }
    setup.close()
    (tmp_path / "tokens.json").write_text(json.dumps(tokens))
    hub = HubProcess(url, tmp_path / "data", tmp_path / "hub.log")
    hub.start()
    assert hub.proc is not None
    try:
        run = subprocess.run(
            [
                sys.executable,
                str(BENCH),
                "--url",
                hub.url,
                "--tokens",
                str(tmp_path / "tokens.json"),
                "--seconds",
                str(SECONDS),
                "--window",
                str(SECONDS / 4),
                "--rss-pid",
                str(hub.proc.pid),
            ],
            capture_output=True,
            text=True,
            timeout=SECONDS + 120,
            check=True,
        )
    finally:
        hub.stop()
    lines = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    windows = [line["window"] for line in lines if "window" in line]
    summary = next(line["summary"] for line in lines if "summary" in line)
    print("\n" + run.stdout)
    assert summary["errors"] == 0 and summary["requests"] > 0
    second, last = windows[1]["rss_mb"], windows[-1]["rss_mb"]
    assert abs(last - second) <= 0.10 * second, windows  # the last window's RSS within 10 % of the second's
