"""The agency directory and the connected systems: registration, states, secrets, tokens, sync."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lienthong.codes.agency import AgencyCode, CodeKind, classify
from lienthong.hub import audit
from lienthong.hub import problems as HP
from lienthong.hub.keys import KeyRing
from lienthong.problems import LienthongError
from lienthong.store.tables import Agency, ApiToken, Counter, System, SystemAgency

STATES = ("active", "suspended", "removed")
_VERSION = "directory_version"


class DirectoryError(LienthongError):
    pass


def _fail(detail: str) -> DirectoryError:
    return DirectoryError(HP.DIRECTORY("", detail=detail))


def next_version(session: Session) -> int:
    """A new directory version number (change-sync clients ask for changes since one)."""
    row = session.execute(
        select(Counter).where(Counter.name == _VERSION).with_for_update()
    ).scalar_one_or_none()
    if row is None:
        row = Counter(name=_VERSION, value=0, text="")
        session.add(row)
    row.value += 1
    return row.value


def current_version(session: Session) -> int:
    row = session.execute(select(Counter).where(Counter.name == _VERSION)).scalar_one_or_none()
    return row.value if row else 0


@dataclass(frozen=True)
class AgencyInput:
    code: str
    name: str
    parent: str | None = None
    emails: tuple[str, ...] = ()
    legacy: bool = False


def add_agency(session: Session, item: AgencyInput, now: datetime, actor: str = "operator") -> Agency:
    code = item.code.strip()
    found = classify(code)
    if found.kind is CodeKind.AGENCY or found.kind is CodeKind.SYSTEM:
        assert found.code is not None
        level: int | None = found.code.level
        derived_parent = str(found.code.parent) if found.code.parent else None
        if item.legacy:
            raise _fail(f"{code} is a Decision-20 code; register it without --legacy")
    elif found.kind in (CodeKind.LEGACY, CodeKind.SYSTEM_ID):
        if not item.legacy:
            raise _fail(f"{code} is not a Decision-20 code; register it explicitly with --legacy")
        level, derived_parent = None, None
    else:
        raise _fail(f"'{code}' is not an agency code (NNN.NN.NN.XNN) nor a recognisable legacy code")
    if not item.name.strip():
        raise _fail(f"{code}: a name is required")
    if session.execute(select(Agency).where(Agency.code == code)).scalar_one_or_none() is not None:
        raise _fail(f"{code} is already in the directory")
    parent = item.parent.strip() if item.parent else derived_parent
    agency = Agency(
        code=code,
        name=item.name.strip(),
        parent_code=parent,
        level=level,
        legacy=item.legacy,
        state="active",
        emails=",".join(e.strip() for e in item.emails if e.strip()),
        version=next_version(session),
        created_at=now,
        updated_at=now,
    )
    session.add(agency)
    audit.append(
        session,
        now,
        actor,
        "agency.add",
        code,
        {"name": agency.name, "parent": parent, "legacy": item.legacy},
    )
    return agency


def get_agency(session: Session, code: str) -> Agency:
    agency = session.execute(select(Agency).where(Agency.code == code.strip())).scalar_one_or_none()
    if agency is None:
        raise DirectoryError(HP.NOT_FOUND("", what="agency", id=code))
    return agency


def set_state(session: Session, code: str, state: str, now: datetime, actor: str = "operator") -> Agency:
    if state not in STATES:
        raise _fail(f"unknown state {state}")
    agency = get_agency(session, code)
    old = agency.state
    agency.state = state
    agency.updated_at = now
    agency.version = next_version(session)
    audit.append(session, now, actor, f"agency.{state}", code, {"from": old})
    return agency


def list_agencies(
    session: Session,
    *,
    level: int | None = None,
    since_version: int | None = None,
    include_removed: bool = False,
) -> list[Agency]:
    query = select(Agency).order_by(Agency.code)
    if level is not None:
        query = query.where(Agency.level == level)
    if since_version is not None:
        query = query.where(Agency.version > since_version)
    elif not include_removed:
        query = query.where(Agency.state != "removed")
    return list(session.execute(query).scalars())


def import_agencies(session: Session, path: Path, now: datetime, actor: str = "operator") -> tuple[int, int]:
    """Import a CSV (code,name,parent,emails,legacy) or JSON list; returns (added, skipped)."""
    rows = _read_rows(path)
    existing = set(session.execute(select(Agency.code)).scalars())
    added = skipped = 0
    for row in rows:
        code = str(row.get("code", "")).strip()
        if not code or code in existing:
            skipped += 1
            continue
        emails = row.get("emails") or row.get("mail") or ""
        add_agency(
            session,
            AgencyInput(
                code=code,
                name=str(row.get("name", "")),
                parent=str(row.get("parent") or row.get("pcode") or "") or None,
                emails=tuple(str(emails).replace(";", ",").split(",")),
                legacy=str(row.get("legacy", "")).lower() in ("1", "true", "yes"),
            ),
            now,
            actor,
        )
        existing.add(code)
        added += 1
    return added, skipped


def _read_rows(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise _fail(f"cannot read {path}: {exc.strerror}") from None
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise _fail(f"{path}: {exc}") from None
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise _fail(f"{path}: expected a JSON list of objects")
        return data
    return list(csv.DictReader(io.StringIO(text)))


# --- connected systems ----------------------------------------------------------------------


def add_system(
    session: Session,
    keys: KeyRing,
    system_id: str,
    agency_codes: Iterable[str],
    now: datetime,
    secret: str | None = None,
    actor: str = "operator",
) -> tuple[System, str]:
    """Register a system acting for ``agency_codes``; returns it and its secret (generated if absent)."""
    system_id = system_id.strip()
    if not system_id:
        raise _fail("a system id is required")
    if session.execute(select(System).where(System.system_id == system_id)).scalar_one_or_none():
        raise _fail(f"system {system_id} already exists")
    codes = [c.strip() for c in agency_codes if c.strip()]
    if not codes:
        raise _fail("a system acts for at least one agency (--agency CODE)")
    for code in codes:
        get_agency(session, code)
    secret = secret or secrets.token_urlsafe(32)
    system = System(
        system_id=system_id, secret_encrypted=keys.encrypt_secret(secret), state="active", created_at=now
    )
    system.agencies = [SystemAgency(agency_code=c) for c in codes]
    session.add(system)
    audit.append(session, now, actor, "system.add", system_id, {"agencies": codes})
    return system, secret


@dataclass(frozen=True)
class SystemRef:
    """What a request needs to know of the connected system behind it (safe to cache briefly)."""

    id: int
    system_id: str
    state: str
    agency_codes: tuple[str, ...]
    secret_encrypted: bytes
    operator: bool = False  # the hub operator's role, granted by the administrator
    can_register: bool = False  # may register units under its own level-1 bodies (SDK registerAgency)
    rate_per_second: float | None = None  # None: the hub's default
    rate_burst: int | None = None

    @classmethod
    def of(cls, row: System) -> SystemRef:
        return cls(
            row.id,
            row.system_id,
            row.state,
            tuple(row.agency_codes),
            row.secret_encrypted,
            bool(row.operator),
            bool(row.can_register),
            row.rate_per_second,
            row.rate_burst,
        )


def get_system(session: Session, system_id: str) -> System:
    system = session.execute(select(System).where(System.system_id == system_id)).scalar_one_or_none()
    if system is None:
        raise DirectoryError(HP.NOT_FOUND("", what="system", id=system_id))
    return system


def rotate_secret(
    session: Session, keys: KeyRing, system_id: str, now: datetime, secret: str | None = None
) -> str:
    system = get_system(session, system_id)
    secret = secret or secrets.token_urlsafe(32)
    system.secret_encrypted = keys.encrypt_secret(secret)
    audit.append(session, now, "operator", "system.rotate_secret", system_id, {})
    return secret


def remove_system(session: Session, system_id: str, now: datetime) -> None:
    system = get_system(session, system_id)
    session.delete(system)
    audit.append(session, now, "operator", "system.remove", system_id, {})


def issue_token(session: Session, system_id: str, now: datetime, label: str = "") -> str:
    """A new JSON-API bearer token for a system; only its hash is kept."""
    system = get_system(session, system_id)
    token = "lt_" + secrets.token_urlsafe(32)
    session.add(ApiToken(token_hash=hash_token(token), system_pk=system.id, label=label, created_at=now))
    audit.append(session, now, "operator", "token.issue", system_id, {"label": label})
    return token


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def system_for_token(session: Session, token: str) -> System | None:
    row = session.execute(
        select(ApiToken).where(ApiToken.token_hash == hash_token(token), ApiToken.revoked.is_(False))
    ).scalar_one_or_none()
    if row is None:
        return None
    return session.get(System, row.system_pk)


def centers(session: Session) -> dict[str, str]:
    """Which connected system serves each agency code (the SDK's ``centerCode``)."""
    rows = session.execute(
        select(SystemAgency.agency_code, System.system_id).join(System, SystemAgency.system_pk == System.id)
    ).all()
    return {code: system_id for code, system_id in rows}


def count_agencies(session: Session) -> int:
    return int(session.execute(select(func.count(Agency.id))).scalar_one())


def parent_default(code: str) -> str | None:
    parsed = AgencyCode.try_parse(code)
    return str(parsed.parent) if parsed and parsed.parent else None
