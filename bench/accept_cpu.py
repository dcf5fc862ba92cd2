"""Where one accept's CPU goes, in process: staging, parsing, preparing (parse + checks), the writer's job.

Run: ``.venv/bin/python bench/accept_cpu.py [--count 300]``. Accepts distinct 300 KB packages one
after the other on a SQLite hub (through ``Hub.stage`` and ``Hub.accept``) and prints the median
*thread CPU time* (``time.thread_time``) of each part: unlike wall time it barely moves when other
work shares the machine, so figures from a busy machine can be compared. The writer's figure is
its CPU per job (batches of one here: the batch's shared work — the audit head, the commit, the
folder sync — is all in it). Parsing and preparing are timed on their own beside the accept.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from accept_http import package, prepare, variant
from lienthong.edxml import parse
from lienthong.hub import intake
from lienthong.hub.config import HubConfig
from lienthong.hub.service import Hub


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=300)
    args = parser.parse_args()
    data = package(300_000)
    clock = time.thread_time
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = f"sqlite:///{folder / 'hub.sqlite3'}"
        prepare(folder / "data", url)
        hub = Hub(HubConfig(data_dir=folder / "data", db_url=url, rate_per_second=1e9, rate_burst=10**9))
        writer: list[float] = []
        attempt = hub.writer._attempt

        def timed(jobs: list[Any]) -> None:
            start = clock()
            attempt(jobs)
            writer.append((clock() - start) / len(jobs))

        hub.writer._attempt = timed  # type: ignore[method-assign]
        bodies = [variant(data, n) for n in range(args.count + 20)]
        for body in bodies[:20]:  # warm up: caches, compiled statements, the folders
            hub.accept("bench.sender", hub.stage([body]))
        writer.clear()
        system = hub.system("bench.sender")
        assert system is not None
        parts: dict[str, list[float]] = {"stage": [], "parse": [], "prepare": [], "accept": []}
        for body in bodies[20:]:
            start = clock()
            upload = hub.stage([body[i : i + 65536] for i in range(0, len(body), 65536)])
            parts["stage"].append(clock() - start)
            start = clock()
            parse(upload.path, limits=hub.parse_limits)
            parts["parse"].append(clock() - start)
            start = clock()
            intake.prepare(upload, system, hub.config.policy, [], 100, hub.parse_limits, now=hub.clock())
            parts["prepare"].append(clock() - start)
            start = clock()
            hub.accept("bench.sender", upload)
            parts["accept"].append(clock() - start)
        hub.close()
    parts["writer job"] = writer
    size = len(data) / 1000
    print(f"{args.count} accepts of {size:.0f} KB, Python {sys.version.split()[0]}; thread CPU, medians:")
    for name, values in parts.items():
        print(f"  {name:11} {statistics.median(values) * 1000:6.2f} ms")
    print("  (accept: the request's own thread, prepare + the body's fsync; writer job: the writer thread)")


if __name__ == "__main__":
    main()
