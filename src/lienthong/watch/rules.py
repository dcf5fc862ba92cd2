"""The detection rules: a few grouped queries over the hub's records give every agency's findings.

Each query reads the whole hub once for the report's window (never one query per agency), so
building the day's reports grows with the traffic and the directory, not with their product.
Open conditions (backlog, missing replies, failed receipts) are read from the records' current
state; ages are measured in working hours up to the report's instant.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from lienthong.codes.calendar import VIETNAM
from lienthong.problems import ProblemType
from lienthong.store.bodies import same_body
from lienthong.store.tables import Agency, Delivery, Package, Refusal, System, SystemAgency
from lienthong.watch import problems as WP
from lienthong.watch.config import Thresholds, WatchConfig
from lienthong.watch.model import (
    AgencyReport,
    Counts,
    DailyReports,
    Item,
    NationalSummary,
    Period,
    RankRow,
    Rollup,
    Trend,
    UnitRow,
)

TREND_DAYS = 30
SERIES = ("sent", "received", "send_errors", "receive_errors")
_ANSWERED_NOT = (None, "01")  # no status yet, or only "arrived": acceptance (03) or refusal (02) missing


def utc(moment: datetime) -> datetime:
    """SQLite gives naive UTC back; bounds sent to it must be UTC too (it compares text)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def period_for(day: date, config: WatchConfig) -> Period:
    """The report dated ``day`` covers the time since the previous working day's report."""
    end = datetime.combine(day, config.report_time, VIETNAM)
    start = datetime.combine(config.calendar.previous_working_day(day), config.report_time, VIETNAM)
    return Period(day, start, end)


@dataclass
class AgencyInfo:
    code: str
    name: str
    parent: str | None
    level: int | None
    emails: tuple[str, ...]
    last_contact_at: datetime | None
    created_at: datetime
    connected: bool


@dataclass
class Findings:
    items: dict[str, list[Item]] = field(default_factory=lambda: defaultdict(list))
    counts: Counts = field(default_factory=Counts)
    quality_codes: Counter[str] = field(default_factory=Counter)
    silent: Item | None = None

    def add(self, item: Item, limit: int) -> None:
        setattr(self.counts, item.condition, getattr(self.counts, item.condition) + 1)
        self.items[item.condition].append(item)
        # Keep the lists bounded while collecting: the oldest (worst) first, counts exact.
        if len(self.items[item.condition]) > 2 * limit:
            self._trim(item.condition, limit)

    def _trim(self, condition: str, limit: int) -> None:
        self.items[condition].sort(key=lambda i: i.at)
        del self.items[condition][limit:]

    def finish(self, limit: int) -> None:
        for condition in list(self.items):
            self._trim(condition, limit)


