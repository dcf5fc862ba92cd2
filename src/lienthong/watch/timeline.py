"""A package's timeline from the hub's records: accepted, delivered, fetched, acknowledged, answered."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lienthong.store.tables import AuditEntry, Delivery, Package, Relay, StatusEvent, WatchOutbox
from lienthong.watch.rules import utc


def timeline(session: Session, doc_id: str) -> dict[str, Any] | None:
    """Everything the hub knows of one package, in time order; None when there is no such package."""
    package = session.execute(select(Package).where(Package.doc_id == doc_id)).scalar_one_or_none()
    if package is None:
        return None
    deliveries = list(
        session.execute(
            select(Delivery).where(Delivery.package_id == package.id).order_by(Delivery.id)
        ).scalars()
    )
    by_pk = {d.id: d for d in deliveries}
    events: list[dict[str, Any]] = [
        {"at": utc(package.received_at).isoformat(), "event": "accepted", "agency": package.sender_code}
    ]
    for d in deliveries:
        events.append(
            {
                "at": utc(d.created_at).isoformat(),
                "event": f"delivery.{d.state if d.state == 'undeliverable' else 'created'}",
                "agency": d.recipient_code,
                "delivery_id": d.delivery_id,
                "error": d.error_code,
            }
        )
        if d.fetched_at:
            events.append(
                {
                    "at": utc(d.fetched_at).isoformat(),
                    "event": "fetched",
                    "agency": d.recipient_code,
                    "delivery_id": d.delivery_id,
                }
            )
        if d.acked_at:
            events.append(
                {
                    "at": utc(d.acked_at).isoformat(),
                    "event": f"ack.{d.state}",
                    "agency": d.recipient_code,
                    "delivery_id": d.delivery_id,
                }
            )
    if by_pk:
        for e in session.execute(
            select(StatusEvent).where(StatusEvent.delivery_pk.in_(list(by_pk))).order_by(StatusEvent.id)
        ).scalars():
            d = by_pk[e.delivery_pk]
            events.append(
                {
                    "at": utc(e.at).isoformat(),
                    "event": f"status.{e.status_code}",
                    "agency": d.recipient_code,
                    "delivery_id": d.delivery_id,
                    "description": e.description,
                }
            )
    events.extend(_warnings(session, doc_id))
    subjects = [doc_id, *(d.delivery_id for d in deliveries)]
    relay = session.execute(select(Relay).where(Relay.package_id == package.id)).scalar_one_or_none()
    if relay is not None:  # issue 16: the one relay to the upstream hub, and what it answered
        subjects.append(relay.relay_id)
        if relay.sent_at is not None:
            events.append(
                {
                    "at": utc(relay.sent_at).isoformat(),
                    "event": "relay.sent",
                    "agency": relay.recipients,
                    "upstream_doc_id": relay.upstream_doc_id,
                }
            )
    audit = [
        {
            "seq": a.seq,
            "at": utc(a.at).isoformat(),
            "actor": a.actor,
            "action": a.action,
            "subject": a.subject,
        }
        for a in session.execute(
            select(AuditEntry).where(AuditEntry.subject.in_(subjects)).order_by(AuditEntry.seq)
        ).scalars()
    ]
    events.sort(key=lambda e: str(e["at"]))
    return {
        "doc_id": package.doc_id,
        "kind": package.kind,
        "sender": package.sender_code,
        "notation": package.notation,
        "subject": package.subject,
        "document_id": package.document_id,
        "received_at": utc(package.received_at).isoformat(),
        "recipients": {
            d.recipient_code: {
                "delivery_id": d.delivery_id,
                "state": d.state,
                "route": d.route,
                "error_code": d.error_code,
                "last_status_code": d.last_status_code,
            }
            for d in deliveries
        },
        "events": events,
        "audit": audit,
    }


def _warnings(session: Session, doc_id: str) -> list[dict[str, Any]]:
    """The immediate alerts the warning system raised about this package (one per event, any channel)."""
    rows = session.execute(
        select(WatchOutbox.payload)
        .where(
            WatchOutbox.purpose == "alert", WatchOutbox.dedupe_key.like(f"alert:%:{_escape(doc_id)}:%", "\\")
        )
        .order_by(WatchOutbox.id)
    ).scalars()
    seen: set[tuple[str, str, str]] = set()
    out: list[dict[str, Any]] = []
    for raw in rows:
        payload = json.loads(raw)
        if payload.get("doc_id") != doc_id:
            continue
        key = (str(payload.get("kind")), str(payload.get("recipient")), str(payload.get("at")))
        if key in seen:
            continue
        seen.add(key)
        out.append(
            {
                "at": payload["at"],
                "event": f"warning.{payload.get('kind')}",
                "agency": payload.get("recipient") or payload.get("sender"),
                "error": payload.get("code"),
            }
        )
    return out


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def parties(session: Session, doc_id: str) -> set[str]:
    """The agencies allowed to see a package's timeline: its sender and its recipients."""
    row = session.execute(select(Package.id, Package.sender_code).where(Package.doc_id == doc_id)).first()
    if row is None:
        return set()
    recipients = session.execute(
        select(Delivery.recipient_code).where(Delivery.package_id == row.id)
    ).scalars()
    return {row.sender_code, *recipients}
