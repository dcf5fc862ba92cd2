"""Prometheus metrics of one process, in a registry of its own (two apps in one process never collide).

Counters are incremented where things happen (`count`); values that live in the database
(pending deliveries, backlog by level) are read at scrape time through registered callbacks, so
they are never stale and cost nothing between scrapes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from lienthong.monitor.certs import CertInfo
from lienthong.monitor.health import Readiness, Status
from lienthong.monitor.notify import Alert

log = logging.getLogger(__name__)
PREFIX = "lienthong"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass(frozen=True)
class Sample:
    labels: Mapping[str, str]
    value: float


GaugeSource = Callable[[], Iterable[Sample]]


class _CallbackCollector(Collector):
    """Gauges read at scrape time; a source that fails (database down) is left out, not fatal."""

    def __init__(self) -> None:
        self._sources: list[tuple[str, str, tuple[str, ...], GaugeSource]] = []

    def add(self, name: str, doc: str, labels: Sequence[str], source: GaugeSource) -> None:
        self._sources.append((name, doc, tuple(labels), source))

    def collect(self) -> Iterator[Metric]:
        for name, doc, labels, source in self._sources:
            try:
                samples = list(source())
            except Exception as exc:
                log.warning("metric %s not collected: %s", name, exc)
                continue
            family = GaugeMetricFamily(name, doc, labels=list(labels))
            for sample in samples:
                family.add_metric([sample.labels.get(label, "") for label in labels], sample.value)
            yield family


class Metrics:
    """Every metric Lienthong exports; hub and gateway use the parts that apply to them."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        p = PREFIX
        self.packages_accepted = Counter(
            f"{p}_packages_accepted", "Packages accepted, by kind (edoc, status).", ["kind"], registry=r
        )
        self.packages_refused = Counter(
            f"{p}_packages_refused", "Packages refused, by reason (problem code).", ["reason"], registry=r
        )
        self.deliveries = Counter(
            f"{p}_deliveries",
            "Copies created for recipients, by kind and outcome (pending, undeliverable).",
            ["kind", "outcome"],
            registry=r,
        )
        self.fetches = Counter(f"{p}_fetches", "Deliveries fetched by recipients.", ["kind"], registry=r)
        self.acks = Counter(
            f"{p}_acknowledgements",
            "Acknowledgements by status (done, fail, processing).",
            ["status"],
            registry=r,
        )
        self.statuses = Counter(
            f"{p}_statuses_routed", "Status replies routed to senders, by status code.", ["code"], registry=r
        )
        self.request_latency = Histogram(
            f"{p}_http_request_duration_seconds",
            "HTTP request latency, by method, route template and status class.",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.outbox_retries = Counter(
            f"{p}_outbox_retries",
            "Send attempts retried by the gateway outbox, by reason.",
            ["reason"],
            registry=r,
        )
        self.outbox_pending = Gauge(
            f"{p}_outbox_pending", "Packages waiting in the gateway outbox.", registry=r
        )
        self.health = Gauge(
            f"{p}_health_status",
            "1 when a health check passes (ok or warn), 0 when it fails.",
            ["check"],
            registry=r,
        )
        self.health_warn = Gauge(
            f"{p}_health_warning", "1 when a health check warns (degraded), else 0.", ["check"], registry=r
        )
        self.storage_free = Gauge(
            f"{p}_storage_free_bytes", "Free bytes where bodies are stored.", ["check"], registry=r
        )
        self.contact_lost = Gauge(
            f"{p}_peers_contact_lost", "Peers (agencies, or the hub) currently out of contact.", registry=r
        )
        self.last_contact_age = Gauge(
            f"{p}_peer_last_contact_age_seconds",
            "Seconds since each peer's last contact.",
            ["peer"],
            registry=r,
        )
        self.alerts = Counter(f"{p}_alerts", "Alerts raised, by problem code.", ["code"], registry=r)
        self._callbacks = _CallbackCollector()
        self._certificates: list[tuple[CertInfo, float]] = []
        self._callbacks.add(
            f"{p}_certificate_days_to_expiry",
            "Days until each watched certificate expires (negative: expired).",
            ("kind", "subject", "sha256"),
            self._certificate_samples,
        )
        r.register(self._callbacks)

    # --- what callers feed ------------------------------------------------------------------------

    def gauge_source(self, name: str, doc: str, labels: Sequence[str], source: GaugeSource) -> None:
        """A gauge read from ``source`` at every scrape (queue depths, backlogs)."""
        self._callbacks.add(f"{PREFIX}_{name}", doc, labels, source)

    def count(self, event: str, **labels: str) -> None:
        """The hub's tally hook (`lienthong.hub.service.Tally`): one event that happened."""
        if event == "accepted":
            self.packages_accepted.labels(kind=labels.get("kind", "")).inc()
        elif event == "refused":
            self.packages_refused.labels(reason=labels.get("reason", "")).inc()
        elif event == "delivery":
            self.deliveries.labels(kind=labels.get("kind", ""), outcome=labels.get("outcome", "")).inc()
        elif event == "fetched":
            self.fetches.labels(kind=labels.get("kind", "")).inc()
        elif event == "acked":
            self.acks.labels(status=labels.get("status", "")).inc()
        elif event == "status":
            self.statuses.labels(code=labels.get("code", "")).inc()
        elif event == "outbox_retry":
            self.outbox_retries.labels(reason=labels.get("reason", "")).inc()
        else:
            log.debug("unknown tally event %s", event)

    def notify(self, alert: Alert) -> None:
        """Metrics as a notifier: count alerts raised (not those cleared)."""
        if not alert.cleared:
            self.alerts.labels(code=alert.problem.code).inc()

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.request_latency.labels(method=method, route=route, status=f"{status // 100}xx").observe(seconds)

    def observe_readiness(self, readiness: Readiness) -> None:
        for state in readiness.checks:
            self.health.labels(check=state.name).set(0 if state.result.status is Status.FAIL else 1)
            self.health_warn.labels(check=state.name).set(1 if state.result.status is Status.WARN else 0)
            free = state.result.data.get("free_bytes")
            if isinstance(free, int):
                self.storage_free.labels(check=state.name).set(free)

    def observe_certificates(self, certificates: Iterable[CertInfo], now: datetime) -> None:
        self._certificates = [(c, (c.not_after - now).total_seconds() / 86400) for c in certificates]

    def _certificate_samples(self) -> Iterator[Sample]:
        for cert, days in self._certificates:
            yield Sample({"kind": cert.kind, "subject": cert.subject, "sha256": cert.sha256}, round(days, 3))

    def exposition(self) -> bytes:
        """The text format Prometheus scrapes."""
        return generate_latest(self.registry)
