"""Alerts and where they go: a small `Notifier` port, with console and e-mail (shared mailer) notifiers."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from lienthong.delivery import PermanentFailure, TemporaryFailure
from lienthong.delivery.mail import SmtpMailer, email
from lienthong.delivery.mail import SmtpSettings as MailSettings
from lienthong.monitor import problems as MP
from lienthong.problems import Problem

log = logging.getLogger("lienthong.monitor.alerts")


@dataclass(frozen=True)
class Alert:
    """A condition raised or cleared: its problem, what it is about, when, and extra recipients."""

    key: str  # stable identity of the condition, e.g. contact:000.00.00.H41 or cert:tls:<sha256>
    problem: Problem
    at: datetime
    cleared: bool = False
    recipients: tuple[str, ...] = ()  # besides the operators: e.g. the agency's own contacts

    @property
    def subject(self) -> str:
        word = "OK" if self.cleared else self.problem.severity.value.upper()
        return f"[Lienthong {word}] {self.problem.code}: {self.problem.message_en}"[:200]

    def body(self) -> str:
        return (
            f"{self.problem.message_vi}\n{self.problem.message_en}\n\n"
            f"code: {self.problem.code}\nkey: {self.key}\nat: {self.at.isoformat()}\n"
        )


class Notifier(Protocol):
    """Where alerts go. Implementations must not raise for a delivery failure they can report."""

    def notify(self, alert: Alert) -> None: ...


def _stderr(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


class ConsoleNotifier:
    """Alerts as lines on the process's console (stderr), raised and cleared alike, and in the log."""

    def __init__(self, write: Callable[[str], None] = _stderr) -> None:
        self.write = write

    def notify(self, alert: Alert) -> None:
        line = f"{'cleared' if alert.cleared else 'raised'} {alert.key}: {alert.problem}"
        self.write(f"{alert.at.isoformat()} ALERT {line}")
        log.log(logging.INFO if alert.cleared else logging.WARNING, line)


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    sender: str = "lienthong@localhost"
    recipients: tuple[str, ...] = ()  # the operators
    starttls: bool = False
    username: str = ""
    password: str = ""
    timeout: float = 10.0


def mail_settings(s: SmtpSettings) -> MailSettings:
    """The monitor's SMTP settings as the shared mailer's."""
    return MailSettings(
        host=s.host,
        port=s.port,
        sender=s.sender,
        starttls=s.starttls,
        username=s.username or None,
        password=s.password or None,
        timeout=s.timeout,
    )


class SmtpNotifier:
    """Alerts by e-mail through a configured SMTP server (one message per alert, operators + extras)."""

    def __init__(self, settings: SmtpSettings, on_failure: Callable[[Problem], None] | None = None) -> None:
        self.settings = settings
        self.on_failure = on_failure

    def notify(self, alert: Alert) -> None:
        s = self.settings
        to = list(dict.fromkeys([*s.recipients, *alert.recipients]))
        if not to:
            return
        message = email(
            s.sender,
            to,
            alert.subject,
            alert.body(),
            headers=[("X-Lienthong-Code", alert.problem.code), ("X-Lienthong-Key", alert.key)],
        )
        settings = mail_settings(s)
        try:
            SmtpMailer(settings).send(message)  # the project's one mailer (lienthong.delivery)
        except (PermanentFailure, TemporaryFailure) as exc:
            problem = MP.NOTIFY_FAILED(alert.key, channel=f"smtp://{s.host}:{s.port}", detail=str(exc))
            log.warning("%s", problem)
            if self.on_failure is not None:
                self.on_failure(problem)


class QueuedNotifier:
    """Alerts by e-mail through a durable outbox: an SMTP outage delays them, never loses them.

    ``enqueue(key, to, subject, body, at)`` writes the message in the caller's outbox (the hub's
    watch outbox, whose worker sends it with the one retry policy); the same key is queued once.
    """

    def __init__(
        self,
        operators: Sequence[str],
        enqueue: Callable[[str, tuple[str, ...], str, str, datetime], None],
    ) -> None:
        self.operators = tuple(operators)
        self.enqueue = enqueue

    def notify(self, alert: Alert) -> None:
        to = tuple(dict.fromkeys([*self.operators, *alert.recipients]))
        if not to:
            return
        word = "cleared" if alert.cleared else "raised"
        self.enqueue(
            f"monitor:{alert.key}:{word}:{alert.at.isoformat()}", to, alert.subject, alert.body(), alert.at
        )


@dataclass
class Fanout:
    """Sends each alert to every notifier; one failing never stops the others."""

    notifiers: Sequence[Notifier] = field(default_factory=list)

    def notify(self, alert: Alert) -> None:
        for notifier in self.notifiers:
            try:
                notifier.notify(alert)
            except Exception:
                log.exception("notifier %s failed", type(notifier).__name__)


@dataclass
class Recorder:
    """Keeps alerts in a list: for tests and for the status screen of the running process."""

    alerts: list[Alert] = field(default_factory=list)

    def notify(self, alert: Alert) -> None:
        self.alerts.append(alert)
