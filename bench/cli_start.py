"""How long `lienthong --help` and `lienthong edxml validate` take to start, beside a bare `python -c pass`.

Run: .venv/bin/python bench/cli_start.py [runs]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lienthong.edxml import write_file
from lienthong.edxml.builder import attachment_from_bytes, build_document


def timed(command: list[str], runs: int) -> float:
    """The median wall time of a command, in seconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    exe = str(Path(sys.executable).parent / "lienthong")
    with tempfile.TemporaryDirectory() as folder:
        package = Path(folder) / "one.edxml"
        metadata = {
            "from": {"organ_id": "000.00.00.G22", "organ_name": "Văn phòng Chính phủ"},
            "to": [{"organ_id": "000.00.00.H41", "organ_name": "UBND tỉnh Nghệ An"}],
            "code": {"code_number": "807", "code_notation": "VPCP-KSTT"},
            "promulgation_info": {"place": "Hà Nội", "promulgation_date": "2024/03/05"},
            "document_type": {"type": "1", "type_name": "Công văn"},
            "subject": "V/v kết nối, liên thông phần mềm quản lý văn bản",
            "signer_info": {"position": "Chủ nhiệm", "full_name": "Trần Văn Sơn"},
        }
        pdf = attachment_from_bytes("807.pdf", b"%PDF-1.4\n%%EOF\n")
        write_file(build_document(metadata, [pdf]), package)
        baseline = timed([sys.executable, "-c", "pass"], runs)
        print(f"python -c pass                 {baseline * 1000:7.0f} ms (baseline)")
        for label, command in (
            ("lienthong --help", [exe, "--help"]),
            ("lienthong edxml validate", [exe, "edxml", "validate", str(package)]),
            ("lienthong hub --help", [exe, "hub", "--help"]),
        ):
            spent = timed(command, runs)
            print(f"{label:30} {spent * 1000:7.0f} ms ({spent - baseline:5.2f} s above the baseline)")


if __name__ == "__main__":
    main()
