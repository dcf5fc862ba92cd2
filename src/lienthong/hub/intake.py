"""Accepting a package: parse and check once, refuse only what cannot be delivered, store, fan out.

The expensive part (parsing, validation, attachment digests) runs outside any transaction; the
short write transaction then checks duplicates, stores rows, creates one delivery per recipient,
applies revocations and replacements, routes statuses, and appends the audit entries.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, insert, select, union_all
from sqlalchemy.orm import Session

from lienthong.checks import hub_check
from lienthong.checks import problems as CP
from lienthong.checks.policy import DEFAULT_POLICY
from lienthong.checks.policy import Policy as CheckPolicy
from lienthong.codes.dates import parse_date
from lienthong.codes.notation import Notation
from lienthong.edxml import (
    DEFAULT_LIMITS,
    DocumentMessage,
    Message,
    ParseError,
    ParseLimits,
    StatusMessage,
    parse,
)
from lienthong.edxml import problems as EP
from lienthong.edxml.validate import STATUS_CODES, validate
from lienthong.hub import audit
from lienthong.hub import problems as HP
from lienthong.hub.config import Policy
from lienthong.hub.directory import UPSTREAM_SYSTEM_ID, SystemRef, next_version
from lienthong.problems import LienthongError, Problem
from lienthong.store.blobs import Staged
from lienthong.store.tables import Agency, Delivery, Package, Relay, StatusEvent

# Under the default policy these still refuse: the package could not be delivered intact.
_INTEGRITY = frozenset({EP.BAD_BASE64.code, EP.ATTACHMENT_MISMATCH.code, EP.DUPLICATE_CONTENT_ID.code})
_UNROUTABLE = frozenset({EP.NO_RECIPIENT.code, EP.UNKNOWN_STATUS.code})


class Refused(LienthongError):
    """The hub refuses the package; ``original`` names the package a duplicate repeats."""

    def __init__(self, problem: Problem, original: str | None = None, sender: str | None = None) -> None:
        super().__init__(problem)
        self.original = original
        self.sender = sender


@dataclass(frozen=True)
class DeliveryOutcome:
    recipient: str
    delivery_id: str | None
    state: str
    problem: Problem | None = None
    route: str = "local"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"recipient": self.recipient, "state": self.state, "route": self.route}
        if self.delivery_id:
            out["delivery_id"] = self.delivery_id
        if self.problem is not None:
            out["error"] = self.problem.to_dict()
        return out


@dataclass(frozen=True)
class Accepted:
    doc_id: str
    kind: str
    sender: str
    sha256: str
    size: int
    accepted_at: datetime
    repeat: bool = False
    deliveries: list[DeliveryOutcome] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notified: list[str] = field(default_factory=list)
    status_code: str | None = None  # for a status message: the code routed back to the sender
    relay_id: str | None = None  # issue 16: the package goes upstream too (one relay)


@dataclass(frozen=True)
class Upload(Staged):
    """A request body already streamed to a staging file and hashed (by ``store.blobs.Stager``)."""

    def drop_crlf(self) -> Upload:
        """The SDK appends one CRLF to the file it sends: cut it off the staged file."""
        assert self.sha256_without_crlf is not None
        with self.path.open("rb+") as fh:
            fh.truncate(self.size - 2)
        return Upload(self.path, self.sha256_without_crlf, self.size - 2)


@dataclass
class Prepared:
    """What parsing and checking found, before anything is written."""

    message: Message
    sender: str
    recipients: list[str]
    problems: list[Problem]
    document_id: str | None
    notation_key: str | None
    notation: str | None
    business_type: int
    targets: list[str]
    status_code: str | None
    subject: str | None
    priority: int


def prepare(
    upload: Upload,
    system: SystemRef,
    policy: Policy,
    extra_to: list[str],
    max_recipients: int,
    limits: ParseLimits = DEFAULT_LIMITS,
    now: datetime | None = None,
    checks_policy: CheckPolicy = DEFAULT_POLICY,
) -> Prepared:
    """Parse, authorise the sender, validate and decide what the package is. Raises Refused.

    ``now`` is the hub's clock, for the preflight checks' time limits (the wall clock when None).
    """
    try:
        message = parse(upload.path, limits=limits)
    except ParseError as exc:
        p = exc.problem
        detail = p.message_en + (f" (line {p.line}, column {p.column})" if p.line else "")
        raise Refused(HP.MALFORMED("", code=p.code, detail=detail)) from None
    header = message.header
    sender = (header.from_.organ_id or "").strip() if header and header.from_ else ""
    if not sender:
        raise Refused(HP.NOT_ROUTABLE("MessageHeader/From/OrganId", detail="the package names no sender"))
    # From upstream, any code but a local one may send (checked against the directory at commit).
    if sender not in system.agency_codes and not system.upstream:
        raise Refused(
            HP.SENDER_NOT_ALLOWED("MessageHeader/From/OrganId", sender=sender, system=system.system_id)
        )
    found = validate(message)
    errors = [p for p in found if p.is_error]
    integrity = [p for p in errors if p.code in _INTEGRITY]
    if integrity:
        raise Refused(HP.INTEGRITY(integrity[0].path, detail=integrity[0].message_en), sender=sender)
    unroutable = [p for p in errors if p.code in _UNROUTABLE]
    if unroutable:
        raise Refused(HP.NOT_ROUTABLE(unroutable[0].path, detail=unroutable[0].message_en), sender=sender)
    # --- preflight checks (issue 5): the hub's subset, recorded; state secrets refused outright ---
    checked = _preflight(message, now, checks_policy)
    secret = next((p for p in checked if p.code == CP.STATE_SECRET.code), None)
    if secret is not None:
        level, detail = secret.params.get("level", ""), secret.params.get("detail_en", "")
        raise Refused(HP.STATE_SECRET(secret.path, level=level, detail=detail), sender=sender)
    found = found + checked
    errors = errors + [p for p in checked if p.is_error]
    # --- end of preflight checks ---
    if policy is Policy.STRICT and errors:
        detail = "; ".join(f"{p.code} at {p.path}" for p in errors[:10])
        raise Refused(HP.POLICY_REFUSED(errors[0].path, detail=detail), sender=sender)

    if isinstance(message, StatusMessage):
        return _prepare_status(message, sender, found)
    assert isinstance(message, DocumentMessage) and header is not None
    h = message.header
    assert h is not None
    recipients: list[str] = []
    for code in [(t.organ_id or "").strip() for t in h.to] + [c.strip() for c in extra_to]:
        if code and code not in recipients:
            recipients.append(code)
    if not recipients:
        raise Refused(
            HP.NOT_ROUTABLE("MessageHeader/To", detail="the package names no recipient"), sender=sender
        )
    if len(recipients) > max_recipients:
        raise Refused(HP.TOO_MANY_RECIPIENTS("MessageHeader/To", count=len(recipients), limit=max_recipients))
    business = message.business
    business_type = _int((business.bussiness_doc_type if business else None) or "0", 0)
    targets = [(rf.document_id or "").strip() for rf in h.response_for]
    if business is not None:
        targets.append((business.document_id or "").strip())
        targets.extend((r.document_id or "").strip() for r in business.replacement_info_list or [])
    notation, notation_key = _notation_key(sender, h.code, h.promulgation_info)
    priority = _int(h.other_info.priority if h.other_info else None, 0)
    return Prepared(
        message=message,
        sender=sender,
        recipients=recipients,
        problems=found,
        document_id=(h.document_id or "").strip() or None,
        notation_key=notation_key,
        notation=notation,
        business_type=business_type,
        targets=[t for t in targets if t],
        status_code=None,
        subject=h.subject,
        priority=priority,
    )


# The widths of the columns these land in: longer values are refused, never truncated or overflowed.
FIELD_LIMITS = {"document_id": 300, "notation_key": 300, "notation": 100}
CODE_LIMIT = 64


def check_lengths(prepared: Prepared) -> None:
    """Refuse a package whose codes or ids exceed what the hub stores (issue 12: bounded at the edge)."""
    long_code = next((c for c in prepared.recipients if len(c) > CODE_LIMIT), None)
    if long_code is not None:
        detail = f"a recipient code is longer than {CODE_LIMIT} characters"
        raise Refused(HP.NOT_ROUTABLE("MessageHeader/To/OrganId", detail=detail), sender=prepared.sender)
    values = [(name, getattr(prepared, name)) for name in FIELD_LIMITS]
    values += [("target", t) for t in prepared.targets]
    for name, value in values:
        limit = FIELD_LIMITS.get(name, 300)
        if value is not None and len(value) > limit:
            detail = f"{name} is longer than {limit} characters"
            raise Refused(HP.MALFORMED("", code="HUB.FIELD_TOO_LONG", detail=detail), sender=prepared.sender)


def _preflight(message: Message, now: datetime | None, policy: CheckPolicy) -> list[Problem]:
    """The checks the hub can judge from the package alone (no signatures, registers or history)."""
    if now is None:
        return hub_check(message, policy=policy).problems
    moment = now
    return hub_check(message, clock=lambda: moment, policy=policy).problems


def _prepare_status(message: StatusMessage, sender: str, found: list[Problem]) -> Prepared:
    h = message.header
    assert h is not None
    rf = h.response_for
    original_sender = (rf.organ_id or "").strip() if rf else ""
    document_id = (rf.document_id or "").strip() if rf else ""
    code = (h.status_code or "").strip()
    if not original_sender or not document_id:
        raise Refused(
            HP.NOT_ROUTABLE(
                "MessageHeader/ResponseFor", detail="a status must name the document and its sender"
            ),
            sender=sender,
        )
    if code not in STATUS_CODES:
        raise Refused(
            HP.NOT_ROUTABLE("MessageHeader/StatusCode", detail=f"unknown status '{code}'"), sender=sender
        )
    return Prepared(
        message=message,
        sender=sender,
        recipients=[original_sender],
        problems=found,
        document_id=document_id,
        notation_key=None,
        notation=None,
        business_type=0,
        targets=[document_id],
        status_code=code,
        subject=h.description,
        priority=0,
    )


def _int(value: str | None, default: int) -> int:
    text = (value or "").strip()
    return int(text) if text.isdigit() else default


def _notation_key(sender: str, code: Any, info: Any) -> tuple[str | None, str | None]:
    """``issuer|year|number/notation`` for Decree 30's "one number per issuer per year"."""
    if code is None or not code.code_number or not code.code_notation:
        return None, None
    try:
        notation = Notation.from_parts(code.code_number, code.code_notation)
    except ValueError:
        return f"{code.code_number}/{code.code_notation}", None
    year = ""
    if info is not None and info.promulgation_date:
        try:
            year = str(parse_date(info.promulgation_date).year)
        except ValueError:
            return str(notation), None
    if not year:
        return str(notation), None
    return str(notation), f"{sender}|{year}|{int(notation.number)}/{notation.notation}"


