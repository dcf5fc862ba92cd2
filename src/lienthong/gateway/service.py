"""The gateway as one object: registers, review, the durable outbox, the inbox, replies, tracking, warnings.

Every step is a row in the gateway's database, so a crash loses nothing: the outbox keeps the exact
bytes it sends, a retry after a timeout re-sends the same bytes (the hub answers a repeat with the
original id), and an entry is claimed with a lease so a crashed worker's entries come back.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import random
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from lienthong.client.models import HubPort, HubRefused, HubUnavailable
from lienthong.codes.calendar import WorkingCalendar
from lienthong.codes.dates import parse_date
from lienthong.edxml import DocumentMessage, Message, ParseError, StatusMessage, parse, to_bytes
from lienthong.edxml.builder import build_status
from lienthong.edxml.model import Organization, ResponseFor, StaffInfo
from lienthong.edxml.validate import validate
from lienthong.gateway.config import GatewayConfig
from lienthong.gateway.mail import smtp_mailer
from lienthong.gateway.tables import Incoming, Outgoing, OutgoingRecipient, Sequence, Warning_
from lienthong.problems import Problem
from lienthong.signing.pki import load_credential
from lienthong.signing.trust import load_trust_store
from lienthong.signing.verify import Verifier
from lienthong.signing.xmldsig import PackageSigner
from lienthong.store.db import make_engine, migrate, session_factory

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
MIGRATIONS = Path(__file__).with_name("migrations")
LEASE = timedelta(seconds=60)

# Clerk actions on an incoming document and the status each sends back (QCVN 102 status codes).
ACTIONS = {
    "accept": ("03", "accepted"),
    "return": ("02", "returned"),
    "assign": ("04", "assigned"),
    "process": ("05", "processing"),
    "complete": ("06", "completed"),
    "agree": ("15", None),
    "refuse": ("16", None),
}
STATUS_TEXT = {
    "01": "Đã đến - hệ thống quản lý văn bản đã nhận, văn thư chưa xử lý",
    "02": "Từ chối tiếp nhận",
    "03": "Tiếp nhận, vào sổ văn bản đến",
    "04": "Phân công xử lý",
    "05": "Đang xử lý",
    "06": "Hoàn thành xử lý",
    "13": "Đề nghị lấy lại văn bản",
    "15": "Đồng ý cập nhật/lấy lại",
    "16": "Từ chối cập nhật/lấy lại",
}


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class GatewayError(Exception):
    """A clerk's request that cannot be done; the message says why (Vietnamese / English)."""


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


def _item_from_problem(p: Problem) -> CheckItem:
    return CheckItem(p.code, not p.is_error, p.severity.value, p.message_vi, p.message_en, p.path)


