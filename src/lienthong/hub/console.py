"""What the operator console shows, read from the hub's tables: every query of the console lives here."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any

from cryptography import x509
from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from lienthong.accounts.model import Person
from lienthong.codes.calendar import VIETNAM
from lienthong.hub.people import in_scope, scope_filter
from lienthong.store.bodies import same_body
from lienthong.store.tables import (
    Agency,
    AuditEntry,
    Delivery,
    MonitorState,
    Package,
    Refusal,
    System,
    SystemAgency,
    UptimeDay,
)

PER_PAGE = 50
_CODE_LIKE = re.compile(r"^(?=.*\d)[0-9A-Z.]+$")  # 000.00.00.H4, H41: no name is written like this


@dataclass(frozen=True)
class Page:
    rows: list[dict[str, Any]]
    total: int
    page: int
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _where(*conditions: ColumnElement[bool] | None) -> list[ColumnElement[bool]]:
    return [c for c in conditions if c is not None]


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_agencies(
    s: Session, person: Person, query: str = "", state: str = "", page: int = 1, per_page: int = PER_PAGE
) -> Page:
    """Agencies by code prefix or name fragment, in the person's scope, one page at a time."""
    query = query.strip()[:100]
    conditions = _where(
        scope_filter(person, Agency.code), _text_match(query), Agency.state == state if state else None
    )
    page = max(1, page)
    columns: list[Any] = [Agency.code, Agency.name, Agency.level, Agency.state, Agency.parent_code]
    columns.append(Agency.last_contact_at)
    # With a search, the total rides along with the page (one scan of the matches, not two); without
    # one, counting apart is cheaper (an index count, and only the page's rows are read).
    together = bool(query)
    if together:
        columns.append(func.count().over().label("total"))
    skip = (page - 1) * per_page
    listed = s.execute(
        select(*columns).where(*conditions).order_by(Agency.code).limit(per_page).offset(skip)
    ).mappings()
    rows = [dict(r) for r in listed]
    if together and rows:
        total = int(rows[0]["total"])
    else:
        total = int(s.execute(select(func.count()).select_from(Agency).where(*conditions)).scalar_one())
    found = [{k: v for k, v in r.items() if k != "total"} for r in rows]
    systems = _systems_of(s, [r["code"] for r in found])
    for row in found:
        row["systems"] = systems.get(row["code"], [])
    return Page(found, total, page, per_page)


def _text_match(query: str) -> ColumnElement[bool] | None:
    """A code's start or level-1 group; a name fragment too unless the query can only be a code."""
    if not query:
        return None
    pattern = _like(query)
    by_code = [Agency.code.like(f"{pattern}%", escape="\\"), Agency.code.like(f"%.{pattern}", escape="\\")]
    if _CODE_LIKE.match(query):
        return or_(*by_code)
    return or_(*by_code, Agency.name.ilike(f"%{pattern}%", escape="\\"))


