"""Alerts: agency contact lost and back (once each, by e-mail through a real SMTP server), uptime per day,
certificate warnings at 60, 30 and 7 days and on expiry."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from lienthong.codes.dates import VIETNAM
from lienthong.hub import directory
from lienthong.hub.service import Hub
from lienthong.monitor.config import MonitorConfig
from lienthong.monitor.connectivity import split_by_day
from lienthong.monitor.hub import HubMonitor
from lienthong.monitor.notify import Recorder, SmtpSettings
from tests.hub.conftest import system
from tests.monitor.conftest import Clock, Mailbox, der, make_certificate, new_hub, pem


def contact(hub: Hub, system_id: str) -> None:
    """What every authenticated request does: record the system's and its agencies' last contact."""
    hub._touched.clear()  # touch() writes at most once a minute per system: these are minutes apart
    hub.touch(system(hub, system_id))


def test_contact_lost_and_back_alerts_once_each_and_uptime_is_kept(
    tmp_path: Path, db_url: str, clock: Clock, smtp_server: Mailbox
) -> None:
    hub = new_hub(tmp_path, db_url, clock)
    recorder = Recorder()
    settings = SmtpSettings(smtp_server.host, smtp_server.port, "hub@lienthong.test", ("ops@lienthong.test",))
    config = MonitorConfig(
        min_free_bytes=1, contact_lost_after=timedelta(minutes=30), smtp=settings, background=False
    )
    monitor = HubMonitor(hub, config, notifiers=[recorder])
    try:
        contact(hub, "nghean.sys")
        contact(hub, "caobang.sys")
        monitor.sweep()
        for _ in range(6):  # an hour in ten-minute rounds: Nghệ An keeps talking, Cao Bằng falls silent
            clock.advance(minutes=10)
            contact(hub, "nghean.sys")
            monitor.sweep()
        assert [a.key for a in recorder.alerts] == ["contact:000.00.00.H14"]
        lost = recorder.alerts[0]
        assert lost.problem.code == "MONITOR.CONTACT_LOST" and not lost.cleared
        assert monitor.contacts.lost() == {"000.00.00.H14": clock.now - timedelta(minutes=30)}
        for _ in range(3):  # still lost: no new alert
            clock.advance(minutes=10)
            contact(hub, "nghean.sys")
            monitor.sweep()
        assert len(recorder.alerts) == 1
        contact(hub, "caobang.sys")
        monitor.sweep()
        assert [(a.problem.code, a.cleared) for a in recorder.alerts] == [
            ("MONITOR.CONTACT_LOST", False),
            ("MONITOR.CONTACT_RESTORED", True),
        ]
        assert monitor.contacts.lost() == {}

        mails = smtp_server.wait_for(2)
        assert [m["X-Lienthong-Code"] for m in mails] == ["MONITOR.CONTACT_LOST", "MONITOR.CONTACT_RESTORED"]
        assert "000.00.00.H14" in str(mails[0]["Subject"])
        # The operators and the agency's own contact address are told.
        assert set(mails[0]["X-Envelope-To"].split(", ")) == {
            "ops@lienthong.test",
            "000.00.00.H14@example.test",
        }

        uptime = {(r.peer, r.day): r for r in monitor.contacts.uptime(1)}
        today = clock.now.astimezone(VIETNAM).date()
        nghean, caobang = uptime[("000.00.00.H41", today)], uptime[("000.00.00.H14", today)]
        assert nghean.observed_seconds == 90 * 60 and nghean.up_seconds == 90 * 60
        # Cao Bằng: last contact at 0, up until 30 minutes, silent until it came back at 90.
        assert caobang.observed_seconds == 90 * 60 and caobang.up_seconds == 30 * 60
        assert caobang.ratio == 1 / 3

        report = monitor.status()
        assert {a["code"]: a["up"] for a in report["agencies"]} == {
            "000.00.00.H41": True,
            "000.00.00.H14": True,
        }
        assert {(u["peer"], u["ratio"]) for u in report["uptime"]} == {
            ("000.00.00.H41", 1.0),
            ("000.00.00.H14", 0.3333),
        }
    finally:
        hub.close()


def test_a_gap_nobody_observed_is_not_counted(tmp_path: Path, clock: Clock) -> None:
    hub = new_hub(tmp_path, f"sqlite:///{tmp_path / 'hub.sqlite3'}", clock)
    monitor = HubMonitor(hub, MonitorConfig(min_free_bytes=1, background=False), notifiers=[Recorder()])
    try:
        contact(hub, "nghean.sys")
        monitor.sweep()
        clock.advance(hours=5)  # the hub was down: nobody could reach it, nobody watched
        monitor.sweep()
        assert all(r.observed_seconds == 0 for r in monitor.contacts.uptime(1))
    finally:
        hub.close()


def test_uptime_is_split_at_midnight_vietnam_time() -> None:
    start = datetime(2026, 11, 25, 16, 30, tzinfo=UTC)  # 23:30 in Hà Nội
    parts = split_by_day(start, start + timedelta(hours=1))
    assert parts == [(date(2026, 11, 25), 1800.0), (date(2026, 11, 26), 1800.0)]


def test_certificate_warnings_at_60_30_7_days_and_expiry_once_each(
    tmp_path: Path, clock: Clock, smtp_server: Mailbox
) -> None:
    hub = new_hub(tmp_path, f"sqlite:///{tmp_path / 'hub.sqlite3'}", clock)
    trust = tmp_path / "trust"
    trust.mkdir()
    (trust / "root.der").write_bytes(
        der(make_certificate("Root CA", clock.now + timedelta(days=3650), ca=True))
    )
    agency_cert = make_certificate("UBND tỉnh Cao Bằng", clock.now + timedelta(days=61))
    with hub.write() as s:
        directory.get_agency(s, "000.00.00.H14").certificate_pem = pem(agency_cert).decode()
    recorder = Recorder()
    settings = SmtpSettings(smtp_server.host, smtp_server.port, "hub@lienthong.test", ("ops@lienthong.test",))
    monitor = HubMonitor(
        hub, MonitorConfig(min_free_bytes=1, trust_store=trust, smtp=settings, background=False), [recorder]
    )
    try:
        for _ in range(70):  # one scan a day for seventy days
            monitor.scan_certificates()
            clock.advance(days=1)
        codes = [(a.problem.code, a.problem.params.get("days")) for a in recorder.alerts]
        assert codes == [
            ("MONITOR.CERT_EXPIRING", 60),
            ("MONITOR.CERT_EXPIRING", 30),
            ("MONITOR.CERT_EXPIRING", 7),
            ("MONITOR.CERT_EXPIRED", None),
        ]
        assert {a.key.split(":")[1] for a in recorder.alerts} == {"agency"}  # the CA is far from expiry
        mails = smtp_server.wait_for(4)
        assert [m["X-Lienthong-Code"] for m in mails][-1] == "MONITOR.CERT_EXPIRED"
        assert "000.00.00.H14@example.test" in mails[0]["X-Envelope-To"]
        # Renewed: the warning is cleared, nothing more is sent.
        renewed = make_certificate("UBND tỉnh Cao Bằng", clock.now + timedelta(days=730))
        with hub.write() as s:
            directory.get_agency(s, "000.00.00.H14").certificate_pem = pem(renewed).decode()
        monitor.scan_certificates()
        assert len(recorder.alerts) == 4
        assert monitor.conditions.open("cert:") == {}
    finally:
        hub.close()


def test_a_failing_smtp_server_does_not_stop_the_other_channels(tmp_path: Path, clock: Clock) -> None:
    hub = new_hub(tmp_path, f"sqlite:///{tmp_path / 'hub.sqlite3'}", clock)
    recorder = Recorder()
    nowhere = SmtpSettings("127.0.0.1", 1, recipients=("ops@lienthong.test",), timeout=2)
    monitor = HubMonitor(
        hub,
        MonitorConfig(
            min_free_bytes=1, contact_lost_after=timedelta(minutes=1), smtp=nowhere, background=False
        ),
        [recorder],
    )
    try:
        contact(hub, "nghean.sys")
        monitor.sweep()
        clock.advance(minutes=5)
        monitor.sweep()
        assert [a.problem.code for a in recorder.alerts] == ["MONITOR.CONTACT_LOST"]
    finally:
        hub.close()


def test_alert_emails_wait_in_the_durable_outbox_while_smtp_is_down(tmp_path: Path, clock: Clock) -> None:
    from lienthong.delivery.mail import SmtpMailer
    from lienthong.monitor.notify import QueuedNotifier, mail_settings
    from lienthong.store.tables import WatchOutbox
    from lienthong.watch.config import WatchConfig
    from lienthong.watch.service import Watch
    from tests.watch.servers import SmtpServer, free_port

    hub = new_hub(tmp_path, f"sqlite:///{tmp_path / 'hub.sqlite3'}", clock)
    port = free_port()  # nothing listens here until the server starts below
    settings = SmtpSettings("127.0.0.1", port, "hub@lienthong.test", ("ops@lienthong.test",), timeout=2)
    watch = Watch(hub, WatchConfig(alert_backoff_seconds=0.0))
    carry = watch.carry_alerts(SmtpMailer(mail_settings(settings)), settings.sender)
    config = MonitorConfig(
        min_free_bytes=1, contact_lost_after=timedelta(minutes=1), smtp=settings, background=False
    )
    monitor = HubMonitor(hub, config, email=QueuedNotifier(settings.recipients, carry))
    try:
        contact(hub, "nghean.sys")
        monitor.sweep()
        clock.advance(minutes=5)
        monitor.sweep()  # contact lost: the alert is raised while the SMTP server is down
        stats = watch.deliver_due(clock())
        assert stats.sent == 0 and stats.retried == 1
        with hub.read() as s:
            [row] = s.query(WatchOutbox).filter(WatchOutbox.purpose == "monitor").all()
            assert (
                row.state == "pending"
                and row.attempts == 1
                and "Connection refused" in (row.last_error or "")
            )
        with SmtpServer(port) as server:
            clock.advance(minutes=1)
            assert watch.deliver_due(clock()).sent == 1
            assert watch.deliver_due(clock()).sent == 0  # once, not again
            [message] = server.inbox.messages
            assert "MONITOR.CONTACT_LOST" in str(message["Subject"])
            assert server.inbox.envelopes[0] == (
                "hub@lienthong.test",
                ["ops@lienthong.test", "000.00.00.H41@example.test"],
            )
        monitor.sweep()  # a repeated sweep of the same condition queues nothing new
        with hub.read() as s:
            assert s.query(WatchOutbox).filter(WatchOutbox.purpose == "monitor").count() == 1
    finally:
        hub.close()
