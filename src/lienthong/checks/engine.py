"""The rule engine: rules as plain functions over a package's facts, run under a policy into a checklist."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from functools import cached_property
from typing import Any

from lienthong.checks.context import Context
from lienthong.checks.policy import DEFAULT_POLICY, Policy
from lienthong.codes.dates import parse_date
from lienthong.codes.doctypes import TypeMatch, find_type
from lienthong.codes.notation import Notation
from lienthong.edxml import Attachment, DocumentMessage, MessageHeader
from lienthong.edxml.blob import Base64Error, iter_head
from lienthong.problems import Problem, ProblemType, Severity
from lienthong.signing.report import FileReport, SignatureReport

log = logging.getLogger(__name__)
_PDF_MAGIC = b"%PDF-"
_PDF_VERSION = re.compile(rb"%PDF-(\d+)\.(\d+)")


class Need(StrEnum):
    """What a rule cannot do without; a rule whose need is missing is skipped, not failed."""

    SIGNATURES = "signatures"  # the verification report of the package
    REGISTRY = "registry"
    HISTORY = "history"


@dataclass
class Facts:
    """One package as the rules read it: parsed once, each reading computed at most once."""

    message: DocumentMessage
    context: Context
    policy: Policy
    report: FileReport | None = None  # signature verification, when it was done

    @property
    def header(self) -> MessageHeader:
        return self.message.header or MessageHeader()

    @cached_property
    def sender(self) -> str:
        h = self.header
        return (h.from_.organ_id or "").strip() if h.from_ else ""

    @cached_property
    def recipients(self) -> list[str]:
        codes = [(t.organ_id or "").strip() for t in self.header.to]
        return list(dict.fromkeys(c for c in codes if c))

    @cached_property
    def type_match(self) -> TypeMatch | None:
        dt = self.header.document_type
        return find_type(dt.type_name if dt else None)

    @property
    def type_name(self) -> str | None:
        """The canonical name of the document's type (``Công văn``), when it is known."""
        return self.type_match.kind.name if self.type_match else None

    @cached_property
    def notation(self) -> Notation | None:
        code = self.header.code
        if code is None or not code.code_number or not code.code_notation:
            return None
        try:
            return Notation.from_parts(code.code_number, code.code_notation)
        except ValueError:
            return None

    @cached_property
    def promulgation_date(self) -> date | None:
        info = self.header.promulgation_info
        try:
            return parse_date(info.promulgation_date) if info and info.promulgation_date else None
        except ValueError:
            return None

    @cached_property
    def priority(self) -> int:
        other = self.header.other_info
        text = (other.priority if other else None) or ""
        return int(text.strip()) if text.strip().isdigit() else 0

    @cached_property
    def business_type(self) -> int:
        business = self.message.business
        text = ((business.bussiness_doc_type if business else None) or "0").strip()
        return int(text) if text.isdigit() else 0

    @property
    def competence(self) -> str:
        signer = self.header.signer_info
        return (signer.competence or "").strip() if signer else ""

    @cached_property
    def pdf_attachments(self) -> list[Attachment]:
        """The PDFs in package order, as ``signing.verify`` finds them (declared or sniffed)."""
        found = []
        for att in self.message.attachment_list:
            name = (att.attachment_name or "").lower()
            declared = (att.content_type or "").lower() == "application/pdf" or name.endswith(".pdf")
            if declared or _PDF_MAGIC in (self.head(att) or b""):
                found.append(att)
        return found

    def head(self, att: Attachment, size: int = 1024) -> bytes | None:
        """The first decoded bytes; None when the content cannot be decoded (EDXML.BAD_BASE64)."""
        try:
            return iter_head(att.data, size) if att.data is not None else b""
        except Base64Error:
            return None

    def pdf_version(self, att: Attachment) -> tuple[int, int] | None:
        m = _PDF_VERSION.search(self.head(att, 1024) or b"")
        return (int(m.group(1)), int(m.group(2))) if m else None

    @cached_property
    def main_document(self) -> FileReport | None:
        """The verification report of the main document (the first PDF), when verified."""
        if self.report is None:
            return None
        # Signed XML attachments (kind "xml") are reported after the PDFs: never the main document.
        return next((a for a in self.report.attachments if a.kind == "pdf"), None)

    @cached_property
    def signing_time(self) -> tuple[datetime, str] | None:
        """When the document was signed, and how that is known.

        The latest valid signature on the main document (the agency's seal, which issues it) at
        its proven time (time-stamp) or else its claimed time; without a verified signature, the
        PromulgationDate (a day, not an instant: source ``date``).
        """
        main = self.main_document
        if main is not None:
            times = [t for s in main.signatures if s.valid and (t := signed_at(s)) is not None]
            if times:
                return max(times), "signature"
        day = self.promulgation_date
        if day is None:
            return None
        return datetime.combine(day, datetime.min.time(), self.context.calendar.tz), "date"


