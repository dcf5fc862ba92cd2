"""Sending the clerks' warning e-mails over SMTP."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from lienthong.gateway.config import SmtpSettings


def smtp_mailer(settings: SmtpSettings) -> SmtpMailer | None:
    """A mailer for the settings, or None when no SMTP host is configured."""
    return SmtpMailer(settings) if settings.host else None


class SmtpMailer:
    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def __call__(self, recipients: list[str], subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"] = self.settings.sender
        message["To"] = ", ".join(recipients)
        message["Subject"] = subject
        message.set_content(body)
        with smtplib.SMTP(self.settings.host, self.settings.port, timeout=30) as smtp:
            if self.settings.starttls:
                smtp.starttls()
            if self.settings.username:
                smtp.login(self.settings.username, self.settings.password)
            smtp.send_message(message)
