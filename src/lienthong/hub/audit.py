"""The hash-chained audit log: each entry's hash covers the previous hash and the entry itself."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from lienthong.store.tables import AuditEntry, Counter

GENESIS = "0" * 64
_HEAD = "audit_head"


def utc_naive(moment: datetime) -> datetime:
    """The same instant as naive UTC (SQLite drops zones; PostgreSQL keeps them)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def entry_hash(
    prev_hash: str, seq: int, at: datetime, actor: str, action: str, subject: str, details: str
) -> str:
    body = json.dumps(
        [seq, utc_naive(at).isoformat(timespec="microseconds"), actor, action, subject, details],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


def append(
    session: Session,
    at: datetime,
    actor: str,
    action: str,
    subject: str,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry inside the caller's transaction (which serialises appends)."""
    at = utc_naive(at)
    append_many(session, at, [(actor, action, subject, details or {})])
    head = _locked_head(session)
    return AuditEntry(  # what was written (the row itself went in by a Core statement)
        seq=head.value,
        at=at,
        actor=actor,
        action=action,
        subject=subject,
        details=json.dumps(details or {}, ensure_ascii=False, sort_keys=True, default=str),
        prev_hash=head.previous,
        hash=head.text,
    )


def append_many(session: Session, at: datetime, entries: list[tuple[str, str, str, dict[str, Any]]]) -> None:
    """Append several entries (actor, action, subject, details): one INSERT and one head UPDATE."""
    if not entries:
        return
    head = _locked_head(session)
    at = utc_naive(at)
    rows = []
    prev, seq = head.text, head.value
    for actor, action, subject, details in entries:
        seq += 1
        text = json.dumps(details, ensure_ascii=False, sort_keys=True, default=str)
        digest = entry_hash(prev, seq, at, actor, action, subject, text)
        rows.append(
            {
                "seq": seq,
                "at": at,
                "actor": actor,
                "action": action,
                "subject": subject,
                "details": text,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        head.previous, prev = prev, digest
    connection = session.connection()
    connection.execute(_INSERT_ENTRIES, rows)
    connection.execute(_MOVE_HEAD, {"new_value": seq, "new_text": prev})
    head.value, head.text = seq, prev


@dataclass
class _Head:
    """The chain's head as this transaction sees it (its row is locked until the commit)."""

    value: int
    text: str
    previous: str = ""  # the hash before the last entry appended in this transaction


# Core statements on the tables, compiled once (issue 15: the writer's CPU per batch).
_COUNTERS = cast(Table, Counter.__table__)
_INSERT_ENTRIES = insert(cast(Table, AuditEntry.__table__))
_READ_HEAD = select(_COUNTERS.c.value, _COUNTERS.c.text).where(_COUNTERS.c.name == _HEAD).with_for_update()
_CREATE_HEAD = insert(_COUNTERS).values(name=_HEAD, value=0, text=GENESIS)
_MOVE_HEAD = (
    update(_COUNTERS)
    .where(_COUNTERS.c.name == _HEAD)
    .values(value=bindparam("new_value"), text=bindparam("new_text"))
)


def _locked_head(session: Session) -> _Head:
    """The chain's head row, locked once per transaction and then reused for every append in it."""
    connection = session.connection()  # begins the transaction if it has not begun
    transaction = session.get_transaction()
    cached = session.info.get(_HEAD)
    if cached is not None and cached[0] is transaction:
        return cached[1]  # type: ignore[no-any-return]
    row = connection.execute(_READ_HEAD).first()
    if row is None:
        connection.execute(_CREATE_HEAD)
        head = _Head(0, GENESIS)
    else:
        head = _Head(int(row.value), str(row.text))
    session.info[_HEAD] = (transaction, head)
    return head


@dataclass(frozen=True)
class ChainReport:
    entries: int
    ok: bool
    first_broken: int | None = None
    reason: str = ""


def verify(session: Session, batch: int = 5000) -> ChainReport:
    """Walk the whole chain; report the first entry whose link or content does not check."""
    prev = GENESIS
    expected_seq = 1
    count = 0
    last_seq = 0
    while True:
        rows = session.execute(
            select(AuditEntry).where(AuditEntry.seq > last_seq).order_by(AuditEntry.seq).limit(batch)
        ).scalars()
        got = False
        for e in rows:
            got = True
            count += 1
            last_seq = e.seq
            if e.seq != expected_seq:
                return ChainReport(count, False, expected_seq, f"entry {expected_seq} is missing")
            if e.prev_hash != prev:
                return ChainReport(count, False, e.seq, "its link to the previous entry is broken")
            if entry_hash(prev, e.seq, e.at, e.actor, e.action, e.subject, e.details) != e.hash:
                return ChainReport(count, False, e.seq, "its content does not match its hash")
            prev = e.hash
            expected_seq += 1
        if not got:
            break
    head = session.execute(select(Counter).where(Counter.name == _HEAD)).scalar_one_or_none()
    if head is not None and (head.value != last_seq or head.text != prev):
        return ChainReport(count, False, last_seq + 1, "entries after this one were removed")
    return ChainReport(count, True)