def _systems_of(s: Session, codes: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if not codes:
        return out
    rows = s.execute(
        select(SystemAgency.agency_code, System.system_id)
        .join(System, System.id == SystemAgency.system_pk)
        .where(SystemAgency.agency_code.in_(codes))
        .order_by(System.system_id)
    )
    for code, system_id in rows:
        out.setdefault(code, []).append(system_id)
    return out


@dataclass
class AgencyView:
    agency: Agency
    parent: tuple[str, str] | None
    units: Page
    systems: list[dict[str, Any]]
    certificate: dict[str, str] | None
    contact: dict[str, Any] | None
    uptime: list[tuple[date, float | None]] = field(default_factory=list)
    traffic: dict[str, int] = field(default_factory=dict)


def agency_view(s: Session, person: Person, code: str, today: date, page: int = 1) -> AgencyView | None:
    """One agency's page, or None when it does not exist or lies outside the person's scope."""
    if not in_scope(person, code):
        return None
    agency = s.execute(select(Agency).where(Agency.code == code)).scalar_one_or_none()
    if agency is None:
        return None
    parent = None
    if agency.parent_code and agency.parent_code != code:
        name = s.execute(select(Agency.name).where(Agency.code == agency.parent_code)).scalar_one_or_none()
        if name is not None and in_scope(person, agency.parent_code):
            parent = (agency.parent_code, name)
    units_where = and_(Agency.parent_code == code, Agency.code != code)
    units_total = int(s.execute(select(func.count()).select_from(Agency).where(units_where)).scalar_one())
    units = s.execute(
        select(Agency.code, Agency.name, Agency.state)
        .where(units_where)
        .order_by(Agency.code)
        .limit(PER_PAGE)
        .offset((max(page, 1) - 1) * PER_PAGE)
    ).mappings()
    systems = s.execute(
        select(System.system_id, System.state, System.last_contact_at)
        .join(SystemAgency, SystemAgency.system_pk == System.id)
        .where(SystemAgency.agency_code == code)
        .order_by(System.system_id)
    ).mappings()
    contact = s.execute(select(MonitorState).where(MonitorState.key == f"contact:{code}")).scalars().first()
    return AgencyView(
        agency=agency,
        parent=parent,
        units=Page([dict(u) for u in units], units_total, max(page, 1)),
        systems=[dict(r) for r in systems],
        certificate=_certificate(agency.certificate_pem),
        contact={"status": contact.status, "since": contact.since, "detail": contact.detail}
        if contact
        else None,
        uptime=_uptime(s, code, today),
        traffic=_agency_traffic(s, code, today),
    )


def _certificate(pem: str | None) -> dict[str, str] | None:
    if not pem:
        return None
    try:
        cert = x509.load_pem_x509_certificate(pem.encode())
    except ValueError:
        return {"subject": "?", "not_after": "", "error": "unreadable"}
    return {"subject": cert.subject.rfc4514_string(), "not_after": cert.not_valid_after_utc.isoformat()}


def _uptime(s: Session, peer: str, today: date, days: int = 14) -> list[tuple[date, float | None]]:
    start = today - timedelta(days=days - 1)
    rows = s.execute(
        select(UptimeDay.day, UptimeDay.up_seconds, UptimeDay.observed_seconds).where(
            UptimeDay.peer == peer, UptimeDay.day >= start
        )
    )
    seen = {d: (up / obs * 100 if obs else None) for d, up, obs in rows}
    return [(start + timedelta(days=i), seen.get(start + timedelta(days=i))) for i in range(days)]


def _agency_traffic(s: Session, code: str, today: date) -> dict[str, int]:
    since = day_start(today - timedelta(days=29))
    sent = s.execute(
        select(func.count()).where(
            Package.sender_code == code, Package.kind == "edoc", Package.received_at >= since
        )
    ).scalar_one()
    received = s.execute(
        select(func.count()).where(Delivery.recipient_code == code, Delivery.created_at >= since)
    ).scalar_one()
    waiting = s.execute(
        select(func.count()).where(Delivery.recipient_code == code, Delivery.state == "pending")
    ).scalar_one()
    refused = s.execute(
        select(func.count()).where(Refusal.sender_code == code, Refusal.at >= since)
    ).scalar_one()
    return {"sent": int(sent), "received": int(received), "waiting": int(waiting), "refused": int(refused)}


def day_start(day: date) -> datetime:
    """Midnight of a Vietnam day, in UTC (SQLite keeps the UTC wall time and drops the zone)."""
    return datetime.combine(day, time(0), VIETNAM).astimezone(UTC)


def traffic_by_day(s: Session, person: Person, today: date, days: int = 30) -> list[dict[str, Any]]:
    """Packages sent, copies delivered (inside the recipient's level-1 body and from outside it) and
    packages refused per Vietnam day, one query each."""
    bounds = [day_start(today - timedelta(days=days - 1 - i)) for i in range(days + 1)]

    def per_day(column: Any, *where: ColumnElement[bool] | None) -> list[int]:
        buckets = [
            func.sum(case((and_(column >= lo, column < hi), 1), else_=0)) for lo, hi in pairwise(bounds)
        ]
        row = s.execute(select(*buckets).where(column >= bounds[0], *_where(*where))).one()
        return [int(v or 0) for v in row]

    sent = per_day(Package.received_at, Package.kind == "edoc", scope_filter(person, Package.sender_code))
    delivered = per_day(Delivery.created_at, scope_filter(person, Delivery.recipient_code))
    # Of those copies, the ones whose sender is of the recipient's own level-1 body (issue 16).
    inside = per_day(
        Delivery.created_at,
        scope_filter(person, Delivery.recipient_code),
        Delivery.package_id == Package.id,
        same_body(Package.sender_code, Delivery.recipient_code),
    )
    refused = per_day(Refusal.at, scope_filter(person, Refusal.sender_code))
    return [
        {
            "day": today - timedelta(days=days - 1 - i),
            "sent": sent[i],
            "delivered": delivered[i],
            "delivered_inside": inside[i],
            "delivered_outside": delivered[i] - inside[i],
            "refused": refused[i],
        }
        for i in range(days)
    ]


def traffic_now(s: Session, person: Person, now: datetime) -> dict[str, int]:
    hour_ago = now - timedelta(hours=1)
    scope_sender = scope_filter(person, Package.sender_code)
    last_hour = s.execute(
        select(func.count()).where(Package.received_at >= hour_ago, *_where(scope_sender))
    ).scalar_one()
    pending = s.execute(
        select(func.count()).where(
            Delivery.state == "pending", *_where(scope_filter(person, Delivery.recipient_code))
        )
    ).scalar_one()
    agencies = s.execute(
        select(func.count()).select_from(Agency).where(*_where(scope_filter(person, Agency.code)))
    ).scalar_one()
    return {"last_hour": int(last_hour), "pending": int(pending), "agencies": int(agencies)}


def refusals(s: Session, person: Person, page: int = 1, code: str = "") -> Page:
    """The packages the hub refused, newest first, with their reason (a sender-less one: operator only)."""
    conditions = _where(scope_filter(person, Refusal.sender_code), Refusal.code == code if code else None)
    total = int(s.execute(select(func.count()).select_from(Refusal).where(*conditions)).scalar_one())
    rows = s.execute(
        select(Refusal.at, Refusal.system_id, Refusal.sender_code, Refusal.code, Refusal.detail, Refusal.size)
        .where(*conditions)
        .order_by(Refusal.at.desc(), Refusal.id.desc())
        .limit(PER_PAGE)
        .offset((max(page, 1) - 1) * PER_PAGE)
    ).mappings()
    return Page([dict(r) for r in rows], total, max(page, 1))


def audit_page(s: Session, page: int = 1, actor: str = "") -> Page:
    """The audit log, newest first (the whole chain is verified separately)."""
    conditions = _where(AuditEntry.actor == actor if actor else None)
    total = int(s.execute(select(func.count()).select_from(AuditEntry).where(*conditions)).scalar_one())
    rows = s.execute(
        select(AuditEntry.seq, AuditEntry.at, AuditEntry.actor, AuditEntry.action, AuditEntry.subject,
               AuditEntry.details)
        .where(*conditions)
        .order_by(AuditEntry.seq.desc())
        .limit(PER_PAGE)
        .offset((max(page, 1) - 1) * PER_PAGE)
    ).mappings()  # fmt: skip
    return Page([dict(r) for r in rows], total, max(page, 1))


def monitor_states(s: Session, prefix: str = "check:") -> list[MonitorState]:
    return list(
        s.execute(
            select(MonitorState).where(MonitorState.key.like(f"{prefix}%")).order_by(MonitorState.key)
        ).scalars()
    )
