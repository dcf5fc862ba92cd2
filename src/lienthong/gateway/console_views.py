"""The console's registers: filters by state, sender and date; unread and overdue at a glance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select

from lienthong.codes.calendar import VIETNAM
from lienthong.gateway.core import Core, as_utc
from lienthong.gateway.states import FINAL
from lienthong.gateway.tables import Incoming, Outgoing
from lienthong.gateway.views import Page, _incoming, _outgoing, _page, _recipient

UNREAD = frozenset({"arrived", "change_arrived", "recall_requested"})  # waiting for a clerk
OVERDUE_AFTER = timedelta(days=7)  # not finished a week after arrival


@dataclass(frozen=True)
class InboxFilter:
    q: str = ""
    state: str = ""
    sender: str = ""
    since: date | None = None
    until: date | None = None
    urgency: str = ""  # "" all; "0" ordinary; "urgent": any of khẩn, thượng khẩn, hỏa tốc


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, VIETNAM)


def incoming(core: Core, f: InboxFilter, page: int, size: int = 20) -> Page:
    query = select(Incoming).where(Incoming.kind == "edoc").order_by(Incoming.id.desc())
    if f.q:
        like = f"%{f.q}%"
        terms: list[ColumnElement[bool]] = [
            Incoming.notation.ilike(like),
            Incoming.subject.ilike(like),
            Incoming.document_id.ilike(like),
        ]
        if f.q.isdigit():
            terms.append(Incoming.arrival_number == int(f.q))
        query = query.where(or_(*terms))
    if f.state:
        query = query.where(Incoming.state == f.state)
    if f.sender:
        like = f"%{f.sender}%"
        query = query.where(or_(Incoming.sender_code.ilike(like), Incoming.sender_name.ilike(like)))
    if f.urgency == "urgent":
        query = query.where(Incoming.priority.in_(("1", "2", "3")))
    elif f.urgency:
        query = query.where(Incoming.priority == f.urgency)
    if f.since:
        query = query.where(Incoming.arrival_at >= _day_start(f.since))
    if f.until:
        query = query.where(Incoming.arrival_at < _day_start(f.until + timedelta(days=1)))
    now = core.clock()
    with core.sessions() as s:
        rows, total = _page(s, query, page, size)
        items = []
        for row in rows:
            item = _incoming(row)
            item["unread"] = row.state in UNREAD
            item["priority"] = row.priority or "0"
            item["overdue"] = row.state not in FINAL and now - as_utc(row.arrival_at) > OVERDUE_AFTER
            items.append(item)
    return Page(items, total, max(page, 1), size)


def outgoing(core: Core, q: str, state: str, page: int, size: int = 20) -> Page:
    """Documents sent (not status replies), each with every recipient's status and times."""
    query = select(Outgoing).where(Outgoing.kind == "edoc").order_by(Outgoing.id.desc())
    if q:
        like = f"%{q}%"
        query = query.where(or_(Outgoing.notation.ilike(like), Outgoing.subject.ilike(like)))
    if state:
        query = query.where(Outgoing.state == state)
    with core.sessions() as s:
        rows, total = _page(s, query, page, size)
        items = [_with_recipients(o) for o in rows]
    return Page(items, total, max(page, 1), size)


def _with_recipients(o: Outgoing) -> dict[str, Any]:
    data = _outgoing(o)
    data["recipients"] = [_recipient(o.state, r) for r in o.recipients]
    data["approved_by"] = o.approved_by
    return data


def incoming_counts(core: Core) -> dict[str, int]:
    """At a glance on the incoming register: documents waiting for a clerk, and overdue ones."""
    since = core.clock() - OVERDUE_AFTER
    waiting = select(func.count(Incoming.id)).where(Incoming.kind == "edoc", Incoming.state.in_(UNREAD))
    late = select(func.count(Incoming.id)).where(
        Incoming.kind == "edoc", Incoming.state.not_in(FINAL), Incoming.arrival_at < since
    )
    with core.sessions() as s:
        return {"unread": int(s.execute(waiting).scalar_one()), "overdue": int(s.execute(late).scalar_one())}
