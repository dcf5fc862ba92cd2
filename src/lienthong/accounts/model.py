"""What the accounts package hands out: roles, people, a signed-in session, a sign-in's outcome."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.orm import Session

from lienthong.problems import Problem


@dataclass(frozen=True)
class Role:
    name: str
    label_vi: str
    label_en: str
    scoped: bool = False  # a scoped role acts only within one agency code (and its units)


@dataclass(frozen=True)
class Person:
    id: int
    username: str
    display_name: str
    role: str
    scope: str | None
    state: str

    @classmethod
    def of(cls, row: Any) -> Person:
        return cls(row["id"], row["username"], row["display_name"], row["role"], row["scope"], row["state"])

    @property
    def actor(self) -> str:
        """How the person appears in audit logs and histories."""
        return f"user:{self.username}"


@dataclass(frozen=True)
class WebSession:
    person: Person
    csrf: str
    expires_at: datetime


@dataclass(frozen=True)
class SignIn:
    """A sign-in's outcome: a session token, or the problem (the attempt is recorded either way)."""

    person: Person | None = None
    token: str = ""
    csrf: str = ""
    expires_at: datetime | None = None
    problem: Problem | None = None


@dataclass(frozen=True)
class Policy:
    session_lifetime: timedelta = timedelta(hours=8)
    window: timedelta = timedelta(minutes=15)  # failures counted over this long
    max_user_failures: int = 5
    max_ip_failures: int = 30


class Recorder(Protocol):
    """Where account events go: the hub's audit log, a gateway's history (in the caller's transaction)."""

    def __call__(
        self, session: Session, at: datetime, actor: str, action: str, subject: str, details: dict[str, Any]
    ) -> None: ...


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """Sessions and tokens are kept as SHA-256: a stolen database opens no door."""
    return hashlib.sha256(secret.encode()).hexdigest()