# --- the write transaction -----------------------------------------------------------------------


# Core statements on the tables, built and compiled once: the ORM's bulk path and ``.values(...)``
# coerced every value and computed a cache key over them on each accept (issue 15, the writer's CPU).
_INSERT_PACKAGE = insert(cast(Table, Package.__table__)).returning(Package.__table__.c.id)
_INSERT_DELIVERIES = insert(cast(Table, Delivery.__table__))
_AGENCY_STATES = select(Agency.code, Agency.state, Agency.route).where(
    Agency.code.in_(bindparam("codes", expanding=True))
)


@dataclass(frozen=True)
class NewPackage:
    """The row just inserted: what the deliveries and the audit entries need of it."""

    id: int
    doc_id: str
    kind: str


def commit(
    session: Session,
    prepared: Prepared,
    upload: Upload,
    blob_key: str,
    system: SystemRef,
    now: datetime,
    batch_entries: list[tuple[str, str, str, dict[str, Any]]] | None = None,
) -> Accepted:
    """Duplicate checks and every row of an accepted package, inside one transaction.

    Refusals are raised before anything is written. With ``batch_entries`` the audit entries join
    the caller's batch (appended once for many packages) instead of being appended here.
    """
    kind = "status" if isinstance(prepared.message, StatusMessage) else "edoc"
    earlier = _earlier(session, prepared, upload.sha256, kind)
    repeat_id = next(
        (e.id for e in earlier if e.sha256 == upload.sha256 and e.sender_code == prepared.sender), None
    )
    if repeat_id is not None:
        repeat = session.get_one(Package, repeat_id)
        # A blind retry of the same bytes: success with the original id, nothing delivered twice.
        repeat.repeat_count += 1
        entry = (system.system_id, "package.repeat", repeat.doc_id, {"sha256": upload.sha256})
        _append(session, now, [entry], batch_entries)
        return Accepted(
            doc_id=repeat.doc_id,
            kind=repeat.kind,
            sender=prepared.sender,
            sha256=upload.sha256,
            size=upload.size,
            accepted_at=repeat.received_at,
            repeat=True,
            deliveries=[
                DeliveryOutcome(d.recipient_code, d.delivery_id, d.state, route=d.route)
                for d in repeat.deliveries
            ],
            problems=json_problems(repeat.problems_json),
        )
    recall: Package | None = None
    if prepared.status_code == RECALL and prepared.recipients == [prepared.sender]:
        # 13 travels the other way: from the document's sender to everyone who received it.
        recall = _recalled_package(session, prepared)
        prepared.recipients = [
            d.recipient_code
            for d in recall.deliveries
            if d.state not in ("undeliverable", "withdrawn", "elsewhere")
        ]
    codes = [prepared.sender, *prepared.recipients]
    rows = session.connection().execute(_AGENCY_STATES, {"codes": codes}).all()
    states = {code: state for code, state, _ in rows}
    routes = {code: route for code, _, route in rows}
    if system.upstream:
        _check_upstream_sender(session, prepared.sender, routes, now)
    elif states.get(prepared.sender) != "active":
        raise Refused(HP.SENDER_SUSPENDED("", sender=prepared.sender), sender=prepared.sender)
    answered: Delivery | None = None
    if kind == "edoc" and prepared.business_type == 0:
        _check_duplicates(earlier, prepared)
    if kind == "edoc" and prepared.business_type in (1, 2, 3):
        _check_original_sender(session, prepared)
    if kind == "status" and recall is None:
        answered = _answered_delivery(session, prepared)

    problem_count = sum(1 for p in prepared.problems if p.severity.value != "info")
    doc_id = str(uuid.uuid4())
    package_id = (
        session.connection()
        .execute(
            _INSERT_PACKAGE,
            {
                "doc_id": doc_id,
                "kind": kind,
                "sender_code": prepared.sender,
                "system_id": system.system_id,
                "sha256": upload.sha256,
                "size": upload.size,
                "blob_key": blob_key,
                "document_id": prepared.document_id,
                "notation_key": prepared.notation_key,
                "notation": prepared.notation,
                "business_type": prepared.business_type,
                "target_document_id": prepared.targets[0] if prepared.targets else None,
                "status_code": prepared.status_code,
                "answers_package_id": answered.package_id if answered else None,
                "subject": (prepared.subject or "")[:2000] or None,
                "priority": prepared.priority,
                "problems_json": json.dumps([p.to_dict() for p in prepared.problems], ensure_ascii=False),
                "problem_count": problem_count,
                "repeat_count": 0,
                "received_at": now,
            },
        )
        .scalar_one()
    )
    package = NewPackage(package_id, doc_id, kind)
    details = {
        "kind": kind,
        "sender": prepared.sender,
        "sha256": upload.sha256,
        "size": upload.size,
        "problems": problem_count,
    }
    entries: list[tuple[str, str, str, dict[str, Any]]] = [
        (system.system_id, "package.accept", doc_id, details)
    ]
    outcomes = _deliver_all(
        session, package, prepared.recipients, Routing(states, routes, system.upstream), now, entries
    )
    relay_id = _relay(session, package, outcomes, now, entries)
    if kind == "edoc" and prepared.business_type in (1, 2, 3):
        entries += _supersede(session, package, prepared)
    if answered is not None:
        answered.last_status_code = prepared.status_code
        answered.last_status_at = now
        session.add(
            StatusEvent(
                delivery_pk=answered.id,
                status_package_id=package_id,
                status_code=prepared.status_code or "",
                description=prepared.subject,
                at=now,
            )
        )
        entries.append(
            (system.system_id, "status.route", answered.delivery_id, {"status": prepared.status_code})
        )
    _append(session, now, entries, batch_entries)
    return Accepted(
        doc_id=doc_id,
        kind=kind,
        sender=prepared.sender,
        sha256=upload.sha256,
        size=upload.size,
        accepted_at=now,
        deliveries=outcomes,
        problems=prepared.problems,
        notified=[o.recipient for o in outcomes if o.state == "pending"],
        status_code=prepared.status_code,
        relay_id=relay_id,
    )


