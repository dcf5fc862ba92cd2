"""The directory service's grants: who may register units, who is the operator, per-system rate limits.

Every permission here is given by the hub's administrator to a connected system; none is inferred
from an agency code (issue 12: a system registering ``000.00.00.W00`` made itself the operator).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from lienthong.codes.agency import AgencyCode
from lienthong.hub import audit, directory
from lienthong.hub import problems as HP
from lienthong.hub.directory import DirectoryError, SystemRef
from lienthong.problems import Problem
from lienthong.store.tables import SystemAgency

MAX_NAME = 300
MAX_EMAIL = 254


@dataclass(frozen=True)
class UnitRequest:
    """A connected system's request to register one of its units (the SDK's ``registerAgency`` body)."""

    code: str
    name: str
    parent: str
    email: str = ""


def _refuse(problem: Problem) -> DirectoryError:
    return DirectoryError(problem)


def register_unit(session: Session, system: SystemRef, item: UnitRequest, now: datetime) -> None:
    """Register a unit for ``system``: allowed, not reserved, under the system's own level-1 body."""
    sid = system.system_id
    if not system.can_register:
        raise _refuse(HP.REGISTER_NOT_ALLOWED("", system=sid))
    code = AgencyCode.try_parse(item.code.strip())
    if code is None:
        raise _refuse(
            HP.DIRECTORY(
                "code",
                detail_vi=f"'{item.code[:80]}' không phải mã định danh NNN.NN.NN.XNN",
                detail_en=f"'{item.code[:80]}' is not an agency code NNN.NN.NN.XNN",
            )
        )
    if code.is_system:
        raise _refuse(HP.CODE_RESERVED("code", code=str(code)))
    roots = {c.root for c in map(AgencyCode.try_parse, system.agency_codes) if c is not None}
    if code.level == 1 or code.root not in roots:
        raise _refuse(HP.CODE_OUTSIDE_BODY("code", code=str(code), system=sid))
    parent = item.parent.strip()
    parsed_parent = AgencyCode.try_parse(parent)
    if parent not in system.agency_codes or parsed_parent is None or parsed_parent.root != code.root:
        raise _refuse(HP.FORBIDDEN("pcode", detail=f"the parent {parent[:80]} is not served by {sid}"))
    if len(item.name) > MAX_NAME or len(item.email) > MAX_EMAIL:
        raise _refuse(HP.BAD_REQUEST("", detail=f"name ≤ {MAX_NAME} and mail ≤ {MAX_EMAIL} characters"))
    directory.add_agency(
        session,
        directory.AgencyInput(code=str(code), name=item.name, parent=parent, emails=(item.email,)),
        now,
        actor=sid,
    )
    session.add(SystemAgency(system_pk=system.id, agency_code=str(code)))


def remove_unit(session: Session, system: SystemRef, code: str, now: datetime) -> None:
    """A registering system removes one of its own units (never a level-1 body)."""
    if not system.can_register:
        raise _refuse(HP.REGISTER_NOT_ALLOWED("", system=system.system_id))
    parsed = AgencyCode.try_parse(code.strip())
    if code not in system.agency_codes or parsed is None or parsed.level == 1:
        raise _refuse(HP.FORBIDDEN("", detail=f"system {system.system_id} may not remove {code[:80]}"))
    directory.set_state(session, code, "removed", now, actor=system.system_id)


def set_grants(
    session: Session,
    system_id: str,
    now: datetime,
    *,
    operator: bool | None = None,
    can_register: bool | None = None,
) -> None:
    """The administrator grants or withdraws the operator role or the registration right."""
    row = directory.get_system(session, system_id)
    changes: dict[str, bool] = {}
    if operator is not None:
        row.operator = operator
        changes["operator"] = operator
    if can_register is not None:
        row.can_register = can_register
        changes["can_register"] = can_register
    audit.append(session, now, "operator", "system.grant", system_id, changes)


def set_limits(
    session: Session, system_id: str, now: datetime, rate: float | None, burst: int | None
) -> None:
    """A system's own request rate (None: back to the hub's default)."""
    if (rate is not None and not 0 < rate <= 1e6) or (burst is not None and not 0 < burst <= 10**6):
        raise _refuse(HP.BAD_REQUEST("", detail="rate and burst are positive numbers up to 1000000"))
    row = directory.get_system(session, system_id)
    row.rate_per_second, row.rate_burst = rate, burst
    audit.append(session, now, "operator", "system.limits", system_id, {"rate": rate, "burst": burst})
