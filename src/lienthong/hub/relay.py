"""The relay to the upstream hub (issue 16): send queued packages once, pull its inbox, warn on outages.

Runs in the one worker holding the background lock. Outbound, each relay row is a LeaseQueue entry:
its package is rewritten once (To cut to the upstream recipients, this hub's TraceHeader added) and
stored, so every retry sends the same bytes and the upstream answers a retry after a timeout as an
exact repeat with the original id. Inbound, each upstream delivery is accepted here through the
internal upstream system, recorded by its upstream id, then acknowledged upstream: a crash between
the two neither loses it nor delivers it twice (the hub answers the same bytes as a repeat).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lienthong.client.jsonapi import HubClient
from lienthong.client.models import HubPort, HubRefused, HubUnavailable, SendResult
from lienthong.client.sdk import SdkClient
from lienthong.codes.calendar import VIETNAM
from lienthong.delivery import LeaseQueue, RetryPolicy
from lienthong.edxml.splice import SpliceError, splice
from lienthong.hub import audit, upstream
from lienthong.hub import problems as HP
from lienthong.hub.directory import UPSTREAM_SYSTEM_ID
from lienthong.hub.intake import Refused
from lienthong.hub.service import Hub, HubError, HubEvent, as_utc
from lienthong.problems import Problem
from lienthong.store.blobs import file_sha256
from lienthong.store.loop import Loop
from lienthong.store.tables import Delivery, Package, Relay, UpstreamPull

log = logging.getLogger(__name__)
QUEUE = LeaseQueue(Relay, ready="waiting", done="sent", dead="failed", lease=timedelta(minutes=5))
# Refusals about this hub's link rather than the package: the operator fixes them, the relay waits.
ABOUT_THE_LINK = frozenset({"HUB.AUTH_FAILED", "HUB.FORBIDDEN", "SDK.15", HP.UPSTREAM_NOT_CONFIGURED.code})


@dataclass(frozen=True)
class FederationConfig:
    """How often the upstream is asked, and when waiting relays become a warning."""

    pull_seconds: float = 60.0  # the inbound pull (a JSON upstream is long-polled within it)
    sync_seconds: float = 3600.0  # the directory
    late_minutes: float = 10.0  # a relay waiting longer warns the operator and its sender
    backoff_seconds: float = 5.0
    backoff_max_seconds: float = 300.0
    deadline_hours: float = 72.0  # a relay still refused by the network after this fails
    tick_seconds: float = 5.0  # the relay queue is looked at least this often

    @classmethod
    def from_env(cls) -> FederationConfig:
        """LIENTHONG_UPSTREAM_PULL_SECONDS, _SYNC_SECONDS, _LATE_MINUTES, _BACKOFF_SECONDS … (see below)."""
        env = os.environ

        def number(name: str, default: float) -> float:
            return float(env.get(f"LIENTHONG_UPSTREAM_{name}", "") or default)

        return cls(
            pull_seconds=number("PULL_SECONDS", cls.pull_seconds),
            sync_seconds=number("SYNC_SECONDS", cls.sync_seconds),
            late_minutes=number("LATE_MINUTES", cls.late_minutes),
            backoff_seconds=number("BACKOFF_SECONDS", cls.backoff_seconds),
            backoff_max_seconds=number("BACKOFF_MAX_SECONDS", cls.backoff_max_seconds),
            deadline_hours=number("DEADLINE_HOURS", cls.deadline_hours),
            tick_seconds=number("TICK_SECONDS", cls.tick_seconds),
        )


@dataclass(frozen=True)
class RelayView:
    relay_id: str
    doc_id: str
    kind: str
    sender: str
    recipients: str
    state: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    upstream_doc_id: str | None
    error_code: str | None
    error_text: str | None
    signed: bool

    def to_dict(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class LinkHealth:
    configured: bool
    backlog: int
    failed: int
    oldest_waiting: datetime | None
    last_ok_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    last_sync_at: datetime | None


PortFactory = Callable[[upstream.LinkSettings], HubPort]


class Federation(Loop):
    """The leader's upstream work; every method also runs on demand (the CLI, the tests)."""

    name = "lienthong-upstream"

    def __init__(
        self,
        hub: Hub,
        config: FederationConfig | None = None,
        port_factory: PortFactory = upstream.open_port,
    ) -> None:
        super().__init__()
        self.hub = hub
        self.config = config or FederationConfig()
        self.port_factory = port_factory
        self.policy = RetryPolicy(
            base_seconds=self.config.backoff_seconds,
            cap_seconds=self.config.backoff_max_seconds,
            deadline=timedelta(hours=self.config.deadline_hours),
        )
        self._port: tuple[upstream.LinkSettings, HubPort] | None = None
        self._port_lock = threading.Lock()
        self._puller: threading.Thread | None = None

    # --- the link ---------------------------------------------------------------------------------

    def settings(self) -> upstream.LinkSettings | None:
        with self.hub.read() as s:
            return upstream.get_settings(s, self.hub.keys)

    def port(self) -> HubPort:
        """The upstream's client, made again when the operator changes the link."""
        settings = self.settings()
        if settings is None:
            raise HubError(HP.UPSTREAM_NOT_CONFIGURED(""))
        with self._port_lock:
            if self._stop.is_set() and self._thread is not None:
                raise HubUnavailable("the upstream work is stopping")
            if self._port is None or self._port[0] != settings:
                if self._port is not None:
                    self._port[1].close()
                self._port = (settings, self.port_factory(settings))
            return self._port[1]

    def _record(self, error: str | None = None, what: str = "") -> None:
        try:
            with self.hub.write() as s:
                upstream.record(s, self.hub.clock(), error=error, what=what)
        except Exception:  # the link's health is bookkeeping: never lose a relay over it
            log.exception("upstream link state not recorded")

    # --- outbound -----------------------------------------------------------------------------------

    def relay_due(self, limit: int = 20) -> int:
        """Send every due relay; returns how many were tried."""
        now = self.hub.clock()
        with self.hub.write() as s:
            claimed = [row.id for row in QUEUE.claim(s, now, limit=limit)]
        for row_id in claimed:
            self._relay_one(row_id)
        return len(claimed)

    def _relay_one(self, row_id: int) -> None:
        try:
            port = self.port()
            settings = self.settings()
            assert settings is not None
            path, sender = self._rewritten(row_id, settings.hub_code)
        except HubError as exc:
            self._temporary(row_id, exc.problem.code, exc.problem.message_en)
            return
        except (SpliceError, OSError) as exc:
            self._refused(row_id, HubRefused(HP.MALFORMED.code, f"cannot rewrite for upstream: {exc}"))
            return
        try:
            if isinstance(port, SdkClient):
                port.sender_code = sender  # the SDK's ``from`` parameter names the package's sender
            # Large packages travel in chunks when the client can (both real clients can).
            send_file = getattr(port, "send_file", None)
            result = send_file(path) if send_file is not None else port.send(path.read_bytes())
            _crash_here("relay-after-send")
        except HubUnavailable as exc:
            self._temporary(row_id, HP.UPSTREAM_UNREACHABLE.code, str(exc))
            return
        except HubRefused as exc:
            if exc.code in ABOUT_THE_LINK:
                self._temporary(row_id, exc.code, exc.message)
            else:
                self._refused(row_id, exc)
            return
        self._sent(row_id, result)

    def _rewritten(self, row_id: int, hub_code: str) -> tuple[Any, str]:
        """The body to send: made once at the first try (fixed timestamp) and kept, so retries match."""
        with self.hub.read() as s:
            row = s.get_one(Relay, row_id)
            package = row.package
            key, sender, kind, source = row.blob_key, package.sender_code, package.kind, package.blob_key
            recipients = [c for c in row.recipients.split(",") if c]
            relay_id, doc_id = row.relay_id, package.doc_id
        if key is not None:
            return self.hub.blobs.root / key[:2] / key[2:4] / key, sender
        now = self.hub.clock()
        stamp = as_utc(now).astimezone(VIETNAM).strftime("%Y/%m/%d %H:%M:%S")
        with self.hub.blobs.open(source) as src, self.hub.blobs.staging() as (out, staged):
            done = splice(
                src,
                out,
                recipients=recipients if kind == "edoc" else None,
                organ_id=hub_code,
                timestamp=stamp,
            )
        key = self.hub.blobs.put_file(staged, file_sha256(staged))
        with self.hub.write() as s:
            row = s.get_one(Relay, row_id)
            row.blob_key, row.signed, row.first_try_at = key, done.signed, now
            details: dict[str, Any] = {"package": doc_id, "sha256": key, "to": list(done.kept)}
            if done.signed:
                details["note"] = "XML-DSig signed: forwarded byte for byte (To not cut, no TraceHeader)"
            audit.append(s, now, "hub", "relay.rewrite", relay_id, details)
        return self.hub.blobs.root / key[:2] / key[2:4] / key, sender

    def _rows(self, s: Session, row: Relay) -> list[Delivery]:
        return list(
            s.execute(
                select(Delivery).where(
                    Delivery.package_id == row.package_id,
                    Delivery.route == "upstream",
                    Delivery.state == "relay",
                )
            ).scalars()
        )

    def _sent(self, row_id: int, result: SendResult) -> None:
        now = self.hub.clock()
        events: list[HubEvent] = []
        with self.hub.write() as s:
            row = s.get_one(Relay, row_id)
            QUEUE.succeeded(row, now)
            row.upstream_doc_id, row.sent_at = result.doc_id, now
            row.error_code = row.error_text = None
            package = row.package
            outcomes = {d.recipient: d for d in result.deliveries}
            for d in self._rows(s, row):
                found = outcomes.get(d.recipient_code)
                if found is not None and found.state == "undeliverable":
                    # Per-recipient refusals of the upstream (an unknown code there) reach the sender.
                    code = found.error_code or HP.UPSTREAM_REFUSED.code
                    d.state, d.error_code = "undeliverable", code
                    d.error_text = f"upstream: {code}"
                    problem = HP.UPSTREAM_REFUSED(
                        "MessageHeader/To/OrganId", code=code, detail=d.recipient_code
                    )
                    events.append(self._event("undeliverable", package, d.recipient_code, problem, now))
                else:
                    d.state = "relayed"
            if row.warned_at is not None:
                problem = HP.UPSTREAM_UNREACHABLE("", detail="resolved")
                events.append(self._event("relay_resumed", package, row.recipients, problem, now))
            details = {"upstream_doc_id": result.doc_id, "repeat": result.repeat}
            audit.append(s, now, "hub", "relay.sent", row.relay_id, details)
            upstream.record(s, now)
        for event in events:
            self.hub.emit(event)
        log.info("relayed %s upstream as %s", row_id, result.doc_id)

    def _temporary(self, row_id: int, code: str, text: str) -> None:
        now = self.hub.clock()
        events: list[HubEvent] = []
        with self.hub.write() as s:
            row = s.get_one(Relay, row_id)
            row.error_code, row.error_text = code, text[:2000]
            started = as_utc(row.first_try_at or row.created_at)
            if not QUEUE.failed(row, now, self.policy, started=started, permanent=False):
                problem = HP.UPSTREAM_UNREACHABLE("", detail=f"{code}: {text}")
                events = self._undeliverable(s, row, problem.code, problem.message_en, problem, now)
            upstream.record(s, now, error=f"{code}: {text}")
        for event in events:
            self.hub.emit(event)

    def _refused(self, row_id: int, exc: HubRefused) -> None:
        now = self.hub.clock()
        with self.hub.write() as s:
            row = s.get_one(Relay, row_id)
            QUEUE.failed(row, now, self.policy, started=now, permanent=True)
            row.error_code, row.error_text = exc.code, exc.message[:2000]
            problem = HP.UPSTREAM_REFUSED("", code=exc.code, detail=exc.message[:500])
            events = self._undeliverable(s, row, exc.code, exc.message, problem, now)
            upstream.record(s, now)  # the upstream answered: the link is up
        for event in events:
            self.hub.emit(event)

    def _undeliverable(
        self, s: Session, row: Relay, code: str, text: str, problem: Problem, now: datetime
    ) -> list[HubEvent]:
        """The relay failed for good: its copies become undeliverable with the upstream's code and text."""
        events = []
        for d in self._rows(s, row):
            d.state, d.error_code, d.error_text = "undeliverable", code[:64], text[:2000]
            events.append(self._event("undeliverable", row.package, d.recipient_code, problem, now))
        audit.append(s, now, "hub", "relay.fail", row.relay_id, {"code": code, "detail": text[:500]})
        log.error("relay %s failed: %s %s", row.relay_id, code, text)
        return events

    @staticmethod
    def _event(kind: str, package: Package, recipient: str, problem: Problem, now: datetime) -> HubEvent:
        return HubEvent(kind, package.system_id, package.sender_code, package.doc_id, recipient, problem, now)

    def check_late(self) -> int:
        """Relays waiting longer than ``late_minutes``: one warning each, to the sender and the operator."""
        now = self.hub.clock()
        cut = now - timedelta(minutes=self.config.late_minutes)
        events = []
        with self.hub.write() as s:
            rows = s.execute(
                select(Relay).where(
                    Relay.state == "waiting", Relay.warned_at.is_(None), Relay.created_at < cut
                )
            ).scalars()
            for row in rows:
                row.warned_at = now
                minutes = int((now - as_utc(row.created_at)).total_seconds() // 60)
                problem = HP.UPSTREAM_LATE(
                    "", recipient=row.recipients, minutes=minutes, detail=row.error_code or "-"
                )
                events.append(self._event("relay_late", row.package, row.recipients, problem, now))
                audit.append(s, now, "hub", "relay.late", row.relay_id, {"minutes": minutes})
        for event in events:
            self.hub.emit(event)
        return len(events)

    # --- inbound ------------------------------------------------------------------------------------

    def pull(self) -> int:
        """Take what the upstream holds for this hub's units; returns how many were taken."""
        try:
            port = self.port()
            items = port.inbox()
        except (HubUnavailable, HubRefused) as exc:
            self._record(upstream.describe(exc))
            raise
        taken = 0
        for item in items:
            with self.hub.read() as s:
                seen = s.execute(
                    select(UpstreamPull).where(UpstreamPull.upstream_id == item.delivery_id)
                ).scalar_one_or_none()
                done = seen is not None and seen.state in ("accepted", "refused")
                refused = seen is not None and seen.state == "refused"
                reason = seen.error_code or "" if seen is not None else ""
            if not done:
                refused, reason = self._take(port, item.delivery_id, item.kind)
                taken += 1
            port.ack(item.delivery_id, "fail" if refused else "done", reason)
            with self.hub.write() as s:
                row = s.execute(
                    select(UpstreamPull).where(UpstreamPull.upstream_id == item.delivery_id)
                ).scalar_one()
                row.acked_at = self.hub.clock()
        self._record(what="pull")
        return taken

    def _take(self, port: HubPort, upstream_id: str, kind: str) -> tuple[bool, str]:
        """Accept one upstream delivery here (idempotent: the same bytes again are a repeat)."""
        stager = self.hub.stager()  # streamed from either protocol, never held whole
        try:
            port.fetch_into(upstream_id, stager)
            upload = stager.finish()
        except BaseException:
            stager.abort()
            raise
        refused: Refused | None = None
        doc_id: str | None = None
        try:
            doc_id = self.hub.accept(UPSTREAM_SYSTEM_ID, upload).doc_id
            _crash_here("pull-after-accept")
        except Refused as exc:
            refused = exc
        now = self.hub.clock()
        with self.hub.write() as s:
            s.add(
                UpstreamPull(
                    upstream_id=upstream_id,
                    kind=kind[:8],
                    local_doc_id=doc_id,
                    state="refused" if refused else "accepted",
                    error_code=refused.problem.code if refused else None,
                    pulled_at=now,
                )
            )
        if refused is not None:
            log.warning("upstream delivery %s refused here: %s", upstream_id, refused.problem.code)
            return True, f"{refused.problem.code}: {refused.problem.message_en}"
        return False, ""

    # --- the directory ---------------------------------------------------------------------------------

    def sync(self) -> upstream.SyncResult:
        """The upstream's directory changes since the version last seen."""
        with self.hub.read() as s:
            link = upstream.view(s)
        if link is None:
            raise HubError(HP.UPSTREAM_NOT_CONFIGURED(""))
        try:
            remote, version = upstream.fetch_directory(self.port(), link.directory_version)
        except (HubUnavailable, HubRefused) as exc:
            self._record(upstream.describe(exc))
            raise
        with self.hub.write() as s:
            result = upstream.apply_directory(s, remote, version, self.hub.clock())
        self.hub.forget_cached()
        return result

    # --- health and the operator's queue --------------------------------------------------------------

    def health(self) -> LinkHealth:
        return link_health(self.hub)

    def resend(self, relay_id: str | None = None, all_failed: bool = False) -> int:
        return resend(self.hub, relay_id, all_failed)

    # --- the loop ------------------------------------------------------------------------------------------

    def start(self) -> None:
        with self.hub.write() as s:
            QUEUE.release_all(s)  # the previous leader is gone
        super().start()
        self._puller = threading.Thread(target=self._pull_loop, name="lienthong-upstream-pull", daemon=True)
        self._puller.start()

    def stop(self) -> None:
        self._stop.set()
        self.hub.relay_wake.set()  # the relay thread waits on it
        with self._port_lock:  # closing the client ends a long poll in flight at once
            if self._port is not None:
                self._port[1].close()
                self._port = None
        super().stop()
        if self._puller is not None:
            self._puller.join(timeout=15)
            self._puller = None

    def _run(self) -> None:
        next_sync = 0.0
        while not self._stop.is_set():
            configured = self._guard("settings", self.settings) is not None
            if configured:
                self._guard("relay", self._relay_all)
                if _monotonic() >= next_sync:
                    done = self._guard("sync", self.sync) is not None
                    # Hourly once taken; soon again while the upstream cannot be reached.
                    next_sync = _monotonic() + (
                        self.config.sync_seconds if done else self.config.pull_seconds
                    )
            self._guard("late", self.check_late)  # relays wait (and warn) even with no link configured
            self.hub.relay_wake.wait(self.config.tick_seconds)
            self.hub.relay_wake.clear()

    def _relay_all(self) -> None:
        while not self._stop.is_set() and self.relay_due():
            pass

    @staticmethod
    def _guard(what: str, work: Callable[[], Any]) -> Any:
        """One task of the loop: the upstream or the database being away only skips it this round."""
        try:
            return work()
        except Exception as exc:
            log.warning("upstream %s: %s", what, upstream.describe(exc))
            return None

    def _pull_loop(self) -> None:
        while not self._stop.is_set():
            waited = False
            try:
                if self.settings() is not None:
                    self.pull()
                    port = self.port()
                    if isinstance(port, HubClient):  # a Lienthong upstream long-polls: mail arrives at once
                        port.wait(min(self.config.pull_seconds, 10.0))
                        waited = True
            except Exception as exc:
                log.warning("upstream pull: %s", upstream.describe(exc))
            if not waited:
                self._stop.wait(self.config.pull_seconds)


def _crash_here(name: str) -> None:
    """Crash tests: ``LIENTHONG_HUB_FAULT=<name>`` ends the process here with SIGKILL (a power cut)."""
    if os.environ.get("LIENTHONG_HUB_FAULT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


def _monotonic() -> float:
    import time

    return time.monotonic()


def link_health(hub: Hub) -> LinkHealth:
    with hub.read() as s:
        link = upstream.view(s)
        backlog, oldest = s.execute(
            select(func.count(Relay.id), func.min(Relay.created_at)).where(Relay.state == "waiting")
        ).one()
        failed = s.execute(select(func.count(Relay.id)).where(Relay.state == "failed")).scalar_one()
    return LinkHealth(
        configured=link is not None,
        backlog=int(backlog or 0),
        failed=int(failed or 0),
        oldest_waiting=as_utc(oldest) if oldest else None,
        last_ok_at=as_utc(link.last_ok_at) if link and link.last_ok_at else None,
        last_error=link.last_error if link else None,
        last_error_at=as_utc(link.last_error_at) if link and link.last_error_at else None,
        last_sync_at=as_utc(link.last_sync_at) if link and link.last_sync_at else None,
    )


def list_relays(hub: Hub, state: str | None = None, limit: int = 200) -> list[RelayView]:
    query = select(Relay, Package).join(Package, Relay.package_id == Package.id)
    if state:
        query = query.where(Relay.state == state)
    with hub.read() as s:
        rows = s.execute(query.order_by(Relay.id.desc()).limit(limit)).all()
        return [
            RelayView(
                r.relay_id,
                p.doc_id,
                p.kind,
                p.sender_code,
                r.recipients,
                r.state,
                r.attempts,
                as_utc(r.created_at),
                as_utc(r.next_attempt_at),
                r.upstream_doc_id,
                r.error_code,
                r.error_text,
                r.signed,
            )
            for r, p in rows
        ]


def resend(
    hub: Hub, relay_id: str | None = None, all_failed: bool = False, actor: str = "operator", ip: str = ""
) -> int:
    """Failed relays back into the queue (LeaseQueue.requeue): their copies wait to be relayed again."""
    now = hub.clock()
    with hub.write() as s:
        query = select(Relay)
        query = (
            query.where(Relay.state == "failed") if all_failed else query.where(Relay.relay_id == relay_id)
        )
        rows = list(s.execute(query).scalars())
        if not all_failed and not rows:
            raise HubError(HP.NOT_FOUND("", what="relay", id=relay_id or ""))
        for row in rows:
            if row.state != "failed":
                raise HubError(HP.NOT_RELAYED("", id=row.relay_id, state=row.state))
            QUEUE.requeue(row, now)
            row.first_try_at = now  # a fresh deadline; the rewritten body (and so its id upstream) stays
            row.warned_at = None
            for d in s.execute(
                select(Delivery).where(
                    Delivery.package_id == row.package_id,
                    Delivery.route == "upstream",
                    Delivery.state == "undeliverable",
                    Delivery.recipient_code.in_([c for c in row.recipients.split(",") if c]),
                )
            ).scalars():
                d.state, d.error_code, d.error_text = "relay", None, None
            audit.append(s, now, actor, "relay.resend", row.relay_id, {"ip": ip} if ip else {})
    hub.relay_wake.set()
    return len(rows)