def _append(
    session: Session,
    now: datetime,
    entries: list[tuple[str, str, str, dict[str, Any]]],
    batch_entries: list[tuple[str, str, str, dict[str, Any]]] | None,
) -> None:
    """Every entry of this package in one statement, or into the caller's batch."""
    if batch_entries is None:
        audit.append_many(session, now, entries)
    else:
        batch_entries.extend(entries)


@dataclass(frozen=True)
class Earlier:
    id: int
    doc_id: str
    sha256: str
    sender_code: str
    document_id: str | None
    notation_key: str | None
    kind: str
    business_type: int


_NEW_DOCUMENT = and_(Package.kind == "edoc", Package.business_type == 0)
_EARLIER_COLUMNS = (
    Package.id,
    Package.doc_id,
    Package.sha256,
    Package.sender_code,
    Package.document_id,
    Package.notation_key,
    Package.kind,
    Package.business_type,
)
# One statement built once (SQLAlchemy compiles and caches it once): the same bytes from this
# sender, and the new documents this one could duplicate. At most a few rows: duplicates of new
# documents are refused, so each arm matches one earlier package at most. A UNION ALL, not an OR:
# each arm is answered from its own index (SQLite scans the whole table for the OR form).
_EARLIER = union_all(
    select(*_EARLIER_COLUMNS).where(
        Package.sender_code == bindparam("sender"), Package.sha256 == bindparam("sha256")
    ),
    select(*_EARLIER_COLUMNS).where(
        Package.sender_code == bindparam("sender"), Package.document_id == bindparam("docid"), _NEW_DOCUMENT
    ),
    select(*_EARLIER_COLUMNS).where(Package.notation_key == bindparam("key"), _NEW_DOCUMENT),
)