class _Builder:
    def __init__(self, session: Session, period: Period, config: WatchConfig) -> None:
        self.s = session
        self.period = period
        self.config = config
        self.cal = config.calendar
        self.as_of = utc(period.end)
        self.start = utc(period.start)
        self.horizon = self.as_of - timedelta(days=config.reply_horizon_days)
        self.findings: dict[str, Findings] = defaultdict(Findings)
        self.agencies: dict[str, AgencyInfo] = {}
        self._cutoffs: dict[tuple[str, float], datetime] = {}
        self._next_day: dict[date, date] = {}
        self._signed_dates: dict[str, date | Literal[False]] = {}  # DocumentId dates repeat all day

    # --- helpers ---------------------------------------------------------------------------------

    def thresholds(self, code: str) -> Thresholds:
        info = self.agencies.get(code)
        return self.config.thresholds_for(info.level if info else None)

    def cutoff(self, hours: float) -> datetime:
        key = ("h", hours)
        if key not in self._cutoffs:
            self._cutoffs[key] = utc(self.cal.minus_working_hours(self.as_of, hours))
        return self._cutoffs[key]

    def all_cutoffs(self, pick: Callable[[Thresholds], float]) -> datetime:
        """The latest cut-off of any level: what SQL filters on before the per-level check."""
        levels = [*self.config.thresholds.values(), self.config.default_thresholds]
        return max(self.cutoff(pick(t)) for t in levels)

    def waited(self, since: datetime) -> float:
        return round(self.cal.working_hours_between(utc(since), self.as_of), 1)

    def link(self, doc_id: str | None) -> str | None:
        return f"{self.config.public_url.rstrip('/')}/api/v1/packages/{doc_id}/timeline" if doc_id else None

    def add(self, code: str | None, item: Item) -> None:
        if code is not None and code in self.agencies:
            self.findings[code].add(item, self.config.max_items)

    def item(self, condition: str, ptype: ProblemType, at: datetime, **kw: Any) -> Item:
        params = kw.pop("params")
        problem = ptype("", **params)
        return Item(condition, ptype.code, problem.message_vi, problem.message_en, utc(at), **kw)

    def local(self, moment: datetime) -> str:
        return utc(moment).astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M")

    # --- the rules -------------------------------------------------------------------------------

    def load_agencies(self) -> None:
        connected = set(self.s.execute(select(SystemAgency.agency_code).distinct()).scalars())
        rows = self.s.execute(
            select(
                Agency.code,
                Agency.name,
                Agency.parent_code,
                Agency.level,
                Agency.emails,
                Agency.last_contact_at,
                Agency.created_at,
            ).where(Agency.state == "active", Agency.route == "local")  # not the upstream directory's
        )
        for code, name, parent, level, emails, contact, created in rows:
            self.agencies[code] = AgencyInfo(
                code,
                name,
                parent,
                level,
                tuple(e.strip() for e in (emails or "").split(",") if e.strip()),
                utc(contact) if contact else None,
                utc(created),
                code in connected,
            )

    def refusals(self) -> None:
        rows = self.s.execute(
            select(
                Refusal.system_id,
                Refusal.sender_code,
                Refusal.code,
                Refusal.detail,
                Refusal.sha256,
                Refusal.at,
            )
            .where(Refusal.at >= self.start, Refusal.at < self.as_of)
            .order_by(Refusal.at)
        ).all()
        acting = self._acting({r.system_id for r in rows if not r.sender_code})
        for r in rows:
            # A refusal before the sender was read (unreadable package): every agency of the system hears.
            for code in [r.sender_code] if r.sender_code else acting.get(r.system_id, []):
                self.add(
                    code,
                    self.item(
                        "send_errors",
                        WP.SEND_REFUSED,
                        r.at,
                        params={"at": self.local(r.at), "reason": r.code, "detail": r.detail},
                        subject=f"sha256 {r.sha256[:16]}…" if r.sha256 else None,
                    ),
                )

    def _acting(self, system_ids: set[str]) -> dict[str, list[str]]:
        """The agencies each system acts for (a refusal that named no sender goes to all of them)."""
        acting: dict[str, list[str]] = defaultdict(list)
        if system_ids:
            for system_id, code in self.s.execute(
                select(System.system_id, SystemAgency.agency_code)
                .join(SystemAgency, SystemAgency.system_pk == System.id)
                .where(System.system_id.in_(system_ids))
            ):
                acting[system_id].append(code)
        return acting

    def deliveries(self) -> None:
        backlog_cut = self.all_cutoffs(lambda t: t.backlog_hours)
        reply_cut = self.all_cutoffs(lambda t: t.reply_hours)
        d, p = Delivery, Package
        unanswered = or_(d.last_status_code.is_(None), d.last_status_code == "01")
        wanted = or_(
            # Backlog is about documents; a status left unfetched is the sender's own tracking gap.
            and_(d.kind == "edoc", d.state == "pending", d.created_at < backlog_cut),
            and_(d.state == "failed", d.created_at >= self.horizon),
            and_(d.state == "undeliverable", d.created_at >= self.start),
            and_(
                d.kind == "edoc",
                d.state.in_(("pending", "fetched", "done")),
                unanswered,
                d.created_at < reply_cut,
                d.created_at >= self.horizon,
            ),
        )
        rows = self.s.execute(
            select(
                d.delivery_id,
                d.recipient_code,
                d.kind,
                d.state,
                d.error_code,
                d.error_text,
                d.created_at,
                d.last_status_code,
                p.doc_id,
                p.sender_code,
                p.notation,
                p.subject,
            )
            .join(p, d.package_id == p.id)
            .where(wanted, d.created_at < self.as_of)
        ).all()
        for r in rows:
            created = utc(r.created_at)
            notation = r.notation or ("trạng thái" if r.kind == "status" else "(không số)")
            common = {
                "doc_id": r.doc_id,
                "delivery_id": r.delivery_id,
                "notation": r.notation,
                "subject": r.subject,
                "link": self.link(r.doc_id),
            }
            if (
                r.kind == "edoc"
                and r.state == "pending"
                and created < self.cutoff(self.thresholds(r.recipient_code).backlog_hours)
            ):
                hours = self.waited(created)
                self.add(
                    r.recipient_code,
                    self.item(
                        "backlog",
                        WP.BACKLOG,
                        created,
                        params={"notation": notation, "sender": r.sender_code, "hours": hours},
                        counterpart=r.sender_code,
                        waited_hours=hours,
                        **common,
                    ),
                )
            if r.state == "failed":
                self.add(
                    r.recipient_code,
                    self.item(
                        "receive_errors",
                        WP.RECEIVE_FAILED,
                        created,
                        params={"notation": notation, "sender": r.sender_code, "detail": r.error_text or ""},
                        counterpart=r.sender_code,
                        **common,
                    ),
                )
            if r.state == "undeliverable":
                params = {"notation": notation, "recipient": r.recipient_code, "reason": r.error_code or ""}
                item = self.item("receive_errors", WP.UNDELIVERABLE, created, params=params, **common)
                # The suspended recipient's own list, and the sender's (it chose the address).
                self.add(r.recipient_code, replace(item, counterpart=r.sender_code))
                self.add(r.sender_code, replace(item, condition="send_errors", counterpart=r.recipient_code))
            if (
                r.kind != "edoc"
                or r.last_status_code not in _ANSWERED_NOT
                or r.state
                not in (
                    "pending",
                    "fetched",
                    "done",
                )
            ):
                continue
            hours = self.waited(created)
            if r.state != "pending" and created < self.cutoff(self.thresholds(r.recipient_code).reply_hours):
                missing = "01, 03/02" if r.last_status_code is None else "03/02"
                self.add(
                    r.recipient_code,
                    self.item(
                        "no_reply",
                        WP.NO_STATUS_REPLY,
                        created,
                        params={
                            "notation": notation,
                            "sender": r.sender_code,
                            "hours": hours,
                            "missing": missing,
                        },
                        counterpart=r.sender_code,
                        waited_hours=hours,
                        **common,
                    ),
                )
            if created < self.cutoff(self.thresholds(r.sender_code).reply_hours):
                self.add(
                    r.sender_code,
                    self.item(
                        "awaiting_reply",
                        WP.AWAITING_REPLY,
                        created,
                        params={
                            "notation": notation,
                            "recipient": r.recipient_code,
                            "hours": hours,
                            "state": r.last_status_code or r.state,
                        },
                        counterpart=r.recipient_code,
                        waited_hours=hours,
                        **common,
                    ),
                )

    def quality(self) -> None:
        p = Package
        rows = self.s.execute(
            select(
                p.doc_id,
                p.sender_code,
                p.notation,
                p.subject,
                p.received_at,
                p.document_id,
                p.business_type,
                p.problem_count,
                p.repeat_count,
                # The JSON only where there is something in it: most packages are clean.
                case((p.problem_count > 0, p.problems_json), else_=None).label("problems_json"),
            ).where(p.kind == "edoc", p.received_at >= self.start, p.received_at < self.as_of)
        )
        for r in rows:
            findings = self.findings[r.sender_code] if r.sender_code in self.agencies else None
            if findings is None:
                continue
            findings.counts.sent += 1
            notation = r.notation or "(không số)"
            common = {
                "doc_id": r.doc_id,
                "notation": r.notation,
                "subject": r.subject,
                "link": self.link(r.doc_id),
            }
            if r.problems_json:
                codes = sorted(
                    {
                        x["code"]
                        for x in json.loads(r.problems_json)
                        if x.get("severity") in ("error", "warning")
                    }
                )
                if codes:
                    findings.quality_codes.update(codes)
                    self.add(
                        r.sender_code,
                        self.item(
                            "quality",
                            WP.QUALITY,
                            r.received_at,
                            params={"notation": notation, "codes": ", ".join(codes)},
                            **common,
                        ),
                    )
            if r.repeat_count >= self.thresholds(r.sender_code).repeat_sends:
                findings.quality_codes[WP.REPEAT_SEND.code] += 1
                self.add(
                    r.sender_code,
                    self.item(
                        "quality",
                        WP.REPEAT_SEND,
                        r.received_at,
                        params={"notation": notation, "count": r.repeat_count},
                        **common,
                    ),
                )
            late = self._late(r.document_id, r.received_at) if r.business_type == 0 else None
            if late is not None:
                findings.quality_codes[WP.LATE_SENDING.code] += 1
                self.add(
                    r.sender_code,
                    self.item(
                        "quality",
                        WP.LATE_SENDING,
                        r.received_at,
                        params={"notation": notation, "signed": late[0], "sent": late[1]},
                        **common,
                    ),
                )

    def _late(self, document_id: str | None, received_at: datetime) -> tuple[str, str] | None:
        """(signed, sent) when the package came after the next working day after signing."""
        parts = (document_id or "").split(",")
        if len(parts) < 3:
            return None
        signed = self._signed_dates.get(parts[1])
        if signed is None:
            signed = self._signed_dates[parts[1]] = _read_date(parts[1].strip())
        if signed is False:
            return None
        sent = utc(received_at).astimezone(VIETNAM).date()
        if sent <= signed or signed.year < 2000:
            return None
        deadline = self._next_day.get(signed)
        if deadline is None:
            deadline = self._next_day[signed] = self.cal.next_working_day(signed)
        if sent <= deadline:
            return None
        return signed.strftime("%d/%m/%Y"), sent.strftime("%d/%m/%Y")

    def silence(self) -> None:
        for info in self.agencies.values():
            if not info.connected:
                continue  # a unit served through its parent's platform never calls the hub itself
            since = info.last_contact_at or info.created_at
            if since >= self.cutoff(self.thresholds(info.code).silent_hours):
                continue
            hours = self.waited(since)
            item = self.item(
                "silent",
                WP.SILENT_AGENCY,
                since,
                params={"since": self.local(since), "hours": hours},
                waited_hours=hours,
            )
            findings = self.findings[info.code]
            findings.silent = item
            findings.counts.silent = 1

    # --- trends and traffic -------------------------------------------------------------------------

    def day_bounds(self) -> list[datetime]:
        first = self.period.date - timedelta(days=TREND_DAYS)
        return [
            utc(datetime.combine(first + timedelta(days=n), datetime.min.time(), VIETNAM))
            for n in range(TREND_DAYS + 1)
        ]

    def _buckets(
        self,
        keys: list[Any],
        moment: Any,
        where: Iterable[ColumnElement[bool]],
        bounds: list[datetime],
        join: tuple[Any, ColumnElement[bool]] | None = None,
    ) -> dict[Any, list[int]]:
        """Counts per key per bucket in one grouped query (a CASE over the bucket bounds)."""
        bucket = case(*[(moment < bounds[n + 1], n) for n in range(len(bounds) - 1)], else_=None).label("b")
        query = select(*keys, bucket, func.count())
        if join is not None:
            query = query.join(*join)
        query = query.where(*where, moment >= bounds[0], moment < bounds[-1]).group_by(*keys, bucket)
        out: dict[Any, list[int]] = defaultdict(lambda: [0] * (len(bounds) - 1))
        for row in self.s.execute(query):
            *key, b, n = row
            if b is not None:
                out[key[0] if len(key) == 1 else tuple(key)][int(b)] += int(n)
        return out

    def trends(self) -> dict[str, dict[str, list[int]]]:
        bounds = self.day_bounds()
        d, p = Delivery, Package
        send_errors: dict[str, list[int]] = defaultdict(lambda: [0] * TREND_DAYS)
        # As in the lists: refusals (by sender, else the system's agencies) and undeliverable copies.
        refused = self._buckets([Refusal.sender_code, Refusal.system_id], Refusal.at, [], bounds)
        acting = self._acting({system for sender, system in refused if not sender})
        for (sender, system_id), values in refused.items():
            for code in [sender] if sender else acting.get(system_id, []):
                send_errors[code] = [x + y for x, y in zip(send_errors[code], values, strict=True)]
        undeliverable = self._buckets(
            [p.sender_code], d.created_at, [d.state == "undeliverable"], bounds, (p, d.package_id == p.id)
        )
        for code, values in undeliverable.items():
            send_errors[code] = [x + y for x, y in zip(send_errors[code], values, strict=True)]
        return {
            "sent": self._buckets([p.sender_code], p.received_at, [p.kind == "edoc"], bounds),
            "received": self._buckets(
                [d.recipient_code], d.created_at, [d.kind == "edoc", d.state != "undeliverable"], bounds
            ),
            "send_errors": send_errors,
            "receive_errors": self._buckets(
                [d.recipient_code], d.created_at, [d.state.in_(("failed", "undeliverable"))], bounds
            ),
        }

    def copies(self) -> None:
        """The period's copies, each side counted apart: inside the agency's level-1 body (sender and
        recipient share the Decision-20 root) or to and from outside it, whichever road they took
        (delivered here, or relayed to and pulled from an upstream hub). ``received`` is their sum."""
        d, p = Delivery, Package
        inside = func.sum(case((same_body(p.sender_code, d.recipient_code), 1), else_=0))
        where = (
            d.kind == "edoc",
            d.state != "undeliverable",
            d.created_at >= self.start,
            d.created_at < self.as_of,
        )
        for side, key in (("sent", p.sender_code), ("received", d.recipient_code)):
            query = select(key, inside, func.count()).select_from(d).join(p, d.package_id == p.id)
            for code, n_inside, n in self.s.execute(query.where(*where).group_by(key)):
                if code not in self.agencies:
                    continue
                counts = self.findings[code].counts
                setattr(counts, f"{side}_inside", int(n_inside or 0))
                setattr(counts, f"{side}_outside", int(n) - int(n_inside or 0))
                if side == "received":
                    counts.received = int(n)

    def traffic_by_hour(self) -> dict[str, tuple[int, ...]]:
        day = self.period.date - timedelta(days=1)
        start = datetime.combine(day, datetime.min.time(), VIETNAM)
        bounds = [utc(start + timedelta(hours=h)) for h in range(25)]
        counts = self._buckets([Package.kind], Package.received_at, [], bounds)
        return {kind: tuple(counts.get(kind, [0] * 24)) for kind in ("edoc", "status")}


