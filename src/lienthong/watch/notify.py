"""Sending warnings: signed JSON webhooks here; e-mails through the shared mailer (lienthong.delivery)."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any, Protocol

import httpx

from lienthong.delivery import PermanentFailure, TemporaryFailure
from lienthong.delivery.mail import Mailer, SmtpMailer, email

__all__ = ["HttpPoster", "Mailer", "Poster", "SmtpMailer", "email"]


class Poster(Protocol):
    def post(self, url: str, body: dict[str, Any], secret: str | None) -> None: ...


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
        raise TemporaryFailure(f"webhook answered {response.status_code}")
