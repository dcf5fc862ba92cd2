"""The hub's watch outbox: alerts and reports wait in the database until delivered, never lost.

The queue (leases, SKIP LOCKED) and the retry policy are lienthong.delivery's: permanent failures go
dead at once; temporary ones back off and go dead after the configured number of attempts, kept for
the operator to see.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lienthong.delivery import LeaseQueue, RetryPolicy
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


QUEUE = LeaseQueue(WatchOutbox, ready="pending", leased="sending", done="sent", dead="dead")


def claim(hub: Hub, now: datetime, lease_seconds: float, limit: int = 50) -> list[Message]:
    """Take up to ``limit`` due messages for this worker."""
    queue = LeaseQueue(WatchOutbox, ready="pending", leased="sending", lease=timedelta(seconds=lease_seconds))
    with hub.write() as s:
        return [
            Message(
                row.id,
                row.channel,
                row.purpose,
                row.agency_code,
                row.target,
                json.loads(row.payload or "{}"),
                row.attempts,
            )
            for row in queue.claim(s, utc(now), limit)
        ]


def mark_sent(hub: Hub, message: Message, now: datetime) -> None:
    with hub.write() as s:
        row = s.get_one(WatchOutbox, message.id)
        QUEUE.succeeded(row, now)
        row.sent_at = utc(now)
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
    """Schedule a retry (the shared policy: doubling wait with jitter) or give up; returns the new state."""
    policy = RetryPolicy(base_seconds=backoff_seconds, cap_seconds=6 * 3600, max_attempts=max_attempts)
    with hub.write() as s:
        row = s.get_one(WatchOutbox, message.id)
        row.last_error = error[:2000]
        QUEUE.failed(row, utc(now), policy, started=row.created_at, permanent=permanent)
        return row.state


def counts(session: Session) -> dict[str, int]:
    """Messages per state, for the operator."""
    from sqlalchemy import func

    rows = session.execute(select(WatchOutbox.state, func.count()).group_by(WatchOutbox.state))
    return {state: int(n) for state, n in rows}
