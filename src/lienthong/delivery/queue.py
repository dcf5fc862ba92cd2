"""A durable queue in any table with state, attempts, next_attempt_at and lease_until columns.

A worker claims due rows with a lease; a worker that dies mid-send gives its rows back when the
lease runs out. On PostgreSQL the claim skips rows another worker holds locked (SKIP LOCKED); on
SQLite, whose writers are serialised anyway, a conditional update makes sure only one wins a row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session

from lienthong.delivery.policy import RetryPolicy

Row = TypeVar("Row")


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class LeaseQueue(Generic[Row]):
    """Claim, complete and fail rows of ``model``; the caller owns the transaction."""

    def __init__(
        self,
        model: type[Row],
        *,
        ready: str = "pending",
        leased: str | None = None,
        done: str = "sent",
        dead: str = "dead",
        lease: timedelta = timedelta(seconds=60),
    ) -> None:
        """``leased``: a state shown while a worker holds the row (None: the state does not change)."""
        self.model: Any = model
        self.ready, self.leased, self.done, self.dead = ready, leased, done, dead
        self.lease = lease

    def _due(self, now: datetime) -> ColumnElement[bool]:
        m = self.model
        free = or_(m.lease_until.is_(None), m.lease_until < now)
        due = and_(m.state == self.ready, m.next_attempt_at <= now, free)
        if self.leased is not None:
            due = or_(due, and_(m.state == self.leased, m.lease_until < now))  # a dead worker's rows
        return due

    def claim(
        self, session: Session, now: datetime, limit: int = 20, where: Sequence[ColumnElement[bool]] = ()
    ) -> list[Row]:
        """Take up to ``limit`` due rows for this worker, oldest due first."""
        m = self.model
        query = select(m).where(self._due(now), *where).order_by(m.next_attempt_at, m.id).limit(limit)
        if session.get_bind().dialect.name == "postgresql":
            rows = list(session.execute(query.with_for_update(skip_locked=True)).scalars())
            for row in rows:
                self._take(row, now)
            return rows
        won: list[Row] = []
        for row in list(session.execute(query).scalars()):
            held = m.lease_until.is_(None) if row.lease_until is None else m.lease_until == row.lease_until
            result = session.execute(
                update(m)
                .where(m.id == row.id, m.attempts == row.attempts, held)
                .values(lease_until=now + self.lease)
                .execution_options(synchronize_session=False)
            )
            if getattr(result, "rowcount", 0) == 1:
                self._take(row, now)
                won.append(row)
        return won

    def _take(self, row: Any, now: datetime) -> None:
        row.lease_until = now + self.lease
        if self.leased is not None:
            row.state = self.leased

    def succeeded(self, row: Any, now: datetime) -> None:
        row.state, row.lease_until = self.done, None
        row.attempts = (row.attempts or 0) + 1

    def failed(
        self, row: Any, now: datetime, policy: RetryPolicy, *, started: datetime, permanent: bool
    ) -> bool:
        """Record a failed try; True when it will be tried again, False when it is now dead."""
        row.attempts = (row.attempts or 0) + 1
        row.lease_until = None
        when = None if permanent else policy.next_attempt(row.attempts, _utc(started), _utc(now))
        if when is None:
            row.state = self.dead
            return False
        row.state, row.next_attempt_at = self.ready, when
        return True

    def requeue(self, row: Any, now: datetime) -> None:
        """Back into the queue, due now, with a fresh count (an operator's or a clerk's resend)."""
        row.state, row.attempts, row.next_attempt_at, row.lease_until = self.ready, 0, now, None

    def release_all(self, session: Session) -> int:
        """Give back every lease (at start-up: the previous process is gone)."""
        m = self.model
        values: dict[str, Any] = {"lease_until": None}
        condition = and_(m.lease_until.is_not(None), m.state == (self.leased or self.ready))
        if self.leased is not None:
            values["state"] = self.ready
        result = session.execute(update(m).where(condition).values(**values))
        return int(getattr(result, "rowcount", 0) or 0)
