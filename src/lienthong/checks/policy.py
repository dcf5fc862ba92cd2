"""Check policies: which rules are errors, warnings or off, and the thresholds and lists the rules use.

A policy is a frozen value with sensible defaults; an operator changes it with a TOML file whose
sections mirror the fields below (``lienthong check --policy FILE``, the gateway and hub configs)::

    [rules]                       # per rule: "error", "warning" or "off"
    "CHECK.SENT_LATE" = "error"

    [time]
    next_day_deadline = "12:00"   # Decision 28 Art. 6: the morning of the next working day
    urgent_priority = 1           # Priority ≥ this is urgent (khẩn, thượng khẩn, hỏa tốc)
    urgent_grace_minutes = 120
    calendar_file = "ngay-nghi.txt"   # extra days off / compensatory working days

    [authority.max_level]         # types only units of this level or above may send
    "Chỉ thị" = 1

    [catalogue.agency_paper]      # an agency's own list of types still followed by paper
    "000.00.00.H41" = ["Quyết định"]

Unknown sections and keys are refused, naming them: a typo must not silently relax a rule.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import time
from functools import cached_property
from pathlib import Path
from typing import Any

import lienthong.checks.problems  # noqa: F401  (registers the CHECK.* codes a policy may name)
from lienthong.codes.calendar import CalendarFileError, WorkingCalendar
from lienthong.codes.doctypes import ELECTRONIC_ONLY_775, find_type
from lienthong.problems import Severity, catalogue

OFF = "off"
_LEVELS = {"error": Severity.ERROR, "warning": Severity.WARNING, "info": Severity.INFO}
# The rule that may never be relaxed: state secrets never travel on this system (Decision 28).
UNRELAXABLE = frozenset({"CHECK.STATE_SECRET"})


class PolicyError(ValueError):
    """The policy file cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class TimePolicy:
    next_day_deadline: time = time(12, 0)
    urgent_priority: int = 1
    urgent_grace_minutes: int = 120
    calendar_file: Path | None = None
    # How far ahead of the clock a PromulgationDate or signing time may be (clock skew).
    future_tolerance_minutes: int = 10


@dataclass(frozen=True)
class FormatPolicy:
    allow_legal_types: bool = True  # Thông tư, Nghị định …: not among the 29 but legitimately sent
    issuer_abbreviations: Mapping[str, str] = field(default_factory=dict)  # agency code → "VPCP"
    min_pdf_version: tuple[int, int] = (1, 4)


@dataclass(frozen=True)
class AuthorityPolicy:
    # Type name → the deepest level (1 = level-1 body) that may send it.
    max_level: Mapping[str, int] = field(
        default_factory=lambda: {"Chỉ thị": 1, "Thông tư": 1, "Thông tư liên tịch": 1}
    )
    # Types the head (or a deputy, KT.) must sign: no TL./TUQ. signatures.
    head_only_types: frozenset[str] = frozenset({"Nghị quyết", "Chỉ thị", "Thông tư", "Thông tư liên tịch"})
    delegated_markers: frozenset[str] = frozenset({"TL.", "TUQ."})


@dataclass(frozen=True)
class SecretPolicy:
    keywords: tuple[str, ...] = ()  # the operator's own phrases, matched case-insensitively
    # Elements some document systems add for the classification (độ mật), in any namespace.
    classification_elements: frozenset[str] = frozenset(
        {"Classification", "SecurityClassification", "SecurityLevel", "SecretLevel", "DoMat", "Secret"}
    )


@dataclass(frozen=True)
class AttachmentPolicy:
    content_types: frozenset[str] = frozenset(
        {
            "application/pdf",
            "application/msword",
            "application/doc",
            "application/docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.ms-excel",
            "application/xls",
            "application/xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "application/zip",
            "application/x-zip-compressed",
        }
    )
    extensions: frozenset[str] = frozenset({"pdf", "doc", "docx", "xls", "xlsx", "zip"})
    max_file_bytes: int = 50 << 20
    max_total_bytes: int = 50 << 20
    max_name_length: int = 200