class Gateway:
    def __init__(
        self,
        config: GatewayConfig,
        port: HubPort | None = None,
        clock: Clock = utc_now,
        checker: Callable[[Message, bytes], list[Problem]] | None = None,
        mailer: Callable[[list[str], str, str], None] | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        config.data_dir.mkdir(parents=True, exist_ok=True)
        config.blob_dir.mkdir(parents=True, exist_ok=True)
        self.engine = make_engine(config.database_url)
        migrate(self.engine, MIGRATIONS)
        self.sessions = session_factory(self.engine)
        self.last_hub_contact: datetime | None = None  # the last exchange with the hub that worked
        self.port: HubPort = _Contact(port if port is not None else connect(config), self._contacted)
        self.on_round: Callable[[str], None] = lambda _name: None  # monitoring: a loop finished a round
        self.on_retry: Callable[[str], None] = lambda _code: None  # monitoring: an outbox retry
        self.checker = checker if checker is not None else self._default_checker()
        self.mailer = mailer if mailer is not None else smtp_mailer(config.smtp)
        self.is_postgres = self.engine.dialect.name == "postgresql"
        self.calendar = WorkingCalendar.load(config.holidays_file)
        self.signer: PackageSigner | None = None
        if config.signing_key is not None:
            self.signer = PackageSigner(load_credential(config.signing_key, config.signing_cert))
        self.verifier = Verifier(load_trust_store(config.trust_dir)) if config.trust_dir else None
        self._release_leases()

    def _default_checker(self) -> Callable[[Message, bytes], list[Problem]] | None:
        """The preflight rules of lienthong.checks, with this gateway's register as history."""
        if not self.config.preflight:
            return None
        from lienthong.checks import gateway_checker
        from lienthong.checks.policy import load_policy
        from lienthong.gateway.checks_ports import OutgoingHistory

        return gateway_checker(
            policy=load_policy(self.config.checks_policy) if self.config.checks_policy else None,
            trust=load_trust_store(self.config.trust_dir) if self.config.trust_dir else None,
            history=OutgoingHistory(self.sessions),
            clock=self.clock,
        )

    def _contacted(self) -> None:
        self.last_hub_contact = self.clock()

    def _release_leases(self) -> None:
        """A restart means the previous process is gone: what it had claimed is due again now.

        Were another worker still sending one of these, the second send is harmless: the hub
        answers the same bytes with the same id.
        """
        with self.tx() as s:
            for row in s.execute(select(Outgoing).where(Outgoing.lease_until.is_not(None))).scalars():
                row.lease_until = None

    def close(self) -> None:
        self.port.close()
        self.engine.dispose()

    @contextmanager
    def tx(self) -> Iterator[Session]:
        with self.sessions() as session, session.begin():
            yield session

    # --- storage of package bytes -----------------------------------------------------------------

    def _store(self, data: bytes) -> tuple[str, str]:
        digest = hashlib.sha256(data).hexdigest()
        path = self.config.blob_dir / f"{digest}.edxml"
        if not path.exists():
            partial = path.with_suffix(".partial")
            with partial.open("wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            partial.replace(path)
        return str(path), digest

    @staticmethod
    def read_blob(path: str) -> bytes:
        return Path(path).read_bytes()

    # --- registers ----------------------------------------------------------------------------------

    def _next(self, session: Session, name: str) -> int:
        row = session.execute(
            select(Sequence).where(Sequence.name == name).with_for_update()
        ).scalar_one_or_none()
        if row is None:
            row = Sequence(name=name, value=0)
            session.add(row)
        row.value += 1
        return row.value

    def reserve_number(self, year: int | None = None) -> int:
        """The next number of the outgoing register (sổ văn bản đi); it restarts every 1 January."""
        year = year or self.clock().year
        with self.tx() as s:
            return self._next(s, f"out|{self.config.agency_code}|{year}")

    # --- outgoing: draft, check, approve, queue -------------------------------------------------------

    def submit(self, data: bytes, *, approve_as: str | None = None) -> Outgoing:
        """Register a package built by the document system as a draft and run the checklist.

        With ``approve_as`` (a clerk's name), approve it at once when the checklist has no error.
        """
        try:
            message = parse(data)
        except ParseError as exc:
            raise GatewayError(
                f"{exc.problem.code}: {exc.problem.message_vi} / {exc.problem.message_en}"
            ) from None
        if not isinstance(message, DocumentMessage) or message.header is None:
            raise GatewayError("Chỉ gửi được gói tin văn bản / only document packages can be submitted")
        h = message.header
        sender = (h.from_.organ_id or "").strip() if h.from_ else ""
        if sender != self.config.agency_code:
            raise GatewayError(
                f"Đơn vị gửi {sender} không phải {self.config.agency_code} / "
                f"the package's sender {sender} is not this gateway's agency {self.config.agency_code}"
            )
        path, digest = self._store(data)
        number = _int(h.code.code_number if h.code else None)
        year = (
            _year(h.promulgation_info.promulgation_date if h.promulgation_info else None) or self.clock().year
        )
        business = message.business
        now = self.clock()
        # The preflight rules (signature verification included) run before the write lock is taken.
        preflight = [_item_from_problem(p) for p in self.checker(message, data)] if self.checker else []
        with self.tx() as s:
            same_bytes = s.execute(select(Outgoing).where(Outgoing.sha256 == digest)).scalar_one_or_none()
            if same_bytes is not None:
                return same_bytes  # the same package twice: one register entry, never sent twice
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
            )
            row.recipients = [
                OutgoingRecipient(
                    recipient_code=(t.organ_id or "").strip(), hub_state="unsent", updated_at=now
                )
                for t in h.to
                if (t.organ_id or "").strip()
            ]
            checklist = self._checklist(s, row, message, number, year) + preflight
            row.checklist_json = json.dumps([c.to_dict() for c in checklist], ensure_ascii=False)
            row.state = "checked"
            if number is not None and not any(c.code == "GATEWAY.DUPLICATE_NUMBER" for c in checklist):
                row.register_number = number
            s.add(row)
            s.flush()
            if approve_as is not None and all(c.ok for c in checklist):
                self._approve(row, approve_as, now)
            return row

    def _checklist(
        self, s: Session, row: Outgoing, message: DocumentMessage, number: int | None, year: int
    ) -> list[CheckItem]:
        items = [_item_from_problem(p) for p in validate(message)]
        # Decree 30 Appendix VI: warn of a duplicate document id or the same number + notation + issuer.
        if row.document_id:
            other = s.execute(
                select(Outgoing.local_id).where(
                    Outgoing.document_id == row.document_id,
                    Outgoing.business_type == 0,
                    Outgoing.kind == "edoc",
                )
            ).first()
            if other is not None and row.business_type == 0:
                items.append(
                    CheckItem(
                        "GATEWAY.DUPLICATE_DOCUMENT_ID",
                        False,
                        "error",
                        f"Mã văn bản {row.document_id} đã có trong sổ văn bản đi ({other[0]})",
                        f"DocumentId {row.document_id} is already in the outgoing register ({other[0]})",
                        "MessageHeader/DocumentId",
                    )
                )
        if number is not None and row.business_type == 0:
            taken = s.execute(
                select(Outgoing.local_id).where(
                    Outgoing.issuer == row.issuer,
                    Outgoing.register_year == year,
                    Outgoing.register_number == number,
                )
            ).first()
            if taken is not None:
                items.append(
                    CheckItem(
                        "GATEWAY.DUPLICATE_NUMBER",
                        False,
                        "error",
                        f"Số {number} năm {year} đã được dùng trong sổ văn bản đi ({taken[0]})",
                        f"Number {number} of {year} is already used in the outgoing register ({taken[0]})",
                        "MessageHeader/Code/CodeNumber",
                    )
                )
        if not row.recipients:
            items.append(
                CheckItem("GATEWAY.NO_RECIPIENT", False, "error", "Không có nơi nhận", "No recipient", "To")
            )
        return items

    def checklist(self, local_id: str) -> list[CheckItem]:
        with self.sessions() as s:
            row = self._outgoing(s, local_id)
            return [CheckItem(**c) for c in json.loads(row.checklist_json)]

    def approve(self, local_id: str, clerk: str, *, override: bool = False) -> Outgoing:
        """A clerk approves the reviewed package: it joins the outbox."""
        now = self.clock()
        with self.tx() as s:
            row = self._outgoing(s, local_id)
            if row.state not in ("checked", "draft"):
                raise GatewayError(f"Gói tin đang ở trạng thái {row.state} / the package is {row.state}")
            failing = [c for c in json.loads(row.checklist_json) if not c["ok"]]
            if any(c["code"] == "CHECK.STATE_SECRET" for c in failing):
                # Decision 28: state secrets never travel on this system, whoever approves.
                raise GatewayError(
                    "Văn bản mật không được gửi qua hệ thống / state secrets are never sent here"
                )
            if failing and not override:
                codes = ", ".join(c["code"] for c in failing)
                raise GatewayError(f"Còn lỗi cần sửa: {codes} / errors remain: {codes}")
            self._approve(row, clerk, now)
            return row

    def _approve(self, row: Outgoing, clerk: str, now: datetime) -> None:
        if self.signer is not None:
            # The agency signs what it sends; these exact bytes are what the outbox will (re)send.
            row.blob_path, row.sha256 = self._store(self.signer.sign(self.read_blob(row.blob_path)))
        row.approved_by, row.approved_at = clerk, now
        row.state = "queued"
        row.next_attempt_at = now

    def _outgoing(self, s: Session, local_id: str) -> Outgoing:
        row = s.execute(select(Outgoing).where(Outgoing.local_id == local_id)).scalar_one_or_none()
        if row is None:
            raise GatewayError(f"Không có gói tin {local_id} / no package {local_id}")
        return row

    # --- the outbox --------------------------------------------------------------------------------

    def _claim(self) -> list[tuple[int, str, int]]:
        """Take due entries with a lease, so two workers never send the same entry at once."""
        now = self.clock()
        with self.tx() as s:
            query = (
                select(Outgoing)
                .where(
                    Outgoing.state == "queued",
                    Outgoing.next_attempt_at <= now,
                    or_(Outgoing.lease_until.is_(None), Outgoing.lease_until < now),
                )
                .order_by(Outgoing.next_attempt_at)
                .limit(20)
            )
            if self.is_postgres:
                query = query.with_for_update(skip_locked=True)
            rows = list(s.execute(query).scalars())
            for row in rows:
                row.lease_until = now + LEASE
            return [(r.id, r.blob_path, r.attempts) for r in rows]

    def process_outbox(self) -> int:
        """Send what is due; return how many entries were handled."""
        claimed = self._claim()
        for row_id, path, _attempts in claimed:
            self._send_one(row_id, path)
        if claimed:
            self.notify_new_warnings()
        return len(claimed)

    def _send_one(self, row_id: int, path: str) -> None:
        data = self.read_blob(path)
        try:
            result = self.port.send(data)
            _fault_point("after-send")
        except HubUnavailable as exc:
            self._retry_later(row_id, "GATEWAY.HUB_UNAVAILABLE", str(exc))
            return
        except HubRefused as exc:
            _fault_point("after-refusal")
            if exc.code in ("HUB.DUPLICATE_DOCUMENT_ID", "HUB.DUPLICATE_NOTATION") and exc.original:
                # Our earlier attempt may have been accepted before a crash: the hub names it.
                self._mark_sent(row_id, exc.original, [])
                return
            self._send_error(row_id, exc.code, exc.message)
            return
        self._mark_sent(
            row_id, result.doc_id, [(d.recipient, d.state, d.error_code) for d in result.deliveries]
        )

    def _mark_sent(self, row_id: int, hub_doc_id: str, deliveries: list[tuple[str, str, str | None]]) -> None:
        now = self.clock()
        with self.tx() as s:
            row = s.get_one(Outgoing, row_id)
            row.state, row.hub_doc_id, row.sent_at, row.lease_until = "sent", hub_doc_id, now, None
            row.attempts += 1
            states = {code: (state, error) for code, state, error in deliveries}
            for r in row.recipients:
                state, error = states.get(r.recipient_code, ("pending", None))
                r.hub_state, r.error_code, r.updated_at = state, error, now
                if state == "undeliverable":  # the hub says so at once: so does the gateway
                    self._open(s, "recipient_unknown", row, r.recipient_code, error or "", now)
            self._resolve(s, row.id, "send_failed", now)

    def _retry_later(self, row_id: int, code: str, text: str) -> None:
        self.on_retry(code)
        now = self.clock()
        with self.tx() as s:
            row = s.get_one(Outgoing, row_id)
            row.attempts += 1
            row.last_error_code, row.last_error_text, row.lease_until = code, text, None
            if row.attempts >= self.config.max_attempts:
                row.state = "send_error"
                self._open(s, "send_failed", row, None, f"{code}: {text}", now)
                return
            # Exponential backoff with full jitter, bounded.
            ceiling = min(
                self.config.backoff_max_seconds, self.config.backoff_seconds * 2 ** (row.attempts - 1)
            )
            row.next_attempt_at = now + timedelta(seconds=random.uniform(ceiling / 2, ceiling))

    def _send_error(self, row_id: int, code: str, text: str) -> None:
        now = self.clock()
        with self.tx() as s:
            row = s.get_one(Outgoing, row_id)
            row.attempts += 1
            row.state, row.last_error_code, row.last_error_text, row.lease_until = (
                "send_error",
                code,
                text,
                None,
            )
            self._open(s, "send_failed", row, None, f"{code}: {text}", now)

    def resend(self, local_id: str) -> None:
        """Put a package marked Gửi lỗi back in the outbox (after the clerk fixed the cause)."""
        now = self.clock()
        with self.tx() as s:
            row = self._outgoing(s, local_id)
            if row.state != "send_error":
                raise GatewayError(f"Gói tin đang ở trạng thái {row.state} / the package is {row.state}")
            row.state, row.attempts, row.next_attempt_at = "queued", 0, now

    # --- the inbox ---------------------------------------------------------------------------------

    def poll_inbox(self) -> int:
        """Fetch everything waiting, register it, acknowledge it, and answer 01 for documents."""
        try:
            entries = self.port.inbox()
        except HubUnavailable as exc:
            log.warning("inbox: hub unavailable: %s", exc)
            return 0
        handled = 0
        for entry in entries:
            with self.sessions() as s:
                known = s.execute(
                    select(Incoming.id).where(Incoming.hub_delivery_id == entry.delivery_id)
                ).first()
            if known is None:
                try:
                    data = self.port.fetch(entry.delivery_id)
                except (HubUnavailable, HubRefused) as exc:
                    log.warning("inbox: cannot fetch %s: %s", entry.delivery_id, exc)
                    continue
                self._receive(entry.delivery_id, entry.recipient, data)
                self.notify_new_warnings()
            else:
                self._answer_arrival(known[0])  # registered before a crash: make sure 01 went out
            try:
                self.port.ack(entry.delivery_id, "done")
            except (HubUnavailable, HubRefused) as exc:
                log.warning("inbox: cannot acknowledge %s: %s", entry.delivery_id, exc)
                continue
            handled += 1
        return handled

    def _answer_arrival(self, incoming_id: int) -> None:
        with self.sessions() as s:
            incoming = s.get_one(Incoming, incoming_id)
            answered = s.execute(
                select(Outgoing.id).where(
                    Outgoing.answers_incoming_id == incoming_id, Outgoing.status_code == "01"
                )
            ).first()
            is_document = incoming.kind == "edoc"
        if is_document and answered is None:
            self.reply(incoming_id, "01", STATUS_TEXT["01"], clerk="hệ thống / system")

    def _receive(self, delivery_id: str, recipient: str, data: bytes) -> None:
        path, digest = self._store(data)
        now = self.clock()
        try:
            message: Message | None = parse(data)
            problems = validate(message) if message is not None else []
        except ParseError as exc:
            message, problems = None, [exc.problem]
        if self.verifier is not None and isinstance(message, DocumentMessage):
            # Decree 30 Art. 21.2: the recipient checks authenticity and integrity on arrival.
            problems += self.verifier.verify_package(data).all_problems
        if isinstance(message, StatusMessage):
            self._record_status(message, delivery_id, recipient, path, digest, now)
            return
        h = message.header if isinstance(message, DocumentMessage) else None
        business = message.business if isinstance(message, DocumentMessage) else None
        with self.tx() as s:
            year = now.year
            row = Incoming(
                hub_delivery_id=delivery_id,
                kind="edoc",
                sender_code=(h.from_.organ_id or "") if h and h.from_ else "",
                recipient_code=recipient,
                document_id=(h.document_id or "").strip() or None if h else None,
                notation=f"{h.code.code_number}/{h.code.code_notation}" if h and h.code else None,
                subject=h.subject if h else None,
                business_type=_int(business.bussiness_doc_type if business else None) or 0,
                arrival_year=year,
                arrival_number=self._next(s, f"in|{recipient}|{year}"),
                arrival_at=now,
                state="arrived",
                verification_json=json.dumps([p.to_dict() for p in problems], ensure_ascii=False),
                blob_path=path,
                sha256=digest,
            )
            if row.document_id:
                earlier = s.execute(
                    select(Incoming.id).where(
                        Incoming.document_id == row.document_id,
                        Incoming.sender_code == row.sender_code,
                        Incoming.kind == "edoc",
                    )
                ).first()
                row.duplicate_of = earlier[0] if earlier and row.business_type == 0 else None
            s.add(row)
            s.flush()
            incoming_id = row.id
        if isinstance(message, DocumentMessage):
            self.reply(incoming_id, "01", STATUS_TEXT["01"], clerk="hệ thống / system")

    def _record_status(
        self, message: StatusMessage, delivery_id: str, recipient: str, path: str, digest: str, now: datetime
    ) -> None:
        """A recipient's reply about one of our documents: update its tracking."""
        h = message.header
        assert h is not None
        code = (h.status_code or "").strip()
        sender = (h.from_.organ_id or "").strip() if h.from_ else ""
        document_id = (h.response_for.document_id or "").strip() if h.response_for else ""
        with self.tx() as s:
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
                self._recall_requested(s, sender, document_id, now)
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
                r.last_status_code, r.last_status_at, r.updated_at = code, now, now
                r.status_history = (r.status_history + ";" if r.status_history else "") + f"{code}@{stamp}"
                if code in ("01", "03") and r.fetched_at is None:
                    r.fetched_at = now
                if code == "02":
                    self._open(s, "rejected", r.outgoing, sender, h.description or "", now)
                else:
                    self._resolve(s, r.outgoing_id, "no_status", now, sender)
                    self._resolve(s, r.outgoing_id, "not_fetched", now, sender)

    def _recall_requested(self, s: Session, sender: str, document_id: str, now: datetime) -> None:
        """The sender asks for a document back (13): show it to the clerk, who answers 15 or 16."""
        for row in s.execute(
            select(Incoming).where(Incoming.document_id == document_id, Incoming.sender_code == sender)
        ).scalars():
            if row.kind == "edoc" and row.state != "cancelled":
                row.state = "recall_requested"

    # --- replies ---------------------------------------------------------------------------------------

    def act(self, incoming_id: int, action: str, clerk: str, reason: str = "") -> str:
        """A clerk's action on an incoming document: it sends the matching status back."""
        if action not in ACTIONS:
            raise GatewayError(f"Thao tác không hợp lệ: {action} / unknown action {action}")
        code, state = ACTIONS[action]
        if code == "02" and not reason.strip():
            raise GatewayError("Trả lại văn bản phải có lý do / a return needs a reason")
        if len(reason) > 1000:
            raise GatewayError("Lý do dài quá 1000 ký tự / the reason is longer than 1000 characters")
        description = reason.strip() or STATUS_TEXT[code]
        self.reply(incoming_id, code, description, clerk)
        with self.tx() as s:
            row = s.get_one(Incoming, incoming_id)
            if action == "agree" and row.state == "recall_requested":
                row.state = "cancelled"  # Decree 30 Art. 18.4b: the recipient cancels a recalled document
            elif action == "refuse" and row.state == "recall_requested":
                row.state = "accepted"
            elif action == "agree" and row.business_type in (2, 3):
                # Taking an update or a replacement: the document it acts on is superseded.
                superseded = "replaced" if row.business_type == 3 else "updated"
                targets = _targets(self.read_blob(row.blob_path))
                for original in s.execute(
                    select(Incoming).where(
                        Incoming.document_id.in_(targets),
                        Incoming.sender_code == row.sender_code,
                        Incoming.kind == "edoc",
                        Incoming.id != row.id,
                    )
                ).scalars():
                    original.state = superseded
                row.state = "accepted"
            elif state is not None:
                row.state = state
            return row.state

    def reply(self, incoming_id: int, code: str, description: str, clerk: str) -> Outgoing:
        """Queue a status reply about an incoming document (sent through the outbox like any package)."""
        now = self.clock()
        with self.tx() as s:
            incoming = s.get_one(Incoming, incoming_id)
            data = self.read_blob(incoming.blob_path)
        message = parse(data)
        if not isinstance(message, DocumentMessage):
            raise GatewayError("Chỉ trả lời được văn bản / only documents are answered")
        status = build_status(
            sender=Organization(organ_id=self.config.agency_code, organ_name=self.config.agency_name),
            document=message,
            status_code=code,
            description=description[:1000],
            staff=StaffInfo(staff=clerk),
            clock=lambda: now,
        )
        return self._queue_status(to_bytes(status), code, incoming_id, now)

    def recall(self, local_id: str, reason: str, clerk: str) -> Outgoing:
        """Ask every recipient to give a sent document back (13); they answer 15 (agree) or 16 (refuse)."""
        now = self.clock()
        with self.sessions() as s:
            row = self._outgoing(s, local_id)
            data = self.read_blob(row.blob_path)
        message = parse(data)
        assert isinstance(message, DocumentMessage) and message.header is not None
        h = message.header
        target = ResponseFor(
            organ_id=self.config.agency_code,
            code=f"{h.code.code_number}/{h.code.code_notation}" if h.code else None,
            promulgation_date=h.promulgation_info.promulgation_date if h.promulgation_info else None,
            document_id=h.document_id,
        )
        status = build_status(
            sender=Organization(organ_id=self.config.agency_code, organ_name=self.config.agency_name),
            document=target,
            status_code="13",
            description=reason or STATUS_TEXT["13"],
            staff=StaffInfo(staff=clerk),
            clock=lambda: now,
        )
        return self._queue_status(to_bytes(status), "13", None, now)

    def _queue_status(self, data: bytes, code: str, incoming_id: int | None, now: datetime) -> Outgoing:
        path, digest = self._store(self.signer.sign(data) if self.signer is not None else data)
        with self.tx() as s:
            row = Outgoing(
                local_id=str(uuid.uuid4()),
                kind="status",
                issuer=self.config.agency_code,
                status_code=code,
                answers_incoming_id=incoming_id,
                state="queued",
                blob_path=path,
                sha256=digest,
                created_at=now,
                next_attempt_at=now,
                approved_by="system",
                approved_at=now,
            )
            s.add(row)
            return row

    # --- tracking and warnings --------------------------------------------------------------------------

    def refresh_tracking(self) -> int:
        """Ask the hub where each sent document stands for each recipient."""
        with self.sessions() as s:
            rows = [
                (r.id, r.hub_doc_id)
                for r in s.execute(
                    select(Outgoing).where(Outgoing.state == "sent", Outgoing.kind == "edoc")
                ).scalars()
                if r.hub_doc_id
            ]
        updated = 0
        for row_id, hub_doc_id in rows:
            try:
                entries = self.port.sent(str(hub_doc_id))
            except (HubUnavailable, HubRefused) as exc:
                log.warning("tracking: %s", exc)
                continue
            now = self.clock()
            with self.tx() as s:
                row = s.get_one(Outgoing, row_id)
                by_code = {e.recipient: e for e in entries}
                for r in row.recipients:
                    entry = by_code.get(r.recipient_code)
                    if entry is None:
                        continue
                    r.hub_state, r.error_code = entry.state, entry.error_code
                    if entry.fetched and r.fetched_at is None:
                        r.fetched_at = now
                    if entry.last_status_code and entry.last_status_code != r.last_status_code:
                        r.last_status_code, r.last_status_at = entry.last_status_code, now
                    r.updated_at = now
                    if entry.state == "undeliverable":
                        self._open(s, "recipient_unknown", row, r.recipient_code, entry.error_code or "", now)
                    updated += 1
        self.notify_new_warnings()
        return updated

    def evaluate_warnings(self) -> list[Warning_]:
        """Open warnings for the conditions the directive names; resolve those that cleared."""
        now = self.clock()
        opened: list[Warning_] = []
        with self.tx() as s:
            for row in s.execute(
                select(Outgoing).where(Outgoing.state == "sent", Outgoing.kind == "edoc")
            ).scalars():
                sent_at = as_utc(row.sent_at or row.created_at)
                for r in row.recipients:
                    holds: set[str] = set()
                    if r.hub_state == "undeliverable":
                        holds.add("recipient_unknown")
                    elif r.fetched_at is None and r.hub_state in ("pending", "unsent"):
                        waited = (
                            self.calendar.working_hours_between(sent_at, now)
                            if self.config.office_hours_only
                            else (now - sent_at).total_seconds() / 3600
                        )
                        if waited >= self.config.not_fetched_hours:
                            holds.add("not_fetched")  # chưa đến nơi nhận
                    elif (
                        r.fetched_at is not None
                        and r.last_status_code is None
                        and now > legal_reply_deadline(self.calendar, as_utc(r.fetched_at))
                    ):
                        holds.add("no_status")  # đơn vị nhận chưa nhận
                    for kind in holds:
                        opened.append(self._open(s, kind, row, r.recipient_code, r.error_code or "", now))
                    for kind in {"not_fetched", "no_status"} - holds:
                        self._resolve(s, row.id, kind, now, r.recipient_code)
        self.notify_new_warnings()
        return opened

    def notify_new_warnings(self) -> int:
        """E-mail the clerks every warning not yet sent to them, at once."""
        now = self.clock()
        with self.tx() as s:
            fresh = list(
                s.execute(
                    select(Warning_).where(Warning_.notified_at.is_(None), Warning_.state == "open")
                ).scalars()
            )
            for w in fresh:
                w.notified_at = now
            lines = [self._warning_line(w) for w in fresh]
        if lines:
            self._mail(lines)
        return len(lines)

    @staticmethod
    def _warning_line(w: Warning_) -> str:
        label_vi, label_en = WARNING_LABELS[w.kind]
        return f"- {label_vi} / {label_en}: {w.recipient_code or ''} {w.detail}".rstrip()

    def _open(
        self, s: Session, kind: str, row: Outgoing, recipient: str | None, detail: str, now: datetime
    ) -> Warning_:
        existing = s.execute(
            select(Warning_).where(
                Warning_.kind == kind,
                Warning_.outgoing_id == row.id,
                Warning_.recipient_code.is_(None)
                if recipient is None
                else Warning_.recipient_code == recipient,
                Warning_.state != "resolved",
            )
        ).scalar_one_or_none()
        if existing is not None:
            return existing
        warning = Warning_(
            kind=kind,
            outgoing_id=row.id,
            recipient_code=recipient,
            state="open",
            detail=detail,
            opened_at=now,
        )
        s.add(warning)
        s.flush()
        return warning

    def _resolve(
        self, s: Session, outgoing_id: int, kind: str, now: datetime, recipient: str | None = None
    ) -> None:
        query = select(Warning_).where(
            Warning_.kind == kind, Warning_.outgoing_id == outgoing_id, Warning_.state != "resolved"
        )
        if recipient is not None:
            query = query.where(Warning_.recipient_code == recipient)
        for w in s.execute(query).scalars():
            w.state, w.resolved_at = "resolved", now

    def acknowledge_warning(self, warning_id: int) -> None:
        with self.tx() as s:
            w = s.get(Warning_, warning_id)
            if w is None:
                raise GatewayError(f"Không có cảnh báo {warning_id} / no warning {warning_id}")
            if w.state == "open":
                w.state = "acknowledged"

    def warnings(self, include_resolved: bool = False) -> list[dict[str, Any]]:
        with self.sessions() as s:
            query = select(Warning_, Outgoing).join(Outgoing, Warning_.outgoing_id == Outgoing.id)
            if not include_resolved:
                query = query.where(Warning_.state != "resolved")
            return [
                {
                    "id": w.id,
                    "kind": w.kind,
                    "label_vi": WARNING_LABELS[w.kind][0],
                    "label_en": WARNING_LABELS[w.kind][1],
                    "state": w.state,
                    "package": o.local_id,
                    "notation": o.notation,
                    "subject": o.subject,
                    "recipient": w.recipient_code,
                    "detail": w.detail,
                    "opened_at": as_utc(w.opened_at).isoformat(),
                }
                for w, o in s.execute(query.order_by(Warning_.id)).all()
            ]

    def _mail(self, lines: list[str]) -> None:
        if self.mailer is None or not self.config.clerk_emails:
            return
        subject = (
            f"[Lienthong] {len(lines)} cảnh báo gửi văn bản / sending warnings ({self.config.agency_code})"
        )
        try:
            self.mailer(list(self.config.clerk_emails), subject, "\n".join(lines))
        except OSError as exc:  # the warning stays visible in the gateway even if mail fails
            log.warning("cannot e-mail warnings: %s", exc)

    # --- views -------------------------------------------------------------------------------------------

    def outbox(self) -> list[dict[str, Any]]:
        with self.sessions() as s:
            return [
                {
                    "local_id": o.local_id,
                    "kind": o.kind,
                    "state": o.state,
                    "label_vi": OUTGOING_LABELS.get(o.state, o.state),
                    "notation": o.notation,
                    "status_code": o.status_code,
                    "subject": o.subject,
                    "attempts": o.attempts,
                    "hub_doc_id": o.hub_doc_id,
                    "error": o.last_error_code,
                }
                for o in s.execute(select(Outgoing).order_by(Outgoing.id)).scalars()
            ]

    def inbox(self) -> list[dict[str, Any]]:
        with self.sessions() as s:
            return [
                {
                    "id": i.id,
                    "kind": i.kind,
                    "sender": i.sender_code,
                    "arrival_number": i.arrival_number,
                    "arrival_at": as_utc(i.arrival_at).isoformat(),
                    "notation": i.notation,
                    "subject": i.subject,
                    "status_code": i.status_code,
                    "state": i.state,
                    "duplicate_of": i.duplicate_of,
                    "problems": len(json.loads(i.verification_json)),
                }
                for i in s.execute(select(Incoming).order_by(Incoming.id)).scalars()
            ]

    def track(self, local_id: str) -> dict[str, Any]:
        """The per-recipient timeline of one sent document."""
        with self.sessions() as s:
            row = self._outgoing(s, local_id)
            return {
                "local_id": row.local_id,
                "notation": row.notation,
                "subject": row.subject,
                "state": row.state,
                "sent_at": as_utc(row.sent_at).isoformat() if row.sent_at else None,
                "recipients": [
                    {
                        "recipient": r.recipient_code,
                        "hub_state": r.hub_state,
                        "label_vi": recipient_label(row.state, r),
                        "fetched_at": as_utc(r.fetched_at).isoformat() if r.fetched_at else None,
                        "last_status": r.last_status_code,
                        "history": [h for h in r.status_history.split(";") if h],
                        "error": r.error_code,
                    }
                    for r in row.recipients
                ],
            }

    def counts(self) -> dict[str, int]:
        """The dashboard widget: not sent, send error, returned, late."""
        with self.sessions() as s:
            not_sent = s.execute(
                select(func.count(Outgoing.id)).where(Outgoing.state.in_(("draft", "checked", "queued")))
            ).scalar_one()
            errors = s.execute(
                select(func.count(Outgoing.id)).where(Outgoing.state == "send_error")
            ).scalar_one()
            returned = s.execute(
                select(func.count(OutgoingRecipient.id)).where(OutgoingRecipient.last_status_code == "02")
            ).scalar_one()
            late = s.execute(
                select(func.count(Warning_.id)).where(
                    Warning_.kind.in_(("not_fetched", "no_status")), Warning_.state != "resolved"
                )
            ).scalar_one()
        return {"not_sent": not_sent, "send_error": errors, "returned": returned, "late": late}

    # --- the running service ------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Outbox, inbox (long poll), tracking and warnings, until ``stop`` is set."""
        await asyncio.gather(
            self._loop(stop, self.process_outbox, self.config.outbox_interval, "outbox"),
            self._inbox_loop(stop),
            self._loop(stop, self.refresh_tracking, self.config.tracking_interval),
            self._loop(stop, self.evaluate_warnings, self.config.warnings_interval),
        )

    async def _loop(
        self, stop: asyncio.Event, step: Callable[[], object], interval: float, name: str = ""
    ) -> None:
        while not stop.is_set():
            try:
                await asyncio.to_thread(step)
                self.on_round(name)
            except Exception:  # one failing round must not stop the gateway
                log.exception("gateway step %s failed", getattr(step, "__name__", step))
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)

    async def _inbox_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await asyncio.to_thread(self.poll_inbox)
                self.on_round("inbox")
                await asyncio.to_thread(self.port.wait, self.config.wait_seconds)
            except HubUnavailable as exc:
                log.warning("inbox: %s", exc)
                await asyncio.sleep(1.0)
            except Exception:
                log.exception("inbox round failed")
                await asyncio.sleep(1.0)


