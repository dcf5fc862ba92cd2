"""Connectivity of peers (agencies at the hub, the hub at a gateway): contact lost and back, uptime per day.

A peer is up while its last contact is at most ``lost_after`` old. Each sweep raises CONTACT_LOST
for peers silent longer than that (once), clears it with CONTACT_RESTORED when they come back, and
adds the time since the previous sweep to the peer's uptime of that day (Vietnam time), split at
midnight: up until its last contact plus ``lost_after`` and, for a peer back from a loss, only from
the contact that ended the silence. A gap longer than ``max_gap`` between sweeps (the monitor itself
was not running) is not counted at all: nobody observed it, and it must not count against the peers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo

from sqlalchemy import Engine, select
from sqlalchemy.orm import sessionmaker

from lienthong.codes.dates import VIETNAM
from lienthong.monitor import problems as MP
from lienthong.monitor.health import Clock, Status
from lienthong.monitor.metrics import Metrics
from lienthong.monitor.state import Conditions, StateStore
from lienthong.store.tables import MonitorState, UptimeDay

SWEEP_KEY = "sweep:contact"
CONTACT_PREFIX = "contact:"


@dataclass(frozen=True)
class PeerContact:
    """A peer and its last contact (None: never in contact, so never watched)."""

    peer: str
    last_contact: datetime | None
    recipients: tuple[str, ...] = ()  # the peer's own contacts, told when it is lost and back


ContactSource = Callable[[], Iterable[PeerContact]]


@dataclass(frozen=True)
class PeerState:
    peer: str
    up: bool
    last_contact: datetime
    lost_since: datetime | None


@dataclass(frozen=True)
class SweepReport:
    at: datetime
    peers: list[PeerState] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)  # newly lost in this sweep
    restored: list[str] = field(default_factory=list)  # back in this sweep


@dataclass(frozen=True)
class UptimeRow:
    peer: str
    day: date
    up_seconds: float
    observed_seconds: float

    @property
    def ratio(self) -> float | None:
        return self.up_seconds / self.observed_seconds if self.observed_seconds else None


def split_by_day(start: datetime, end: datetime, tz: tzinfo = VIETNAM) -> list[tuple[date, float]]:
    """Seconds of [start, end) falling on each local day."""
    out: list[tuple[date, float]] = []
    cursor = start
    while cursor < end:
        local = cursor.astimezone(tz)
        midnight = datetime(local.year, local.month, local.day, tzinfo=tz) + timedelta(days=1)
        stop = min(end, midnight)
        out.append((local.date(), (stop - cursor).total_seconds()))
        cursor = stop
    return out


class ContactTracker:
    def __init__(
        self,
        engine: Engine,
        source: ContactSource,
        conditions: Conditions,
        clock: Clock,
        lost_after: timedelta = timedelta(minutes=30),
        max_gap: timedelta = timedelta(minutes=15),
        metrics: Metrics | None = None,
        tz: tzinfo = VIETNAM,
    ) -> None:
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self.states = StateStore(engine)
        self.source = source
        self.conditions = conditions
        self.clock = clock
        self.lost_after = lost_after
        self.max_gap = max_gap
        self.metrics = metrics
        self.tz = tz

    def sweep(self) -> SweepReport:
        now = self.clock()
        start = self._move_mark(now)
        if start is not None and (now - start > self.max_gap or start >= now):
            start = None  # an unobserved gap (or a clock step back): count nothing for it
        report = SweepReport(now)
        added: dict[tuple[str, date], tuple[float, float]] = {}
        for contact in self.source():
            if contact.last_contact is None:
                continue
            last = _utc(contact.last_contact)
            up_until = last + self.lost_after
            up = now <= up_until
            key = CONTACT_PREFIX + contact.peer
            back = False
            if up:
                back = self.conditions.clear(
                    key, MP.CONTACT_RESTORED("", peer=contact.peer, at=last.isoformat()), contact.recipients
                )
                if back:
                    report.restored.append(contact.peer)
            elif self.conditions.raise_(
                key,
                MP.CONTACT_LOST(
                    "",
                    peer=contact.peer,
                    since=last.isoformat(),
                    minutes=int(self.lost_after.total_seconds() // 60),
                ),
                Status.WARN,
                since=up_until,
                recipients=contact.recipients,
            ):
                report.lost.append(contact.peer)
            report.peers.append(PeerState(contact.peer, up, last, None if up else up_until))
            if self.metrics is not None:
                self.metrics.last_contact_age.labels(peer=contact.peer).set((now - last).total_seconds())
            if start is not None:
                for day, seconds in split_by_day(start, now, self.tz):
                    up_a, seen = added.get((contact.peer, day), (0.0, 0.0))
                    added[(contact.peer, day)] = (up_a, seen + seconds)
                # Lost at the previous sweep and back now: up only from the contact that ended the silence.
                up_from = max(start, last) if back else start
                if up_until > up_from:
                    for day, seconds in split_by_day(up_from, min(now, up_until), self.tz):
                        up_a, seen = added[(contact.peer, day)]
                        added[(contact.peer, day)] = (up_a + seconds, seen)
        with self.sessions() as s, s.begin():
            for (peer, day), (up_s, seen_s) in added.items():
                row = s.get(UptimeDay, (peer, day))
                if row is None:
                    row = UptimeDay(peer=peer, day=day, up_seconds=0.0, observed_seconds=0.0)
                    s.add(row)
                row.up_seconds += up_s
                row.observed_seconds += seen_s
        if self.metrics is not None:
            self.metrics.contact_lost.set(sum(1 for p in report.peers if not p.up))
        return report

    def _move_mark(self, now: datetime) -> datetime | None:
        """The previous sweep's time, moved to ``now`` in one locked transaction (so two processes
        sweeping never count the same interval twice)."""
        with self.sessions() as s, s.begin():
            mark = s.execute(
                select(MonitorState).where(MonitorState.key == SWEEP_KEY).with_for_update()
            ).scalar_one_or_none()
            if mark is None:
                s.add(
                    MonitorState(
                        key=SWEEP_KEY, status="ok", reason="OK", detail="", since=now, updated_at=now
                    )
                )
                return None
            previous = _utc(mark.updated_at)
            mark.updated_at = now
            return previous

    def observe(self) -> list[PeerState]:
        """Each watched peer's state now, without alerting or counting (for status screens)."""
        now = self.clock()
        out = []
        for contact in self.source():
            if contact.last_contact is None:
                continue
            last = _utc(contact.last_contact)
            up = now <= last + self.lost_after
            out.append(PeerState(contact.peer, up, last, None if up else last + self.lost_after))
        return out

    def lost(self) -> dict[str, datetime]:
        """Peers out of contact now, and since when."""
        return {k[len(CONTACT_PREFIX) :]: c.since for k, c in self.conditions.open(CONTACT_PREFIX).items()}

    def uptime(self, days: int = 7, peers: Iterable[str] | None = None) -> list[UptimeRow]:
        """Uptime rows of the last ``days`` local days (today included), newest first."""
        today = self.clock().astimezone(self.tz).date()
        first = today - timedelta(days=days - 1)
        with self.sessions() as s:
            query = select(UptimeDay).where(UptimeDay.day >= first)
            if peers is not None:
                query = query.where(UptimeDay.peer.in_(list(peers)))
            rows = s.execute(query.order_by(UptimeDay.day.desc(), UptimeDay.peer)).scalars()
            return [UptimeRow(r.peer, r.day, r.up_seconds, r.observed_seconds) for r in rows]


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