@dataclass(frozen=True)
class CataloguePolicy:
    electronic_only: frozenset[str] = ELECTRONIC_ONLY_775
    # Recipients whose documents are still followed by paper (Decision 28): the Government and the
    # Prime Minister, reached through the Government Office.
    paper_recipients: frozenset[str] = frozenset({"000.00.00.G22"})
    agency_paper: Mapping[str, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Policy:
    """Everything the rules read besides the package and the context."""

    rules: Mapping[str, str] = field(default_factory=dict)  # code → error | warning | info | off
    time: TimePolicy = TimePolicy()
    format: FormatPolicy = FormatPolicy()
    authority: AuthorityPolicy = AuthorityPolicy()
    secrets: SecretPolicy = SecretPolicy()
    attachments: AttachmentPolicy = AttachmentPolicy()
    catalogue: CataloguePolicy = CataloguePolicy()
    source: str = ""

    def severity(self, code: str, default: Severity) -> Severity | None:
        """The severity a rule reports at under this policy; None when it is off."""
        setting = self.rules.get(code)
        if setting is None:
            return default
        return None if setting == OFF else _LEVELS[setting]

    @cached_property
    def working_calendar(self) -> WorkingCalendar:
        """Vietnam's working days with the operator's file, read once per policy."""
        return WorkingCalendar.load(self.time.calendar_file)

    def calendar(self) -> WorkingCalendar:
        return self.working_calendar

    def with_rules(self, settings: Mapping[str, str]) -> Policy:
        """A copy with some rules set: ``{"CHECK.SENT_LATE": "error"}``."""
        merged = {**self.rules, **settings}
        _check_rules(merged, "with_rules")
        return replace(self, rules=merged)


DEFAULT_POLICY = Policy()


def load_policy(path: Path) -> Policy:
    """Read a policy file; relative paths in it (the calendar file) are relative to the file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyError(f"{path}: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PolicyError(f"{path}: {exc}") from None
    return policy_from_dict(data, source=str(path), base_dir=path.parent)


def policy_from_dict(data: Mapping[str, Any], *, source: str = "", base_dir: Path | None = None) -> Policy:
    where = source or "policy"
    known = {"rules", "time", "format", "authority", "secrets", "attachments", "catalogue"}
    unknown = set(data) - known
    if unknown:
        raise PolicyError(f"{where}: unknown section(s) {', '.join(sorted(unknown))}")
    rules = {str(k): str(v) for k, v in _table(data, "rules", where).items()}
    _check_rules(rules, where)
    t = _table(data, "time", where)
    _only(t, {f.name for f in fields(TimePolicy)}, f"{where} [time]")
    time_policy = TimePolicy(
        next_day_deadline=_time(t.get("next_day_deadline", "12:00"), f"{where} [time] next_day_deadline"),
        urgent_priority=_int(t, "urgent_priority", 1, where),
        urgent_grace_minutes=_int(t, "urgent_grace_minutes", 120, where),
        calendar_file=(base_dir or Path.cwd()) / str(t["calendar_file"]) if "calendar_file" in t else None,
        future_tolerance_minutes=_int(t, "future_tolerance_minutes", 10, where),
    )
    f = _table(data, "format", where)
    _only(f, {"allow_legal_types", "issuer_abbreviations", "min_pdf_version"}, f"{where} [format]")
    version = str(f.get("min_pdf_version", "1.4")).split(".")
    if not (1 <= len(version) <= 2 and all(v.isdigit() for v in version)):
        raise PolicyError(f"{where} [format]: min_pdf_version must read like 1.4, not {version!r}")
    allow_legal = f.get("allow_legal_types", True)
    if not isinstance(allow_legal, bool):
        raise PolicyError(f"{where} [format]: allow_legal_types must be true or false")
    format_policy = FormatPolicy(
        allow_legal_types=allow_legal,
        issuer_abbreviations={str(k): str(v) for k, v in dict(f.get("issuer_abbreviations", {})).items()},
        min_pdf_version=(int(version[0]), int(version[1]) if len(version) > 1 else 0),
    )
    a = _table(data, "authority", where)
    _only(a, {f.name for f in fields(AuthorityPolicy)}, f"{where} [authority]")
    base = AuthorityPolicy()
    max_level = {str(k): int(v) for k, v in dict(a.get("max_level", base.max_level)).items()}
    for name in max_level:
        _known_type(name, f"{where} [authority.max_level]")
    authority = AuthorityPolicy(
        max_level=max_level,
        head_only_types=_types(a.get("head_only_types"), base.head_only_types, f"{where} [authority]"),
        delegated_markers=frozenset(str(m) for m in a.get("delegated_markers", base.delegated_markers)),
    )
    s = _table(data, "secrets", where)
    _only(s, {f.name for f in fields(SecretPolicy)}, f"{where} [secrets]")
    secrets = SecretPolicy(
        keywords=tuple(str(k) for k in s.get("keywords", ())),
        classification_elements=frozenset(
            str(e) for e in s.get("classification_elements", SecretPolicy().classification_elements)
        ),
    )
    att = _table(data, "attachments", where)
    _only(
        att,
        {"content_types", "extensions", "max_file_mb", "max_total_mb", "max_name_length"},
        f"{where} [attachments]",
    )
    base_att = AttachmentPolicy()
    attachments = AttachmentPolicy(
        content_types=frozenset(str(c).lower() for c in att.get("content_types", base_att.content_types)),
        extensions=frozenset(str(e).lower().lstrip(".") for e in att.get("extensions", base_att.extensions)),
        max_file_bytes=_megabytes(att, "max_file_mb", base_att.max_file_bytes, where),
        max_total_bytes=_megabytes(att, "max_total_mb", base_att.max_total_bytes, where),
        max_name_length=_int(att, "max_name_length", base_att.max_name_length, where),
    )
    c = _table(data, "catalogue", where)
    _only(c, {f.name for f in fields(CataloguePolicy)}, f"{where} [catalogue]")
    base_cat = CataloguePolicy()
    catalogue = CataloguePolicy(
        electronic_only=_types(c.get("electronic_only"), base_cat.electronic_only, f"{where} [catalogue]"),
        paper_recipients=frozenset(str(r) for r in c.get("paper_recipients", base_cat.paper_recipients)),
        agency_paper={
            str(code): _types(types, frozenset(), f"{where} [catalogue.agency_paper]")
            for code, types in dict(c.get("agency_paper", {})).items()
        },
    )
    policy = Policy(rules, time_policy, format_policy, authority, secrets, attachments, catalogue, source)
    try:
        policy.calendar()  # a missing or wrong calendar file is the policy's error, found now
    except (OSError, CalendarFileError) as exc:
        raise PolicyError(f"{where} [time] calendar_file: {exc}") from None
    return policy


def _check_rules(rules: Mapping[str, str], where: str) -> None:
    codes = {p.code for p in catalogue() if p.code.startswith("CHECK.")}
    for code, setting in rules.items():
        if code not in codes:
            raise PolicyError(f"{where}: unknown rule {code}")
        if setting != OFF and setting not in _LEVELS:
            raise PolicyError(f"{where}: {code} = {setting!r} (expected error, warning, info or off)")
        if code in UNRELAXABLE and setting != "error":
            raise PolicyError(f"{where}: {code} cannot be relaxed: state secrets never travel on this system")


def _table(data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise PolicyError(f"{where}: [{key}] must be a table")
    return value


def _only(table: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = set(table) - allowed
    if unknown:
        raise PolicyError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")


def _int(table: Mapping[str, Any], key: str, default: int, where: str) -> int:
    value = table.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise PolicyError(f"{where}: {key} must be a whole number ≥ 0, not {value!r}")
    return value


def _megabytes(table: Mapping[str, Any], key: str, default: int, where: str) -> int:
    value = table.get(key, default / (1 << 20))
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise PolicyError(f"{where} [attachments]: {key} must be a positive number of MB, not {value!r}")
    return int(value * (1 << 20))


def _time(value: Any, where: str) -> time:
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise PolicyError(f"{where}: expected HH:MM, got {value!r}") from None


def _known_type(name: str, where: str) -> str:
    match = find_type(name)
    if match is None:
        raise PolicyError(f"{where}: unknown document type {name!r}")
    return match.kind.name


def _types(value: Any, default: frozenset[str], where: str) -> frozenset[str]:
    if value is None:
        return default
    return frozenset(_known_type(str(v), where) for v in value)
