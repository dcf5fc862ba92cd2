"""The sender's warnings (Letter 807 item 4): opened while a condition holds, resolved when it clears.

A warning's e-mail is queued in the same transaction that opens it (``mail_outbox``) and marked
notified only once the SMTP server accepted it; an SMTP outage delays the e-mail, never loses it.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from lienthong.codes.calendar import WorkingCalendar
from lienthong.delivery import LeaseQueue, PermanentFailure, RetryPolicy, TemporaryFailure
from lienthong.delivery.mail import Mailer, email
from lienthong.gateway.core import Core, as_utc
from lienthong.gateway.problems import not_found
from lienthong.gateway.tables import MailOut, Outgoing, OutgoingRecipient, Warning_

log = logging.getLogger("lienthong.gateway")

WARNING_LABELS = {
    "send_failed": ("Gửi lỗi", "send failed"),
    "not_yet_sent": ("Chưa gửi được lên Trục", "not yet accepted by the hub, still retrying"),
    "not_fetched": ("Chưa đến nơi nhận", "not yet fetched by the recipient"),
    "no_status": ("Đơn vị nhận chưa nhận", "fetched but not acknowledged in time"),
    "rejected": ("Bị trả lại", "returned by the recipient"),
    "recipient_unknown": ("Nơi nhận không tồn tại hoặc bị khóa", "recipient unknown or suspended"),
}
MAIL_QUEUE = LeaseQueue(MailOut, ready="pending", done="sent", dead="dead", lease=timedelta(minutes=2))


def legal_reply_deadline(calendar: WorkingCalendar, fetched_at: datetime) -> datetime:
    """Decree 30 Art. 21.2: confirm receipt the same day; at the latest 12:00 the next working day."""
    local = fetched_at.astimezone(calendar.tz)
    return datetime.combine(calendar.next_working_day(local.date()), time(12, 0), calendar.tz)


class Warnings:
    """Open, resolve, list and e-mail the sender's warnings."""

    def __init__(self, core: Core, mailer: Mailer | None) -> None:
        self.core = core
        self.mailer = mailer
        cfg = core.config
        self.mail_policy = RetryPolicy(
            base_seconds=cfg.mail_backoff_seconds, cap_seconds=3600.0, deadline=timedelta(days=3)
        )

    @property
    def mails(self) -> bool:
        return self.mailer is not None and bool(self.core.config.clerk_emails)

    def open(
        self, s: Session, kind: str, row: Outgoing, recipient: str | None, detail: str, now: datetime
    ) -> Warning_:
        """The open warning of this kind for this document (and recipient), created if there is none."""
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
        log.warning("warning %s: %s %s %s", kind, row.notation or row.local_id, recipient or "", detail)
        if self.mails:
            s.add(
                MailOut(
                    warning_id=warning.id, state="pending", attempts=0, next_attempt_at=now, created_at=now
                )
            )
        return warning

    @staticmethod
    def resolve(s: Session, outgoing_id: int, kind: str, now: datetime, recipient: str | None = None) -> None:
        query = select(Warning_).where(
            Warning_.kind == kind, Warning_.outgoing_id == outgoing_id, Warning_.state != "resolved"
        )
        if recipient is not None:
            query = query.where(Warning_.recipient_code == recipient)
        for w in s.execute(query).scalars():
            w.state, w.resolved_at = "resolved", now

    def evaluate(self) -> list[Warning_]:
        """Open warnings for the conditions the directive names; resolve those that cleared."""
        now = self.core.clock()
        opened: list[Warning_] = []
        waiting = (
            select(Outgoing)
            .join(OutgoingRecipient, OutgoingRecipient.outgoing_id == Outgoing.id)
            .where(
                Outgoing.state == "sent",
                Outgoing.kind == "edoc",
                or_(OutgoingRecipient.fetched_at.is_(None), OutgoingRecipient.last_status_code.is_(None)),
            )
            .distinct()
        )
        with self.core.tx() as s:
            for row in s.execute(waiting).scalars():
                opened += self._evaluate_one(s, row, now)
        return opened

    def _evaluate_one(self, s: Session, row: Outgoing, now: datetime) -> list[Warning_]:
        cfg, opened = self.core.config, []
        sent_at = as_utc(row.sent_at or row.created_at)
        for r in row.recipients:
            holds: set[str] = set()
            if r.hub_state == "undeliverable":
                holds.add("recipient_unknown")
            elif r.fetched_at is None and r.hub_state in ("pending", "unsent"):
                waited = (
                    self.core.calendar.working_hours_between(sent_at, now)
                    if cfg.office_hours_only
                    else (now - sent_at).total_seconds() / 3600
                )
                if waited >= cfg.not_fetched_hours:
                    holds.add("not_fetched")  # chưa đến nơi nhận
            elif (
                r.fetched_at is not None
                and r.last_status_code is None
                and now > legal_reply_deadline(self.core.calendar, as_utc(r.fetched_at))
            ):
                holds.add("no_status")  # đơn vị nhận chưa nhận
            for kind in holds:
                opened.append(self.open(s, kind, row, r.recipient_code, r.error_code or "", now))
            for kind in {"not_fetched", "no_status"} - holds:
                self.resolve(s, row.id, kind, now, r.recipient_code)
        return opened

    def acknowledge(self, warning_id: int) -> None:
        with self.core.tx() as s:
            w = s.get(Warning_, warning_id)
            if w is None:
                raise not_found("cảnh báo", "warning", warning_id)
            if w.state == "open":
                w.state = "acknowledged"

    def listing(self, include_resolved: bool = False) -> list[dict[str, Any]]:
        with self.core.sessions() as s:
            query = select(Warning_, Outgoing).join(Outgoing, Warning_.outgoing_id == Outgoing.id)
            if not include_resolved:
                query = query.where(Warning_.state != "resolved")
            return [_warning_dict(w, o) for w, o in s.execute(query.order_by(Warning_.id)).all()]

    # --- e-mail ------------------------------------------------------------------------------------

    def deliver_mail(self) -> int:
        """E-mail the warnings whose e-mail is due; returns how many the SMTP server accepted."""
        if self.mailer is None:
            return 0
        now = self.core.clock()
        with self.core.tx() as s:
            due = [(m.id, self._message(s, m)) for m in MAIL_QUEUE.claim(s, now, limit=50)]
        accepted = 0
        for mail_id, message in due:
            try:
                self.mailer.send(message)
            except (TemporaryFailure, PermanentFailure, OSError) as exc:
                self._mail_failed(mail_id, exc)
                continue
            self._mail_sent(mail_id)
            accepted += 1
        return accepted

    def _message(self, s: Session, mail: MailOut) -> Any:
        w = s.get_one(Warning_, mail.warning_id)
        row = s.get(Outgoing, w.outgoing_id) if w.outgoing_id is not None else None
        label_vi, label_en = WARNING_LABELS[w.kind]
        cfg = self.core.config
        what = (row.notation or row.local_id) if row is not None else ""
        lines = [
            f"{label_vi} / {label_en}",
            f"Văn bản / document: {what} {row.subject or '' if row is not None else ''}".rstrip(),
            f"Nơi nhận / recipient: {w.recipient_code or '-'}",
            f"Chi tiết / detail: {w.detail or '-'}",
            f"Mã cảnh báo / warning id: {w.id}",
        ]
        subject = f"[Lienthong] {label_vi} / {label_en}: {what} ({cfg.agency_code})"[:200]
        assert cfg.smtp is not None
        return email(cfg.smtp.sender, list(cfg.clerk_emails), subject, "\n".join(lines) + "\n")

    def _mail_sent(self, mail_id: int) -> None:
        now = self.core.clock()
        with self.core.tx() as s:
            mail = s.get_one(MailOut, mail_id)
            MAIL_QUEUE.succeeded(mail, now)
            mail.sent_at, mail.last_error = now, None
            s.get_one(Warning_, mail.warning_id).notified_at = now

    def _mail_failed(self, mail_id: int, exc: Exception) -> None:
        now = self.core.clock()
        with self.core.tx() as s:
            mail = s.get_one(MailOut, mail_id)
            mail.last_error = str(exc)[:2000]
            permanent = isinstance(exc, PermanentFailure)
            if not MAIL_QUEUE.failed(
                mail, now, self.mail_policy, started=mail.created_at, permanent=permanent
            ):
                log.error("warning e-mail %s given up: %s", mail.warning_id, exc)
            else:
                log.warning("warning e-mail %s not sent yet, will retry: %s", mail.warning_id, exc)


def _warning_dict(w: Warning_, o: Outgoing) -> dict[str, Any]:
    return {
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
        "resolved_at": as_utc(w.resolved_at).isoformat() if w.resolved_at else None,
        "notified_at": as_utc(w.notified_at).isoformat() if w.notified_at else None,
    }
