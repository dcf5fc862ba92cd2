"""The one SMTP mailer: plain, STARTTLS or implicit TLS, login; 5xx is permanent, the rest temporary."""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol

from lienthong.delivery.failures import PermanentFailure, TemporaryFailure


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "127.0.0.1"
    port: int = 25
    sender: str = "canhbao@lienthong.local"
    starttls: bool = False
    ssl: bool = False
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0

    @classmethod
    def from_env(cls) -> SmtpSettings:
        """LIENTHONG_SMTP_HOST, _PORT, _SENDER, _STARTTLS (1/0), _SSL, _USER, _PASSWORD."""
        env = os.environ

        def flag(name: str) -> bool:
            return env.get(name, "").strip().lower() in ("1", "true", "yes")

        return cls(
            host=env.get("LIENTHONG_SMTP_HOST", cls.host),
            port=int(env.get("LIENTHONG_SMTP_PORT", str(cls.port))),
            sender=env.get("LIENTHONG_SMTP_SENDER", cls.sender),
            starttls=flag("LIENTHONG_SMTP_STARTTLS"),
            ssl=flag("LIENTHONG_SMTP_SSL"),
            username=env.get("LIENTHONG_SMTP_USER") or None,
            password=env.get("LIENTHONG_SMTP_PASSWORD") or None,
        )


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None: ...


class SmtpMailer:
    """Sends one message; raises PermanentFailure (5xx) or TemporaryFailure (anything else)."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def send(self, message: EmailMessage) -> None:
        try:
            refused = self._send(message)
        except smtplib.SMTPRecipientsRefused as exc:
            if all(code >= 500 for code, _ in exc.recipients.values()):
                raise PermanentFailure(f"every recipient refused: {exc.recipients}", "SMTP.REFUSED") from exc
            raise TemporaryFailure(f"recipients refused for now: {exc.recipients}") from exc
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code >= 500 and not isinstance(exc, smtplib.SMTPServerDisconnected):
                raise PermanentFailure(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", "SMTP.REFUSED") from exc
            raise TemporaryFailure(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise TemporaryFailure(f"SMTP {self.settings.host}:{self.settings.port}: {exc}") from exc
        if refused:
            # Some addresses took it: the message is delivered; the others are reported, not retried.
            raise PermanentFailure(f"some recipients refused: {refused}", "SMTP.PARTLY_REFUSED")

    def _send(self, message: EmailMessage) -> dict[str, tuple[int, bytes]]:
        s = self.settings
        if s.ssl:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                s.host, s.port, timeout=s.timeout, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        with client:
            if s.starttls and not s.ssl:
                client.starttls(context=ssl.create_default_context())
            if s.username:
                client.login(s.username, s.password or "")
            return client.send_message(message)


def email(
    sender: str,
    to: Sequence[str],
    subject: str,
    text: str,
    html: str | None = None,
    attachments: Sequence[tuple[str, str, bytes]] = (),
    headers: Sequence[tuple[str, str]] = (),
) -> EmailMessage:
    """A multipart message: text, HTML alternative, then the attachments (name, MIME type, bytes)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1] or "lienthong.local")
    for name, value in headers:
        message[name] = value
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    for name, mime, data in attachments:
        maintype, subtype = mime.split("/", 1)
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message
