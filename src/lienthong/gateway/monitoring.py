"""The gateway's monitoring, from the reusable parts of lienthong.monitor: checks, metrics, hub contact."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from lienthong.gateway import problems as GP
from lienthong.gateway.service import Gateway
from lienthong.gateway.tables import Outgoing, Warning_
from lienthong.monitor.checks import DatabaseCheck, FolderProbe, StorageCheck, TrustStoreCheck
from lienthong.monitor.connectivity import ContactTracker, PeerContact
from lienthong.monitor.health import CheckResult, Health, Heartbeat, Readiness
from lienthong.monitor.metrics import Metrics, Sample
from lienthong.monitor.notify import ConsoleNotifier, Fanout
from lienthong.monitor.state import Conditions, StateStore


class GatewayMonitor:
    """Readiness, metrics and the contact with the hub, for one gateway."""

    def __init__(
        self,
        gateway: Gateway,
        min_free_bytes: int = 200 << 20,
        contact_lost_after: timedelta = timedelta(minutes=15),
        watch_loops: bool = True,
    ) -> None:
        """``watch_loops``: the serving process checks its own loops; a status command has none."""
        self.gateway = gateway
        clock = gateway.clock
        self.metrics = Metrics()
        self.health = Health(clock)
        self.health.add(DatabaseCheck(gateway.engine.url, clock))
        folder = gateway.config.blob_dir
        self.health.add(StorageCheck(FolderProbe(folder), folder, min_free_bytes, name="packages"))
        if gateway.config.trust_dir is not None:
            self.health.add(TrustStoreCheck(gateway.config.trust_dir))
        self.health.add_function("hub", self._hub)
        loops = max(timedelta(minutes=2), timedelta(seconds=3 * gateway.config.wait_seconds))
        self.heartbeats = {name: Heartbeat(name, clock, loops) for name in ("outbox", "inbox")}
        for heartbeat in self.heartbeats.values() if watch_loops else ():
            self.health.add(heartbeat)
        gateway.on_round = self._round
        gateway.on_retry = lambda code: self.metrics.count("outbox_retry", reason=code)
        conditions = Conditions(StateStore(gateway.engine), Fanout([ConsoleNotifier(), self.metrics]), clock)
        self.contact = ContactTracker(
            gateway.engine,
            lambda: [PeerContact("hub", gateway.last_hub_contact)],
            conditions,
            clock,
            lost_after=contact_lost_after,
            metrics=self.metrics,
        )
        self.metrics.gauge_source(
            "outbox_pending", "Outgoing packages not yet sent, by state.", ("state",), self._outbox
        )
        self.metrics.gauge_source(
            "warnings_open", "The sender's open warnings, by kind.", ("kind",), self._warnings
        )

    def _hub(self) -> CheckResult:
        """Ready only while the hub answers and takes this gateway's credentials."""
        contact = self.gateway.contact
        if contact.refused is not None:
            return CheckResult.of(GP.HUB_CREDENTIALS_REFUSED(detail=str(contact.refused)))
        if contact.errors.down_since is not None:
            return CheckResult.of(GP.HUB_UNAVAILABLE(detail=contact.errors.last_error))
        return CheckResult.ok(self.gateway.config.hub.url)

    def _round(self, name: str) -> None:
        heartbeat = self.heartbeats.get(name)
        if heartbeat is not None:
            heartbeat.beat()
        if name == "inbox":
            self.contact.sweep()

    def readiness(self) -> Readiness:
        readiness = self.health.run()
        self.metrics.observe_readiness(readiness)
        return readiness

    def _outbox(self) -> list[Sample]:
        with self.gateway.sessions() as s:
            rows = s.execute(
                select(Outgoing.state, func.count(Outgoing.id))
                .where(Outgoing.state.in_(("draft", "checked", "queued", "send_error")))
                .group_by(Outgoing.state)
            ).all()
        return [Sample({"state": state}, float(n)) for state, n in rows]

    def _warnings(self) -> list[Sample]:
        with self.gateway.sessions() as s:
            rows = s.execute(
                select(Warning_.kind, func.count(Warning_.id))
                .where(Warning_.state != "resolved")
                .group_by(Warning_.kind)
            ).all()
        return [Sample({"kind": kind}, float(n)) for kind, n in rows]

    def status(self, days: int = 7) -> dict[str, Any]:
        """What ``lienthong gateway health`` shows: checks, the hub contact, uptime, the outbox."""
        readiness = self.readiness()
        now: datetime = self.gateway.clock()
        last = self.gateway.last_hub_contact
        return {
            "at": now.isoformat(),
            "readiness": readiness.to_dict(),
            "agencies": [
                {
                    "code": "hub",
                    "up": last is not None and now - last <= self.contact.lost_after,
                    "last_contact": last.isoformat() if last else None,
                    "lost_since": None,
                }
            ],
            "uptime": [
                {
                    "peer": r.peer,
                    "day": r.day.isoformat(),
                    "up_seconds": round(r.up_seconds),
                    "observed_seconds": round(r.observed_seconds),
                    "ratio": None if r.ratio is None else round(r.ratio, 4),
                }
                for r in self.contact.uptime(days)
            ],
            "dashboard": self.gateway.counts(),
        }
