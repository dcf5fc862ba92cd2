"""The results of verification: one report per signature and one per file, frozen and JSON-ready."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lienthong.problems import Problem, Severity
from lienthong.signing import problems as P
from lienthong.signing.agencies import AgencyMatch
from lienthong.signing.identity import SignerIdentity


@dataclass(frozen=True)
class SignatureReport:
    """One signature: who signed, when, how, and the verdict with its stable reason code.

    ``reason`` is SIG.VALID or the code of the first error (the most telling one: integrity before
    trust before time); ``problems`` holds every finding, warnings included.
    """

    kind: str  # "pades", "xmldsig" or "placeholder"
    location: str  # the PDF field name, or the XML path of the Signature element
    signer: SignerIdentity | None
    reason: str
    problems: tuple[Problem, ...] = ()
    claimed_time: datetime | None = None  # what the signer's computer said
    timestamp_time: datetime | None = None  # proven by a trusted time-stamping authority
    level: str | None = None  # PAdES-B-B … PAdES-B-LTA, or the XML-DSig algorithm
    algorithm: str | None = None
    coverage: str | None = None
    file: str = ""  # the attachment this signature is in, for package reports
    agency: AgencyMatch | None = None  # the agency the certificate was matched to, and how
    signing_time_source: str | None = None  # "timestamp", "claimed" or None: when validity was judged

    @property
    def valid(self) -> bool:
        return self.reason == P.VALID.code

    @property
    def signer_kind(self) -> str | None:
        """``agency`` or ``person``: the directory's word when it has one, else the certificate's names."""
        if self.agency is not None and self.agency.kind is not None:
            return self.agency.kind
        return self.signer.kind if self.signer else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "file": self.file or None,
            "location": self.location,
            "valid": self.valid,
            "reason": self.reason,
            "signer": self.signer.to_dict() if self.signer else None,
            "agency": self.agency.to_dict() if self.agency else None,
            "claimed_time": _iso(self.claimed_time),
            "timestamp_time": _iso(self.timestamp_time),
            "validity_judged_at": self.signing_time_source,
            "level": self.level,
            "algorithm": self.algorithm,
            "coverage": self.coverage,
            "problems": [p.to_dict() for p in self.problems],
        }


def verdict(problems: list[Problem]) -> str:
    """The reason code: the first error's, else SIG.VALID (warnings do not make a signature invalid)."""
    first = next((p for p in problems if p.severity is Severity.ERROR), None)
    return first.code if first else P.VALID.code


@dataclass(frozen=True)
class FileReport:
    """Every signature found in one file (a PDF or an edXML package) and the file-level findings."""

    file: str
    kind: str  # "pdf" or "edxml"
    signatures: tuple[SignatureReport, ...] = ()
    problems: tuple[Problem, ...] = ()  # missing signatures, cross-checks, unreadable parts
    attachments: tuple[FileReport, ...] = field(default=())

    @property
    def all_problems(self) -> list[Problem]:
        found = list(self.problems)
        for sig in self.signatures:
            found.extend(sig.problems)
        for att in self.attachments:
            found.extend(att.all_problems)
        return found

    @property
    def valid(self) -> bool:
        return not any(p.is_error for p in self.all_problems)

    @property
    def reason(self) -> str:
        """The first error's code; else SIG.VALID if a signature is valid; else the first warning's."""
        found = self.all_problems
        code = verdict(found)
        if code != P.VALID.code or any(s.valid for s in self._every_signature()):
            return code
        warning = next((p for p in found if p.severity is Severity.WARNING), None)
        return warning.code if warning else P.MISSING.code

    def _every_signature(self) -> list[SignatureReport]:
        sigs = list(self.signatures)
        for att in self.attachments:
            sigs.extend(att._every_signature())
        return sigs

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "kind": self.kind,
            "valid": self.valid,
            "reason": self.reason,
            "signatures": [s.to_dict() for s in self.signatures],
            "problems": [p.to_dict() for p in self.problems],
            "attachments": [a.to_dict() for a in self.attachments],
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
