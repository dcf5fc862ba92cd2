"""The gateway façade: wires the stages (review, outbox, inbox, replies, tracking, warnings, views).

Every step is a row in the gateway's database, so a crash loses nothing: the outbox keeps the exact
bytes it sends, a retry re-sends the same bytes (the hub answers an exact repeat with the original
id), and entries are claimed with leases. Every public method below is what the HTTP edge, the CLI
and a web console call; each raises ``GatewayError`` (a ``Problem`` with an HTTP status) when the
request cannot be done.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from lienthong.accounts.store import AccountStore
from lienthong.client.models import HubPort
from lienthong.delivery.mail import Mailer, SmtpMailer
from lienthong.gateway import reports, runner
from lienthong.gateway.config import GatewayConfig
from lienthong.gateway.contact import Contact, connect
from lienthong.gateway.core import Clock, Core, utc_now
from lienthong.gateway.directory import Directory
from lienthong.gateway.inbox import Inbox
from lienthong.gateway.outbox import Outbox
from lienthong.gateway.people import events, gateway_accounts, record
from lienthong.gateway.problems import GatewayError
from lienthong.gateway.replies import Replies
from lienthong.gateway.review import Checker, CheckItem, Review
from lienthong.gateway.tables import Outgoing, Warning_
from lienthong.gateway.tracking import Tracking
from lienthong.gateway.views import FileOut, Page, Views
from lienthong.gateway.warnings import Warnings
from lienthong.signing.agencies import load_directory
from lienthong.signing.trust import load_trust_store
from lienthong.signing.verify import Verifier
from lienthong.store.blobs import Staged, Stager

__all__ = ["CheckItem", "FileOut", "Gateway", "GatewayError", "Page"]


class Gateway:
    """One agency's gateway. Construct, then call its methods, or ``run`` its loops."""

    def __init__(
        self,
        config: GatewayConfig,
        port: HubPort | None = None,
        clock: Clock = utc_now,
        checker: Checker | None = None,
        mailer: Mailer | None = None,
        *,
        take_over: bool = True,
    ) -> None:
        """``take_over``: this process sends (it takes back the leases a dead sender held); a command
        that only reads or records (``gateway act``, ``show``…) passes False and leaves them be."""
        self.last_hub_contact: datetime | None = None  # the last exchange with the hub that worked
        self.contact = Contact(port if port is not None else connect(config), self._contacted)
        self.core = Core(config, self.contact, clock)
        self.config, self.clock = config, clock
        self.engine, self.sessions = self.core.engine, self.core.sessions
        self.on_round: Callable[[str], None] = lambda _name: None  # monitoring: a loop finished a round
        if mailer is None and config.smtp is not None:
            mailer = SmtpMailer(config.smtp)
        self.warning_stage = Warnings(self.core, mailer)
        # Signers' certificates carry no agency code: they are matched to agencies through this file.
        self.agencies = load_directory(config.agency_directory) if config.agency_directory else None
        self.review = Review(self.core, checker if checker is not None else self._default_checker())
        self.sending = Outbox(self.core, self.warning_stage)
        self.replies = Replies(self.core)
        trust = load_trust_store(config.trust_dir) if config.trust_dir else None
        verifier = Verifier(trust, directory=self.agencies) if trust is not None else None
        self.receiving = Inbox(self.core, self.replies, self.warning_stage, verifier)
        self.tracking = Tracking(self.core, self.warning_stage)
        self.views = Views(self.core)
        # The people who sign in, in the gateway's own database; their events go to its history.
        self.accounts = AccountStore(gateway_accounts(), self.core.sessions, self.core.tx, clock)
        self.directory = Directory(self.contact, clock)  # the hub's bodies, to pick recipients from
        if take_over:
            self.sending.release_leases()

    @property
    def port(self) -> HubPort:
        return self.contact

    @property
    def on_retry(self) -> Callable[[str], None]:
        return self.sending.on_retry

    @on_retry.setter
    def on_retry(self, hook: Callable[[str], None]) -> None:
        self.sending.on_retry = hook

    def _default_checker(self) -> Checker | None:
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
            directory=self.agencies,
        )

    def _contacted(self) -> None:
        self.last_hub_contact = self.clock()

    def close(self) -> None:
        self.core.close()

    # --- sending: review, approve, the outbox ---------------------------------------------------------

    def stager(self) -> Stager:
        """A staging file to stream a submitted package into (then ``submit`` what ``finish`` gives)."""
        return self.core.stager()

    def submit(self, data: bytes | Staged, *, approve_as: str | None = None) -> Outgoing:
        """Register a package as a draft with its checklist; ``approve_as`` approves a clean one.

        ``data``: the package's bytes, or the staging file a large one was streamed to.
        """
        return self.review.submit(data, approve_as=approve_as)

    def reserve_number(self, year: int | None = None) -> int:
        """The next number of the outgoing register (sổ văn bản đi); it restarts every 1 January."""
        with self.core.tx() as s:
            return self.core.next_number(s, f"out|{self.config.agency_code}|{year or self.clock().year}")

    def checklist(self, local_id: str) -> list[CheckItem]:
        """The review checklist of an outgoing package."""
        return self.review.checklist(local_id)

    def approve(self, local_id: str, clerk: str, *, override: bool = False) -> Outgoing:
        """A clerk approves: the package joins the outbox (refused: marked so, the error says why)."""
        return self.review.approve(local_id, clerk, override=override)

    def resend(self, local_id: str, clerk: str = "") -> Outgoing:
        """A *Gửi lỗi* package back into the outbox, the same bytes (409 for any other state)."""
        return self.sending.resend(local_id, clerk)

    def recall(self, local_id: str, reason: str, clerk: str) -> Outgoing:
        """Ask the recipients of a sent document to give it back (status 13)."""
        return self.replies.recall(local_id, reason, clerk)

    def process_outbox(self) -> int:
        """Send what is due now, then the due warning e-mails; returns how many packages were handled."""
        handled = self.sending.process()
        self.warning_stage.deliver_mail()
        return handled

    # --- receiving and answering ------------------------------------------------------------------------

    def poll_inbox(self) -> int:
        """Take in everything waiting at the hub (registered, acknowledged, answered 01)."""
        handled = self.receiving.poll()
        self.warning_stage.deliver_mail()
        return handled

    def act(self, incoming_id: int, action: str, clerk: str, reason: str = "") -> str:
        """A clerk's action on an incoming document; returns its new state (409 when the move is refused)."""
        return self.replies.act(incoming_id, action, clerk, reason)

    def reply(self, incoming_id: int, code: str, description: str, clerk: str) -> Outgoing:
        """Queue a status reply about an incoming document outside the state machine (the automatic 01)."""
        return self.replies.reply(incoming_id, code, description, clerk)

    # --- tracking and warnings --------------------------------------------------------------------------

    def refresh_tracking(self) -> int:
        """Ask the hub about documents still awaiting a final status, one batch."""
        updated = self.tracking.refresh()
        self.warning_stage.deliver_mail()
        return updated

    def evaluate_warnings(self) -> list[Warning_]:
        """Open and resolve the sender's warnings, then e-mail the new ones."""
        opened = self.warning_stage.evaluate()
        self.warning_stage.deliver_mail()
        return opened

    def notify_new_warnings(self) -> int:
        """E-mail the warnings whose e-mail is due; returns how many the SMTP server accepted."""
        return self.warning_stage.deliver_mail()

    def warnings(self, include_resolved: bool = False) -> list[dict[str, Any]]:
        return self.warning_stage.listing(include_resolved)

    def acknowledge_warning(self, warning_id: int) -> None:
        self.warning_stage.acknowledge(warning_id)

    # --- views ---------------------------------------------------------------------------------------------

    def outbox(
        self, search: str = "", state: str = "", page: int = 1, size: int = 1000
    ) -> list[dict[str, Any]]:
        """Outgoing packages in register order (one page of ``size``)."""
        return self.views.outbox(search, state, page, size).items

    def outbox_page(self, search: str = "", state: str = "", page: int = 1, size: int = 50) -> Page:
        return self.views.outbox(search, state, page, size)

    def inbox(
        self, search: str = "", state: str = "", page: int = 1, size: int = 1000
    ) -> list[dict[str, Any]]:
        """The incoming register in arrival order (one page of ``size``)."""
        return self.views.inbox(search, state, page, size).items

    def inbox_page(self, search: str = "", state: str = "", page: int = 1, size: int = 50) -> Page:
        return self.views.inbox(search, state, page, size)

    def show(self, incoming_id: int) -> dict[str, Any]:
        """One incoming document: metadata, signature verdicts, attachments, history, allowed actions."""
        return self.views.show(incoming_id)

    def package(self, incoming_id: int) -> FileOut:
        """The package of an incoming document, as received."""
        return self.views.package(incoming_id)

    def attachment(self, incoming_id: int, number: int) -> FileOut:
        """Attachment ``number`` (from 1) of an incoming document, decoded, with a safe file name."""
        return self.views.attachment(incoming_id, number)

    def track(self, local_id: str) -> dict[str, Any]:
        """The per-recipient timeline of one sent document."""
        return self.views.track(local_id)

    def counts(self) -> dict[str, int]:
        """The dashboard: not sent, send error, refused at review, returned, late."""
        return self.views.counts()

    def daily_report(self, day: date, fmt: str = "json", lang: str = "vi") -> bytes:
        """This agency's daily report of ``day`` as the hub makes it (JSON, HTML or PDF)."""
        return reports.fetch(self.contact.reports(), self.config.hub.protocol, day, fmt, lang)

    def report_summary(self, day: date) -> dict[str, Any]:
        """The report of ``day`` as data, for the console's page."""
        return reports.summary(self.contact.reports(), self.config.hub.protocol, day)

    # --- the history of who did what ----------------------------------------------------------------------

    def record(self, actor: str, action: str, subject: str, ip: str = "", **details: Any) -> None:
        """Add one event to the gateway's history: who, what, about which document, from where."""
        with self.core.tx() as s:
            record(s, self.clock(), actor, action, subject, {"ip": ip, **details})

    def history(self, subject: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """The newest events first, of one subject (``incoming:ID``, ``outgoing:LOCAL_ID``) or of all."""
        with self.core.sessions() as s:
            return events(s, subject, limit)

    # --- the running service -------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Outbox, inbox (long poll), tracking and warnings, until ``stop`` is set (they leave at once)."""
        cfg = self.config
        await asyncio.gather(
            runner.loop(stop, self.process_outbox, cfg.outbox_interval, lambda: self.on_round("outbox")),
            runner.long_poll(
                stop, self.poll_inbox, self.contact.wait, cfg.wait_seconds, lambda: self.on_round("inbox")
            ),
            runner.loop(
                stop, self.refresh_tracking, cfg.tracking_interval, lambda: self.on_round("tracking")
            ),
            runner.loop(
                stop, self.evaluate_warnings, cfg.warnings_interval, lambda: self.on_round("warnings")
            ),
        )