def signed_at(signature: SignatureReport) -> datetime | None:
    return signature.timestamp_time or signature.claimed_time


RuleFunction = Callable[[Facts], Iterable[Problem]]


@dataclass(frozen=True)
class Rule:
    """One preflight rule: its problem type (code, severity, messages, basis), title and function."""

    ptype: ProblemType
    title_vi: str
    title_en: str
    check: RuleFunction
    needs: frozenset[Need] = frozenset()
    hub: bool = True  # in the subset the hub runs on acceptance (no signatures, registry, history)

    @property
    def code(self) -> str:
        return self.ptype.code

    @property
    def basis(self) -> str:
        return self.ptype.basis


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"  # at least one error
    WARNED = "warned"  # findings, none an error
    SKIPPED = "skipped"  # what it needs was not available
    OFF = "off"  # turned off by the policy


@dataclass(frozen=True)
class RuleResult:
    rule: Rule
    outcome: Outcome
    problems: tuple[Problem, ...] = ()
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.rule.code,
            "title_vi": self.rule.title_vi,
            "title_en": self.rule.title_en,
            "basis": self.rule.basis,
            "outcome": self.outcome.value,
            "note": self.note or None,
            "problems": [p.to_dict() for p in self.problems],
        }


@dataclass(frozen=True)
class CheckReport:
    """The checklist of one package: one result per rule, in rule order."""

    results: tuple[RuleResult, ...] = field(default=())

    @property
    def problems(self) -> list[Problem]:
        return [p for r in self.results for p in r.problems]

    @property
    def has_errors(self) -> bool:
        return any(p.is_error for p in self.problems)

    def result(self, code: str) -> RuleResult:
        return next(r for r in self.results if r.rule.code == code)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": not self.has_errors, "rules": [r.to_dict() for r in self.results]}


def run_rules(
    rules: Sequence[Rule],
    message: DocumentMessage,
    *,
    context: Context | None = None,
    policy: Policy = DEFAULT_POLICY,
    report: FileReport | None = None,
) -> CheckReport:
    """Run ``rules`` over one document package; the policy decides each rule's severity or turns it off."""
    facts = Facts(message, context or Context(), policy, report)
    available = {Need.SIGNATURES: report is not None}
    available[Need.REGISTRY] = facts.context.registry is not None
    available[Need.HISTORY] = facts.context.history is not None
    results = []
    for rule in rules:
        severity = policy.severity(rule.code, rule.ptype.severity)
        if severity is None:
            results.append(RuleResult(rule, Outcome.OFF, note="turned off by the policy"))
            continue
        missing = [n.value for n in sorted(rule.needs) if not available[n]]
        if missing:
            results.append(RuleResult(rule, Outcome.SKIPPED, note=f"needs {', '.join(missing)}"))
            continue
        try:
            found = list(rule.check(facts))
        except Exception as exc:
            # A broken rule must not stop a delivery or a clerk's checklist: logged, shown as skipped.
            log.exception("check %s failed", rule.code)
            results.append(RuleResult(rule, Outcome.SKIPPED, note=f"internal error: {type(exc).__name__}"))
            continue
        if rule.code in policy.rules:
            # An explicit setting applies to every finding; by default a rule may report some
            # findings below its own severity (a date one day off is a warning, one in the future an error).
            found = [p if p.severity is severity else p.with_severity(severity) for p in found]
        outcome = Outcome.PASSED
        if any(p.is_error for p in found):
            outcome = Outcome.FAILED
        elif any(p.severity is not Severity.INFO for p in found):
            outcome = Outcome.WARNED
        results.append(RuleResult(rule, outcome, tuple(found)))
    return CheckReport(tuple(results))
