"""Certificate expiry alerts: one when a certificate passes 60, 30 and 7 days left, one when it expires."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lienthong.monitor import certs as C
from lienthong.monitor.health import Clock, Status
from lienthong.monitor.metrics import Metrics
from lienthong.monitor.state import Conditions

CERT_PREFIX = "cert:"


@dataclass(frozen=True)
class Graded:
    certificate: C.CertInfo
    level: str  # ok | 60 | 30 | 7 | expired
    days_left: int


class CertificateWatch:
    """Scans the certificate sources, exports days-to-expiry, raises one alert per grade reached."""

    def __init__(
        self,
        sources: Callable[[], C.ScanResult],
        conditions: Conditions,
        clock: Clock,
        metrics: Metrics | None = None,
        warn_days: Sequence[int] = C.WARN_DAYS,
        recipients: Callable[[C.CertInfo], tuple[str, ...]] = lambda _c: (),
    ) -> None:
        self.sources = sources
        self.conditions = conditions
        self.clock = clock
        self.metrics = metrics
        self.warn_days = tuple(warn_days)
        self.recipients = recipients

    @staticmethod
    def key(cert: C.CertInfo) -> str:
        return f"{CERT_PREFIX}{cert.kind}:{cert.sha256}"

    def grade(self) -> list[Graded]:
        """Every watched certificate's grade now, without alerting (for status screens)."""
        now = self.clock()
        return [
            Graded(c, c.level(now, self.warn_days), c.days_left(now)) for c in self.sources().certificates
        ]

    def scan(self) -> list[Graded]:
        now = self.clock()
        result = self.sources()
        if self.metrics is not None:
            self.metrics.observe_certificates(result.certificates, now)
        graded: list[Graded] = []
        seen: set[str] = set()
        for cert in result.certificates:
            level = cert.level(now, self.warn_days)
            graded.append(Graded(cert, level, cert.days_left(now)))
            key = self.key(cert)
            seen.add(key)
            problem = cert.problem(now, self.warn_days)
            if problem is None:
                self.conditions.clear(key)
                continue
            status = Status.FAIL if level == C.EXPIRED else Status.WARN
            self.conditions.raise_(key, problem, status, grade=level, recipients=self.recipients(cert))
        for key in self.conditions.open(CERT_PREFIX):
            if key not in seen:  # renewed or removed: nothing left to warn about
                self.conditions.clear(key)
        return graded