def _read_date(text: str) -> date | Literal[False]:
    """A yyyy/MM/dd date (strptime is too slow for every package of a day), or False."""
    if len(text) != 10 or text[4] != "/" or text[7] != "/":
        return False
    try:
        return date(int(text[:4]), int(text[5:7]), int(text[8:]))
    except ValueError:
        return False


def build_daily(
    session: Session, day: date, config: WatchConfig, only: Iterable[str] | None = None
) -> DailyReports:
    """Every agency's report for ``day`` and the national summary, from a handful of queries."""
    period = period_for(day, config)
    b = _Builder(session, period, config)
    b.load_agencies()
    b.refusals()
    b.deliveries()
    b.quality()
    b.silence()
    b.copies()
    series = b.trends()
    bounds = b.day_bounds()
    days = tuple(utc(x).astimezone(VIETNAM).date() for x in bounds[:-1])

    own: dict[str, Counts] = {}
    for code in b.agencies:
        f = b.findings.get(code)
        own[code] = f.counts if f else Counts()
    children: dict[str, list[str]] = defaultdict(list)
    for info in b.agencies.values():
        if info.parent and info.parent in b.agencies and info.parent != info.code:
            children[info.parent].append(info.code)
    subtree = _subtree_counts(b.agencies, own, children)

    wanted = set(only) if only is not None else None
    reports: dict[str, AgencyReport] = {}
    empty = [0] * TREND_DAYS
    for code, info in b.agencies.items():
        if wanted is not None and code not in wanted:
            continue
        f = b.findings.get(code) or Findings()
        f.finish(config.max_items)
        trend = Trend(days, {name: tuple(series[name].get(code, empty)) for name in SERIES})
        reports[code] = AgencyReport(
            period=period,
            code=code,
            name=info.name,
            level=info.level,
            parent=info.parent,
            emails=info.emails,
            counts=own[code],
            items={k: list(v) for k, v in f.items.items()},
            quality_codes=dict(f.quality_codes),
            silent=f.silent,
            trend=trend,
            rollup=_rollup(code, b.agencies, children, subtree, config.max_units)
            if children.get(code)
            else None,
        )
    national = _national(period, b, own, b.traffic_by_hour())
    return DailyReports(period, reports, national)