def _earlier(session: Session, prepared: Prepared, sha256: str, kind: str) -> list[Earlier]:
    """The earlier packages this one repeats or could duplicate, in one query."""
    new_document = kind == "edoc" and prepared.business_type == 0
    params = {
        "sender": prepared.sender,
        "sha256": sha256,
        # NULL matches nothing: only a new document is checked for duplicates.
        "docid": prepared.document_id if new_document else None,
        "key": prepared.notation_key if new_document else None,
    }
    session.flush()  # what earlier jobs of the batch changed through the ORM, before reading by Core
    return [Earlier(*row) for row in session.connection().execute(_EARLIER, params).all()]


def _check_duplicates(earlier: list[Earlier], prepared: Prepared) -> None:
    """A new document must not reuse a DocumentId, nor the number of an earlier one (same issuer, year)."""
    documents = [e for e in earlier if e.kind == "edoc" and e.business_type == 0]
    if prepared.document_id:
        other = next(
            (
                e.doc_id
                for e in documents
                if e.sender_code == prepared.sender and e.document_id == prepared.document_id
            ),
            None,
        )
        if other is not None:
            raise Refused(
                HP.DUPLICATE_DOCUMENT_ID(
                    "MessageHeader/DocumentId", document_id=prepared.document_id, original=other
                ),
                original=other,
                sender=prepared.sender,
            )
    if prepared.notation_key:
        found = next((e.doc_id for e in documents if e.notation_key == prepared.notation_key), None)
        if found is not None:
            issuer, year, notation = prepared.notation_key.split("|", 2)
            raise Refused(
                HP.DUPLICATE_NOTATION(
                    "MessageHeader/Code", notation=notation, issuer=issuer, year=year, original=found
                ),
                original=found,
                sender=prepared.sender,
            )


