"""What the checks tests share: a package builder, Vietnam instants, fake signature reports, a runner."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from lienthong.checks import (
    DEFAULT_POLICY,
    AgencyRegistry,
    CheckReport,
    Context,
    Policy,
    SendingHistory,
    check,
)
from lienthong.codes.calendar import VIETNAM
from lienthong.edxml import Attachment, DocumentMessage
from lienthong.edxml.builder import attachment_from_bytes, build_document
from lienthong.signing.agencies import AgencyMatch, MatchMethod
from lienthong.signing.identity import SignerIdentity
from lienthong.signing.report import FileReport, SignatureReport
from lienthong.signing.samples import sample_pdf

SENDER = "000.00.00.G22"
RECIPIENT = "000.00.00.H41"
SIGNER = "Nguyễn Văn An"
PDF = sample_pdf()


def at(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    """An instant in Vietnam time."""
    return datetime(year, month, day, hour, minute, tzinfo=VIETNAM)


def package(
    *,
    sender: str = SENDER,
    recipients: Iterable[str] = (RECIPIENT,),
    type_name: str = "Quyết định",
    number: str = "12",
    notation: str = "QĐ-VPCP",
    day: str = "2026/11/25",
    subject: str = "Về việc ban hành quy chế làm việc",
    competence: str | None = "KT. CHỦ NHIỆM",
    position: str = "Phó Chủ nhiệm",
    full_name: str = SIGNER,
    priority: str | None = None,
    paper: str = "0",
    business_type: str = "0",
    attachments: list[Attachment] | None = None,
    **extra: Any,
) -> DocumentMessage:
    """A complete, well-formed package: every rule passes on it unless a test changes something."""
    signer: dict[str, str] = {"position": position, "full_name": full_name}
    if competence is not None:
        signer["competence"] = competence
    meta: dict[str, Any] = {
        "from": {"organ_id": sender, "organ_name": "Văn phòng Chính phủ"},
        "to": [{"organ_id": r, "organ_name": "Cơ quan nhận"} for r in recipients],
        "code": {"code_number": number, "code_notation": notation},
        "promulgation_info": {"place": "Hà Nội", "promulgation_date": day},
        "document_type": {"type": "1", "type_name": type_name},
        "subject": subject,
        "signer_info": signer,
        "business": {"bussiness_doc_type": business_type, "paper": paper},
        **extra,
    }
    if priority is not None:
        meta["other_info"] = {"priority": priority}
    files = attachments if attachments is not None else [attachment_from_bytes(f"{number}.pdf", PDF)]
    return build_document(meta, files, clock=lambda: datetime(2026, 11, 25, 9, 0))


def identity(name: str) -> SignerIdentity:
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    return SignerIdentity(
        name=name,
        organisation="Văn phòng Chính phủ",
        title=None,
        serial="01",
        issuer="CN=Test CA",
        subject=f"CN={name}",
        not_before=moment,
        not_after=moment.replace(year=2030),
        sha256="00" * 32,
    )


def signature(
    when: datetime, *, name: str = SIGNER, agency: str | None = None, valid: bool = True
) -> SignatureReport:
    """A verified PAdES signature as ``signing.verify`` reports it (time-stamped at ``when``)."""
    who = identity("Văn phòng Chính phủ" if agency else name)
    reason = "SIG.VALID" if valid else "SIG.UNTRUSTED"
    # The agency's seal as the directory proved it (a registered certificate).
    match = AgencyMatch(MatchMethod.CERTIFICATE, agency, kind="agency") if agency else None
    return SignatureReport("pades", "sig", who, reason, claimed_time=when, timestamp_time=when, agency=match)


def report(*documents: tuple[str, list[SignatureReport]]) -> FileReport:
    """A package verification report with one PDF report per (name, signatures)."""
    return FileReport(
        "package.edxml",
        "edxml",
        attachments=tuple(FileReport(name, "pdf", signatures=tuple(sigs)) for name, sigs in documents),
    )


def signed_by_both(when: datetime, name: str = "12.pdf") -> FileReport:
    """The main document signed by the signer, then sealed by the sending agency a minute later."""
    return report((name, [signature(when), signature(when.replace(minute=when.minute + 1), agency=SENDER)]))


def run(
    message: DocumentMessage,
    now: datetime = at(2026, 11, 25, 10),
    *,
    policy: Policy = DEFAULT_POLICY,
    signatures: FileReport | None = None,
    registry: AgencyRegistry | None = None,
    history: SendingHistory | None = None,
) -> CheckReport:
    context = Context(clock=lambda: now, calendar=policy.calendar(), registry=registry, history=history)
    return check(message, policy=policy, context=context, report=signatures)


def codes(result: CheckReport) -> set[str]:
    return {p.code for p in result.problems}
