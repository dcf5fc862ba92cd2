"""Benchmark of edXML parsing: lienthong.edxml.parse beside raw lxml, attachment decoding, peak memory.

Run: ``.venv/bin/python bench/edxml_parse.py`` (add ``--skip-huge`` to leave out the 200 MB package).
Figures are medians of several repetitions, timed with ``time.perf_counter``.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from lxml import etree

from lienthong.codes.dates import VIETNAM
from lienthong.edxml import DocumentMessage, parse, to_bytes, write_file
from lienthong.edxml.builder import attachment_from_bytes, attachment_from_file, build_document

MB = 1 << 20
GOAL_RATIO = 0.7

META = {
    "from": {"organ_id": "000.00.00.G22", "organ_name": "Văn phòng Chính phủ"},
    "to": [{"organ_id": "000.00.00.H41", "organ_name": "UBND Tỉnh Nghệ An"}],
    "code": {"code_number": "807", "code_notation": "VPCP-KSTT"},
    "promulgation_info": {"place": "Hà Nội", "promulgation_date": "2024/03/05"},
    "document_type": {"type": "1", "type_name": "Công văn"},
    "subject": "V/v kết nối, liên thông phần mềm quản lý văn bản",
    "signer_info": {"position": "Chủ nhiệm", "full_name": "Trần Văn Sơn"},
}


def clock() -> datetime:
    return datetime(2024, 3, 5, 9, 30, tzinfo=VIETNAM)


def package_bytes(package_size: int) -> bytes:
    """A document package whose one attachment (random bytes) makes it about ``package_size``."""
    content = os.urandom(package_size * 3 // 4)
    return to_bytes(build_document(META, [attachment_from_bytes("a.pdf", content)], clock=clock))


def package_file(package_size: int, directory: Path) -> Path:
    """The same, written to disk without holding the attachment or the package in memory."""
    raw = directory / "attachment.pdf"
    with raw.open("wb") as fh:
        left = package_size * 3 // 4
        while left > 0:
            fh.write(os.urandom(min(left, 4 * MB)))
            left -= 4 * MB
    target = directory / "package.edxml"
    write_file(build_document(META, [attachment_from_file(raw)], clock=clock), target)
    raw.unlink()
    return target


def median_time(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def raw_lxml(data: bytes) -> None:
    etree.fromstring(data, etree.XMLParser(huge_tree=True))


def first_info(data: bytes) -> float:
    """Seconds for the first ``attachment.data.info()`` (decode + SHA-256) of a fresh parse."""
    message = parse(data)
    assert isinstance(message, DocumentMessage)
    att = message.attachment_list[0].data
    assert att is not None
    start = time.perf_counter()
    att.info()
    return time.perf_counter() - start


def compare(label: str, size: int, repeat: int) -> None:
    data = package_bytes(size)
    mb = len(data) / MB
    ours = median_time(lambda: parse(data), repeat)
    lxml_time = median_time(lambda: raw_lxml(data), repeat)
    info = statistics.median(first_info(data) for _ in range(repeat))
    ratio = lxml_time / ours
    print(f"{label}: package {mb:.2f} MB, median of {repeat}")
    for name, seconds in (("lienthong.edxml.parse", ours), ("lxml.etree.fromstring", lxml_time)):
        rate = f"{1 / seconds:9.1f} packages/s  {mb / seconds:8.1f} MB/s"
        print(f"  {name:22}  {rate}  ({seconds * 1000:.2f} ms)")
    verdict = "meets" if ratio >= GOAL_RATIO else "below"
    print(f"  ratio (lienthong / lxml throughput) {ratio:.2f}  ({verdict} the goal {GOAL_RATIO})")
    print(f"  first attachment.data.info() (decode + SHA-256): {info * 1000:.2f} ms ({mb / info:.1f} MB/s)")


def _status_kib(field: str) -> int:
    """A field of /proc/self/status in KiB (VmRSS, VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def _reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0), so the next peak is the parse's own."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def child_parse(path: Path) -> None:
    """Run in a fresh process: parse ``path``, report peak memory against the package size.

    ru_maxrss survives exec() on Linux (a child reports its parent's peak), so the peak is read
    from /proc/self/status (VmHWM, reset just before the parse) and tracemalloc (Python objects).
    """
    size = path.stat().st_size
    gc.collect()
    reset = _reset_peak_rss()
    rss_before = _status_kib("VmRSS") * 1024
    maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB
    tracemalloc.start()
    start = time.perf_counter()
    message = parse(path)
    parsed = time.perf_counter() - start
    assert isinstance(message, DocumentMessage)
    att = message.attachment_list[0].data
    assert att is not None
    start = time.perf_counter()
    info = att.info()
    decoded = time.perf_counter() - start
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak = _status_kib("VmHWM") * 1024
    maxrss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(
        f"200 MB-class package: {size / MB:.1f} MB from a file (attachment {info.size / MB:.1f} MB decoded)"
    )
    print(f"  parse {parsed:.2f} s ({size / MB / parsed:.1f} MB/s); first info() {decoded:.2f} s")
    print(f"  tracemalloc peak       {traced_peak / MB:7.1f} MB = {traced_peak / size:6.1%} of the package")
    if reset:
        print(
            f"  peak RSS above start   {(peak - rss_before) / MB:7.1f} MB = {(peak - rss_before) / size:6.1%}"
            f" of the package (VmHWM {peak / MB:.1f} MB, RSS at start {rss_before / MB:.1f} MB)"
        )
    print(
        f"  ru_maxrss delta        {(maxrss_after - maxrss_before) / MB:7.1f} MB"
        f" (ru_maxrss {maxrss_before / MB:.1f} -> {maxrss_after / MB:.1f} MB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-huge", action="store_true", help="leave out the 200 MB package")
    parser.add_argument("--huge-mb", type=int, default=200)
    parser.add_argument("--child-parse", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_parse:
        child_parse(args.child_parse)
        return
    print(f"Python {sys.version.split()[0]}, lxml {etree.__version__}, {os.cpu_count()} CPUs")
    compare("300 KB package", 300 * 1024, repeat=50)
    compare("20 MB package", 20 * MB, repeat=7)
    if args.skip_huge:
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = package_file(args.huge_mb * MB, Path(tmp))
        # A fresh process, so the peak is the parse's and not the generator's.
        subprocess.run([sys.executable, __file__, "--child-parse", str(path)], check=True)


if __name__ == "__main__":
    main()
