"""The replies stage: a clerk's action on an incoming document, the status it sends, recalls and changes."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from lienthong.edxml import DocumentMessage, Message, parse, to_bytes
from lienthong.edxml.builder import build_status
from lienthong.edxml.model import Organization, ResponseFor, StaffInfo
from lienthong.gateway import problems as GP
from lienthong.gateway.core import Core
from lienthong.gateway.problems import GatewayError
from lienthong.gateway.states import ACTIONS, STATUS_TEXT, next_state
from lienthong.gateway.tables import Incoming, Outgoing

log = logging.getLogger("lienthong.gateway")
SYSTEM_CLERK = "hệ thống / system"


class Replies:
    """Clerk actions through the state machine, and the status replies they queue."""

    def __init__(self, core: Core) -> None:
        self.core = core

    def act(self, incoming_id: int, action: str, clerk: str, reason: str = "") -> str:
        """A clerk's action: checked against the state table, then the matching status is queued.

        The move and the queued reply commit together; a refused move sends nothing.
        """
        if action in ACTIONS and ACTIONS[action][0] == "02" and not reason.strip():
            raise GatewayError(GP.REASON_REQUIRED())
        if len(reason) > 1000:
            raise GatewayError(GP.REASON_TOO_LONG())
        now = self.core.clock()
        with self.core.tx() as s:
            row = self.core.incoming(s, incoming_id)
            if row.kind != "edoc":
                raise GatewayError(GP.NOT_A_DOCUMENT(), 409)
            state = next_state(row.state, action, row.prior_state)
            code = ACTIONS[action][0]
            if row.state == "change_arrived" and state == "accepted":
                self._supersede(s, row)  # taking an update or a replacement: the original gives way
            row.state, row.prior_state = state, None
            self.queue_reply(s, row, code, reason.strip() or STATUS_TEXT[code], clerk, now)
            log.info("incoming %s %s → %s (%s) by %s", row.id, action, state, code, clerk)
            return state

    def _supersede(self, s: Session, change: Incoming) -> None:
        for original in s.execute(
            select(Incoming).where(
                Incoming.document_id.in_(targets(Path(change.blob_path))),
                Incoming.sender_code == change.sender_code,
                Incoming.kind == "edoc",
                Incoming.id != change.id,
            )
        ).scalars():
            original.state = "superseded"

    def reply(self, incoming_id: int, code: str, description: str, clerk: str) -> Outgoing:
        """Queue a status reply about an incoming document (sent through the outbox like any package)."""
        now = self.core.clock()
        with self.core.tx() as s:
            return self.queue_reply(s, self.core.incoming(s, incoming_id), code, description, clerk, now)

    def queue_reply(
        self, s: Session, incoming: Incoming, code: str, description: str, clerk: str, now: datetime
    ) -> Outgoing:
        message = parse(Path(incoming.blob_path), limits=self.core.limits)
        if not isinstance(message, DocumentMessage):
            raise GatewayError(GP.NOT_A_DOCUMENT(), 409)
        cfg = self.core.config
        status = build_status(
            sender=Organization(organ_id=cfg.agency_code, organ_name=cfg.agency_name),
            document=message,
            status_code=code,
            description=description[:1000],
            staff=StaffInfo(staff=clerk),
            clock=lambda: now,
        )
        return self._queue(s, to_bytes(status), code, incoming.id, now)

    def recall(self, local_id: str, reason: str, clerk: str) -> Outgoing:
        """Ask every recipient to give a sent document back (13); they answer 15 (agree) or 16 (refuse)."""
        now = self.core.clock()
        cfg = self.core.config
        with self.core.tx() as s:
            row = self.core.outgoing(s, local_id)
            message = parse(Path(row.blob_path), limits=self.core.limits)
            if not isinstance(message, DocumentMessage) or message.header is None:
                raise GatewayError(GP.NOT_A_DOCUMENT(), 409)
            h = message.header
            target = ResponseFor(
                organ_id=cfg.agency_code,
                code=f"{h.code.code_number}/{h.code.code_notation}" if h.code else None,
                promulgation_date=h.promulgation_info.promulgation_date if h.promulgation_info else None,
                document_id=h.document_id,
            )
            status = build_status(
                sender=Organization(organ_id=cfg.agency_code, organ_name=cfg.agency_name),
                document=target,
                status_code="13",
                description=reason or STATUS_TEXT["13"],
                staff=StaffInfo(staff=clerk),
                clock=lambda: now,
            )
            return self._queue(s, to_bytes(status), "13", None, now)

    def _queue(self, s: Session, data: bytes, code: str, incoming_id: int | None, now: datetime) -> Outgoing:
        path, digest = self.core.store(self.core.sign(data))
        row = Outgoing(
            local_id=str(uuid.uuid4()),
            kind="status",
            issuer=self.core.config.agency_code,
            status_code=code,
            answers_incoming_id=incoming_id,
            state="queued",
            blob_path=path,
            sha256=digest,
            created_at=now,
            queued_at=now,
            next_attempt_at=now,
            approved_by="system",
            approved_at=now,
            attempts=0,
        )
        s.add(row)
        s.flush()
        return row


def targets(source: Message | Path) -> list[str]:
    """The DocumentIds an update, replacement or revocation acts on (its message, or its kept file)."""
    message = parse(source) if isinstance(source, Path) else source
    if not isinstance(message, DocumentMessage):
        return []
    found = [rf.document_id for rf in (message.header.response_for if message.header else [])]
    business = message.business
    if business is not None:
        found.append(business.document_id)
        found.extend(r.document_id for r in business.replacement_info_list or [])
    return [t.strip() for t in found if t and t.strip()]
