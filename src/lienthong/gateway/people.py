"""A gateway's people: clerk, leader and admin roles, what each may do, and the history of who did what."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lienthong.accounts.model import Person, Role
from lienthong.accounts.service import Accounts
from lienthong.accounts.store import AccountStore
from lienthong.gateway.core import MIGRATIONS, as_utc, utc_now
from lienthong.gateway.tables import ACCOUNTS, Event
from lienthong.store.db import make_engine, migrate, session_factory

CLERK, LEADER, ADMIN = "clerk", "leader", "admin"
ROLES = {
    CLERK: Role(CLERK, "Văn thư", "Clerk"),
    LEADER: Role(LEADER, "Lãnh đạo (phân công, duyệt gửi)", "Leader (assigns, approves)"),
    ADMIN: Role(ADMIN, "Quản trị cơ quan", "Agency administrator"),
}
# What each kind of request needs: the roles allowed, and the scope an API token must hold.
READ, SEND, APPROVE, ANSWER, ASSIGN = "read", "send", "approve", "answer", "assign"
RIGHTS: dict[str, tuple[frozenset[str], str]] = {
    READ: (frozenset({CLERK, LEADER, ADMIN}), "read"),
    SEND: (frozenset({CLERK, LEADER, ADMIN}), "send"),
    APPROVE: (frozenset({LEADER, ADMIN}), "send"),
    ANSWER: (frozenset({CLERK, LEADER, ADMIN}), "answer"),
    ASSIGN: (frozenset({LEADER, ADMIN}), "answer"),
}
TOKEN_SCOPES = ("read", "send", "answer")


def may(person: Person, right: str, token_scopes: frozenset[str] | None = None) -> bool:
    """Whether a person (through a token holding ``token_scopes``, when it is a token) may do ``right``."""
    roles, scope = RIGHTS[right]
    return person.role in roles and (token_scopes is None or scope in token_scopes)


def record(
    session: Session, at: datetime, actor: str, action: str, subject: str, details: dict[str, Any]
) -> None:
    """Append one event to the gateway's history (in the caller's transaction)."""
    details = dict(details)
    ip = str(details.pop("ip", "") or "")
    session.add(
        Event(
            at=at, actor=actor, action=action, subject=subject, ip=ip,
            details=json.dumps(details, ensure_ascii=False, default=str),
        )
    )  # fmt: skip


def events(session: Session, subject: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """The newest events first, of one subject or of all."""
    query = select(Event).order_by(Event.id.desc()).limit(limit)
    if subject is not None:
        query = query.where(Event.subject == subject)
    return [
        {
            "at": as_utc(e.at).isoformat(),
            "actor": e.actor,
            "action": e.action,
            "subject": e.subject,
            "ip": e.ip,
            "details": json.loads(e.details or "{}"),
        }
        for e in session.execute(query).scalars()
    ]


def gateway_accounts() -> Accounts:
    return Accounts(ACCOUNTS, ROLES, record)


def open_store(database_url: str, clock: Callable[[], datetime] = utc_now) -> AccountStore:
    """The accounts of a gateway's database (migrated first), for the CLI and the demo's setup."""
    engine = make_engine(database_url)
    migrate(engine, MIGRATIONS)
    sessions = session_factory(engine)

    @contextmanager
    def write() -> Iterator[Session]:
        with sessions() as s, s.begin():
            yield s

    return AccountStore(gateway_accounts(), sessions, write, clock)
