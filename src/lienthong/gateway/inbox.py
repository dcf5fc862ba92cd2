"""The receiving stage: fetch, verify, register (số đến), acknowledge, answer 01; record the replies we get.

A revocation (BussinessDocType 1) marks the original revoked at once (Decree 30 Art. 18.4b); an
update or a replacement waits for the clerk's 15 or 16; a recall request (13) waits likewise.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from lienthong.client.models import HubRefused, HubUnavailable
from lienthong.codes.dates import parse_timestamp
from lienthong.edxml import DocumentMessage, Message, ParseError, StatusMessage, parse
from lienthong.edxml.validate import validate
from lienthong.gateway.core import Core
from lienthong.gateway.replies import SYSTEM_CLERK, Replies, targets
from lienthong.gateway.states import RECALLABLE, STATUS_TEXT, moves_forward
from lienthong.gateway.tables import Incoming, Outgoing, OutgoingRecipient
from lienthong.gateway.warnings import Warnings
from lienthong.problems import Problem
from lienthong.signing.verify import Verifier
from lienthong.store.blobs import Staged

log = logging.getLogger("lienthong.gateway")


class Inbox:
    """Takes in what waits at the hub, exactly once per delivery."""

    def __init__(self, core: Core, replies: Replies, warnings: Warnings, verifier: Verifier | None) -> None:
        self.core = core
        self.replies = replies
        self.warnings = warnings
        self.verifier = verifier

    def poll(self) -> int:
        """Fetch everything waiting, register it, acknowledge it, and answer 01 for documents."""
        try:
            entries = self.core.port.inbox()
        except (HubUnavailable, HubRefused):
            return 0  # the contact logs it, summarised
        handled = 0
        for entry in entries:
            with self.core.sessions() as s:
                known = s.execute(
                    select(Incoming.id).where(Incoming.hub_delivery_id == entry.delivery_id)
                ).first()
            try:
                if known is None:
                    self._receive(entry.delivery_id, entry.recipient, self._fetch(entry.delivery_id))
                else:
                    self._answer_arrival(known[0])  # registered before a crash: make sure 01 went out
                self.core.port.ack(entry.delivery_id, "done")
            except (HubUnavailable, HubRefused) as exc:
                log.warning("inbox: %s not taken in yet: %s", entry.delivery_id, exc)
                continue
            handled += 1
        return handled

    def _answer_arrival(self, incoming_id: int) -> None:
        with self.core.sessions() as s:
            incoming = s.get_one(Incoming, incoming_id)
            answered = s.execute(
                select(Outgoing.id).where(
                    Outgoing.answers_incoming_id == incoming_id, Outgoing.status_code == "01"
                )
            ).first()
            is_document = incoming.kind == "edoc"
        if is_document and answered is None:
            self.replies.reply(incoming_id, "01", STATUS_TEXT["01"], clerk=SYSTEM_CLERK)

    def _fetch(self, delivery_id: str) -> Staged:
        """The package streamed from the hub into a staging file (never held whole in memory)."""
        stager = self.core.stager()
        try:
            self.core.port.fetch_into(delivery_id, stager)
            return stager.finish()
        except BaseException:
            stager.abort()
            raise

    def _receive(self, delivery_id: str, recipient: str, staged: Staged) -> None:
        path, digest = self.core.keep(staged)
        now = self.core.clock()
        try:
            message: Message | None = parse(Path(path), limits=self.core.limits)
            problems: list[Problem] = validate(message) if message is not None else []
        except ParseError as exc:
            message, problems = None, [exc.problem]
        if self.verifier is not None and isinstance(message, DocumentMessage):
            # Decree 30 Art. 21.2: the recipient checks authenticity and integrity on arrival.
            problems += self.verifier.verify_package(Path(path)).all_problems
        if isinstance(message, StatusMessage):
            self._record_status(message, delivery_id, recipient, path, digest, now)
            return
        with self.core.tx() as s:
            row = _register(s, message, delivery_id, recipient, path, digest, problems, now)
            if row.business_type == 1 and row.document_id is not None and message is not None:
                self._revoke(s, row, message)
            if isinstance(message, DocumentMessage):
                self.replies.queue_reply(s, row, "01", STATUS_TEXT["01"], SYSTEM_CLERK, now)
            log.info(
                "received %s from %s: số đến %s",
                row.notation or delivery_id,
                row.sender_code,
                row.arrival_number,
            )

    def _revoke(self, s: Session, revocation: Incoming, message: Message) -> None:
        """Decree 30 Art. 18.4b: the revoked original can only be viewed from now on."""
        for original in s.execute(
            select(Incoming).where(
                Incoming.document_id.in_(targets(message)),
                Incoming.sender_code == revocation.sender_code,
                Incoming.kind == "edoc",
                Incoming.id != revocation.id,
                Incoming.business_type == 0,
            )
        ).scalars():
            original.state, original.prior_state = "revoked", None

    def _record_status(
        self, message: StatusMessage, delivery_id: str, recipient: str, path: str, digest: str, now: datetime
    ) -> None:
        """A recipient's reply about one of our documents: update its tracking (only ever forward)."""
        h = message.header
        assert h is not None
        code = (h.status_code or "").strip()
        sender = (h.from_.organ_id or "").strip() if h.from_ else ""
        document_id = (h.response_for.document_id or "").strip() if h.response_for else ""
        with self.core.tx() as s:
            s.add(
                Incoming(
                    hub_delivery_id=delivery_id,
                    kind="status",
                    sender_code=sender,
                    recipient_code=recipient,
                    document_id=document_id or None,
                    status_code=code,
                    subject=h.description,
                    arrival_at=now,
                    state="recorded",
                    blob_path=path,
                    sha256=digest,
                )
            )
            if code == "13":
                _recall_requested(s, sender, document_id)
                return
            rows = s.execute(
                select(OutgoingRecipient)
                .join(Outgoing)
                .where(
                    Outgoing.document_id == document_id,
                    Outgoing.kind == "edoc",
                    OutgoingRecipient.recipient_code == sender,
                )
            ).scalars()
            stamp = _iso(h.timestamp) or now.isoformat()
            for r in rows:
                self._apply_status(s, r, code, stamp, h.description or "", now)

    def _apply_status(
        self, s: Session, r: OutgoingRecipient, code: str, stamp: str, text: str, now: datetime
    ) -> None:
        r.status_history = (r.status_history + ";" if r.status_history else "") + f"{code}@{stamp}"
        r.updated_at = now
        if code in ("01", "03") and r.fetched_at is None:
            r.fetched_at = now
        if not moves_forward(r.last_status_code, code):
            return  # a late or out-of-order reply: history, not a step back
        r.last_status_code, r.last_status_at = code, now
        if code == "02":
            self.warnings.open(s, "rejected", r.outgoing, r.recipient_code, text, now)
        else:
            self.warnings.resolve(s, r.outgoing_id, "no_status", now, r.recipient_code)
            self.warnings.resolve(s, r.outgoing_id, "not_fetched", now, r.recipient_code)