WARNING_LABELS = {
    "send_failed": ("Gửi lỗi", "send failed"),
    "not_fetched": ("Chưa đến nơi nhận", "not yet fetched by the recipient"),
    "no_status": ("Đơn vị nhận chưa nhận", "fetched but not acknowledged in time"),
    "rejected": ("Bị trả lại", "returned by the recipient"),
    "recipient_unknown": ("Nơi nhận không tồn tại hoặc bị khóa", "recipient unknown or suspended"),
}
OUTGOING_LABELS = {
    "draft": "Chưa gửi",
    "checked": "Chưa gửi",
    "queued": "Chưa gửi",
    "send_error": "Gửi lỗi",
    "sent": "Đã gửi",
}
_STATUS_LABELS = {
    "01": "Đã đến - chờ tiếp nhận",
    "02": "Bị trả lại",
    "03": "Đã tiếp nhận",
    "04": "Đã phân công",
    "05": "Đang xử lý",
    "06": "Đã hoàn thành",
    "15": "Đã thu hồi",
    "16": "Từ chối thu hồi",
}


class _Contact:
    """A hub port that notes every call that went through (the gateway's contact with the hub)."""

    def __init__(self, port: HubPort, contacted: Callable[[], None]) -> None:
        self.inner = port
        self.contacted = contacted

    def _through(self, result: Any) -> Any:
        self.contacted()
        return result

    def send(self, package: bytes) -> Any:
        try:
            return self._through(self.inner.send(package))
        except HubRefused:
            self.contacted()  # a refusal is an answer: the hub is there
            raise

    def inbox(self, kind: str | None = None) -> Any:
        return self._through(self.inner.inbox(kind))

    def fetch(self, delivery_id: str) -> bytes:
        return bytes(self._through(self.inner.fetch(delivery_id)))

    def ack(self, delivery_id: str, status: str, reason: str = "") -> None:
        self.inner.ack(delivery_id, status, reason)
        self.contacted()

    def sent(self, doc_id: str) -> Any:
        return self._through(self.inner.sent(doc_id))

    def wait(self, timeout: float) -> int:
        return int(self._through(self.inner.wait(timeout)))

    def close(self) -> None:
        self.inner.close()


