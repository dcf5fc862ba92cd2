"""Problems users can meet: a stable code, a severity, a location and a message in Vietnamese and English.

Every layer defines its problem types with `define()` once, at import time, so the whole
catalogue can be listed (``lienthong problems``) and documented from the code itself.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """How bad a problem is: an error stops a package, a warning is reported, info only informs."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Problem:
    """One finding about one input, at one place in it."""

    code: str
    severity: Severity
    path: str
    message_vi: str
    message_en: str
    line: int | None = None
    column: int | None = None
    params: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def to_dict(self) -> dict[str, Any]:
        """The JSON form used by every command and API that reports problems."""
        out: dict[str, Any] = {
            "code": self.code,
            "severity": self.severity.value,
            "path": self.path,
            "message_vi": self.message_vi,
            "message_en": self.message_en,
        }
        if self.line is not None:
            out["line"] = self.line
            out["column"] = self.column
        return out

    def with_severity(self, severity: Severity) -> Problem:
        return Problem(
            self.code,
            severity,
            self.path,
            self.message_vi,
            self.message_en,
            self.line,
            self.column,
            self.params,
        )

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where = f"{where} (line {self.line}, column {self.column})".strip()
        return f"{self.severity.value} {self.code} at {where or '-'}: {self.message_en}"


@dataclass(frozen=True)
class ProblemType:
    """A kind of problem: its code, default severity, message templates and legal basis."""

    code: str
    severity: Severity
    message_vi: str
    message_en: str
    basis: str = ""

    def __call__(
        self,
        path: str = "",
        *,
        line: int | None = None,
        column: int | None = None,
        severity: Severity | None = None,
        **params: Any,
    ) -> Problem:
        return Problem(
            code=self.code,
            severity=severity or self.severity,
            path=path,
            message_vi=self.message_vi.format(**params),
            message_en=self.message_en.format(**params),
            line=line,
            column=column,
            params=params,
        )

    @property
    def placeholders(self) -> set[str]:
        names: set[str] = set()
        for template in (self.message_vi, self.message_en):
            names |= {f for _, f, _, _ in string.Formatter().parse(template) if f}
        return names


_REGISTRY: dict[str, ProblemType] = {}


def define(code: str, severity: Severity, message_vi: str, message_en: str, basis: str = "") -> ProblemType:
    """Register a problem type; codes are unique across the whole project."""
    if code in _REGISTRY:
        raise ValueError(f"problem code {code} defined twice")
    ptype = ProblemType(code, severity, message_vi, message_en, basis)
    _REGISTRY[code] = ptype
    return ptype


def catalogue() -> list[ProblemType]:
    """Every problem type defined so far, sorted by code."""
    return sorted(_REGISTRY.values(), key=lambda p: p.code)


class LienthongError(Exception):
    """An error carrying a problem, raised where processing cannot go on."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def has_errors(problems: list[Problem]) -> bool:
    return any(p.is_error for p in problems)
