"""A bounded sustained load on a running hub, from its own process: send, fetch, acknowledge.

Run: ``.venv/bin/python bench/hub_load.py --url URL --tokens FILE --seconds 300 [--rss-pid PID]``.
``FILE`` is JSON ``{"sender": "Bearer …", "receiver": "Bearer …"}`` (a G22 sender, an H41 receiver).
Prints one JSON line per window (requests, errors, p50/p95 latency in ms, the hub's RSS in MB when
``--rss-pid`` is given) and a summary line; tests/security/test_load.py runs it briefly.
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from datetime import datetime
from pathlib import Path

import httpx

from lienthong.edxml import to_bytes
from lienthong.edxml.builder import attachment_from_bytes, build_document

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" * 50


def package(number: int) -> bytes:
    meta = {
        "from": {"organ_id": "000.00.00.G22", "organ_name": "Văn phòng Chính phủ"},
        "to": [{"organ_id": "000.00.00.H41", "organ_name": "UBND tỉnh Nghệ An"}],
        "code": {"code_number": str(number), "code_notation": "LOAD"},
        "promulgation_info": {"place": "Hà Nội", "promulgation_date": "2026/11/20"},
        "document_type": {"type": "1", "type_name": "Công văn"},
        "subject": f"Tải thử {number}",
        "signer_info": {"competence": "KT. BỘ TRƯỞNG", "position": "Thứ trưởng", "full_name": "Nguyễn Văn A"},
    }
    message = build_document(
        meta, [attachment_from_bytes("a.pdf", PDF)], clock=lambda: datetime(2026, 11, 20, 9)
    )
    return to_bytes(message)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Meter:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.errors = 0
        self.requests = 0

    def record(self, seconds: float, ok: bool) -> None:
        with self.lock:
            self.requests += 1
            self.latencies.append(seconds)
            self.errors += 0 if ok else 1

    def take(self) -> tuple[int, int, list[float]]:
        with self.lock:
            out = (self.requests, self.errors, self.latencies)
            self.requests, self.errors, self.latencies = 0, 0, []
            return out


def _call(meter: Meter, method: str, url: str, **kwargs: object) -> httpx.Response | None:
    start = time.perf_counter()
    try:
        answer = httpx.request(method, url, timeout=30, **kwargs)  # type: ignore[arg-type]
    except httpx.HTTPError:
        meter.record(time.perf_counter() - start, False)
        return None
    meter.record(time.perf_counter() - start, answer.status_code < 400)
    return answer


def sender(url: str, token: str, meter: Meter, stop: threading.Event, first: int) -> None:
    number = first
    while not stop.is_set():
        _call(
            meter, "POST", f"{url}/api/v1/packages", content=package(number), headers={"Authorization": token}
        )
        number += 1


def receiver(url: str, token: str, meter: Meter, stop: threading.Event) -> None:
    auth = {"Authorization": token}
    while not stop.is_set():
        inbox = _call(meter, "GET", f"{url}/api/v1/inbox?limit=50", headers=auth)
        items = inbox.json()["items"] if inbox is not None and inbox.status_code == 200 else []
        for item in items:
            _call(meter, "GET", f"{url}/api/v1/inbox/{item['delivery_id']}/content", headers=auth)
            _call(
                meter,
                "POST",
                f"{url}/api/v1/inbox/{item['delivery_id']}/ack",
                json={"status": "done"},
                headers=auth,
            )
        if not items:
            time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--tokens", type=Path, required=True)
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--window", type=float, default=60)
    parser.add_argument("--rss-pid", type=int, default=0)
    parser.add_argument("--first-number", type=int, default=1)
    args = parser.parse_args()
    tokens = json.loads(args.tokens.read_text())
    meter, stop = Meter(), threading.Event()
    threads = [
        threading.Thread(target=sender, args=(args.url, tokens["sender"], meter, stop, args.first_number)),
        threading.Thread(target=receiver, args=(args.url, tokens["receiver"], meter, stop)),
    ]
    for t in threads:
        t.start()
    end, total_requests, total_errors = time.monotonic() + args.seconds, 0, 0
    while time.monotonic() < end:
        time.sleep(min(args.window, max(0.0, end - time.monotonic())))
        requests, errors, latencies = meter.take()
        total_requests, total_errors = total_requests + requests, total_errors + errors
        ordered = sorted(latencies) or [0.0]
        window = {
            "requests": requests,
            "errors": errors,
            "p50_ms": round(statistics.median(ordered) * 1000, 1),
            "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1 if len(ordered) > 1 else 0] * 1000, 1),
            "rss_mb": round(rss_mb(args.rss_pid), 1) if args.rss_pid else None,
        }
        print(json.dumps({"window": window}), flush=True)
    stop.set()
    for t in threads:
        t.join(timeout=60)
    print(
        json.dumps({"summary": {"requests": total_requests, "errors": total_errors, "seconds": args.seconds}})
    )


if __name__ == "__main__":
    main()