RECALL = "13"


def _check_original_sender(session: Session, prepared: Prepared) -> None:
    """Only a document's own sender revokes, updates or replaces it (issue 12, defect 7).

    A DocumentId the hub holds only from other senders is refused. One the hub has never seen is
    let through (it may predate the hub): nothing of anyone else's is withdrawn by it.
    """
    senders: dict[str, set[str]] = {}
    for document_id, sender in session.execute(
        select(Package.document_id, Package.sender_code).where(
            Package.kind == "edoc", Package.document_id.in_(prepared.targets)
        )
    ).all():
        senders.setdefault(document_id or "", set()).add(sender)
    for target in prepared.targets:
        if target in senders and prepared.sender not in senders[target]:
            raise Refused(
                HP.NOT_ORIGINAL_SENDER("MessageHeader/ResponseFor/DocumentId", document_id=target[:300]),
                sender=prepared.sender,
            )


def _recalled_package(session: Session, prepared: Prepared) -> Package:
    """The sender's own document that a 13 asks back; its unfetched copies are withdrawn at once."""
    package = session.execute(
        select(Package)
        .where(
            Package.kind == "edoc",
            Package.sender_code == prepared.sender,
            Package.document_id == prepared.document_id,
        )
        .order_by(Package.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if package is None:
        raise Refused(
            HP.STATUS_NOT_DELIVERED(
                "MessageHeader/ResponseFor/DocumentId",
                document_id=prepared.document_id,
                agency=prepared.sender,
            ),
            sender=prepared.sender,
        )
    return package


def _answered_delivery(session: Session, prepared: Prepared) -> Delivery:
    """The delivery a status answers: the document must have been delivered to the status's sender."""
    original_sender = prepared.recipients[0]
    delivery = session.execute(
        select(Delivery)
        .join(Package, Delivery.package_id == Package.id)
        .where(
            Package.kind == "edoc",
            Package.sender_code == original_sender,
            Package.document_id == prepared.document_id,
            Delivery.recipient_code == prepared.sender,
            Delivery.state != "undeliverable",
        )
        .order_by(Package.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if delivery is None:
        raise Refused(
            HP.STATUS_NOT_DELIVERED(
                "MessageHeader/ResponseFor/DocumentId",
                document_id=prepared.document_id,
                agency=prepared.sender,
            ),
            sender=prepared.sender,
        )
    return delivery


@dataclass(frozen=True)
class Routing:
    """What the directory says of a package's codes: their states, their routes, and where it came from."""

    states: dict[str, str]
    routes: dict[str, str]
    from_upstream: bool = False

    def outcome(self, code: str) -> tuple[str, str, Problem | None]:
        """(state, route, problem) of a new delivery to ``code``."""
        state, route = self.states.get(code), self.routes.get(code, "local")
        if self.from_upstream and (state is None or route == "upstream"):
            # Another hub's recipient named in a package from upstream: recorded, not this hub's to deliver.
            return "elsewhere", "upstream", None
        if state is None:
            return "undeliverable", "local", HP.UNKNOWN_RECIPIENT("MessageHeader/To/OrganId", code=code)
        if state != "active":
            return "undeliverable", route, HP.RECIPIENT_SUSPENDED("MessageHeader/To/OrganId", code=code)
        return ("relay" if route == "upstream" else "pending"), route, None


def _check_upstream_sender(session: Session, sender: str, routes: dict[str, str], now: datetime) -> None:
    """A package from upstream may come from any code but a local one; a new code is learnt as upstream."""
    route = routes.get(sender)
    if route == "local":
        raise Refused(
            HP.SENDER_NOT_ALLOWED("MessageHeader/From/OrganId", sender=sender, system=UPSTREAM_SYSTEM_ID),
            sender=sender,
        )
    if route is None:
        session.add(
            Agency(
                code=sender,
                name=sender,
                state="active",
                route="upstream",
                legacy=False,
                emails="",
                version=next_version(session),
                created_at=now,
                updated_at=now,
            )
        )
        routes[sender] = "upstream"


def _deliver_all(
    session: Session,
    package: NewPackage,
    codes: list[str],
    routing: Routing,
    now: datetime,
    entries: list[tuple[str, str, str, dict[str, Any]]],
) -> list[DeliveryOutcome]:
    """One delivery per recipient, written in one statement; their audit entries join ``entries``."""
    rows: list[dict[str, Any]] = []
    outcomes: list[DeliveryOutcome] = []
    for code in codes:
        state, route, problem = routing.outcome(code)
        delivery_id = str(uuid.uuid4())
        rows.append(
            {
                "delivery_id": delivery_id,
                "package_id": package.id,
                "recipient_code": code,
                "kind": package.kind,
                "state": state,
                "route": route,
                "error_code": problem.code if problem else None,
                "error_text": problem.message_en if problem else None,
                "created_at": now,
                "fetch_count": 0,
            }
        )
        details = {"package": package.doc_id, "recipient": code, "error": problem.code if problem else None}
        if route == "upstream":
            details["route"] = state
        entries.append(("hub", "delivery.fail" if problem else "delivery.create", delivery_id, details))
        outcomes.append(DeliveryOutcome(code, delivery_id, state, problem, route))
    session.connection().execute(_INSERT_DELIVERIES, rows)
    return outcomes


def _relay(
    session: Session,
    package: NewPackage,
    outcomes: list[DeliveryOutcome],
    now: datetime,
    entries: list[tuple[str, str, str, dict[str, Any]]],
) -> str | None:
    """ONE relay row for a package with recipients upstream (the relay worker sends it once)."""
    codes = [o.recipient for o in outcomes if o.state == "relay"]
    if not codes:
        return None
    relay_id = str(uuid.uuid4())
    session.add(
        Relay(
            relay_id=relay_id,
            package_id=package.id,
            state="waiting",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            recipients=",".join(codes),
            signed=False,
        )
    )
    entries.append(("hub", "relay.queue", relay_id, {"package": package.doc_id, "recipients": codes}))
    return relay_id


def _supersede(
    session: Session, package: NewPackage, prepared: Prepared
) -> list[tuple[str, str, str, dict[str, Any]]]:
    """A revocation, update or replacement withdraws the original's copies nobody has fetched yet."""
    entries: list[tuple[str, str, str, dict[str, Any]]] = []
    if not prepared.targets:
        return entries
    originals = session.execute(
        select(Package).where(
            Package.sender_code == prepared.sender,
            Package.document_id.in_(prepared.targets),
            Package.kind == "edoc",
            Package.id != package.id,
        )
    ).scalars()
    for original in originals:
        for d in original.deliveries:
            if d.recipient_code in prepared.recipients and d.state == "pending":
                d.state = "withdrawn"
                d.superseded_by = package.id
                details = {"by": package.doc_id, "business_type": prepared.business_type}
                entries.append(("hub", "delivery.withdraw", d.delivery_id, details))
    return entries


def json_problems(text: str) -> list[Problem]:
    from lienthong.problems import Severity

    out = []
    for item in json.loads(text or "[]"):
        out.append(
            Problem(
                code=item["code"],
                severity=Severity(item["severity"]),
                path=item.get("path", ""),
                message_vi=item.get("message_vi", ""),
                message_en=item.get("message_en", ""),
                line=item.get("line"),
                column=item.get("column"),
            )
        )
    return out