def recipient_label(outgoing_state: str, r: OutgoingRecipient) -> str:
    """The clerk-facing label for one recipient, as agency systems show it."""
    if outgoing_state != "sent":
        return OUTGOING_LABELS.get(outgoing_state, outgoing_state)
    if r.hub_state == "undeliverable":
        return "Gửi lỗi"
    if r.last_status_code:
        return _STATUS_LABELS.get(r.last_status_code, r.last_status_code)
    return "Đã gửi"


def connect(config: GatewayConfig) -> HubPort:
    """The hub port the configuration names."""
    if config.hub.protocol == "sdk":
        from lienthong.client.sdk import SdkClient

        return SdkClient(config.hub.url, config.hub.system_id, config.hub.secret, config.agency_code)
    from lienthong.client.jsonapi import HubClient

    return HubClient(config.hub.url, config.hub.token)


# --- time rules ------------------------------------------------------------------------------------------


def legal_reply_deadline(calendar: WorkingCalendar, fetched_at: datetime) -> datetime:
    """Decree 30 Art. 21.2: confirm receipt the same day; at the latest 12:00 the next working day."""
    local = fetched_at.astimezone(calendar.tz)
    return datetime.combine(calendar.next_working_day(local.date()), time(12, 0), calendar.tz)


def _fault_point(name: str) -> None:
    """Crash tests: ``LIENTHONG_GATEWAY_FAULT=<name>`` kills the process here (SIGKILL), like a power cut."""
    if os.environ.get("LIENTHONG_GATEWAY_FAULT") == name:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


def _targets(data: bytes) -> list[str]:
    """The DocumentIds an update, replacement or revocation acts on."""
    message = parse(data)
    if not isinstance(message, DocumentMessage):
        return []
    found = [rf.document_id for rf in (message.header.response_for if message.header else [])]
    business = message.business
    if business is not None:
        found.append(business.document_id)
        found.extend(r.document_id for r in business.replacement_info_list or [])
    return [t.strip() for t in found if t and t.strip()]


def _int(value: str | None) -> int | None:
    text = (value or "").strip()
    return int(text) if text.isdigit() else None


def _year(value: str | None) -> int | None:
    try:
        return parse_date(value or "").year
    except ValueError:
        return None


def _iso(value: str | None) -> str | None:
    from lienthong.codes.dates import parse_timestamp

    try:
        return parse_timestamp(value or "").isoformat()
    except ValueError:
        return None
