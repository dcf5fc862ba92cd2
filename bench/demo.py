"""How long `lienthong demo` takes at its default size (the goal: under 3 minutes on 2 cores).

Runs the real command in a temporary folder, as `make demo` does, and prints the wall time, the
demo's own count of what it did. Beside it, the time to
start a bare `lienthong --help` in the same run, as a baseline of process start-up on this machine.

Run: .venv/bin/python bench/demo.py [--agencies N] [--documents M]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agencies", type=int, default=12)
    parser.add_argument("--documents", type=int, default=6)
    args = parser.parse_args()
    command = [sys.executable, "-m", "lienthong.cli.main"]
    start = time.perf_counter()
    subprocess.run([*command, "--help"], capture_output=True, check=True)
    baseline = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "demo-output"
        env = {k: v for k, v in os.environ.items() if not k.startswith("LIENTHONG_")}
        start = time.perf_counter()
        done = subprocess.run(
            [
                *command,
                "demo",
                "--agencies",
                str(args.agencies),
                "--documents",
                str(args.documents),
                "--out",
                str(out),
            ],
            capture_output=True,
            text=True,
            env=env,
            cwd=folder,
        )
        wall = time.perf_counter() - start
        results = json.loads((out / "results.json").read_text("utf-8"))
    print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at the end")
    print(f"baseline: lienthong --help {baseline:.2f} s")
    print(
        f"lienthong demo --agencies {args.agencies} --documents {args.documents}: {wall:.0f} s wall "
        f"(the demo's own count {results['elapsed_seconds']:.0f} s), exit {done.returncode}, goal 180 s"
    )
    failed = [o["scene"] for o in results["outcomes"] if not o["ok"]]
    total = len(results["outcomes"])
    print(f"outcomes: {total - len(failed)} of {total} as expected {failed or ''}")
    print("counts: " + ", ".join(f"{k} {v}" for k, v in sorted(results["counts"].items())))


if __name__ == "__main__":
    main()
