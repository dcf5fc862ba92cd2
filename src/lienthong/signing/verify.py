"""Verifying a whole file: a signed PDF, any signed XML, or an edXML package with its PDFs and cross-checks.

The cross-checks are Decree 30's rules read against the package metadata: the main document (the
first PDF) carries the signer's personal signature and the agency's signature, every other PDF
carries the agency's; the person in ``SignerInfo`` is the one who signed; every agency signature
belongs to the ``From`` agency. Each broken rule is its own problem code.
"""

from __future__ import annotations

import dataclasses
import io
import os
from pathlib import Path
from typing import IO

from lienthong.edxml import (
    DEFAULT_LIMITS,
    XMLDSIG_NS,
    Attachment,
    DocumentMessage,
    Message,
    ParseError,
    ParseLimits,
    parse,
)
from lienthong.edxml.blob import Base64Error, BytesData, iter_head, open_decoded, read_bytes
from lienthong.problems import Problem
from lienthong.signing import problems as P
from lienthong.signing.agencies import AgencyDirectory, sender_problems
from lienthong.signing.pdf import PdfVerifier
from lienthong.signing.pki import Clock, utc_now
from lienthong.signing.report import FileReport, SignatureReport
from lienthong.signing.trust import TrustSource
from lienthong.signing.xmldsig import PackageSignatureVerifier
from lienthong.signing.xmlverify import XmlDocumentVerifier

Source = bytes | str | os.PathLike[str]
_PDF_MAGIC = b"%PDF-"
_EDXML_NS = b"QCVN_102_2016"  # the edXML namespace, in the root element's declarations
_SPOOL = 4 << 20


class Verifier:
    """One trust store, one clock: verifies PDFs and packages and says which rule each finding breaks."""

    def __init__(
        self,
        trust: TrustSource,
        *,
        clock: Clock = utc_now,
        limits: ParseLimits = DEFAULT_LIMITS,
        directory: AgencyDirectory | None = None,
    ) -> None:
        """``directory``: the agencies certificates are matched to (none: agency signatures are
        reported as unidentified, never assumed to be the sender's)."""
        self.trust = trust
        self.directory = directory
        # Attachment text spills to temporary files early: verification needs the header and,
        # one at a time, the PDFs, while signxml holds several copies of the whole package.
        self.limits = dataclasses.replace(limits, spool_in_memory=min(limits.spool_in_memory, _SPOOL))
        self.pdf = PdfVerifier(trust, clock=clock, directory=directory)
        self.xml = XmlDocumentVerifier(trust, clock=clock, directory=directory)
        self.package_signature = PackageSignatureVerifier(
            trust, clock=clock, limits=limits, directory=directory
        )

    def verify_file(self, path: str | os.PathLike[str]) -> FileReport:
        """A PDF or an edXML package, told apart by its first bytes."""
        try:
            with Path(path).open("rb") as fh:
                head = fh.read(1024)
        except OSError as exc:
            problem = P.UNREADABLE(str(path), detail=exc.strerror or str(exc))
            return FileReport(str(path), "?", problems=(problem,))
        if _PDF_MAGIC in head:
            return self.pdf.verify(path, name=str(path))
        if _EDXML_NS not in head:
            # Any other XML (a tax or customs notice): every XML-DSig in it, no Decree 30 rules.
            return self.xml.verify(path, name=str(path))
        return self.verify_package(path, name=str(path))

    def verify_package(self, source: Source | IO[bytes], *, name: str = "") -> FileReport:
        label = name or (str(source) if isinstance(source, (str, os.PathLike)) else "")
        try:
            message = parse(source, repair=True, limits=self.limits)
        except ParseError as exc:
            return FileReport(label, "edxml", problems=(P.UNREADABLE(label, detail=exc.problem.message_en),))
        if isinstance(source, io.IOBase):
            source.seek(0)
        signature = self.package_signature.verify(source, message)
        pdfs = _pdf_attachments(message)
        documents = tuple(self._verify_pdf(att) for att in pdfs)
        problems = cross_check(message, signature, documents)
        # Signed XML attachments (tax, customs notices) after the PDFs: verified, not cross-checked.
        others = tuple(r for att in _other_attachments(message, pdfs) if (r := self._verify_xml(att)))
        return FileReport(
            label, "edxml", signatures=(signature,), problems=tuple(problems), attachments=documents + others
        )

    def _verify_xml(self, attachment: Attachment) -> FileReport | None:
        """The report on a signed XML attachment; None for XML without XML-DSig (nothing to verify)."""
        name = attachment.attachment_name or attachment.content_id or "?"
        try:
            data = read_bytes(attachment.data) if attachment.data is not None else b""
        except Base64Error:
            return None  # the codec's checks report undecodable content
        if XMLDSIG_NS.encode() not in data:
            return None
        return self.xml.verify(data, name=name)

    def _verify_pdf(self, attachment: Attachment) -> FileReport:
        name = attachment.attachment_name or attachment.content_id or "?"
        try:
            # Decoded into a spooled file (on disk past a few MB): pyHanko reads it from there.
            with open_decoded(attachment.data if attachment.data is not None else BytesData(b"")) as stream:
                report = self.pdf.verify(stream, name=name)
        except Base64Error as exc:
            return FileReport(name, "pdf", problems=(P.UNREADABLE(name, detail=str(exc)),))
        if not report.signatures and any(p.code == P.MISSING.code for p in report.problems):
            # An unsigned attachment breaks Decree 30's rule: say that rather than "no signature".
            detail = "the PDF carries no digital signature"
            problem = P.NOT_SIGNED_AS_REQUIRED(name, name=name, detail=detail)
            return dataclasses.replace(report, problems=(problem,))
        return report


