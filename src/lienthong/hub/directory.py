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

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from lienthong.codes.agency import AgencyCode, CodeKind, classify
from lienthong.hub import audit
from lienthong.hub import problems as HP
from lienthong.hub.keys import KeyRing
from lienthong.problems import LienthongError
from lienthong.store.tables import Agency, ApiToken, Counter, System, SystemAgency

STATES = ("active", "suspended", "removed")
# The internal system that packages pulled from the upstream hub are accepted through (issue 16):
# it may send for upstream-routed codes only, and what it brings is never relayed upstream again.
UPSTREAM_SYSTEM_ID = "~upstream"
_VERSION = "directory_version"


class DirectoryError(LienthongError):
    pass


def _fail(detail_vi: str, detail_en: str) -> DirectoryError:
    """A directory refusal, said in each language (never English inside the Vietnamese sentence)."""
    return DirectoryError(HP.DIRECTORY("", detail_vi=detail_vi, detail_en=detail_en))


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


def _level_and_parent(code: str, legacy: bool) -> tuple[int | None, str | None]:
    """The level and parent a code implies; refuses a code that is not what ``legacy`` says."""
    found = classify(code)
    if found.kind is CodeKind.AGENCY or found.kind is CodeKind.SYSTEM:
        assert found.code is not None
        level: int | None = found.code.level
        derived_parent = str(found.code.parent) if found.code.parent else None
        if legacy:
            raise _fail(
                f"{code} là mã theo Quyết định 20; đăng ký không cần --legacy",
                f"{code} is a Decision-20 code; register it without --legacy",
            )
        return level, derived_parent
    if found.kind in (CodeKind.LEGACY, CodeKind.SYSTEM_ID):
        if not legacy:
            raise _fail(
                f"{code} không phải mã theo Quyết định 20; đăng ký rõ bằng --legacy",
                f"{code} is not a Decision-20 code; register it explicitly with --legacy",
            )
        return None, None
    raise _fail(
        f"'{code}' không phải mã định danh (NNN.NN.NN.XNN) hay mã cũ nhận biết được",
        f"'{code}' is not an agency code (NNN.NN.NN.XNN) nor a recognisable legacy code",
    )


def add_agency(session: Session, item: AgencyInput, now: datetime, actor: str = "operator") -> Agency:
    values = _new_row(item, now)
    code = values["code"]
    if session.execute(select(Agency.id).where(Agency.code == code)).first() is not None:
        raise _fail(f"{code} đã có trong danh bạ", f"{code} is already in the directory")
    agency = Agency(**values, version=next_version(session))
    session.add(agency)
    details = {"name": agency.name, "parent": agency.parent_code, "legacy": item.legacy}
    audit.append(session, now, actor, "agency.add", code, details)
    return agency


def get_agency(session: Session, code: str) -> Agency:
    agency = session.execute(select(Agency).where(Agency.code == code.strip())).scalar_one_or_none()
    if agency is None:
        raise DirectoryError(HP.NOT_FOUND("", what="agency", id=code))
    return agency


def set_state(session: Session, code: str, state: str, now: datetime, actor: str = "operator") -> Agency:
    if state not in STATES:
        raise _fail(f"trạng thái không hợp lệ: {state}", f"unknown state {state}")
    agency = get_agency(session, code)
    old = agency.state
    agency.state = state
    agency.updated_at = now
    agency.version = next_version(session)
    audit.append(session, now, actor, f"agency.{state}", code, {"from": old})
    return agency


@dataclass(frozen=True)
class AgencyRow:
    """One directory entry as lists and syncs show it (plain columns, no ORM object)."""

    id: int
    code: str
    name: str
    parent_code: str | None
    level: int | None
    legacy: bool
    state: str
    emails: str
    version: int
    updated_at: datetime
    route: str = "local"


_ROW = (
    Agency.id,
    Agency.code,
    Agency.name,
    Agency.parent_code,
    Agency.level,
    Agency.legacy,
    Agency.state,
    Agency.emails,
    Agency.version,
    Agency.updated_at,
    Agency.route,
)


