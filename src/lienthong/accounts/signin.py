"""Sign-in with throttling, sessions with an absolute expiry, sign-out."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from lienthong.accounts import problems as AP
from lienthong.accounts.model import Person, SignIn, WebSession, digest, new_secret
from lienthong.accounts.passwords import DUMMY_HASH, MAX_LENGTH, verify_password
from lienthong.accounts.service import Accounts


def as_utc(moment: datetime) -> datetime:
    """SQLite gives naive datetimes back: they were written as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _failures(accounts: Accounts, s: Session, now: datetime, **where: str) -> int:
    a = accounts.t.attempts
    since = now - accounts.policy.window
    conditions = [a.c.ok.is_(False), a.c.at >= since]
    conditions += [a.c[name] == value for name, value in where.items()]
    return int(s.execute(select(func.count()).select_from(a).where(*conditions)).scalar_one())


def sign_in(accounts: Accounts, s: Session, username: str, password: str, ip: str, now: datetime) -> SignIn:
    """Check a password; the caller commits even on failure, so the attempt counts towards the throttle."""
    policy = accounts.policy
    username = username.strip().lower()[:64]
    if (
        _failures(accounts, s, now, username=username) >= policy.max_user_failures
        or _failures(accounts, s, now, ip=ip) >= policy.max_ip_failures
    ):
        # A locked name is not even checked: guessing stops for the whole window.
        accounts.record(s, now, f"user:{username}", "account.sign_in_throttled", username, {"ip": ip})
        minutes = int(policy.window.total_seconds() // 60)
        return SignIn(problem=AP.THROTTLED(minutes=minutes))
    u = accounts.t.users
    row = s.execute(select(u).where(u.c.username == username)).mappings().first()
    stored = row["password_hash"] if row is not None else DUMMY_HASH
    # A megabyte "password" must not buy a megabyte of hashing.
    checked = verify_password(stored, password[:MAX_LENGTH]) and len(password) <= MAX_LENGTH
    good = checked and row is not None and row["state"] == "active"
    s.execute(insert(accounts.t.attempts).values(username=username, ip=ip, ok=good, at=now))
    if not good or row is None:
        accounts.record(s, now, f"user:{username}", "account.sign_in_failed", username, {"ip": ip})
        return SignIn(problem=AP.BAD_CREDENTIALS())
    person = Person.of(row)
    token, csrf = new_secret(), new_secret()
    expires = now + policy.session_lifetime
    s.execute(
        insert(accounts.t.sessions).values(
            token_hash=digest(token), user_id=person.id, csrf=csrf, created_at=now, expires_at=expires, ip=ip
        )
    )
    # Old attempts are only needed for the window, expired sessions not at all: keep the tables small.
    s.execute(delete(accounts.t.attempts).where(accounts.t.attempts.c.at < now - 4 * policy.window))
    s.execute(delete(accounts.t.sessions).where(accounts.t.sessions.c.expires_at < now))
    accounts.record(s, now, person.actor, "account.sign_in", username, {"ip": ip})
    return SignIn(person=person, token=token, csrf=csrf, expires_at=expires)


def session_for(accounts: Accounts, s: Session, token: str, now: datetime) -> WebSession | None:
    """The live session of an active person behind a cookie value, or None."""
    t, u = accounts.t.sessions, accounts.t.users
    row = (
        s.execute(
            select(u, t.c.csrf, t.c.expires_at)
            .join(t, t.c.user_id == u.c.id)
            .where(t.c.token_hash == digest(token), u.c.state == "active")
        )
        .mappings()
        .first()
    )
    if row is None or as_utc(row["expires_at"]) <= now:
        return None
    return WebSession(Person.of(row), row["csrf"], as_utc(row["expires_at"]))


def sign_out(accounts: Accounts, s: Session, token: str, now: datetime, ip: str) -> None:
    found = session_for(accounts, s, token, now)
    s.execute(delete(accounts.t.sessions).where(accounts.t.sessions.c.token_hash == digest(token)))
    if found is not None:
        accounts.record(s, now, found.person.actor, "account.sign_out", found.person.username, {"ip": ip})
