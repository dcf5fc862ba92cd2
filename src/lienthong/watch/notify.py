"""Sending warnings: e-mails over SMTP (HTML + PDF + JSON attached) and signed JSON webhooks."""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Protocol

import httpx

from lienthong.watch.config import SmtpSettings
from lienthong.watch.outbox import PermanentFailure


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None: ...


class Poster(Protocol):
    def post(self, url: str, body: dict[str, Any], secret: str | None) -> None: ...


class SmtpMailer:
    """Plain SMTP with optional STARTTLS or implicit TLS and login; a 5xx answer is permanent."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def send(self, message: EmailMessage) -> None:
        s = self.settings
        try:
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
                refused = client.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            if all(code >= 500 for code, _ in exc.recipients.values()):
                raise PermanentFailure(f"every recipient refused: {exc.recipients}") from exc
            raise
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code >= 500 and not isinstance(exc, smtplib.SMTPServerDisconnected):
                raise PermanentFailure(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
            raise
        if refused:
            # Some addresses took it: the message is delivered; the others are reported, not retried.
            raise PermanentFailure(f"some recipients refused: {refused}")


class HttpPoster:
    """POST JSON with an ``X-Lienthong-Signature: sha256=<hmac>`` header when the agency set a secret."""

    def __init__(self, timeout: float = 10.0) -> None:
        self.timeout = timeout

    def post(self, url: str, body: dict[str, Any], secret: str | None) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "lienthong-watch"}
        if secret:
            digest = hmac.new(secret.encode("utf-8"), data, hashlib.sha256).hexdigest()
            headers["X-Lienthong-Signature"] = f"sha256={digest}"
        response = httpx.post(url, content=data, headers=headers, timeout=self.timeout)
        if response.status_code < 300:
            return
        if 400 <= response.status_code < 500 and response.status_code not in (408, 425, 429):
            raise PermanentFailure(f"webhook answered {response.status_code}")
        raise RuntimeError(f"webhook answered {response.status_code}")


def email(
    sender: str,
    to: list[str],
    subject: str,
    text: str,
    html: str | None = None,
    attachments: Sequence[tuple[str, str, bytes]] = (),
) -> EmailMessage:
    """A multipart message: text, HTML alternative, then the attachments (name, MIME type, bytes)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1] or "lienthong.local")
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    for name, mime, data in attachments:
        maintype, subtype = mime.split("/", 1)
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message
