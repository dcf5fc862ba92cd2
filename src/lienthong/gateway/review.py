"""The review stage (Decree 30 Art. 18): a package becomes a draft, gets its checklist, a clerk approves it.

Only an original document (BussinessDocType 0) takes a number in the outgoing register: a
revocation, an update or a replacement repeats the number of the document it acts on (a
replacement that carries a new, free number takes it).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lienthong.codes.dates import parse_date
from lienthong.edxml import XMLDSIG_NS, DocumentMessage, Message, ParseError, ParseLimits, parse, to_bytes
from lienthong.edxml.prefix import unprefixed_header_elements
from lienthong.edxml.validate import validate
from lienthong.gateway import problems as GP
from lienthong.gateway.core import Core
from lienthong.gateway.outbox import OUTGOING_LABELS
from lienthong.gateway.problems import GatewayError
from lienthong.gateway.tables import Outgoing, OutgoingRecipient
from lienthong.problems import Problem
from lienthong.store.blobs import Staged

log = logging.getLogger("lienthong.gateway")
# The preflight rules: the parsed message, and the package (its kept file, read as needed).
Checker = Callable[[Message, bytes | Path], list[Problem]]


@dataclass(frozen=True)
class CheckItem:
    """One line of the clerk's checklist before sending."""

    code: str
    ok: bool
    severity: str
    message_vi: str
    message_en: str
    path: str = ""

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()

    @classmethod
    def of(cls, p: Problem) -> CheckItem:
        return cls(p.code, not p.is_error, p.severity.value, p.message_vi, p.message_en, p.path)


class Review:
    """Submit, check and approve outgoing packages."""

    def __init__(self, core: Core, checker: Checker | None) -> None:
        self.core = core
        self.checker = checker

    def _with_prefix(self, message: DocumentMessage, staged: Staged) -> Staged:
        """The package rewritten with ``edXML:`` on every header element when it lacks it (the
        writer builds it whole: only such packages pay that)."""
        if not _unprefixed(message, staged.path):
            return staged
        rewritten = self.core.stage([to_bytes(message)])
        staged.path.unlink(missing_ok=True)
        return rewritten

    def submit(self, data: bytes | Staged, *, approve_as: str | None = None) -> Outgoing:
        """Register a package built by the document system as a draft and run the checklist.

        ``data`` is the package's bytes or, for one of any size, the staging file it was streamed
        to (``Core.stager``): it is parsed, checked and kept from that file, never read whole.
        With ``approve_as`` (a clerk's name), approve it at once when the checklist has no error.
        """
        staged = data if isinstance(data, Staged) else self.core.stage([data])
        try:
            message = _document(staged.path, self.core.limits)
            h = message.header
            assert h is not None
            sender = (h.from_.organ_id or "").strip() if h.from_ else ""
            if sender != self.core.config.agency_code:
                agency = self.core.config.agency_code
                raise GatewayError(GP.WRONG_SENDER(sender=sender or "-", agency=agency))
            staged = self._with_prefix(message, staged)
        except BaseException:
            staged.path.unlink(missing_ok=True)
            raise
        path, digest = self.core.keep(staged)
        now = self.core.clock()
        # The preflight rules (signature verification included) run before the write lock is taken.
        preflight = [CheckItem.of(p) for p in self.checker(message, Path(path))] if self.checker else []
        with self.core.tx() as s:
            same_bytes = s.execute(select(Outgoing).where(Outgoing.sha256 == digest)).scalar_one_or_none()
            if same_bytes is not None:
                return same_bytes  # the same package twice: one register entry, never sent twice
            row = _draft(message, sender, path, digest, now)
            number = _int(h.code.code_number if h.code else None)
            checklist = self._checklist(s, row, message, number) + preflight
            row.checklist_json = json.dumps([c.to_dict() for c in checklist], ensure_ascii=False)
            row.state = "checked"
            if number is not None and self._number_taken(s, row, number) is None:
                row.register_number = number
            s.add(row)
            s.flush()
            log.info("submitted %s %s (%s)", row.local_id, row.notation or "", row.subject or "")
            if approve_as is not None and all(c.ok for c in checklist):
                self._approve(row, approve_as, now)
            return row

    @staticmethod
    def _number_taken(s: Session, row: Outgoing, number: int) -> str | None:
        """The register entry already holding this number of the year, if any."""
        taken = s.execute(
            select(Outgoing.local_id).where(
                Outgoing.issuer == row.issuer,
                Outgoing.register_year == row.register_year,
                Outgoing.register_number == number,
            )
        ).first()
        return None if taken is None else str(taken[0])

    def _checklist(
        self, s: Session, row: Outgoing, message: DocumentMessage, number: int | None
    ) -> list[CheckItem]:
        items = [CheckItem.of(p) for p in validate(message)]
        if row.business_type != 0:
            return items + self._recipients_item(row)  # it repeats the original's id and number
        # Decree 30 Appendix VI: warn of a duplicate document id or the same number + notation + issuer.
        if row.document_id:
            other = s.execute(
                select(Outgoing.local_id).where(
                    Outgoing.document_id == row.document_id,
                    Outgoing.business_type == 0,
                    Outgoing.kind == "edoc",
                    Outgoing.state != "refused",
                )
            ).first()
            if other is not None:
                p = GP.DUPLICATE_DOCUMENT_ID(
                    "MessageHeader/DocumentId", document_id=row.document_id, other=other[0]
                )
                items.append(CheckItem.of(p))
        taken = self._number_taken(s, row, number) if number is not None else None
        if taken is not None:
            p = GP.DUPLICATE_NUMBER(
                "MessageHeader/Code/CodeNumber", number=number, year=row.register_year, other=taken
            )
            items.append(CheckItem.of(p))
        return items + self._recipients_item(row)

    @staticmethod
    def _recipients_item(row: Outgoing) -> list[CheckItem]:
        return [] if row.recipients else [CheckItem.of(GP.NO_RECIPIENT("To"))]

    def checklist(self, local_id: str) -> list[CheckItem]:
        with self.core.sessions() as s:
            row = self.core.outgoing(s, local_id)
            return [CheckItem(**c) for c in json.loads(row.checklist_json)]

    def approve(self, local_id: str, clerk: str, *, override: bool = False) -> Outgoing:
        """A clerk approves the reviewed package: it joins the outbox.

        Refused (checklist errors, no override), the package leaves "Chưa gửi" for "Không được
        duyệt gửi": it no longer counts as waiting to be sent; an override may still approve it later.
        """
        now = self.core.clock()
        with self.core.tx() as s:
            row = self.core.outgoing(s, local_id)
            if row.state not in ("checked", "draft", "refused"):
                state_vi = OUTGOING_LABELS.get(row.state, row.state)
                raise GatewayError(GP.NOT_APPROVABLE(state=row.state, state_vi=state_vi), 409)
            failing = [c for c in json.loads(row.checklist_json) if not c["ok"]]
            if any(c["code"] == "CHECK.STATE_SECRET" for c in failing):
                row.state = "refused"  # Decision 28: state secrets never travel on this system
                error: GatewayError | None = GatewayError(GP.STATE_SECRET())
            elif failing and not override:
                row.state = "refused"
                error = GatewayError(GP.CHECKS_FAILED(codes=", ".join(c["code"] for c in failing)))
            else:
                self._approve(row, clerk, now)
                error = None
        if error is not None:
            raise error  # after the commit: the refusal is recorded
        return row

    def _approve(self, row: Outgoing, clerk: str, now: datetime) -> None:
        if self.core.signer is not None:
            # The agency signs what it sends; these exact bytes are what the outbox will (re)send.
            row.blob_path, row.sha256 = self.core.sign_file(row.blob_path)
        row.approved_by, row.approved_at = clerk, now
        row.state, row.next_attempt_at, row.queued_at = "queued", now, now
        log.info("approved %s by %s", row.notation or row.local_id, clerk)


