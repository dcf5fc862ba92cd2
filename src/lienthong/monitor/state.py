"""Watched conditions kept in the database: "since when" survives restarts, the status command sees them.

A condition is raised once, when it starts or gets worse, and cleared once, when it ends: each
change is one alert to the notifier, never one per scan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker

from lienthong.monitor.health import Clock, Status
from lienthong.monitor.notify import Alert, Notifier
from lienthong.problems import Problem
from lienthong.store.tables import MonitorState


@dataclass(frozen=True)
class Condition:
    key: str
    status: Status
    reason: str  # a problem code, with ":grade" when one code has several grades (certificate 60/30/7)
    detail: str
    since: datetime
    updated_at: datetime

    @property
    def code(self) -> str:
        return self.reason.split(":", 1)[0]


class StateStore:
    """Conditions in the ``monitor_state`` table."""

    def __init__(self, engine: Engine) -> None:
        self.sessions = sessionmaker(engine, expire_on_commit=False)

    def get(self, key: str) -> Condition | None:
        with self.sessions() as s:
            row = s.get(MonitorState, key)
            return _condition(row) if row is not None else None

    def with_prefix(self, prefix: str) -> dict[str, Condition]:
        with self.sessions() as s:
            rows = s.execute(select(MonitorState).where(MonitorState.key.startswith(prefix))).scalars()
            return {r.key: _condition(r) for r in rows}

    def put(self, condition: Condition) -> None:
        with self.sessions() as s, s.begin():
            _put(s, condition)

    def remove(self, key: str) -> None:
        with self.sessions() as s, s.begin():
            s.execute(delete(MonitorState).where(MonitorState.key == key))


def _put(s: Session, c: Condition) -> None:
    row = s.get(MonitorState, c.key)
    if row is None:
        row = MonitorState(key=c.key)
        s.add(row)
    row.status, row.reason, row.detail = c.status.value, c.reason, c.detail[:2000]
    row.since, row.updated_at = c.since, c.updated_at


def _condition(row: MonitorState) -> Condition:
    return Condition(
        row.key, Status(row.status), row.reason, row.detail, _utc(row.since), _utc(row.updated_at)
    )


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class Conditions:
    """Raise and clear conditions, alerting on each change only."""

    def __init__(self, store: StateStore, notifier: Notifier, clock: Clock) -> None:
        self.store = store
        self.notifier = notifier
        self.clock = clock

    def raise_(
        self,
        key: str,
        problem: Problem,
        status: Status = Status.WARN,
        grade: str = "",
        since: datetime | None = None,
        recipients: tuple[str, ...] = (),
    ) -> bool:
        """Record that ``key`` is wrong; alert if it was not (or had another grade). True if alerted."""
        now = self.clock()
        reason = f"{problem.code}:{grade}" if grade else problem.code
        before = self.store.get(key)
        if before is not None and before.status is status and before.reason == reason:
            return False
        start = before.since if before is not None and before.status is not Status.OK else (since or now)
        self.store.put(Condition(key, status, reason, problem.message_en, start, now))
        self.notifier.notify(Alert(key, problem, now, recipients=recipients))
        return True

    def clear(self, key: str, problem: Problem | None = None, recipients: tuple[str, ...] = ()) -> bool:
        """Record that ``key`` is fine again; alert with ``problem`` (e.g. CONTACT_RESTORED) if it was not."""
        before = self.store.get(key)
        if before is None or before.status is Status.OK:
            return False
        now = self.clock()
        self.store.put(Condition(key, Status.OK, "OK", "", now, now))
        if problem is not None:
            self.notifier.notify(Alert(key, problem, now, cleared=True, recipients=recipients))
        return True

    def open(self, prefix: str = "") -> dict[str, Condition]:
        """Conditions currently raised."""
        return {k: c for k, c in self.store.with_prefix(prefix).items() if c.status is not Status.OK}
