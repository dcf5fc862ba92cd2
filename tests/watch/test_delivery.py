"""Reports and alerts leave through a real SMTP server and a real webhook; retries survive outages."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import re
from datetime import timedelta
from email.message import EmailMessage

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from lienthong.hub.intake import Refused
from lienthong.hub.service import Hub
from lienthong.watch import outbox
from lienthong.watch.config import SmtpSettings, WatchConfig
from lienthong.watch.service import Watch, set_contact
from tests.hub.conftest import document, send
from tests.watch.conftest import G17, G22, H14, H41, REPORT_DAY, Clock, Day
from tests.watch.servers import SmtpServer, WebhookServer, free_port


def _config(port: int, **kwargs: object) -> WatchConfig:
    return WatchConfig(smtp=SmtpSettings(host="127.0.0.1", port=port, timeout=5), **kwargs)  # type: ignore[arg-type]


def _pdf_text(message: EmailMessage) -> str:
    pdfs = [p for p in message.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert len(pdfs) == 1
    data = pdfs[0].get_content()
    assert isinstance(data, bytes) and data.startswith(b"%PDF")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return re.sub(r"\s+", " ", text)


def _json(message: EmailMessage) -> dict[str, object]:
    part = next(p for p in message.iter_attachments() if p.get_content_type() == "application/json")
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    data = json.loads(payload)
    assert isinstance(data, dict)
    return data


def test_daily_reports_arrive_by_smtp_with_a_readable_pdf(day: Day) -> None:
    with SmtpServer() as smtp:
        watch = Watch(day.hub, _config(smtp.port, operator_emails=("vanhanh@example.test",)))
        run = watch.run(REPORT_DAY)
        # Every active agency with an address (not the legacy one), and the operator's summary.
        assert run.claimed and run.messages == 7
        stats = watch.deliver_due()
        assert (stats.sent, stats.retried, stats.dead) == (7, 0, 0)
        [summary] = smtp.inbox.to("vanhanh@example.test")
        text = _pdf_text(summary)
        assert "Tổng hợp toàn quốc" in text and re.search(r"Số đơn vị 7 ", text)
        assert re.search(r"Văn bản gửi lỗi 3 ", text) and "000.00.00.H14" in text
        [vpcp] = smtp.inbox.to(f"{G22}@example.test")
        assert "03/12/2026" in str(vpcp["Subject"]) and "vấn đề" in str(vpcp["Subject"])
        html = vpcp.get_body(("html",))
        assert html is not None and "Văn bản gửi lỗi" in html.get_content()
        text = _pdf_text(vpcp)
        # The PDF's figures are the report's: 2 send errors, 3 documents awaiting replies, 2 sent.
        assert re.search(r"Văn bản gửi lỗi 2 ", text), text[:800]
        assert re.search(r"Văn bản nhận lỗi 0 ", text)
        assert re.search(r"Văn bản tồn đọng 0 ", text)
        assert re.search(r"Đã gửi, chờ đơn vị nhận phản hồi 3 ", text)
        assert re.search(r"Văn bản đã gửi 2 ", text)
        assert "Trục từ chối gói tin" in text and "HUB.MALFORMED" in text
        assert _json(vpcp)["counts"] == {
            "send_errors": 2,
            "receive_errors": 0,
            "backlog": 0,
            "no_reply": 0,
            "awaiting_reply": 3,
            "quality": 0,
            "silent": 0,
            "sent": 2,
            "received": 1,
            "sent_inside": 0,  # B to the Ministry of Construction, C to Nghệ An: other level-1 bodies
            "sent_outside": 2,
            "received_inside": 0,
            "received_outside": 1,  # D from Cao Bằng
        }
        [nghean] = smtp.inbox.to(f"{H41}@example.test")
        text = _pdf_text(nghean)
        assert re.search(r"Văn bản nhận lỗi 1 ", text) and re.search(r"Chưa phản hồi trạng thái 1 ", text)
        assert "Tổng hợp các đơn vị trực thuộc" in text and "000.00.10.H41" in text
        [caobang] = smtp.inbox.to(f"{H14}@example.test")
        text = _pdf_text(caobang)
        assert re.search(r"Văn bản tồn đọng 1 ", text) and re.search(r"Không kết nối 1 ", text)
        assert "EDXML.TOO_LONG" in text and "WATCH.LATE_SENDING" in text
        [ministry] = smtp.inbox.to(f"{G17}@example.test")
        assert "không có vấn đề" in str(ministry["Subject"])
        assert "Không có vấn đề cần xử lý" in _pdf_text(ministry)
        assert _json(ministry)["all_clear"] is True
        # The same day again (another worker, a restart): nothing more is sent.
        assert not watch.run(REPORT_DAY).claimed
        assert watch.deliver_due().sent == 0
        assert len(smtp.inbox.messages) == 7


def test_an_english_speaking_agency_gets_its_report_in_english(day: Day) -> None:
    set_contact(day.hub, G17, language="en")
    with SmtpServer() as smtp:
        watch = Watch(day.hub, _config(smtp.port))
        watch.run(REPORT_DAY)
        watch.deliver_due()
        [ministry] = smtp.inbox.to(f"{G17}@example.test")
        assert "all clear" in str(ministry["Subject"])
        text = _pdf_text(ministry)
        assert "All clear" in text and "Documents received 1 " in text


def test_alerts_survive_an_smtp_outage_and_a_failing_webhook(hub: Hub) -> None:
    clock = Clock(hub.clock())
    hub.clock = clock
    port = free_port()  # nothing listens here yet: the SMTP server is down
    with WebhookServer(answers=[503]) as hook:
        set_contact(hub, G22, webhook_url=hook.url, secret="khóa-bí-mật")
        watch = Watch(hub, _config(port, alert_backoff_seconds=30)).attach()
        with pytest.raises(Refused):
            send(hub, "vpcp.sys", b"<edXML><broken")
        # The refusal named no sender: both agencies of the system hear; G22 also by webhook.
        first = watch.deliver_due()
        assert (first.sent, first.retried) == (0, 3)
        with hub.read() as s:
            rows = s.execute(sa.text("SELECT state, attempts, last_error FROM watch_outbox")).all()
        assert {(r[0], r[1]) for r in rows} == {("pending", 1)} and all(r[2] for r in rows)
        assert watch.deliver_due().sent == 0  # still backing off
        with SmtpServer(port) as smtp:
            clock.now += timedelta(seconds=31)
            second = watch.deliver_due()
            assert (second.sent, second.retried, second.dead) == (3, 0, 0)
            assert sorted(str(m["To"]) for m in smtp.inbox.messages) == [
                f"{G22}@example.test",
                "002.00.20.H13@example.test",
            ]
            alert = smtp.inbox.to(f"{G22}@example.test")[0]
            assert "Cảnh báo" in str(alert["Subject"]) and "HUB.MALFORMED" in alert.get_content()
            # An undeliverable copy: the sender is told which recipient and which package.
            accepted = send(hub, "vpcp.sys", document(recipients=("000.00.00.H99",), number="901"))
            assert watch.deliver_due().sent == 2
            told = smtp.inbox.to(f"{G22}@example.test")[-1]
            assert "000.00.00.H99" in told.get_content() and accepted.doc_id in told.get_content()
        headers, body, raw = hook.received[-1]
        assert body["kind"] == "undeliverable" and body["recipient"] == "000.00.00.H99"
        expected = hmac.new("khóa-bí-mật".encode(), raw, hashlib.sha256).hexdigest()
        assert headers["X-Lienthong-Signature"] == f"sha256={expected}"
        assert [b["code"] for _, b, _ in hook.received[:2]] == ["HUB.MALFORMED", "HUB.MALFORMED"]  # retried


def test_permanent_failures_and_exhausted_retries_end_dead(hub: Hub) -> None:
    clock = Clock(hub.clock())
    hub.clock = clock
    with WebhookServer(answers=[410]) as hook:
        set_contact(hub, G22, webhook_url=hook.url)
        watch = Watch(hub, _config(free_port(), alert_attempts=2, alert_backoff_seconds=1)).attach()
        send(hub, "vpcp.sys", document(recipients=("000.00.00.H99",)))
        stats = watch.deliver_due()
        assert (stats.dead, stats.retried) == (1, 1)  # the webhook's 410 is final; SMTP is retried
        clock.now += timedelta(seconds=2)
        assert watch.deliver_due().dead == 1  # the second failed attempt was the last
    with hub.read() as s:
        assert outbox.counts(s) == {"dead": 2}


def test_a_crashed_workers_messages_come_back_after_its_lease(hub: Hub) -> None:
    clock = Clock(hub.clock())
    hub.clock = clock
    with SmtpServer() as smtp:
        config = _config(smtp.port, lease_seconds=60)
        Watch(hub, config).attach()
        send(hub, "vpcp.sys", document(recipients=("000.00.00.H99",)))
        crashed = outbox.claim(hub, clock(), config.lease_seconds)  # claimed, then the worker dies
        assert len(crashed) == 1
        other = Watch(hub, config, worker="other")
        assert other.deliver_due().sent == 0  # the lease still holds
        clock.now += timedelta(seconds=61)
        assert other.deliver_due().sent == 1
        assert len(smtp.inbox.messages) == 1
