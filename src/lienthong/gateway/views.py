"""What the clerks and the document system read: registers with search and paging, a document, its files."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Select, func, or_, select

from lienthong.edxml import DocumentMessage, ParseError, parse
from lienthong.edxml.blob import read_bytes
from lienthong.gateway import problems as GP
from lienthong.gateway.core import Core, as_utc
from lienthong.gateway.outbox import OUTGOING_LABELS
from lienthong.gateway.problems import GatewayError
from lienthong.gateway.states import ACTIONS, STATE_LABELS, TRANSITIONS
from lienthong.gateway.tables import Incoming, Outgoing, OutgoingRecipient, Warning_

PAGE_SIZE = 50
STATUS_LABELS = {
    "01": "Đã đến - chờ tiếp nhận",
    "02": "Bị trả lại",
    "03": "Đã tiếp nhận",
    "04": "Đã phân công",
    "05": "Đang xử lý",
    "06": "Đã hoàn thành",
    "15": "Đồng ý thu hồi/cập nhật",
    "16": "Từ chối thu hồi/cập nhật",
}


@dataclass(frozen=True)
class Page:
    """One page of a register: its rows, the total that matched, the page number and size."""

    items: list[dict[str, Any]]
    total: int
    page: int
    size: int

    def to_dict(self) -> dict[str, Any]:
        return {"items": self.items, "total": self.total, "page": self.page, "size": self.size}


@dataclass(frozen=True)
class FileOut:
    name: str
    content_type: str
    data: bytes


def safe_name(name: str | None, fallback: str) -> str:
    """A file name that stays in the folder it is written to: no path, no control characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = re.sub(r"[^\w.\- ()]", "_", base).strip(" .")[:120]
    return base or fallback


def _page(s: Any, query: Select[Any], page: int, size: int) -> tuple[list[Any], int]:
    total = s.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = s.execute(query.limit(size).offset((max(page, 1) - 1) * size)).scalars().all()
    return list(rows), int(total)


class Views:
    def __init__(self, core: Core) -> None:
        self.core = core

    def outbox(self, search: str = "", state: str = "", page: int = 1, size: int = PAGE_SIZE) -> Page:
        """The outgoing register in its order; ``search`` in number, subject and document id."""
        o = Outgoing
        return self._register(o, (o.notation, o.subject, o.document_id), _outgoing, search, state, page, size)

    def inbox(self, search: str = "", state: str = "", page: int = 1, size: int = PAGE_SIZE) -> Page:
        """The incoming register (documents and replies) in arrival order; ``search`` also in the sender."""
        i = Incoming
        searched = (i.notation, i.subject, i.sender_code, i.sender_name, i.document_id)
        return self._register(i, searched, _incoming, search, state, page, size)

    def _register(
        self,
        model: Any,
        searched: tuple[Any, ...],
        shown: Callable[[Any], dict[str, Any]],
        search: str,
        state: str,
        page: int,
        size: int,
    ) -> Page:
        query = select(model).order_by(model.id)
        if search:
            query = query.where(or_(*(column.ilike(f"%{search}%") for column in searched)))
        if state:
            query = query.where(model.state == state)
        with self.core.sessions() as s:
            rows, total = _page(s, query, page, size)
            return Page([shown(row) for row in rows], total, max(page, 1), size)

    def show(self, incoming_id: int) -> dict[str, Any]:
        """One incoming document: metadata, signature verdicts, attachments, its history and next moves."""
        with self.core.sessions() as s:
            row = self.core.incoming(s, incoming_id)
            replies = s.execute(
                select(Outgoing).where(Outgoing.answers_incoming_id == row.id).order_by(Outgoing.id)
            ).scalars()
            history = [
                {
                    "status": o.status_code,
                    "label_vi": STATUS_LABELS.get(o.status_code or "", o.status_code),
                    "by": o.approved_by,
                    "at": as_utc(o.created_at).isoformat(),
                    "sent": o.state == "sent",
                }
                for o in replies
            ]
            data = _incoming(row)
            path, data["verification"] = row.blob_path, json.loads(row.verification_json)
        message = self._message(path)
        data["attachments"] = _attachments(message)
        data["history"] = history
        data["actions"] = sorted(TRANSITIONS.get(data["state"], {}), key=list(ACTIONS).index)
        return data

    def package(self, incoming_id: int) -> FileOut:
        with self.core.sessions() as s:
            row = self.core.incoming(s, incoming_id)
            written = (row.notation or row.hub_delivery_id).replace("/", "-")  # 807/VPCP → 807-VPCP
            name = safe_name(f"{written}.edxml", f"van-ban-{row.id}.edxml")
            return FileOut(name, "application/xml", self.core.read_blob(row.blob_path))

    def attachment(self, incoming_id: int, number: int) -> FileOut:
        """Attachment ``number`` (1 = the first) of an incoming document, decoded."""
        with self.core.sessions() as s:
            path = self.core.incoming(s, incoming_id).blob_path
        message = self._message(path)
        files = list(message.attachments or []) if message is not None else []
        if not 1 <= number <= len(files):
            raise GatewayError(GP.NO_ATTACHMENT(ident=incoming_id, number=number), 404)
        a = files[number - 1]
        try:
            data = read_bytes(a.data) if a.data is not None else b""
        except ValueError as exc:
            raise GatewayError(GP.BAD_PACKAGE(detail=str(exc))) from None
        name = safe_name(a.attachment_name, f"tep-{number}.bin")
        return FileOut(name, a.content_type or "application/octet-stream", data)

    def _message(self, path: str) -> DocumentMessage | None:
        try:
            message = parse(Path(path), limits=self.core.limits)  # from the file, attachments spilled
        except ParseError:
            return None
        return message if isinstance(message, DocumentMessage) else None

    def track(self, local_id: str) -> dict[str, Any]:
        """The per-recipient timeline of one sent document."""
        with self.core.sessions() as s:
            row = self.core.outgoing(s, local_id)
            data = _outgoing(row)
            data["recipients"] = [_recipient(row.state, r) for r in row.recipients]
            return data

    def counts(self) -> dict[str, int]:
        """The dashboard widget: not sent, send error, returned, late."""
        with self.core.sessions() as s:
            not_sent = s.execute(
                select(func.count(Outgoing.id)).where(
                    Outgoing.state.in_(("draft", "checked", "queued")), Outgoing.kind == "edoc"
                )
            ).scalar_one()
            errors = s.execute(
                select(func.count(Outgoing.id)).where(Outgoing.state == "send_error")
            ).scalar_one()
            refused = s.execute(
                select(func.count(Outgoing.id)).where(Outgoing.state == "refused")
            ).scalar_one()
            returned = s.execute(
                select(func.count(OutgoingRecipient.id)).where(OutgoingRecipient.last_status_code == "02")
            ).scalar_one()
            late = s.execute(
                select(func.count(Warning_.id)).where(
                    Warning_.kind.in_(("not_fetched", "no_status")), Warning_.state != "resolved"
                )
            ).scalar_one()
        return {
            "not_sent": not_sent,
            "send_error": errors,
            "refused": refused,
            "returned": returned,
            "late": late,
        }


