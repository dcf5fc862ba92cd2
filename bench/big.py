"""A 200 MB package end to end: gateway → hub → gateway, real processes, each one's peak memory.

Run: ``.venv/bin/python bench/big.py [--mb 200] [--engine sqlite] [--only hub,json,sdk,xmldsig]``.

``hub``: a real ``lienthong hub serve``; the package streamed to ``POST /api/v1/packages``, taken
back with the SDK protocol's ``getEdoc`` (base64 in JSON) and ``downloadEdoc``.
``json`` / ``sdk``: a real hub and two real ``lienthong gateway serve`` processes, both speaking the
hub's JSON API, then both the SDK protocol. The package is submitted to the sending gateway's
``POST /outgoing`` (streamed), approved (the gateway signs it: XML-DSig with the agency's key of a
demo PKI), sent through the hub, received by the other gateway (which verifies the signature
against the demo PKI's trust store and registers it). ``xmldsig``: verifying the signed package's
XML-DSig in a child process, streamed (now) and with signxml over the whole document (before).

A thread samples every process's resident size (``VmRSS`` in ``/proc/<pid>/status``) every 5 ms;
each figure is the peak minus the resident size just before the step (goal ≤ 0.5 × the package).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import IO, Any

import httpx

from lienthong.client.sdk import sign_headers
from lienthong.gateway.config import GatewayConfig
from lienthong.gateway.people import LEADER, open_store
from lienthong.hub import directory
from lienthong.hub.config import HubConfig
from lienthong.hub.service import Hub
from lienthong.signing.pki import create_demo_pki, load_credential
from lienthong.signing.xmldsig import PackageSigner


def _sibling(name: str) -> ModuleType:
    """Another bench script as a module (bench/ is not a package)."""
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


accept_http = _sibling("accept_http")


def rss(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


class Peak:
    """The highest resident size of ``pid`` while the block runs, above its size at the start."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.growth = 0

    def __enter__(self) -> Peak:
        self.before = rss(self.pid)
        self.peak = self.before
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._sample)
        self.thread.start()
        return self

    def _sample(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, rss(self.pid))
            time.sleep(0.005)

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join()
        self.growth = self.peak - self.before


def chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            yield chunk


