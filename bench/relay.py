"""The relay to an upstream hub (issue 16): the header splice on a large package, and relays per second.

Run: ``.venv/bin/python bench/relay.py [--mb 200] [--packages 200]``.

1. Splice: a package with one ``--mb`` MB attachment is rewritten for the next hop (To cut, a
   TraceHeader added) from file to file; it prints the time, MB/s and the peak Python memory the
   rewrite allocated (tracemalloc), which stays in kilobytes whatever the package's size.
2. Relays: a provincial hub (SQLite) queues ``--packages`` documents for a unit of another
   province; the relay worker sends them to a national hub object in the same process
   (``lienthong.hub.local.LocalPort``: the real hub's accept, no HTTP). It prints relays per second.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.federation.kit import PROVINCE_A, link, national, province, unit_system
from tests.hub.conftest import document

from lienthong.edxml.splice import splice
from lienthong.hub.local import LocalPort
from lienthong.hub.relay import Federation, FederationConfig


def bench_splice(folder: Path, mb: int) -> None:
    source = folder / "big.edxml"
    small = document(sender="000.00.00.H41", recipients=("000.00.00.H40", "000.00.00.H14"), content=b"x")
    head, tail = small.split(b"<edXML:ContentTransferEncoded>", 1)
    tail = tail.split(b"</edXML:ContentTransferEncoded>", 1)[1]
    with source.open("wb") as out:
        out.write(head + b"<edXML:ContentTransferEncoded>")
        line = b"QUJD" * 19 + b"\n"  # 77 bytes of base64 per line
        block = line * (1 << 14)
        for _ in range((mb << 20) // len(block)):
            out.write(block)
        out.write(b"</edXML:ContentTransferEncoded>" + tail)
    size = source.stat().st_size
    target = folder / "relayed.edxml"
    tracemalloc.start()
    started = time.perf_counter()
    with source.open("rb") as src, target.open("wb") as out:
        splice(
            src, out, recipients=["000.00.00.H14"], organ_id="000.00.00.W41", timestamp="2026/12/01 08:00:00"
        )
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rate = size / 1e6 / elapsed
    memory = peak / 1024
    print(f"splice: {size / 1e6:.0f} MB in {elapsed:.2f} s ({rate:.0f} MB/s), peak memory {memory:.0f} KiB")
    assert target.stat().st_size > size - 200  # only the header changed


def bench_relays(folder: Path, packages: int) -> None:
    n = national(folder / "n", f"sqlite:///{folder / 'n.sqlite3'}")
    a = province(folder / "a", f"sqlite:///{folder / 'a.sqlite3'}", PROVINCE_A)
    link(a, "A", "json", "http://national.invalid", "token")
    port = LocalPort(n, "hub-A")
    federation = Federation(a, FederationConfig(), port_factory=lambda _settings: port)
    federation.sync()
    sender = "000.00.00.H41"
    for i in range(packages):
        data = document(
            sender=sender,
            recipients=("000.00.00.H14",),
            number=str(1000 + i),
            content=io.BytesIO(b"%PDF" * 25_000).getvalue(),
        )
        a.accept(unit_system(sender), a.stage([data]))
    started = time.perf_counter()
    sent = 0
    while True:
        done = federation.relay_due(limit=50)
        if not done:
            break
        sent += done
    elapsed = time.perf_counter() - started
    rate = sent / elapsed
    print(
        f"relays: {sent} packages of 133 KB in {elapsed:.2f} s ({rate:.0f}/s), upstream accepted {port.sends}"
    )
    for hub in (n, a):
        hub.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--packages", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        bench_splice(Path(folder), args.mb)
        bench_relays(Path(folder), args.packages)


if __name__ == "__main__":
    main()
