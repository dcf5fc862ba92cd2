"""Monitoring settings: thresholds, certificate paths, alert e-mail and the client-certificate check."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from lienthong.monitor.certs import WARN_DAYS
from lienthong.monitor.identity import ClientCertMode, ClientCertPolicy, HeaderFormat
from lienthong.monitor.notify import SmtpSettings

ENV = "LIENTHONG_MONITOR_"


@dataclass(frozen=True)
class MonitorConfig:
    min_free_bytes: int = 1 << 30  # storage below this is not ready: accepted packages must be storable
    trust_store: Path | None = None  # folder of CA certificates (PEM/DER) the deployment trusts
    tls_certificates: tuple[Path, ...] = ()  # the certificates the TLS proxy or server presents
    warn_days: tuple[int, ...] = WARN_DAYS
    contact_lost_after: timedelta = timedelta(minutes=30)
    sweep_seconds: float = 60.0  # connectivity sweep and health refresh
    certificate_scan_seconds: float = 3600.0
    smtp: SmtpSettings | None = None
    client_cert: ClientCertPolicy = field(default_factory=ClientCertPolicy)
    background: bool = True  # run sweeps in a thread of the server; off when something else calls sweep()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> MonitorConfig:
        """``LIENTHONG_MONITOR_*`` variables; lists are comma-separated."""
        e = os.environ if env is None else env

        def get(name: str, default: str = "") -> str:
            return e.get(ENV + name, default).strip()

        def paths(name: str) -> tuple[Path, ...]:
            return tuple(Path(p.strip()) for p in get(name).split(",") if p.strip())

        smtp = None
        if get("SMTP_HOST"):
            smtp = SmtpSettings(
                host=get("SMTP_HOST"),
                port=int(get("SMTP_PORT", "25")),
                sender=get("SMTP_FROM", "lienthong@localhost"),
                recipients=tuple(a.strip() for a in get("ALERT_EMAILS").split(",") if a.strip()),
                starttls=get("SMTP_STARTTLS") in ("1", "true", "yes"),
                username=get("SMTP_USER"),
                password=e.get(ENV + "SMTP_PASSWORD", ""),
            )
        proxies = tuple(
            p.strip() for p in get("TRUSTED_PROXIES", "127.0.0.1/32,::1/128").split(",") if p.strip()
        )
        trust = get("TRUST_STORE")
        return cls(
            min_free_bytes=int(get("MIN_FREE_BYTES", str(1 << 30))),
            trust_store=Path(trust) if trust else None,
            tls_certificates=paths("TLS_CERTIFICATES"),
            warn_days=tuple(int(d) for d in get("WARN_DAYS", "60,30,7").split(",") if d.strip()),
            contact_lost_after=timedelta(minutes=float(get("CONTACT_LOST_MINUTES", "30"))),
            sweep_seconds=float(get("SWEEP_SECONDS", "60")),
            certificate_scan_seconds=float(get("CERT_SCAN_SECONDS", "3600")),
            smtp=smtp,
            background=get("BACKGROUND", "1") not in ("0", "false", "no"),
            client_cert=ClientCertPolicy(
                mode=ClientCertMode(get("CLIENT_CERT", "off")),
                header=get("CLIENT_CERT_HEADER", "X-Client-Cert"),
                header_format=HeaderFormat(get("CLIENT_CERT_FORMAT", "pem")),
                trusted_proxies=proxies,
            ),
        )
