"""A gateway killed right after the hub accepted its package, and warnings e-mailed over real SMTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from lienthong.gateway.config import GatewayConfig, SmtpSettings
from lienthong.gateway.service import Gateway
from lienthong.hub import directory
from lienthong.hub.service import Hub
from tests.gateway.conftest import Clock
from tests.gateway.fakehub import FakeHub
from tests.hub.conftest import Server, document


def _config_file(folder: Path, url: str, token: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "gateway.toml"
    path.write_text(
        f'agency_code = "000.00.00.G22"\nagency_name = "VPCP"\ndata_dir = "data"\noutbox_interval = 0.05\n'
        f'[hub]\nurl = "{url}"\ntoken = "{token}"\n',
        encoding="utf-8",
    )
    return path


def _run_outbox(config: Path, fault: str | None) -> subprocess.CompletedProcess[str]:
    """One gateway process that sends its outbox once (and dies at ``fault`` if given)."""
    code = (
        "import sys; from pathlib import Path; from lienthong.gateway.config import GatewayConfig;"
        "from lienthong.gateway.service import Gateway;"
        "g = Gateway(GatewayConfig.load(Path(sys.argv[1]))); print(g.process_outbox())"
    )
    env = dict(os.environ)
    env.pop("LIENTHONG_GATEWAY_FAULT", None)
    if fault:
        env["LIENTHONG_GATEWAY_FAULT"] = fault
    return subprocess.run(
        [sys.executable, "-c", code, str(config)], env=env, capture_output=True, text=True, timeout=60
    )


def test_kill_9_between_hub_accepted_and_outbox_marked_sent(hub: Hub, tmp_path: Path) -> None:
    """SIGKILL of the sending gateway mid-send: nothing lost, nothing delivered twice."""
    with hub.write() as s:
        token = directory.issue_token(s, "vpcp.sys", datetime.now(UTC), "crash test")
    with Server(_app(hub)) as server:
        config = _config_file(tmp_path / "gw", server.url, token)
        gateway = Gateway(GatewayConfig.load(config))
        queued = [
            gateway.submit(
                document(recipients=("000.00.00.H41",), number=str(800 + n)), approve_as="Văn thư A"
            )
            for n in range(3)
        ]
        gateway.close()
        crashed = _run_outbox(config, "after-send")
        assert crashed.returncode == -signal.SIGKILL  # killed with the hub's answer in hand
        nghean = hub.system("nghean.sys")
        assert nghean is not None
        assert hub.count_pending(nghean) == 1  # the hub has the first
        gateway = Gateway(GatewayConfig.load(config))
        assert [o["state"] for o in gateway.outbox()] == ["queued"] * 3  # none recorded as sent
        gateway.close()
        restarted = _run_outbox(config, None)  # the restart takes the entries up again
        assert restarted.returncode == 0, restarted.stderr
        gateway = Gateway(GatewayConfig.load(config))
        rows = gateway.outbox()
        assert [o["state"] for o in rows] == ["sent"] * 3
        assert [o["local_id"] for o in rows] == [q.local_id for q in queued]
        gateway.close()
    assert hub.count_pending(nghean) == 3  # each delivered once, not twice
    with hub.read() as s:
        from sqlalchemy import text

        assert s.execute(text("SELECT count(*) FROM packages")).scalar_one() == 3


def _app(hub: Hub) -> object:
    from lienthong.api.app import create_app

    return create_app(hub)


class Inbox:
    """A real SMTP server on loopback keeping what it receives."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.messages.append(message_from_bytes(envelope.content))  # type: ignore[attr-defined]
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def test_warnings_are_emailed_to_the_clerks_at_once(
    make_gateway: Callable[..., Gateway], smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    vpcp = make_gateway(
        "000.00.00.G22",
        "vpcp.sys",
        clock=Clock(),
        clerk_emails=("vanthu@vpcp.test",),
        smtp=SmtpSettings(host="127.0.0.1", port=port, sender="lienthong@vpcp.test"),
    )
    vpcp.submit(document(recipients=("000.00.00.H41", "000.00.00.H99")), approve_as="Văn thư A")
    vpcp.process_outbox()
    assert len(inbox.messages) == 1
    mail = inbox.messages[0]
    assert mail["To"] == "vanthu@vpcp.test"
    body = mail.get_payload(decode=True)
    assert isinstance(body, bytes)
    text = body.decode("utf-8")
    assert "000.00.00.H99" in text and "Nơi nhận không tồn tại" in text
    vpcp.evaluate_warnings()
    assert len(inbox.messages) == 1  # told once, not at every round


# --- observation 6: warning e-mails are marked notified only once the SMTP server took them ---------------


def test_warning_emails_survive_an_smtp_outage_and_arrive_exactly_once(
    local_gateway: Callable[..., Gateway], fake_hub: FakeHub
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    clock = Clock()
    vpcp = local_gateway(
        "000.00.00.G22",
        clock,
        clerk_emails=("vanthu@vpcp.test",),
        smtp=SmtpSettings(host="127.0.0.1", port=port, sender="lienthong@vpcp.test", timeout=5),
        mail_backoff_seconds=60.0,
    )
    fake_hub.refuse_next += [("HUB.MALFORMED", "thiếu chữ ký"), ("HUB.MALFORMED", "sai định dạng")]
    for n in range(2):
        vpcp.submit(document(recipients=("000.00.00.H41",), number=str(600 + n)), approve_as="Văn thư A")
    vpcp.process_outbox()  # both refused: two warnings, and the SMTP server is down
    warnings = vpcp.warnings()
    assert len(warnings) == 2 and all(w["notified_at"] is None for w in warnings)  # not lost as "sent"
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        vpcp.process_outbox()
        assert inbox.messages == []  # not due yet: the retry waits (with jitter) for its turn
        clock.now += timedelta(minutes=2)
        vpcp.process_outbox()
        vpcp.evaluate_warnings()
        clock.now += timedelta(minutes=10)
        vpcp.process_outbox()
    finally:
        controller.stop()
    assert len(inbox.messages) == 2  # each warning once
    subjects = sorted(str(make_header(decode_header(str(m["Subject"])))) for m in inbox.messages)
    assert all("Gửi lỗi" in s for s in subjects)
    assert all(w["notified_at"] is not None for w in vpcp.warnings())
