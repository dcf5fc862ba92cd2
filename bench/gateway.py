"""Gateway round trip and outbox throughput on loopback.

Run: ``.venv/bin/python bench/gateway.py [--quick]``. Prints (1) from a clerk's approval at the
sending gateway to the recipient gateway having registered the package and sent its 01, p50 and p99,
with the receiver woken by the hub's long poll (no busy polling); (2) how fast the outbox drains
1,000 queued packages.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import uvicorn
from sqlalchemy import select

from lienthong.api.app import create_app
from lienthong.edxml import to_bytes
from lienthong.edxml.builder import attachment_from_bytes, build_document
from lienthong.gateway.config import GatewayConfig, HubLink
from lienthong.gateway.service import Gateway
from lienthong.gateway.tables import Outgoing
from lienthong.hub import directory
from lienthong.hub.config import HubConfig
from lienthong.hub.service import Hub

SENDER, RECEIVER = "000.00.00.G22", "000.00.00.H41"


def package(n: int) -> bytes:
    meta = {
        "from": {"organ_id": SENDER, "organ_name": "Văn phòng Chính phủ"},
        "to": [{"organ_id": RECEIVER, "organ_name": "UBND tỉnh Nghệ An"}],
        "code": {"code_number": f"{n:02d}", "code_notation": "VPCP-KSTT"},  # 01…09 (Decree 30)
        "promulgation_info": {"place": "Hà Nội", "promulgation_date": "2026/11/20"},
        "document_type": {"type": "1", "type_name": "Công văn"},
        "subject": f"V/v đo hiệu năng {n}",
        "signer_info": {"position": "Thứ trưởng", "full_name": "Nguyễn Văn A"},
    }
    pdf = b"%PDF-1.4\n" + bytes(300_000)
    return to_bytes(build_document(meta, [attachment_from_bytes(f"{n}.pdf", pdf)]))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Running:
    """A gateway's loops in a thread of their own, as ``gateway serve`` runs them."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.loop = asyncio.new_event_loop()
        self.stop = asyncio.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self.gateway.run(self.stop))

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.stop.set)
        self.thread.join(timeout=30)


def setup(folder: Path) -> tuple[Hub, uvicorn.Server, dict[str, str], str]:
    hub = Hub(HubConfig(data_dir=folder / "hub", rate_per_second=1e6, rate_burst=10**6))
    now = datetime.now(UTC)
    with hub.write() as s:
        directory.add_agency(s, directory.AgencyInput(SENDER, "VPCP"), now)
        directory.add_agency(s, directory.AgencyInput(RECEIVER, "Nghệ An"), now)
        directory.add_system(s, hub.keys, "vpcp", [SENDER], now)
        directory.add_system(s, hub.keys, "nghean", [RECEIVER], now)
    with hub.write() as s:
        tokens = {
            code: directory.issue_token(s, name, now)
            for code, name in ((SENDER, "vpcp"), (RECEIVER, "nghean"))
        }
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(hub), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    return hub, server, tokens, f"http://127.0.0.1:{port}"


def gateway(folder: Path, code: str, url: str, token: str) -> Gateway:
    return Gateway(
        GatewayConfig(
            agency_code=code,
            agency_name=code,
            data_dir=folder / code,
            hub=HubLink(url=url, token=token),
            outbox_interval=0.05,
            wait_seconds=20,
        )
    )


def round_trip(runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        hub, server, tokens, url = setup(folder)
        sender = gateway(folder, SENDER, url, tokens[SENDER])
        receiver = gateway(folder, RECEIVER, url, tokens[RECEIVER])
        running = [Running(sender), Running(receiver)]
        time.sleep(0.5)  # the receiver is now waiting on the hub
        delays = []
        for n in range(1, runs + 1):
            row = sender.submit(package(n))
            start = time.perf_counter()
            sender.approve(row.local_id, "bench")
            deadline = start + 30
            while time.perf_counter() < deadline:
                with receiver.sessions() as s:
                    answered = s.execute(
                        select(Outgoing.id).where(Outgoing.kind == "status", Outgoing.state == "sent")
                    ).all()
                if len(answered) >= n:
                    break
                time.sleep(0.005)
            delays.append(time.perf_counter() - start)
        for r in running:
            r.close()
        server.should_exit = True
        delays.sort()
        p99 = delays[min(len(delays) - 1, int(len(delays) * 0.99))]
        print(
            f"approval → recipient registered it and sent 01: p50 {statistics.median(delays) * 1000:.0f} ms, "
            f"p99 {p99 * 1000:.0f} ms over {runs} packages (goal p50 <= 300 ms)"
        )
        sender.close()
        receiver.close()
        hub.close()


def outbox_throughput(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        hub, server, tokens, url = setup(folder)
        sender = gateway(folder, SENDER, url, tokens[SENDER])
        for n in range(1, count + 1):
            sender.submit(package(n), approve_as="bench")
        start = time.perf_counter()
        while sender.process_outbox():
            pass
        took = time.perf_counter() - start
        states = {row["state"] for row in sender.outbox()}
        print(
            f"outbox: {count} queued packages sent in {took:.1f} s = {count / took:.0f} packages/s ({states})"
        )
        server.should_exit = True
        sender.close()
        hub.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    round_trip(10 if args.quick else 50)
    outbox_throughput(100 if args.quick else 1000)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