def _register(
    s: Session,
    message: Message | None,
    delivery_id: str,
    recipient: str,
    path: str,
    digest: str,
    problems: list[Problem],
    now: datetime,
) -> Incoming:
    h = message.header if isinstance(message, DocumentMessage) else None
    business = message.business if isinstance(message, DocumentMessage) else None
    business_type = _int(business.bussiness_doc_type if business else None) or 0
    row = Incoming(
        hub_delivery_id=delivery_id,
        kind="edoc",
        sender_code=(h.from_.organ_id or "") if h and h.from_ else "",
        sender_name=(h.from_.organ_name or None) if h and h.from_ else None,
        recipient_code=recipient,
        document_id=(h.document_id or "").strip() or None if h else None,
        notation=f"{h.code.code_number}/{h.code.code_notation}" if h and h.code else None,
        subject=h.subject if h else None,
        priority=(h.other_info.priority or None) if h and h.other_info else None,
        business_type=business_type,
        arrival_year=now.year,
        arrival_number=Core.next_number(s, f"in|{recipient}|{now.year}"),
        arrival_at=now,
        state="change_arrived" if business_type in (2, 3) else "arrived",
        verification_json=json.dumps([p.to_dict() for p in problems], ensure_ascii=False),
        blob_path=path,
        sha256=digest,
    )
    if row.document_id and business_type == 0:
        earlier = s.execute(
            select(Incoming.id).where(
                Incoming.document_id == row.document_id,
                Incoming.sender_code == row.sender_code,
                Incoming.kind == "edoc",
            )
        ).first()
        row.duplicate_of = earlier[0] if earlier else None
    s.add(row)
    s.flush()
    return row


def _recall_requested(s: Session, sender: str, document_id: str) -> None:
    """The sender asks for a document back (13): show it to the clerk, who answers 15 or 16."""
    for row in s.execute(
        select(Incoming).where(
            Incoming.document_id == document_id, Incoming.sender_code == sender, Incoming.kind == "edoc"
        )
    ).scalars():
        if row.state in RECALLABLE:
            row.prior_state, row.state = row.state, "recall_requested"


def _int(value: str | None) -> int | None:
    text = (value or "").strip()
    return int(text) if text.isdigit() else None


def _iso(value: str | None) -> str | None:
    try:
        return parse_timestamp(value or "").isoformat()
    except ValueError:
        return None
