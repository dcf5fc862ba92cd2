"""Account administration: add, list, disable, enable, reset a password, issue and revoke API tokens."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from lienthong.accounts import problems as AP
from lienthong.accounts.model import Person, Policy, Recorder, Role, digest, new_secret
from lienthong.accounts.passwords import MAX_LENGTH, MIN_LENGTH, hash_password
from lienthong.accounts.tables import AccountTables
from lienthong.problems import LienthongError, Problem

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
# Checks a scoped role's scope against the deployment's directory; returns what is wrong, or None.
ScopeCheck = Callable[[Session, Role, str], str | None]
CLI = "cli"


def fail(problem: Problem) -> LienthongError:
    return LienthongError(problem)


class Accounts:
    """The people of one deployment: their roles come from the caller, events go to its recorder."""

    def __init__(
        self,
        tables: AccountTables,
        roles: Mapping[str, Role],
        record: Recorder,
        scope_check: ScopeCheck | None = None,
        policy: Policy | None = None,
    ) -> None:
        self.t = tables
        self.roles = dict(roles)
        self.record = record
        self.scope_check = scope_check
        self.policy = policy or Policy()

    # --- people -----------------------------------------------------------------------------------

    def add(
        self,
        s: Session,
        username: str,
        password: str,
        role: str,
        now: datetime,
        *,
        scope: str | None = None,
        display_name: str = "",
        actor: str = CLI,
        ip: str = "",
    ) -> Person:
        if not _USERNAME.match(username):
            raise fail(AP.BAD_USERNAME(username=username))
        spec = self._role(role, scope)
        if spec.scoped and self.scope_check is not None and scope is not None:
            wrong = self.scope_check(s, spec, scope)
            if wrong:
                raise fail(AP.BAD_SCOPE(role=role, detail=wrong))
        self._check_password(password)
        if s.execute(select(self.t.users.c.id).where(self.t.users.c.username == username)).first():
            raise fail(AP.USER_EXISTS(username=username))
        values = {
            "username": username,
            "display_name": display_name or username,
            "role": role,
            "scope": scope if spec.scoped else None,
            "password_hash": hash_password(password),
            "state": "active",
            "created_at": now,
            "updated_at": now,
        }
        s.execute(insert(self.t.users).values(**values))
        self.record(
            s, now, actor, "account.add", username, {"role": role, "scope": values["scope"], "ip": ip}
        )
        return self.get(s, username)

    def _role(self, role: str, scope: str | None) -> Role:
        spec = self.roles.get(role)
        if spec is None:
            raise fail(AP.BAD_ROLE(role=role, roles=", ".join(self.roles)))
        if spec.scoped and not scope:
            raise fail(AP.BAD_SCOPE(role=role, detail="a scope (agency code) is required"))
        if not spec.scoped and scope:
            raise fail(AP.BAD_SCOPE(role=role, detail="this role has no scope"))
        return spec

    @staticmethod
    def _check_password(password: str) -> None:
        if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
            raise fail(AP.WEAK_PASSWORD(length=MIN_LENGTH, longest=MAX_LENGTH))

    def get(self, s: Session, username: str) -> Person:
        row = s.execute(select(self.t.users).where(self.t.users.c.username == username)).mappings().first()
        if row is None:
            raise fail(AP.UNKNOWN_USER(username=username))
        return Person.of(row)

    def people(self, s: Session) -> list[Person]:
        rows = s.execute(select(self.t.users).order_by(self.t.users.c.username)).mappings()
        return [Person.of(r) for r in rows]

    def set_state(
        self, s: Session, username: str, state: str, now: datetime, actor: str = CLI, ip: str = ""
    ) -> Person:
        person = self.get(s, username)
        s.execute(
            update(self.t.users).where(self.t.users.c.id == person.id).values(state=state, updated_at=now)
        )
        if state != "active":
            self._end_sessions(s, person.id)
        action = "account.enable" if state == "active" else "account.disable"
        self.record(s, now, actor, action, username, {"ip": ip})
        return self.get(s, username)

    def reset_password(
        self, s: Session, username: str, password: str, now: datetime, actor: str = CLI, ip: str = ""
    ) -> None:
        person = self.get(s, username)
        self._check_password(password)
        s.execute(
            update(self.t.users)
            .where(self.t.users.c.id == person.id)
            .values(password_hash=hash_password(password), updated_at=now)
        )
        self._end_sessions(s, person.id)  # whoever knew the old password is signed out
        self.record(s, now, actor, "account.reset_password", username, {"ip": ip})

    def _end_sessions(self, s: Session, user_id: int) -> None:
        s.execute(delete(self.t.sessions).where(self.t.sessions.c.user_id == user_id))

    # --- API tokens -------------------------------------------------------------------------------

    def issue_token(
        self,
        s: Session,
        username: str,
        scopes: list[str],
        now: datetime,
        label: str = "",
        actor: str = CLI,
    ) -> tuple[int, str]:
        """A new token for ``username``; the secret is shown once and kept only as its hash."""
        person = self.get(s, username)
        secret = "lt_" + new_secret()
        result = s.execute(
            insert(self.t.tokens)
            .values(
                token_hash=digest(secret),
                user_id=person.id,
                label=label,
                scopes=" ".join(sorted(set(scopes))),
                created_at=now,
            )
            .returning(self.t.tokens.c.id)
        )
        token_id = int(result.scalar_one())
        self.record(s, now, actor, "account.token_issue", username, {"token": token_id, "scopes": scopes})
        return token_id, secret

    def revoke_token(self, s: Session, token_id: int, now: datetime, actor: str = CLI) -> None:
        t = self.t.tokens
        row = s.execute(select(t.c.id, t.c.user_id).where(t.c.id == token_id)).first()
        if row is None:
            raise fail(AP.UNKNOWN_TOKEN(token_id=token_id))
        s.execute(update(t).where(t.c.id == token_id, t.c.revoked_at.is_(None)).values(revoked_at=now))
        self.record(s, now, actor, "account.token_revoke", str(token_id), {})

    def tokens(self, s: Session) -> list[dict[str, Any]]:
        t, u = self.t.tokens, self.t.users
        rows = s.execute(
            select(t.c.id, u.c.username, t.c.label, t.c.scopes, t.c.created_at, t.c.revoked_at)
            .join(u, u.c.id == t.c.user_id)
            .order_by(t.c.id)
        ).mappings()
        return [dict(r) for r in rows]

    def person_for_token(
        self, s: Session, secret: str, now: datetime
    ) -> tuple[Person, frozenset[str]] | None:
        """The active person behind an unrevoked token, and the token's scopes."""
        t, u = self.t.tokens, self.t.users
        row = (
            s.execute(
                select(u, t.c.id.label("token_id"), t.c.scopes)
                .join(t, t.c.user_id == u.c.id)
                .where(t.c.token_hash == digest(secret), t.c.revoked_at.is_(None), u.c.state == "active")
            )
            .mappings()
            .first()
        )
        if row is None:
            return None
        s.execute(update(t).where(t.c.id == row["token_id"]).values(last_used_at=now))
        return Person.of(row), frozenset(row["scopes"].split())