def list_agencies(
    session: Session,
    *,
    level: int | None = None,
    since_version: int | None = None,
    include_removed: bool = False,
    after: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[AgencyRow]:
    """Filtered and paged in SQL, in code order; ``after`` (a code) pages by key."""
    query = select(*_ROW).order_by(Agency.code)
    if level is not None:
        query = query.where(Agency.level == level)
    if since_version is not None:
        query = query.where(Agency.version > since_version)
    elif not include_removed:
        query = query.where(Agency.state != "removed")
    if after:
        query = query.where(Agency.code > after)
    if offset:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return [AgencyRow(*row) for row in session.execute(query)]


def import_agencies(session: Session, path: Path, now: datetime, actor: str = "operator") -> tuple[int, int]:
    """Import a CSV (code,name,parent,emails,legacy) or JSON list; returns (added, skipped).

    In bulk: every row is checked as ``add_agency`` checks one, then all are inserted with one
    directory version and one audit entry (listing the codes), in the caller's transaction.
    """
    existing = set(session.execute(select(Agency.code)).scalars())
    added: list[dict[str, Any]] = []
    skipped = 0
    for row in _read_rows(path):
        code = str(row.get("code", "")).strip()
        if not code or code in existing:
            skipped += 1
            continue
        emails = row.get("emails") or row.get("mail") or ""
        item = AgencyInput(
            code=code,
            name=str(row.get("name", "")),
            parent=str(row.get("parent") or row.get("pcode") or "") or None,
            emails=tuple(str(emails).replace(";", ",").split(",")),
            legacy=str(row.get("legacy", "")).lower() in ("1", "true", "yes"),
        )
        added.append(_new_row(item, now))
        existing.add(code)
    if added:
        version = next_version(session)
        for values in added:
            values["version"] = version
        for start in range(0, len(added), 5000):
            session.execute(insert(Agency), added[start : start + 5000])
        codes = [r["code"] for r in added]
        audit.append(session, now, actor, "agency.import", f"{len(codes)} agencies", {"codes": codes})
    return len(added), skipped


def _new_row(item: AgencyInput, now: datetime) -> dict[str, Any]:
    """The checks of one new agency (as ``add_agency``) and its column values, without a version."""
    code = item.code.strip()
    level, derived_parent = _level_and_parent(code, item.legacy)
    if not item.name.strip():
        raise _fail(f"{code}: cần có tên cơ quan", f"{code}: a name is required")
    return {
        "code": code,
        "name": item.name.strip(),
        "parent_code": item.parent.strip() if item.parent and item.parent.strip() else derived_parent,
        "level": level,
        "legacy": item.legacy,
        "state": "active",
        "emails": ",".join(e.strip() for e in item.emails if e.strip()),
        "created_at": now,
        "updated_at": now,
    }


def _read_rows(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise _fail(f"không đọc được {path}: {exc.strerror}", f"cannot read {path}: {exc.strerror}") from None
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise _fail(f"{path}: JSON không hợp lệ ({exc})", f"{path}: {exc}") from None
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise _fail(
                f"{path}: cần một danh sách JSON các đối tượng", f"{path}: expected a JSON list of objects"
            )
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
        raise _fail("cần có mã hệ thống", "a system id is required")
    if (
        system_id == UPSTREAM_SYSTEM_ID
        or session.execute(select(System).where(System.system_id == system_id)).scalar_one_or_none()
    ):
        raise _fail(f"hệ thống {system_id} đã tồn tại", f"system {system_id} already exists")
    codes = [c.strip() for c in agency_codes if c.strip()]
    if not codes:
        raise _fail(
            "hệ thống phải phục vụ ít nhất một cơ quan (--agency MÃ)",
            "a system acts for at least one agency (--agency CODE)",
        )
    for code in codes:
        if get_agency(session, code).route == "upstream":
            raise DirectoryError(HP.UPSTREAM_ONLY("", code=code))
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
    upstream: bool = False  # the internal system of packages pulled from the upstream hub

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


UPSTREAM_SYSTEM = SystemRef(0, UPSTREAM_SYSTEM_ID, "active", (), b"", upstream=True)


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