def _subtree_counts(
    agencies: dict[str, AgencyInfo], own: dict[str, Counts], children: dict[str, list[str]]
) -> dict[str, Counts]:
    """Each agency with everything below it, bottom-up without recursion (deep trees, cycles)."""
    out: dict[str, Counts] = {}
    roots = [c for c, info in agencies.items() if not info.parent or info.parent not in agencies]
    order: list[str] = []
    seen: set[str] = set()
    stack = list(roots)
    while stack:
        code = stack.pop()
        if code in seen:
            continue
        seen.add(code)
        order.append(code)
        stack.extend(children.get(code, []))
    # Agencies only reachable through a cycle of parents still get their own counts.
    order.extend(c for c in agencies if c not in seen)
    for code in reversed(order):
        total = own[code].copy()
        for child in children.get(code, []):
            if child in out:
                total.add(out[child])
        out[code] = total
    return out


def _rollup(
    code: str,
    agencies: dict[str, AgencyInfo],
    children: dict[str, list[str]],
    subtree: dict[str, Counts],
    limit: int,
) -> Rollup:
    units: list[str] = []
    stack = list(children.get(code, []))
    seen = {code}
    while stack:
        unit = stack.pop()
        if unit in seen:
            continue
        seen.add(unit)
        units.append(unit)
        stack.extend(children.get(unit, []))
    troubled = [u for u in units if subtree[u].issues]
    troubled.sort(key=lambda u: (-subtree[u].directive_issues, -subtree[u].issues, u))
    rows = [UnitRow(u, agencies[u].name, agencies[u].level, subtree[u]) for u in troubled[:limit]]
    clear = sum(1 for u in units if subtree[u].issues == 0)
    return Rollup(len(units), clear, subtree[code], rows)


def _national(
    period: Period, b: _Builder, own: dict[str, Counts], traffic: dict[str, tuple[int, ...]]
) -> NationalSummary:
    totals = Counts()
    for counts in own.values():
        totals.add(counts)
    measures: dict[str, Callable[[Counts], int]] = {
        "errors": lambda c: c.send_errors + c.receive_errors,
        "backlog": lambda c: c.backlog,
        "no_reply": lambda c: c.no_reply,
        "awaiting_reply": lambda c: c.awaiting_reply,
    }
    rankings: dict[str, list[RankRow]] = {}
    for name, measure in measures.items():
        ranked = sorted(
            ((measure(c), code) for code, c in own.items() if measure(c)), key=lambda x: (-x[0], x[1])
        )
        rankings[name] = [
            RankRow(code, b.agencies[code].name, value, own[code]) for value, code in ranked[:20]
        ]
    silent = sorted(code for code, c in own.items() if c.silent)
    clear = sum(1 for c in own.values() if c.issues == 0)
    return NationalSummary(period, len(own), clear, totals, rankings, traffic, silent)