def _unprefixed(message: DocumentMessage, path: Path) -> bool:
    """Whether a document system left ``edXML:`` off header elements (the Government Office's
    parser refuses such packages); an XML-signed package is never rewritten: its bytes were signed."""
    signature = message.signature
    if signature is not None and signature.namespace == XMLDSIG_NS:
        return False
    with path.open("rb") as fh:
        return bool(unprefixed_header_elements(fh.read(1 << 20)))  # the header comes first


def _document(path: Path, limits: ParseLimits) -> DocumentMessage:
    try:
        message = parse(path, limits=limits)
    except ParseError as exc:
        raise GatewayError(GP.BAD_PACKAGE(detail=f"{exc.problem.code} {exc.problem.message_en}")) from None
    if not isinstance(message, DocumentMessage) or message.header is None:
        raise GatewayError(GP.NOT_A_DOCUMENT())
    return message


def _draft(message: DocumentMessage, sender: str, path: str, digest: str, now: datetime) -> Outgoing:
    h = message.header
    assert h is not None
    business = message.business
    year = _year(h.promulgation_info.promulgation_date if h.promulgation_info else None) or now.year
    row = Outgoing(
        local_id=str(uuid.uuid4()),
        kind="edoc",
        issuer=sender,
        register_year=year,
        register_number=None,
        notation=f"{h.code.code_number}/{h.code.code_notation}" if h.code else None,
        document_id=(h.document_id or "").strip() or None,
        subject=h.subject,
        type_name=h.document_type.type_name if h.document_type else None,
        business_type=_int(business.bussiness_doc_type if business else None) or 0,
        state="draft",
        blob_path=path,
        sha256=digest,
        created_at=now,
        attempts=0,
    )
    row.recipients = [
        OutgoingRecipient(
            recipient_code=(t.organ_id or "").strip(),
            recipient_name=(t.organ_name or "").strip() or None,
            hub_state="unsent",
            updated_at=now,
        )
        for t in h.to
        if (t.organ_id or "").strip()
    ]
    return row


def _int(value: str | None) -> int | None:
    text = (value or "").strip()
    return int(text) if text.isdigit() else None


def _year(value: str | None) -> int | None:
    try:
        return parse_date(value or "").year
    except ValueError:
        return None
