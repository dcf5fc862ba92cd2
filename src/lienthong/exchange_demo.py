"""A real exchange on loopback: a hub and three agency gateways as separate processes, a demo PKI.

A ministry sends a signed document to a province, a department of that province and a fourth
agency whose system is offline. The province answers 01 → 03 → 06, the department returns it (02),
and the offline recipient makes a warning fire. The per-recipient timeline and the warnings are
printed at the end. Every process is stopped on the way out, whatever happens.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from lienthong.edxml import to_bytes
from lienthong.edxml.builder import attachment_from_bytes, build_document
from lienthong.hub import directory
from lienthong.hub.config import HubConfig
from lienthong.hub.service import Hub
from lienthong.signing.pdf import DocumentSigner, PdfSignSpec, Role
from lienthong.signing.pki import AgencySpec, PersonSpec, create_demo_pki
from lienthong.signing.samples import sample_pdf


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    system_id: str
    online: bool = True


MINISTRY = Unit("000.00.00.G13", "Bộ Thông tin và Truyền thông", "mic.qlvb")
PROVINCE = Unit("000.00.00.H41", "Ủy ban nhân dân tỉnh Nghệ An", "nghean.qlvb")
DEPARTMENT = Unit("000.00.14.H41", "Sở Thông tin và Truyền thông tỉnh Nghệ An", "nghean.sotttt")
OFFLINE = Unit("000.00.00.H14", "Ủy ban nhân dân tỉnh Cao Bằng", "caobang.qlvb", online=False)
UNITS = (MINISTRY, PROVINCE, DEPARTMENT, OFFLINE)
SIGNER = PersonSpec("Nguyễn Mạnh Hùng", "Bộ trưởng", MINISTRY.code)


class DemoFailed(Exception):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(what: str, check: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise DemoFailed(f"timed out waiting for: {what}")


@contextmanager
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    running: list[subprocess.Popen[bytes]] = []
    try:
        yield running
    finally:
        for proc in running:
            proc.terminate()
        for proc in running:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def run(console: Console, workdir: Path) -> int:
    workdir = workdir.resolve()
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    console.rule("Liên thông thật trên loopback / a real exchange on loopback")
    pki = create_demo_pki(
        workdir / "pki",
        agencies=[AgencySpec(u.code, u.name) for u in UNITS],
        people=[SIGNER],
    )
    hub_port = free_port()
    hub_dir = workdir / "hub"
    tokens = prepare_hub(hub_dir)
    python = [sys.executable, "-m", "lienthong.cli.main"]
    with processes() as running:
        running.append(
            subprocess.Popen(
                [*python, "hub", "serve", "--data-dir", str(hub_dir), "--port", str(hub_port)],
                stdout=subprocess.DEVNULL,
                stderr=(workdir / "hub.log").open("wb"),
            )
        )
        hub_url = f"http://127.0.0.1:{hub_port}"
        wait_until("the hub", lambda: httpx.get(f"{hub_url}/api/v1/receipt-key").status_code == 200)
        console.print(f"hub: {hub_url}")
        urls: dict[str, str] = {}
        for unit in UNITS:
            if not unit.online:
                console.print(f"gateway {unit.code} ({unit.name}): [yellow]offline[/]")
                continue
            port = free_port()
            config = write_gateway_config(workdir, unit, hub_url, tokens[unit.system_id], port, pki.directory)
            running.append(
                subprocess.Popen(
                    [*python, "gateway", "serve", "--config", str(config)],
                    stdout=subprocess.DEVNULL,
                    stderr=(workdir / f"gateway-{unit.code}.log").open("wb"),
                )
            )
            urls[unit.code] = f"http://127.0.0.1:{port}"
        for code, url in urls.items():
            wait_until(f"gateway {code}", _answers(f"{url}/dashboard"))
            console.print(f"gateway {code}: {url}")
        exchange(console, urls, pki.directory)
    return 0


def _answers(url: str) -> Callable[[], bool]:
    return lambda: httpx.get(url).status_code == 200


def prepare_hub(hub_dir: Path) -> dict[str, str]:
    """The directory and connected systems, written before the hub starts (as an operator would)."""
    hub = Hub(HubConfig(data_dir=hub_dir))
    now = datetime.now(UTC)
    tokens: dict[str, str] = {}
    try:
        with hub.write() as s:
            for unit in UNITS:
                parent = PROVINCE.code if unit is DEPARTMENT else None
                directory.add_agency(
                    s,
                    directory.AgencyInput(unit.code, unit.name, parent, (f"vanthu@{unit.system_id}.test",)),
                    now,
                )
            for unit in UNITS:
                directory.add_system(s, hub.keys, unit.system_id, [unit.code], now)
        with hub.write() as s:
            for unit in UNITS:
                tokens[unit.system_id] = directory.issue_token(s, unit.system_id, now, "demo gateway")
    finally:
        hub.close()
    return tokens


def write_gateway_config(workdir: Path, unit: Unit, hub_url: str, token: str, port: int, pki: Path) -> Path:
    folder = workdir / f"gateway-{unit.code}"
    folder.mkdir()
    path = folder / "gateway.toml"
    path.write_text(
        "\n".join(
            [
                f'agency_code = "{unit.code}"',
                f'agency_name = "{unit.name}"',
                'data_dir = "data"',
                f"http_port = {port}",
                f'trust_dir = "{pki / "trust"}"',
                f'signing_key = "{pki / "agencies" / f"{unit.code}.key.pem"}"',
                f'signing_cert = "{pki / "agencies" / f"{unit.code}.cert.pem"}"',
                "outbox_interval = 0.1",
                "wait_seconds = 5",
                "tracking_interval = 1",
                "warnings_interval = 1",
                "office_hours_only = false",
                "not_fetched_hours = 0.002",  # about seven seconds, so the demo shows the warning
                "",
                "[hub]",
                f'url = "{hub_url}"',
                f'token = "{token}"',
                "",
            ]
        ),
        encoding="utf-8",
    )
    return path


def signed_package(pki_dir: Path) -> bytes:
    """A Công văn whose PDF carries the minister's signature and the ministry's seal."""
    from lienthong.signing.pki import load_credential

    person = load_credential(
        pki_dir / "people" / f"{SIGNER.slug}.key.pem", pki_dir / "people" / f"{SIGNER.slug}.cert.pem"
    )
    agency = load_credential(
        pki_dir / "agencies" / f"{MINISTRY.code}.key.pem", pki_dir / "agencies" / f"{MINISTRY.code}.cert.pem"
    )
    today = datetime.now(UTC)
    notation = "1234/BTTTT-VP"
    pdf = sample_pdf("Cong van so 1234/BTTTT-VP ve tang cuong gui nhan van ban dien tu")
    pdf = DocumentSigner(person).sign(pdf, PdfSignSpec(role=Role.PERSON))
    pdf = DocumentSigner(agency).sign(pdf, PdfSignSpec(role=Role.AGENCY, number_notation=notation))
    day = today.strftime("%Y/%m/%d")
    meta: dict[str, Any] = {
        "from": {"organ_id": MINISTRY.code, "organ_name": MINISTRY.name},
        "to": [{"organ_id": u.code, "organ_name": u.name} for u in (PROVINCE, DEPARTMENT, OFFLINE)],
        "code": {"code_number": "1234", "code_notation": "BTTTT-VP"},
        "promulgation_info": {"place": "Hà Nội", "promulgation_date": day},
        "document_type": {"type": "1", "type_name": "Công văn"},
        "subject": "V/v tăng cường gửi, nhận văn bản điện tử",
        "signer_info": {"competence": "", "position": SIGNER.position, "full_name": SIGNER.full_name},
        "business": {"bussiness_doc_type": "0", "paper": "0"},
    }
    return to_bytes(build_document(meta, [attachment_from_bytes("1234-BTTTT-VP.pdf", pdf)]))


def exchange(console: Console, urls: dict[str, str], pki_dir: Path) -> None:
    ministry, province, department = urls[MINISTRY.code], urls[PROVINCE.code], urls[DEPARTMENT.code]
    with httpx.Client(timeout=30) as http:
        submitted = http.post(f"{ministry}/outgoing", content=signed_package(pki_dir)).json()
        local_id = submitted["local_id"]
        failing = [c for c in submitted["checklist"] if not c["ok"]]
        console.print(f"checklist: {len(submitted['checklist'])} findings, {len(failing)} blocking")
        http.post(f"{ministry}/outgoing/{local_id}/approve", json={"clerk": "Văn thư Bộ"}).raise_for_status()
        console.print("approved by the clerk and queued: [bold]1234/BTTTT-VP[/] to three recipients")

        def statuses() -> dict[str, str | None]:
            track = http.get(f"{ministry}/outgoing/{local_id}/track").json()
            return {r["recipient"]: r["last_status"] for r in track["recipients"]}

        wait_until(
            "01 from both online recipients",
            lambda: {statuses()[u.code] for u in (PROVINCE, DEPARTMENT)} == {"01"},
        )
        console.print("both online recipients registered it and answered [bold]01[/] automatically")

        def incoming(url: str) -> dict[str, Any]:
            return next(i for i in http.get(f"{url}/incoming").json()["items"] if i["kind"] == "edoc")

        item = incoming(province)
        for action in ("accept", "complete"):
            http.post(
                f"{province}/incoming/{item['id']}/act", json={"action": action, "clerk": "Văn thư tỉnh"}
            ).raise_for_status()
        item = incoming(department)
        http.post(
            f"{department}/incoming/{item['id']}/act",
            json={
                "action": "return",
                "clerk": "Văn thư Sở",
                "reason": "Văn bản không thuộc thẩm quyền của Sở",
            },
        ).raise_for_status()
        wait_until("06 from the province", lambda: statuses()[PROVINCE.code] == "06")
        wait_until("02 from the department", lambda: statuses()[DEPARTMENT.code] == "02")
        wait_until(
            "the offline recipient's warning",
            lambda: any(w["kind"] == "not_fetched" for w in http.get(f"{ministry}/warnings").json()),
        )
        track = http.get(f"{ministry}/outgoing/{local_id}/track").json()
        warnings = http.get(f"{ministry}/warnings").json()
        verification = incoming(province)["problems"]
    table = Table(
        "nơi nhận / recipient", "trạng thái / state", "lịch sử / history", title=f"{track['notation']}"
    )
    for r in track["recipients"]:
        history = " → ".join(h.split("@")[0] for h in r["history"]) or "-"
        table.add_row(r["recipient"], r["label_vi"], history)
    console.print(table)
    wtable = Table(
        "cảnh báo / warning", "nơi nhận / recipient", "trạng thái", title="Cảnh báo cho đơn vị gửi"
    )
    for w in warnings:
        wtable.add_row(f"{w['label_vi']} / {w['label_en']}", str(w["recipient"] or ""), w["state"])
    console.print(wtable)
    console.print(f"verification findings at the province on arrival: {verification}")
    console.print(json.dumps({"ok": True, "recipients": len(track["recipients"])}))
