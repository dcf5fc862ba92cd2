"""The reusable parts alone: health states, since-when, certificate grades, settings from the environment."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from lienthong.monitor import certs as C
from lienthong.monitor.config import MonitorConfig
from lienthong.monitor.health import CheckResult, Health, Status, worst
from lienthong.monitor.identity import ClientCertMode, HeaderFormat
from lienthong.monitor.notify import Alert, ConsoleNotifier, Fanout, Recorder
from lienthong.monitor.problems import CONTACT_LOST
from tests.monitor.conftest import Clock, der, make_certificate, pem


def test_since_changes_only_when_status_or_reason_changes(clock: Clock) -> None:
    health = Health(clock)
    outcome = [CheckResult.ok()]
    health.add_function("thing", lambda: outcome[0])
    first = health.run()
    assert first.ready and first.check("thing").since == clock.now
    clock.advance(minutes=3)
    outcome[0] = CheckResult.ok("different detail, same state")
    assert health.run().check("thing").since == first.at
    outcome[0] = CheckResult(Status.FAIL, "MONITOR.X", "broken")
    broken = health.run()
    assert not broken.ready and broken.check("thing").since == clock.now
    assert broken.to_dict()["status"] == "fail"
    with pytest.raises(ValueError):
        health.add_function("thing", CheckResult.ok)


def test_a_crashing_check_reports_itself(clock: Clock) -> None:
    health = Health(clock)

    def explode() -> CheckResult:
        raise RuntimeError("boom")

    health.add_function("bad", explode)
    result = health.run().check("bad").result
    assert (result.status, result.reason) == (
        Status.FAIL,
        "MONITOR.CHECK_CRASHED",
    ) and "boom" in result.detail


def test_worst_and_degraded() -> None:
    assert worst([Status.OK, Status.WARN]) is Status.WARN
    assert worst([Status.WARN, Status.FAIL, Status.OK]) is Status.FAIL
    assert worst([]) is Status.OK


@pytest.mark.parametrize(
    ("days", "level"),
    [
        (61, "ok"),
        (60.01, "ok"),
        (60, "60"),
        (30.5, "60"),
        (30, "30"),
        (7.01, "30"),
        (7, "7"),
        (0.01, "7"),
        (0, "expired"),
        (-3, "expired"),
    ],
)
def test_certificate_grades(clock: Clock, days: float, level: str) -> None:
    cert = make_certificate("t", clock.now + timedelta(days=days))
    info = C.info_of(cert, "tls", "t.pem")
    assert info.level(clock.now) == level


def test_scan_reads_pem_bundles_der_and_reports_junk(tmp_path: Path, clock: Clock) -> None:
    a = make_certificate("a", clock.now + timedelta(days=100))
    b = make_certificate("b", clock.now + timedelta(days=200))
    (tmp_path / "bundle.pem").write_bytes(pem(a) + pem(b))
    (tmp_path / "one.der").write_bytes(der(a))
    (tmp_path / "junk.crt").write_bytes(b"not a certificate")
    (tmp_path / "notes.txt").write_text("ignored: not a certificate suffix")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "deeper.cer").write_bytes(pem(b))
    (tmp_path / "sub" / "ca.pem").write_bytes(crl_pem(clock))  # a CRL beside the certificates is fine
    result = C.scan_path(tmp_path, "trust")
    assert sorted(c.subject for c in result.certificates) == ["CN=a", "CN=a", "CN=b", "CN=b"]
    assert [p.code for p in result.unreadable] == ["MONITOR.CERT_UNREADABLE"]


def crl_pem(clock: Clock) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "CA")])
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer)
        .last_update(clock.now)
        .next_update(clock.now + timedelta(days=7))
        .sign(key, hashes.SHA256())
    )
    return crl.public_bytes(serialization.Encoding.PEM)


def test_settings_from_the_environment() -> None:
    env = {
        "LIENTHONG_MONITOR_MIN_FREE_BYTES": "1000",
        "LIENTHONG_MONITOR_TRUST_STORE": "/etc/lienthong/trust",
        "LIENTHONG_MONITOR_TLS_CERTIFICATES": "/etc/ssl/hub.pem, /etc/ssl/api.pem",
        "LIENTHONG_MONITOR_CONTACT_LOST_MINUTES": "45",
        "LIENTHONG_MONITOR_SMTP_HOST": "mail.example.test",
        "LIENTHONG_MONITOR_ALERT_EMAILS": "a@x.test,b@x.test",
        "LIENTHONG_MONITOR_CLIENT_CERT": "required",
        "LIENTHONG_MONITOR_CLIENT_CERT_FORMAT": "sha256",
        "LIENTHONG_MONITOR_TRUSTED_PROXIES": "10.1.2.3/32",
        "LIENTHONG_MONITOR_BACKGROUND": "false",
    }
    config = MonitorConfig.from_env(env)
    assert config.min_free_bytes == 1000 and config.trust_store == Path("/etc/lienthong/trust")
    assert config.tls_certificates == (Path("/etc/ssl/hub.pem"), Path("/etc/ssl/api.pem"))
    assert config.contact_lost_after == timedelta(minutes=45) and not config.background
    assert config.smtp is not None and config.smtp.recipients == ("a@x.test", "b@x.test")
    assert config.client_cert.mode is ClientCertMode.REQUIRED
    assert config.client_cert.header_format is HeaderFormat.SHA256
    assert config.client_cert.trusted_proxies == ("10.1.2.3/32",)
    assert MonitorConfig.from_env({}) == MonitorConfig()


def test_fanout_survives_a_broken_notifier(clock: Clock) -> None:
    class Broken:
        def notify(self, alert: Alert) -> None:
            raise RuntimeError("down")

    lines: list[str] = []
    recorder = Recorder()
    alert = Alert("contact:X", CONTACT_LOST("", peer="X", since="then", minutes=30), clock.now)
    Fanout([Broken(), ConsoleNotifier(lines.append), recorder]).notify(alert)
    assert recorder.alerts == [alert] and lines == [
        f"{clock.now.isoformat()} ALERT raised contact:X: {alert.problem}"
    ]
    assert alert.subject.startswith("[Lienthong WARNING] MONITOR.CONTACT_LOST")