def _outgoing(o: Outgoing) -> dict[str, Any]:
    return {
        "local_id": o.local_id,
        "kind": o.kind,
        "state": o.state,
        "label_vi": OUTGOING_LABELS.get(o.state, o.state),
        "notation": o.notation,
        "document_id": o.document_id,
        "business_type": o.business_type,
        "status_code": o.status_code,
        "subject": o.subject,
        "recipients": [{"code": r.recipient_code, "name": r.recipient_name} for r in o.recipients],
        "attempts": o.attempts,
        "hub_doc_id": o.hub_doc_id,
        "error": o.last_error_code,
        "error_text": o.last_error_text,
        "created_at": as_utc(o.created_at).isoformat(),
        "sent_at": as_utc(o.sent_at).isoformat() if o.sent_at else None,
    }


def _incoming(i: Incoming) -> dict[str, Any]:
    return {
        "id": i.id,
        "kind": i.kind,
        "sender": i.sender_code,
        "sender_name": i.sender_name,
        "arrival_number": i.arrival_number,
        "arrival_at": as_utc(i.arrival_at).isoformat(),
        "notation": i.notation,
        "document_id": i.document_id,
        "business_type": i.business_type,
        "subject": i.subject,
        "status_code": i.status_code,
        "state": i.state,
        "label_vi": STATE_LABELS.get(i.state, i.state),
        "duplicate_of": i.duplicate_of,
        "problems": len(json.loads(i.verification_json)),
    }


def _recipient(outgoing_state: str, r: OutgoingRecipient) -> dict[str, Any]:
    return {
        "recipient": r.recipient_code,
        "name": r.recipient_name,
        "hub_state": r.hub_state,
        "label_vi": recipient_label(outgoing_state, r),
        "fetched_at": as_utc(r.fetched_at).isoformat() if r.fetched_at else None,
        "last_status": r.last_status_code,
        "history": [h for h in r.status_history.split(";") if h],
        "error": r.error_code,
    }


def recipient_label(outgoing_state: str, r: OutgoingRecipient) -> str:
    """The clerk-facing label for one recipient, as agency systems show it."""
    if outgoing_state != "sent":
        return OUTGOING_LABELS.get(outgoing_state, outgoing_state)
    if r.hub_state == "undeliverable":
        return "Gửi lỗi"
    if r.last_status_code:
        return STATUS_LABELS.get(r.last_status_code, r.last_status_code)
    return "Đã gửi"


def _attachments(message: DocumentMessage | None) -> list[dict[str, Any]]:
    out = []
    for n, a in enumerate(message.attachments or [] if message is not None else [], start=1):
        out.append(
            {
                "number": n,
                "name": a.attachment_name,
                "file_name": safe_name(a.attachment_name, f"tep-{n}.bin"),
                "content_type": a.content_type,
                "description": a.description,
            }
        )
    return out
