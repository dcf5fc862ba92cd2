"""The hub's monitoring wired from the reusable parts: checks, metrics, certificates, agencies, loop."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from lienthong.hub import problems as HP
from lienthong.hub.directory import SystemRef
from lienthong.hub.service import Hub
from lienthong.monitor import certs as C
from lienthong.monitor import identity
from lienthong.monitor import problems as MP
from lienthong.monitor.checks import CertificateCheck, DatabaseCheck, StorageCheck, TrustStoreCheck
from lienthong.monitor.config import MonitorConfig
from lienthong.monitor.connectivity import ContactTracker, PeerContact
from lienthong.monitor.expiry import CertificateWatch
from lienthong.monitor.health import CheckResult, Health, Heartbeat, Readiness, Status
from lienthong.monitor.metrics import Metrics, Sample
from lienthong.monitor.notify import ConsoleNotifier, Fanout, Notifier, SmtpNotifier
from lienthong.monitor.state import Condition, Conditions, StateStore
from lienthong.problems import Problem
from lienthong.store.tables import Agency, Delivery

log = logging.getLogger(__name__)
CHECK_PREFIX = "check:"
WAITING = ("pending", "fetched")  # a copy is backlog until the recipient says done or fail


class HubMonitor:
    """Everything the hub's operators watch; the HTTP routes and the status command only call it."""

    def __init__(
        self,
        hub: Hub,
        config: MonitorConfig | None = None,
        notifiers: list[Notifier] | None = None,
        email: Notifier | None = None,
    ) -> None:
        """``email``: where alert e-mails go instead of straight to SMTP (the durable outbox)."""
        self.hub = hub
        self.config = config or MonitorConfig()
        self.clock = hub.clock
        self.metrics = Metrics()
        hub.tally = self.metrics  # the hub counts accepted/refused/delivered/fetched/acknowledged here
        cfg = self.config
        channels: list[Notifier] = [ConsoleNotifier(), self.metrics, *(notifiers or [])]
        if email is not None:
            channels.append(email)
        elif cfg.smtp is not None:
            channels.append(SmtpNotifier(cfg.smtp))
        self.notifier = Fanout(channels)
        self.states = StateStore(hub.engine)
        self.conditions = Conditions(self.states, self.notifier, self.clock)

        self.health = Health(self.clock)
        self.database = DatabaseCheck(hub.engine.url, self.clock)
        self.health.add(self.database)
        self.health.add(StorageCheck(hub.blobs, hub.blobs.root, cfg.min_free_bytes))
        if cfg.trust_store is not None:
            self.health.add(TrustStoreCheck(cfg.trust_store))
        if cfg.trust_store is not None or cfg.tls_certificates:
            self.health.add(CertificateCheck(self.own_certificates, self.clock, cfg.warn_days))
        self._persisted: dict[str, tuple[str, str]] = {}
        self._seed_since()

        self.contacts = ContactTracker(
            hub.engine,
            self.agency_contacts,
            self.conditions,
            self.clock,
            lost_after=cfg.contact_lost_after,
            max_gap=max(timedelta(minutes=15), timedelta(seconds=3 * cfg.sweep_seconds)),
            metrics=self.metrics,
        )
        self.certificates = CertificateWatch(
            self.all_certificates,
            self.conditions,
            self.clock,
            self.metrics,
            cfg.warn_days,
            recipients=self._certificate_recipients,
        )
        self.metrics.gauge_source(
            "deliveries_waiting",
            "Copies waiting for their recipients (queue depth), by kind and state (pending, fetched).",
            ("kind", "state"),
            self._waiting,
        )
        self.metrics.gauge_source(
            "backlog",
            "Copies not yet acknowledged, by the recipient agency's level (1-4; none: legacy or unknown).",
            ("level",),
            self._backlog,
        )
        # Issue 16: the upstream link (degraded, never down, when the upstream is away).
        self.health.add_function("upstream", self._upstream_check)
        self.metrics.gauge_source(
            "upstream_relays",
            "Relays to the upstream hub by state (waiting: the backlog; failed: refused or given up).",
            ("state",),
            self._relays,
        )
        self.metrics.gauge_source(
            "upstream_sync_age_seconds",
            "Seconds since the directory was last synchronised from the upstream hub (absent: no link).",
            (),
            self._sync_age,
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.loop_heartbeat: Heartbeat | None = None

    # --- health ---------------------------------------------------------------------------------

    def register_scheduler(self, name: str, max_age: timedelta) -> Heartbeat:
        """A loop the hub depends on (the monitor's own, the warning scheduler): beat it each round."""
        heartbeat = Heartbeat(name, self.clock, max_age)
        self.health.add(heartbeat)
        return heartbeat

    def readiness(self) -> Readiness:
        readiness = self.health.run()
        self.metrics.observe_readiness(readiness)
        self._persist(readiness)
        return readiness

    def _seed_since(self) -> None:
        """Take "since when" from the database, so a restart does not reset it (best effort)."""
        try:
            stored = self.states.with_prefix(CHECK_PREFIX)
        except Exception as exc:  # the database may be the thing that is down
            log.warning("check states not read: %s", exc)
            return
        for key, c in stored.items():
            name = key[len(CHECK_PREFIX) :]
            self.health.remember(name, CheckResult(c.status, c.reason, c.detail), c.since)
            self._persisted[name] = (c.status.value, c.reason)

    def _persist(self, readiness: Readiness) -> None:
        for state in readiness.checks:
            mark = (state.result.status.value, state.result.reason)
            if self._persisted.get(state.name) == mark:
                continue
            try:
                self.states.put(
                    Condition(
                        CHECK_PREFIX + state.name,
                        state.result.status,
                        state.result.reason,
                        state.result.detail,
                        state.since,
                        state.checked_at,
                    )
                )
                self._persisted[state.name] = mark
            except Exception as exc:  # written when the database is back
                log.debug("check state %s not saved: %s", state.name, exc)

    # --- certificates ---------------------------------------------------------------------------

    def own_certificates(self) -> C.ScanResult:
        """The trust anchors and the TLS certificates of this deployment (files and folders)."""
        pairs: list[tuple[str, Path]] = [("tls", p) for p in self.config.tls_certificates]
        if self.config.trust_store is not None and self.config.trust_store.is_dir():
            pairs.append(("trust", self.config.trust_store))
        return C.scan_paths(pairs)

    def agency_certificates(self) -> C.ScanResult:
        found: list[C.CertInfo] = []
        unreadable: list[Problem] = []
        with self.hub.read() as s:
            rows = s.execute(
                select(Agency.code, Agency.certificate_pem).where(
                    Agency.certificate_pem.is_not(None), Agency.state != "removed"
                )
            ).all()
        for code, pem in rows:
            result = C.scan_bytes(pem.encode("ascii", "replace"), "agency", code)
            found.extend(result.certificates)
            unreadable.extend(result.unreadable)
        return C.ScanResult(found, unreadable)

    def all_certificates(self) -> C.ScanResult:
        own, agencies = self.own_certificates(), self.agency_certificates()
        return C.ScanResult(own.certificates + agencies.certificates, own.unreadable + agencies.unreadable)

    def _certificate_recipients(self, cert: C.CertInfo) -> tuple[str, ...]:
        if cert.kind != "agency":
            return ()
        return self._agency_emails(cert.source)

    def _agency_emails(self, code: str) -> tuple[str, ...]:
        with self.hub.read() as s:
            emails = s.execute(select(Agency.emails).where(Agency.code == code)).scalar_one_or_none()
        return tuple(e.strip() for e in (emails or "").split(",") if e.strip())

    # --- agencies -----------------------------------------------------------------------------------

    def agency_contacts(self) -> Iterator[PeerContact]:
        """Active agencies that have been in contact at least once (the others are not connected yet)."""
        with self.hub.read() as s:
            rows = s.execute(
                select(Agency.code, Agency.last_contact_at, Agency.emails).where(
                    Agency.state == "active", Agency.last_contact_at.is_not(None)
                )
            ).all()
        for code, last, emails in rows:
            yield PeerContact(code, last, tuple(e.strip() for e in (emails or "").split(",") if e.strip()))

    def _waiting(self) -> Iterator[Sample]:
        with self.hub.read() as s:
            rows = s.execute(
                select(Delivery.kind, Delivery.state, func.count(Delivery.id))
                .where(Delivery.state.in_(WAITING))
                .group_by(Delivery.kind, Delivery.state)
            ).all()
        counts = {(k, st): n for k, st, n in rows}
        for kind in ("edoc", "status"):
            for state in WAITING:
                yield Sample({"kind": kind, "state": state}, float(counts.get((kind, state), 0)))

    def _upstream_check(self) -> CheckResult:
        from lienthong.hub.relay import FederationConfig, link_health

        found = link_health(self.hub)
        data = {
            "configured": found.configured,
            "backlog": found.backlog,
            "failed": found.failed,
            "oldest_waiting": found.oldest_waiting.isoformat() if found.oldest_waiting else None,
            "last_ok_at": found.last_ok_at.isoformat() if found.last_ok_at else None,
            "last_error": found.last_error,
        }
        if not found.configured:
            return CheckResult.ok("no upstream hub configured", **data)
        late = timedelta(minutes=FederationConfig.from_env().late_minutes)
        failing = found.last_error_at is not None and (
            found.last_ok_at is None or found.last_error_at > found.last_ok_at
        )
        waiting = found.oldest_waiting is not None and self.clock() - found.oldest_waiting > late
        if failing or waiting:
            detail = f"{found.backlog} waiting; {found.last_error or 'relays late'}"
            return CheckResult.of(HP.UPSTREAM_UNREACHABLE("", detail=detail), Status.WARN, **data)
        return CheckResult.ok(f"{found.backlog} waiting, {found.failed} failed", **data)

    def _relays(self) -> Iterator[Sample]:
        from lienthong.hub.relay import link_health

        found = link_health(self.hub)
        yield Sample({"state": "waiting"}, float(found.backlog))
        yield Sample({"state": "failed"}, float(found.failed))

    def _sync_age(self) -> Iterator[Sample]:
        from lienthong.hub.relay import link_health

        found = link_health(self.hub)
        if found.last_sync_at is not None:
            yield Sample({}, (self.clock() - found.last_sync_at).total_seconds())

    def _backlog(self) -> Iterator[Sample]:
        with self.hub.read() as s:
            rows = s.execute(
                select(Agency.level, func.count(Delivery.id))
                .select_from(Delivery)
                .join(Agency, Agency.code == Delivery.recipient_code, isouter=True)
                .where(Delivery.state.in_(WAITING))
                .group_by(Agency.level)
            ).all()
        counts: dict[str, int] = {}
        for level, n in rows:
            label = str(level) if level else "none"
            counts[label] = counts.get(label, 0) + n
        for label in ("1", "2", "3", "4", "none"):
            yield Sample({"level": label}, float(counts.get(label, 0)))

    # --- client certificates ------------------------------------------------------------------------

    def verify_client(self, system: SystemRef, peer: str | None, header_value: str | None) -> Problem | None:
        """The mTLS identity check: the forwarded certificate must be registered for the system's agencies."""
        policy = self.config.client_cert
        if policy.mode is identity.ClientCertMode.OFF:
            return None
        with self.hub.read() as s:
            pems = s.execute(
                select(Agency.certificate_pem).where(
                    Agency.code.in_(system.agency_codes), Agency.certificate_pem.is_not(None)
                )
            ).scalars()
            registered = [p for p in pems if p]
        return identity.verify_client(policy, peer, header_value, system.system_id, registered)

    # --- the loop -------------------------------------------------------------------------------------

    def sweep(self) -> None:
        """One round: readiness (metrics and "since"), agency contact and uptime."""
        self.readiness()
        try:
            self.contacts.sweep()
        except Exception:  # the database may be down: readiness already says so
            log.exception("connectivity sweep failed")

    def scan_certificates(self) -> None:
        try:
            self.certificates.scan()
        except Exception:
            log.exception("certificate scan failed")

    def start(self) -> None:
        """Run sweeps and certificate scans in a background thread (the hub server calls this)."""
        if self._thread is not None or not self.config.background:
            return
        if self.loop_heartbeat is None:
            self.loop_heartbeat = self.register_scheduler(
                "monitor", timedelta(seconds=max(3 * self.config.sweep_seconds, 60))
            )
        self.loop_heartbeat.beat()  # alive from the start: readiness does not wait for the first round
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="lienthong-monitor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.database.close()

    def _run(self) -> None:
        rounds = 0
        every = max(1, round(self.config.certificate_scan_seconds / max(self.config.sweep_seconds, 0.001)))
        while not self._stop.is_set():
            if self.loop_heartbeat is not None:
                self.loop_heartbeat.beat()
            if rounds % every == 0:
                self.scan_certificates()
            self.sweep()
            rounds += 1
            self._stop.wait(self.config.sweep_seconds)

    # --- the status screen ----------------------------------------------------------------------------

    def status(self, days: int = 7) -> dict[str, Any]:
        """What is healthy, what is not and since when: checks, certificates, agencies, uptime."""
        readiness = self.readiness()
        now = self.clock()
        out: dict[str, Any] = {"at": now.isoformat(), "readiness": readiness.to_dict()}
        try:
            graded = self.certificates.grade()
            out["certificates"] = [
                {
                    "kind": g.certificate.kind,
                    "source": g.certificate.source,
                    "subject": g.certificate.subject,
                    "not_after": g.certificate.not_after.isoformat(),
                    "days_left": g.days_left,
                    "level": g.level,
                }
                for g in sorted(graded, key=lambda g: g.certificate.not_after)
            ]
            peers = self.contacts.observe()
            lost = self.contacts.lost()
            out["agencies"] = [
                {
                    "code": p.peer,
                    "up": p.up,
                    "last_contact": p.last_contact.isoformat(),
                    "lost_since": (lost.get(p.peer) or p.lost_since or now).isoformat() if not p.up else None,
                }
                for p in sorted(peers, key=lambda p: (p.up, p.peer))
            ]
            out["uptime"] = [
                {
                    "peer": r.peer,
                    "day": r.day.isoformat(),
                    "up_seconds": round(r.up_seconds),
                    "observed_seconds": round(r.observed_seconds),
                    "ratio": None if r.ratio is None else round(r.ratio, 4),
                }
                for r in self.contacts.uptime(days)
            ]
            out["conditions"] = [
                {"key": k, "status": c.status.value, "reason": c.reason, "since": c.since.isoformat()}
                for k, c in sorted(self.conditions.open().items())
            ]
        except Exception as exc:  # with the database down, the checks above already say why
            out["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        out["healthy"] = (
            readiness.status is Status.OK
            and not out.get("conditions")
            and all(a["up"] for a in out.get("agencies", []))
            and "error" not in out
        )
        return out


def unreachable_status(detail: str, at: datetime) -> dict[str, Any]:
    """The status when the hub cannot even be opened (its database is down, its schema not applied)."""
    problem = MP.DATABASE_UNREACHABLE("", detail=detail)
    check = {"status": "fail", "reason": problem.code, "detail": problem.message_en, "since": at.isoformat()}
    return {
        "at": at.isoformat(),
        "readiness": {"status": "fail", "ready": False, "at": at.isoformat(), "checks": {"database": check}},
        "healthy": False,
        "error": detail,
    }
