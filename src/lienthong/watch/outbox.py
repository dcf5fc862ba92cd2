"""The durable outbox: messages wait in the database until delivered, retried with backoff, never lost.

Any number of workers may deliver: a worker claims a row with a conditional update (it wins only if
the row is still as it read it) and holds a lease; a worker that dies mid-send gives its rows back
when the lease runs out. Permanent failures go dead at once; temporary ones back off and go dead
after the configured number of attempts, kept for the operator to see.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from lienthong.hub.service import Hub
from lienthong.store.tables import WatchOutbox
from lienthong.watch.rules import utc


@dataclass(frozen=True)
class Message:
    id: int
    channel: str
    purpose: str
    agency_code: str
    target: str
    payload: dict[str, Any]
    attempts: int


class PermanentFailure(Exception):
    """The other side refused for good (an unknown mailbox, a 4xx webhook answer): do not retry."""


def enqueue(
    session: Session,
    *,
    key: str,
    channel: str,
    purpose: str,
    agency: str,
    target: str,
    payload: dict[str, Any],
    now: datetime,
) -> bool:
    """Add a message unless one with the same key exists (events and runs may be seen twice)."""
    if session.execute(select(WatchOutbox.id).where(WatchOutbox.dedupe_key == key)).first() is not None:
        return False
    session.add(
        WatchOutbox(
            dedupe_key=key[:200],
            channel=channel,
            purpose=purpose,
            agency_code=agency,
            target=target,
            payload=json.dumps(payload, ensure_ascii=False),
            state="pending",
            attempts=0,
            next_attempt_at=utc(now),
            created_at=utc(now),
        )
    )
    return True


def claim(hub: Hub, now: datetime, lease_seconds: float, limit: int = 50) -> list[Message]:
    """Take up to ``limit`` due messages for this worker."""
    now = utc(now)
    o = WatchOutbox
    due = or_(
        and_(o.state == "pending", o.next_attempt_at <= now),
        and_(o.state == "sending", o.lease_until < now),  # a crashed worker's lease ran out
    )
    claimed: list[Message] = []
    with hub.write() as s:
        rows = s.execute(
            select(o.id, o.state, o.attempts).where(due).order_by(o.next_attempt_at, o.id).limit(limit)
        ).all()
        for row_id, state, attempts in rows:
            won = s.execute(
                update(o)
                .where(o.id == row_id, o.state == state, o.attempts == attempts)
                .values(state="sending", lease_until=now + timedelta(seconds=lease_seconds))
                .execution_options(synchronize_session=False)
            )
            if getattr(won, "rowcount", 0) == 1:
                row = s.get_one(o, row_id)
                claimed.append(
                    Message(
                        row.id,
                        row.channel,
                        row.purpose,
                        row.agency_code,
                        row.target,
                        json.loads(row.payload or "{}"),
                        row.attempts,
                    )
                )
    return claimed


def mark_sent(hub: Hub, message: Message, now: datetime) -> None:
    with hub.write() as s:
        row = s.get_one(WatchOutbox, message.id)
        row.state = "sent"
        row.attempts = message.attempts + 1
        row.sent_at = utc(now)
        row.lease_until = None
        row.last_error = None
        if message.purpose == "report":
            row.payload = "{}"  # the rendered report is large and can be rebuilt on demand


def mark_failed(
    hub: Hub,
    message: Message,
    now: datetime,
    error: str,
    *,
    permanent: bool,
    max_attempts: int,
    backoff_seconds: float,
) -> str:
    """Schedule a retry (doubling the wait) or give up; returns the new state."""
    attempts = message.attempts + 1
    with hub.write() as s:
        row = s.get_one(WatchOutbox, message.id)
        row.attempts = attempts
        row.last_error = error[:2000]
        row.lease_until = None
        if permanent or attempts >= max_attempts:
            row.state = "dead"
        else:
            row.state = "pending"
            row.next_attempt_at = utc(now) + timedelta(seconds=backoff_seconds * 2 ** (attempts - 1))
        return row.state


def counts(session: Session) -> dict[str, int]:
    """Messages per state, for the operator."""
    from sqlalchemy import func

    rows = session.execute(select(WatchOutbox.state, func.count()).group_by(WatchOutbox.state))
    return {state: int(n) for state, n in rows}