def _pdf_attachments(message: Message) -> list[Attachment]:
    if not isinstance(message, DocumentMessage):
        return []
    found = []
    for att in message.attachment_list:
        name = (att.attachment_name or "").lower()
        declared = (att.content_type or "").lower() == "application/pdf" or name.endswith(".pdf")
        try:
            looks = att.data is not None and iter_head(att.data, 1024).find(_PDF_MAGIC) >= 0
        except Base64Error:
            looks = False
        if declared or looks:
            found.append(att)
    return found


def _other_attachments(message: Message, pdfs: list[Attachment]) -> list[Attachment]:
    """XML attachments (by name or content type) that are not among the PDFs."""
    if not isinstance(message, DocumentMessage):
        return []
    found = []
    for att in message.attachment_list:
        name, kind = (att.attachment_name or "").lower(), (att.content_type or "").lower()
        if all(att is not p for p in pdfs) and (name.endswith(".xml") or "xml" in kind):
            found.append(att)
    return found


def cross_check(
    message: Message, signature: SignatureReport, documents: tuple[FileReport, ...]
) -> list[Problem]:
    """Decree 30's rules over the package: who must have signed what, and whether they did."""
    if not isinstance(message, DocumentMessage):
        return []
    found: list[Problem] = []
    header = message.header
    sender = (header.from_.organ_id or "").strip() if header and header.from_ else ""
    signer_name = header.signer_info.full_name if header and header.signer_info else None
    readable = [d for d in documents if not any(p.code == P.UNREADABLE.code for p in d.problems)]
    for index, doc in enumerate(readable):
        if not doc.signatures:
            continue  # already reported as not signed as required
        people = [s for s in doc.signatures if s.signer_kind == "person"]
        agencies = [s for s in doc.signatures if s.signer_kind == "agency"]
        if index == 0:
            if not people:
                detail = "the main document lacks the signer's personal signature"
                found.append(P.NOT_SIGNED_AS_REQUIRED(doc.file, name=doc.file, detail=detail))
            if not agencies:
                detail = "the main document lacks the agency's signature"
                found.append(P.NOT_SIGNED_AS_REQUIRED(doc.file, name=doc.file, detail=detail))
            matched = any(s.signer is not None and s.signer.same_person(signer_name) for s in people)
            if signer_name and people and not matched:
                names = ", ".join(s.signer.name or "?" for s in people if s.signer)
                found.append(P.SIGNER_MISMATCH(f"{doc.file}", expected=signer_name, found=names))
        elif not agencies:
            detail = "an attached document must carry the agency's signature"
            found.append(P.NOT_SIGNED_AS_REQUIRED(doc.file, name=doc.file, detail=detail))
        for sig in agencies:
            found.extend(sender_problems(sig.agency, sender, f"{doc.file}#{sig.location}"))
    any_valid = signature.valid or any(s.valid for d in documents for s in d.signatures)
    if not any_valid:
        detail = "neither the package nor any of its documents has a valid signature"
        found.append(P.MISSING("", detail=detail))
    return found