def save(response: httpx.Response, path: Path) -> int:
    size = 0
    with path.open("wb") as fh:
        for chunk in response.iter_bytes(1 << 20):
            fh.write(chunk)
            size += len(chunk)
    return size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--engine", default="sqlite")
    parser.add_argument("--only", default="hub,json,sdk,xmldsig")
    args = parser.parse_args()
    only = set(args.only.split(","))
    print(f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, load average {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        package = folder / "big.edxml"
        package.write_bytes(accept_http.package(args.mb * (1 << 20)))
        size = package.stat().st_size
        if "hub" in only:
            db = accept_http.Database(args.engine, folder)
            try:
                token = accept_http.prepare(folder / "data", db.url)
                limit = ["--max-package-mb", str(args.mb * 2)]
                server = accept_http.Server(folder / "data", db.url, 1, limit)
                try:
                    run(server, token, package, size, folder)
                finally:
                    server.stop()
            finally:
                db.drop()
        pki = create_demo_pki(folder / "pki") if only & {"json", "sdk", "xmldsig"} else None
        for protocol in ("json", "sdk"):
            if protocol in only and pki is not None:
                end_to_end(protocol, args, package, size, folder / protocol, pki)
        if "xmldsig" in only and pki is not None:
            xmldsig_verify(package, size, folder, pki)


def run(server: Any, token: str, package: Path, size: int, folder: Path) -> None:
    pid = server.process.pid
    print(f"package {size / 1e6:.0f} MB; hub process resident at start {rss(pid) / 1e6:.0f} MB")
    with httpx.Client(base_url=server.url, timeout=600) as http:
        sender = {"Authorization": f"Bearer {token}", "Content-Type": "application/xml"}
        with Peak(pid) as peak:
            start = time.perf_counter()
            sent = http.post("/api/v1/packages", headers=sender, content=chunks(package))
        assert sent.status_code == 201, sent.text[:500]
        report("accept (POST /api/v1/packages)", peak.growth, size, time.perf_counter() - start)
        delivery = sent.json()["deliveries"][0]["delivery_id"]
        sdk = sign_headers(
            "bench.receiver", "r", {"docid": delivery}, "application/json", "30112026T000000+0000"
        )
        for label, method, path, headers in (
            ("getEdoc (base64 in JSON)", "POST", "/getEdoc", sdk),
            ("downloadEdoc (raw bytes)", "GET", "/downloadEdoc", sdk),
        ):
            with Peak(pid) as peak:
                start = time.perf_counter()
                with http.stream(method, path, headers=headers, content=b"{}") as response:
                    got = save(response, folder / "out")
            assert got >= size, (label, got, response.status_code)
            report(label, peak.growth, size, time.perf_counter() - start)


class Sampler:
    """The peak resident size of several processes, per step, sampled every 5 ms."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.step = ""
        self.before: dict[tuple[str, str], int] = {}
        self.peak: dict[tuple[str, str], int] = {}
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def start(self, step: str) -> None:
        for name, pid in self.pids.items():
            self.before[(step, name)] = self.peak[(step, name)] = rss(pid)
        self.step = step

    def _sample(self) -> None:
        while not self.done.is_set():
            step = self.step
            for name, pid in self.pids.items():
                key = (step, name)
                if key in self.peak:
                    self.peak[key] = max(self.peak[key], rss(pid))
            time.sleep(0.005)

    def growth(self, step: str, name: str) -> int:
        return self.peak[(step, name)] - self.before[(step, name)]

    def stop(self) -> None:
        self.done.set()
        self.thread.join()


def gateway_config(
    folder: Path, code: str, name: str, hub_url: str, protocol: str, secret: str, **extra: str
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if protocol == "json":
        link = f'url = "{hub_url}"\ntoken = "{secret}"\n'
    else:
        system, password = secret.split(":")
        link = f'protocol = "sdk"\nurl = "{hub_url}"\nsystem_id = "{system}"\nsecret = "{password}"\n'
    port = accept_http.free_port()
    lines = [
        f'agency_code = "{code}"',
        f'agency_name = "{name}"',
        'data_dir = "data"',
        f"http_port = {port}",
        "outbox_interval = 0.1",
        "wait_seconds = 1",
        "office_hours_only = false",
        f"max_package_bytes = {3 << 30}",
        *(f'{key} = "{value}"' for key, value in extra.items()),
    ]
    path = folder / "gateway.toml"
    path.write_text("\n".join(lines) + "\n[hub]\n" + link, encoding="utf-8")
    return path


class GatewayProcess:
    """``lienthong gateway serve`` as a child process, with a document system's token."""

    def __init__(self, config: Path) -> None:
        cfg = GatewayConfig.load(config)
        store = open_store(cfg.database_url)
        with store.write() as s:
            store.accounts.add(s, "hethong", "mat-khau-dai-1", LEADER, store.clock())
            scopes = ["read", "send", "answer"]
            _, self.token = store.accounts.issue_token(s, "hethong", scopes, store.clock())
        self.url = f"http://127.0.0.1:{cfg.http_port}"
        self.log: IO[bytes] = (config.parent / "serve.log").open("wb")
        program = str(Path(sys.executable).with_name("lienthong"))
        command = [program, "gateway", "serve", "--config", str(config)]
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/health/live", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError(f"the gateway did not start: see {config.parent / 'serve.log'}")

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=900, headers={"Authorization": f"Bearer {self.token}"})

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def until(check: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise RuntimeError(f"not within {seconds} s: {what}")


def end_to_end(protocol: str, args: Any, package: Path, size: int, folder: Path, pki: Any) -> None:
    """Sending gateway → hub → receiving gateway, both gateways on ``protocol`` (json or sdk)."""
    print(f"--- end to end, both gateways on the {'JSON API' if protocol == 'json' else 'SDK protocol'}")
    folder.mkdir(parents=True)
    db = accept_http.Database(args.engine, folder)
    hub = sender = receiver = None
    try:
        send_token = accept_http.prepare(folder / "hub", db.url)
        hub_config = Hub(HubConfig(data_dir=folder / "hub", db_url=db.url))
        with hub_config.write() as s:
            receive_token = directory.issue_token(s, "bench.receiver", datetime.now(UTC))
        hub_config.close()
        hub = accept_http.Server(folder / "hub", db.url, 1, ["--max-package-mb", str(args.mb * 2)])
        hub_url = hub.url
        secrets = {"json": (send_token, receive_token), "sdk": ("bench.sender:s", "bench.receiver:r")}
        agency = pki.directory / "agencies"
        sender = GatewayProcess(
            gateway_config(
                folder / "sender", accept_http.SENDER, "Văn phòng Chính phủ", hub_url, protocol,
                secrets[protocol][0], signing_key=str(agency / f"{accept_http.SENDER}.key.pem"),
                signing_cert=str(agency / f"{accept_http.SENDER}.cert.pem"),
            )
        )  # fmt: skip
        receiver = GatewayProcess(
            gateway_config(
                folder / "receiver", accept_http.RECEIVER, "UBND tỉnh Nghệ An", hub_url, protocol,
                secrets[protocol][1], trust_dir=str(pki.trust_dir),
                agency_directory=str(pki.directory / "directory.json"),
            )
        )  # fmt: skip
        pids = {
            "sending gateway": sender.process.pid,
            "hub": hub.process.pid,
            "receiving gateway": receiver.process.pid,
        }
        sampler = Sampler(pids)
        try:
            flow(sampler, sender, receiver, package, size)
        finally:
            sampler.stop()
    finally:
        for process in (sender, receiver, hub):
            if process is not None:
                process.stop()
        db.drop()


def flow(
    sampler: Sampler, sender: GatewayProcess, receiver: GatewayProcess, package: Path, size: int
) -> None:
    steps: list[tuple[str, float]] = []
    with sender.client() as out, receiver.client() as into:
        sampler.start("submit (POST /outgoing, checks)")
        start = time.perf_counter()
        answer = out.post("/outgoing", content=chunks(package), headers={"Content-Type": "application/xml"})
        assert answer.status_code == 201, answer.text[:500]
        local_id = answer.json()["local_id"]
        steps.append((sampler.step, time.perf_counter() - start))

        sampler.start("approve (XML-DSig signing)")
        start = time.perf_counter()
        approved = out.post(f"/outgoing/{local_id}/approve", json={"override": True})
        assert approved.status_code == 200, approved.text[:500]
        steps.append((sampler.step, time.perf_counter() - start))

        sampler.start("send (outbox → hub accept)")
        start = time.perf_counter()

        def sent() -> bool:
            items = out.get("/outgoing", params={"state": "sent"}).json()["total"]
            failed = out.get("/outgoing", params={"state": "send_error"}).json()["items"]
            if failed:
                raise RuntimeError(f"send error: {failed}")
            return bool(items)

        until(sent, 900, "sent")
        steps.append((sampler.step, time.perf_counter() - start))

        sampler.start("receive (fetch, verify, register)")
        start = time.perf_counter()
        until(lambda: into.get("/incoming").json()["total"] >= 1, 900, "received")
        steps.append((sampler.step, time.perf_counter() - start))

        sampler.start("show (a clerk opens it)")
        start = time.perf_counter()
        incoming = into.get("/incoming").json()["items"][0]
        shown = into.get(f"/incoming/{incoming['id']}").json()
        steps.append((sampler.step, time.perf_counter() - start))
    verdicts = [p.get("code") for p in shown.get("verification", shown.get("problems", []))][:6]
    print(f"received: số đến {incoming.get('arrival_number')}, findings {verdicts}")
    for step, seconds in steps:
        growth = ", ".join(
            f"{name} {sampler.growth(step, name) / 1e6:.0f} MB = {sampler.growth(step, name) / size:.2f}x"
            for name in sampler.pids
        )
        print(f"{step:38}: {seconds:6.1f} s; peak RSS growth: {growth}", flush=True)
    worst = max(sampler.growth(step, name) for step, _ in steps for name in sampler.pids)
    print(f"worst growth of any process in any step: {worst / size:.2f} x the package (goal <= 0.5)")


VERIFY = """
import sys, time
from pathlib import Path
from lienthong.edxml import parse
from lienthong.signing.agencies import load_directory
from lienthong.signing.trust import load_trust_store
from lienthong.signing.xmldsig import PackageSignatureVerifier
import lienthong.signing.xmldsig as xmldsig
path, trust, whole = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3] == "whole"
if whole:  # before: signxml over the whole document
    xmldsig.split_package = lambda source, limits: None
message = parse(path)
input()  # the parent takes the resident size here
start = time.perf_counter()
report = PackageSignatureVerifier(load_trust_store(trust)).verify(path, message)
print(report.reason, report.valid, f"{time.perf_counter() - start:.1f}", flush=True)
"""


def xmldsig_verify(package: Path, size: int, folder: Path, pki: Any) -> None:
    """The signed package's XML-DSig verified in a child process: streamed, then whole (before)."""
    print("--- XML-DSig verification of the signed package, in a child process")
    signed = folder / "signed.edxml"
    signer = PackageSigner(load_credential(
        pki.directory / "agencies" / f"{accept_http.SENDER}.key.pem",
        pki.directory / "agencies" / f"{accept_http.SENDER}.cert.pem",
    ))  # fmt: skip
    with package.open("rb") as source, signed.open("wb") as out:
        signer.sign_stream(source, out)
    for mode in ("streamed", "whole"):
        child = subprocess.Popen(
            [sys.executable, "-c", VERIFY, str(signed), str(pki.trust_dir), mode],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        time.sleep(3)  # imports and the parse
        assert child.stdin is not None and child.stdout is not None
        with Peak(child.pid) as peak:
            child.stdin.write("\n")
            child.stdin.flush()
            line = child.stdout.readline().split()
        child.wait()
        how = "streamed, now" if mode == "streamed" else "signxml whole document, before"
        label = f"XML-DSig verify ({how})"
        print(
            f"{label:46}: {float(line[-1]):5.1f} s, verdict {line[0]} valid={line[1]}, peak RSS growth "
            f"{peak.growth / 1e6:6.0f} MB = {peak.growth / size:.2f} x the package",
            flush=True,
        )


def report(label: str, growth: int, size: int, seconds: float) -> None:
    print(
        f"{label:32}: {seconds:5.1f} s, hub peak RSS growth {growth / 1e6:6.1f} MB = "
        f"{growth / size:.2f} x the package (goal <= 0.5)",
        flush=True,
    )


if __name__ == "__main__":
    main()
