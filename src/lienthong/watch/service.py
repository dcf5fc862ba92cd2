"""The warning system as one object: immediate alerts, the daily run (once per day), delivery of messages.

Wiring: ``Watch(hub, config).attach()`` subscribes to the hub's events; ``start()`` runs a
background loop that claims the day's run at the configured time on working days and delivers
due messages. Several hub workers may each run one: the database decides who does what.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lienthong.codes.calendar import VIETNAM
from lienthong.delivery import PermanentFailure
from lienthong.hub.service import Hub, HubEvent
from lienthong.store.tables import Agency, System, SystemAgency, WatchContact, WatchRun
from lienthong.watch import outbox, render
from lienthong.watch.config import WatchConfig
from lienthong.watch.model import AgencyReport, DailyReports, NationalSummary
from lienthong.watch.notify import HttpPoster, Mailer, Poster, SmtpMailer, email
from lienthong.watch.outbox import Message
from lienthong.watch.rules import build_daily, utc

log = logging.getLogger(__name__)
DAILY = "daily-report"


@dataclass(frozen=True)
class RunResult:
    day: date
    claimed: bool
    reports: int = 0
    messages: int = 0


@dataclass
class DeliveryStats:
    sent: int = 0
    retried: int = 0
    dead: int = 0


def _emails(text: str | None) -> list[str]:
    return [e.strip() for e in (text or "").split(",") if e.strip()]


class Watch:
    def __init__(
        self,
        hub: Hub,
        config: WatchConfig | None = None,
        *,
        mailer: Mailer | None = None,
        poster: Poster | None = None,
        worker: str | None = None,
    ) -> None:
        self.hub = hub
        self.config = config or WatchConfig()
        self.mailer = mailer or SmtpMailer(self.config.smtp)
        self.poster = poster or HttpPoster(self.config.webhook_timeout)
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}"
        self.wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._carried: tuple[Mailer, str] | None = None  # another service's alert e-mails (carry_alerts)

    # --- other services' alert e-mails ------------------------------------------------------------------

    def carry_alerts(
        self, mailer: Mailer, sender: str
    ) -> Callable[[str, tuple[str, ...], str, str, datetime], None]:
        """Let the monitor's alert e-mails ride this outbox: its own SMTP server, this queue's retries."""
        self._carried = (mailer, sender)
        return self.enqueue_mail

    def enqueue_mail(self, key: str, to: tuple[str, ...], subject: str, text: str, at: datetime) -> None:
        """Queue one e-mail (once per key) and wake the sender loop."""
        sender = self._carried[1] if self._carried else self.config.smtp.sender
        payload = {"subject": subject, "text": text, "sender": sender}
        with self.hub.write() as s:
            outbox.enqueue(s, key=key, channel="email", purpose="monitor", agency="", target=",".join(to),
                           payload=payload, now=at)  # fmt: skip
        self.wake.set()

    # --- reports ------------------------------------------------------------------------------------

    def build(self, day: date, only: list[str] | None = None) -> DailyReports:
        with self.hub.read() as s:
            return build_daily(s, day, self.config, only)

    def report_date(self, now: datetime) -> date:
        return utc(now).astimezone(VIETNAM).date()

    def is_due(self, now: datetime) -> bool:
        local = utc(now).astimezone(VIETNAM)
        return self.config.calendar.is_working_day(local.date()) and local.time() >= self.config.report_time

    def run_due(self, now: datetime | None = None) -> RunResult:
        """The scheduled run: on a working day after the report time, once per day across all workers."""
        now = now or self.hub.clock()
        day = self.report_date(now)
        if not self.is_due(now):
            return RunResult(day, claimed=False)
        return self.run(day, now)

    def run(self, day: date, now: datetime | None = None) -> RunResult:
        """Build the day's reports and queue them, claiming (day, kind) in the same transaction.

        Claim and messages commit together: a worker that dies half-way leaves neither, so the
        next worker's claim succeeds; a second worker's claim fails on the unique row.
        """
        now = now or self.hub.clock()
        with self.hub.read() as s:
            if self._claimed(s, day):
                return RunResult(day, claimed=False)
        reports = self.build(day)
        queued = self._render_messages(reports)
        try:
            with self.hub.write() as s:
                s.add(WatchRun(kind=DAILY, run_date=day, worker=self.worker, claimed_at=utc(now), outcome=""))
                s.flush()  # the unique (kind, run_date) row: fails here if another worker has it
                count = 0
                for item in queued:
                    count += outbox.enqueue(s, now=now, **item)
                run = s.execute(
                    select(WatchRun).where(WatchRun.kind == DAILY, WatchRun.run_date == day)
                ).scalar_one()
                run.finished_at = utc(now)
                run.outcome = f"{len(reports.agencies)} reports, {count} messages"
        except IntegrityError:
            log.info("daily report for %s already claimed by another worker", day)
            return RunResult(day, claimed=False)
        self.wake.set()
        return RunResult(day, True, len(reports.agencies), count)

    @staticmethod
    def _claimed(s: Session, day: date) -> bool:
        found = s.execute(select(WatchRun.id).where(WatchRun.kind == DAILY, WatchRun.run_date == day)).first()
        return found is not None

    def _contacts(self) -> dict[str, WatchContact]:
        with self.hub.read() as s:
            return {c.agency_code: c for c in s.execute(select(WatchContact)).scalars()}

    def _render_messages(self, reports: DailyReports, national: bool = True) -> list[dict[str, Any]]:
        contacts = self._contacts()
        out: list[dict[str, Any]] = []
        day = reports.period.date.isoformat()
        for code, report in reports.agencies.items():
            contact = contacts.get(code)
            language = contact.language if contact else self.config.language
            if report.emails:
                out.append(
                    {
                        "key": f"report:{day}:{code}:email",
                        "channel": "email",
                        "purpose": "report",
                        "agency": code,
                        "target": ",".join(report.emails),
                        "payload": self.report_payload(report, language),
                    }
                )
            if contact is not None and contact.webhook_url:
                out.append(
                    {
                        "key": f"report:{day}:{code}:webhook",
                        "channel": "webhook",
                        "purpose": "report",
                        "agency": code,
                        "target": contact.webhook_url,
                        "payload": {"json": report.to_dict()},
                    }
                )
        if national and self.config.operator_emails:
            out.append(
                {
                    "key": f"report:{day}:national:email",
                    "channel": "email",
                    "purpose": "report",
                    "agency": "national",
                    "target": ",".join(self.config.operator_emails),
                    "payload": self.national_payload(reports.national, self.config.language),
                }
            )
        return out

    def national_payload(self, summary: NationalSummary, language: str) -> dict[str, Any]:
        t = render.labels(language)
        return {
            "subject": f"{t['national_title']} – {summary.period.date:%d/%m/%Y}",
            "text": f"{t['national_title']}\n{t['agencies']}: {summary.agencies}\n"
            f"{t['agencies_clear']}: {summary.agencies_all_clear}\n",
            "html": render.national_html(summary, language),
            "pdf_html": render.national_html(summary, language, for_pdf=True),
            "json": render.to_json(summary),
            "name": f"tong-hop-{summary.period.date.isoformat()}",
        }

    def send_reports(self, reports: DailyReports, now: datetime | None = None, national: bool = True) -> int:
        """Queue the reports now, on demand (beside the scheduled run; a new key per request)."""
        now = now or self.hub.clock()
        count = 0
        with self.hub.write() as s:
            for item in self._render_messages(reports, national):
                item["key"] = f"{item['key']}:manual:{utc(now).isoformat()}"
                count += outbox.enqueue(s, now=now, **item)
        self.wake.set()
        return count

    def report_payload(self, report: AgencyReport, language: str) -> dict[str, Any]:
        """What the e-mail needs, rendered now (the PDF is made from the same HTML when sent)."""
        t = render.labels(language)
        issues = report.counts.issues + (
            report.rollup.totals.issues - report.counts.issues if report.rollup else 0
        )
        state = t["subject_clear"] if report.all_clear else t["subject_issues"].format(n=issues)
        subject = t["subject_line"].format(date=report.period.date.strftime("%d/%m/%Y"), agency=report.name)
        return {
            "subject": f"{subject} – {state}",
            "text": self.report_text(report, language),
            "html": render.to_html(report, language),
            "pdf_html": render.to_html(report, language, for_pdf=True),
            "json": render.to_json(report),
            "name": f"bao-cao-{report.code}-{report.period.date.isoformat()}",
        }

    @staticmethod
    def report_text(report: AgencyReport, language: str) -> str:
        t = render.labels(language)
        lines = [
            t["title"],
            f"{t['agency']}: {report.name} ({report.code})",
            f"{t['date']}: {report.period.date:%d/%m/%Y}",
            "",
        ]
        if report.all_clear:
            lines += [t["all_clear"], t["all_clear_text"]]
        for name in (
            "send_errors",
            "receive_errors",
            "backlog",
            "no_reply",
            "awaiting_reply",
            "quality",
            "silent",
        ):
            lines.append(f"{t[name]}: {getattr(report.counts, name)}")
        return "\n".join(lines) + "\n"

    # --- immediate alerts ---------------------------------------------------------------------------

    def attach(self) -> Watch:
        self.hub.subscribe(self.on_event)
        return self

    def on_event(self, event: HubEvent) -> None:
        """Queue an alert for the sender (e-mail and webhook) and wake the delivery loop at once."""
        payload = {
            "kind": event.kind,
            "system_id": event.system_id,
            "sender": event.sender,
            "doc_id": event.doc_id,
            "recipient": event.recipient,
            "code": event.problem.code if event.problem else None,
            "message_vi": event.problem.message_vi if event.problem else "",
            "message_en": event.problem.message_en if event.problem else "",
            "at": utc(event.at).isoformat(),
        }
        with self.hub.write() as s:
            codes = [event.sender] if event.sender else self._agencies_of(s, event.system_id)
            subject = event.doc_id or event.system_id
            stamp = f"{event.kind}:{subject}:{event.recipient or ''}:{utc(event.at).isoformat()}"
            for code in codes:
                agency = s.execute(select(Agency).where(Agency.code == code)).scalar_one_or_none()
                contact = s.get(WatchContact, code)
                language = contact.language if contact else self.config.language
                if agency is not None and _emails(agency.emails):
                    outbox.enqueue(
                        s,
                        key=f"alert:{stamp}:{code}:email",
                        channel="email",
                        purpose="alert",
                        agency=code,
                        target=agency.emails,
                        payload={**payload, "language": language},
                        now=event.at,
                    )
                if contact is not None and contact.webhook_url:
                    outbox.enqueue(
                        s,
                        key=f"alert:{stamp}:{code}:webhook",
                        channel="webhook",
                        purpose="alert",
                        agency=code,
                        target=contact.webhook_url,
                        payload=payload,
                        now=event.at,
                    )
            if event.kind.startswith("relay_") and self.config.operator_emails:
                # The upstream link is the operator's too (issue 16): the same alert, to the operators.
                outbox.enqueue(
                    s,
                    key=f"alert:{stamp}:operator:email",
                    channel="email",
                    purpose="alert",
                    agency="operator",
                    target=",".join(self.config.operator_emails),
                    payload={**payload, "language": self.config.language},
                    now=event.at,
                )
        self.wake.set()

    @staticmethod
    def _agencies_of(s: Session, system_id: str) -> list[str]:
        rows = s.execute(
            select(SystemAgency.agency_code)
            .join(System, System.id == SystemAgency.system_pk)
            .where(System.system_id == system_id)
        )
        return list(rows.scalars())

    def alert_email(self, message: Message) -> EmailMessage:
        p = message.payload
        language = p.get("language", self.config.language)
        t = render.labels(language)
        what = t.get(f"alert_{p['kind']}", t["alert_undeliverable"])
        body = p["message_en"] if language == "en" else p["message_vi"]
        lines = [
            f"{t['agency']}: {message.agency_code}",
            f"{t['when']}: {render.local_time(datetime.fromisoformat(p['at']))}",
            f"{t['code']}: {p.get('code') or ''}",
            f"{t['detail']}: {body}",
        ]
        if p.get("doc_id"):
            lines.append(f"doc_id: {p['doc_id']}  {t['counterpart']}: {p.get('recipient') or ''}")
            base = self.config.public_url.rstrip("/")
            lines.append(f"{t['timeline']}: {base}/api/v1/packages/{p['doc_id']}/timeline")
        return email(
            self.config.smtp.sender,
            _emails(message.target),
            t["alert_subject"].format(what=what),
            "\n".join(lines) + "\n",
        )

    # --- delivery ----------------------------------------------------------------------------------

    def deliver_due(self, now: datetime | None = None, limit: int = 50) -> DeliveryStats:
        """Send what is due; failures are rescheduled (or dead), never dropped."""
        stats = DeliveryStats()
        now = now or self.hub.clock()
        for message in outbox.claim(self.hub, now, self.config.lease_seconds, limit):
            try:
                self._send(message)
            except Exception as exc:  # every failure is recorded on the row, then retried or dead
                permanent = isinstance(exc, PermanentFailure)
                state = outbox.mark_failed(
                    self.hub,
                    message,
                    now,
                    f"{type(exc).__name__}: {exc}",
                    permanent=permanent,
                    max_attempts=self.config.alert_attempts,
                    backoff_seconds=self.config.alert_backoff_seconds,
                )
                if state == "dead":
                    stats.dead += 1
                    log.error("message %s to %s is dead: %s", message.id, message.target, exc)
                else:
                    stats.retried += 1
                continue
            outbox.mark_sent(self.hub, message, now)
            stats.sent += 1
        return stats

    def _send(self, message: Message) -> None:
        if message.channel == "webhook":
            secret = None
            with self.hub.read() as s:
                contact = s.get(WatchContact, message.agency_code)
                secret = contact.webhook_secret if contact else None
            body = (
                message.payload.get("json", message.payload)
                if message.purpose == "report"
                else message.payload
            )
            self.poster.post(
                message.target,
                {"type": message.purpose, **({"report": body} if message.purpose == "report" else body)},
                secret,
            )
            return
        if message.purpose == "alert":
            self.mailer.send(self.alert_email(message))
            return
        if message.purpose == "monitor":
            p = message.payload
            mailer = self._carried[0] if self._carried else self.mailer
            mailer.send(email(p["sender"], _emails(message.target), p["subject"], p["text"]))
            return
        p = message.payload
        pdf = render.html_to_pdf(p["pdf_html"], self.config.font_dir)
        self.mailer.send(
            email(
                self.config.smtp.sender,
                _emails(message.target),
                p["subject"],
                p["text"],
                p["html"],
                [
                    (f"{p['name']}.pdf", "application/pdf", pdf),
                    (f"{p['name']}.json", "application/json", p["json"].encode("utf-8")),
                ],
            )
        )

    # --- the background loop -----------------------------------------------------------------------------

    def start(self, poll_seconds: float = 30.0) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._loop, args=(poll_seconds,), name="lienthong-watch", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _loop(self, poll_seconds: float) -> None:
        while not self._stop.is_set():
            self.wake.clear()
            try:
                self.run_due()
                while self.deliver_due().sent:
                    pass
            except Exception:  # the loop must outlive a database hiccup; the rows keep the state
                log.exception("warning-system loop failed; retrying")
            self.wake.wait(poll_seconds)


def set_contact(
    hub: Hub,
    code: str,
    *,
    webhook_url: str | None = None,
    secret: str | None = None,
    language: str | None = None,
) -> None:
    """Record an agency's webhook and preferred language (the e-mails come from the directory)."""
    with hub.write() as s:
        contact = s.get(WatchContact, code)
        if contact is None:
            contact = WatchContact(agency_code=code, language="vi", updated_at=utc(hub.clock()))
            s.add(contact)
        if webhook_url is not None:
            contact.webhook_url = webhook_url or None
        if secret is not None:
            contact.webhook_secret = secret or None
        if language is not None:
            if language not in render.LANGUAGES:
                raise ValueError(f"language must be one of {render.LANGUAGES}")
            contact.language = language
        contact.updated_at = utc(hub.clock())
