"""The hub's people: operator roles, scopes limited to one level-1 body, events in the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, false, or_
from sqlalchemy.orm import Session

from lienthong.accounts.model import Person, Role
from lienthong.accounts.service import Accounts
from lienthong.codes.agency import AgencyCode
from lienthong.hub import audit
from lienthong.store.tables import ACCOUNTS, Agency

OPERATOR = "operator"
ROLES = {
    OPERATOR: Role(OPERATOR, "Quản trị trục (toàn quốc)", "Hub operator (whole country)"),
    "province-operator": Role("province-operator", "Quản trị cấp tỉnh", "Province operator", scoped=True),
    "ministry-operator": Role(
        "ministry-operator", "Quản trị cấp bộ, ngành", "Ministry operator", scoped=True
    ),
}
_LEVEL1_LETTER = {"province-operator": "H", "ministry-operator": "G"}


def _record(
    session: Session, at: datetime, actor: str, action: str, subject: str, details: dict[str, Any]
) -> None:
    audit.append(session, at, actor, action, subject, details)


def _check_scope(session: Session, role: Role, scope: str) -> str | None:
    code = AgencyCode.try_parse(scope)
    if code is None or str(code) != f"000.00.00.{code.level1}":
        return f"{scope} is not the code of a level-1 body (000.00.00.XNN)"
    letter = _LEVEL1_LETTER.get(role.name, code.branch)
    if code.branch != letter:
        return f"a {role.name} is scoped to a level-1 body whose code ends in {letter}NN, not {scope}"
    if session.query(Agency.id).filter(Agency.code == scope).first() is None:
        return f"{scope} is not in the directory"
    return None


def hub_accounts() -> Accounts:
    return Accounts(ACCOUNTS, ROLES, _record, _check_scope)


def level1_of(scope: str) -> str:
    return scope.rsplit(".", 1)[-1]


def in_scope(person: Person, code: str) -> bool:
    """Whether an operator may see an agency: everyone's for the hub operator, the units of its body else."""
    if person.role == OPERATOR:
        return True
    if person.scope is None:
        return False
    return code == person.scope or code.rsplit(".", 1)[-1] == level1_of(person.scope)


def scope_filter(person: Person, column: Any) -> ColumnElement[bool] | None:
    """The SQL condition limiting ``column`` (an agency code) to what ``person`` may see; None: all."""
    if person.role == OPERATOR:
        return None
    if person.scope is None:
        return false()
    return or_(column == person.scope, column.like(f"%.{level1_of(person.scope)}"))
