"""Validation of edXML messages: required elements, lengths, formats, codes, references, attachments.

``validate`` returns every problem found (never raises on bad content): errors make a package
unacceptable, warnings are reported. Lengths follow Decree 30 Appendix VI and the limits real
hubs enforce (standards.md §3, §5).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from lienthong.codes.agency import CodeKind, classify
from lienthong.codes.dates import DateFormatError, ImpossibleDateError, parse_date, parse_timestamp
from lienthong.codes.docid import DocumentId
from lienthong.codes.doctypes import find_type
from lienthong.codes.notation import Notation, NotationIssue, check
from lienthong.edxml import problems as P
from lienthong.edxml.blob import iter_head
from lienthong.edxml.model import (
    Attachment,
    Business,
    DocumentMessage,
    Message,
    MessageHeader,
    Organization,
    Reference,
    ResponseFor,
    StatusMessage,
    TraceHeaderList,
)
from lienthong.problems import Problem, ProblemType, Severity

# Maximum lengths in characters.
LIMITS: dict[str, int] = {
    "OrganId": 13,
    "OrganName": 200,
    "OrganizationInCharge": 200,
    "CodeNumber": 11,
    "CodeNotation": 30,
    "Place": 150,
    "Subject": 500,
    "Content": 500,
    "Position": 100,
    "FullName": 50,
    "Competence": 100,
    "Appendix": 250,
    "AttachmentName": 200,
    "BussinessDocReason": 1000,
    "StatusDescription": 1000,
    "Description": 500,
}

STATUS_CODES: dict[str, str] = {
    "01": "arrived",
    "02": "rejected",
    "03": "accepted",
    "04": "assigned",
    "05": "processing",
    "06": "completed",
    "13": "recall requested",
    "15": "change accepted",
    "16": "change refused",
}
# Statuses that must give their reason in Description (a return, a recall request).
STATUSES_NEEDING_REASON = frozenset({"02", "13"})

BUSINESS_DOC_TYPES = {"0": "new", "1": "revocation", "2": "update", "3": "replacement"}

# Downgraded to warnings by default, errors under --strict.
_STRICT_ESCALATES = frozenset(
    {
        P.LEGACY_AGENCY_CODE.code,
        P.SYSTEM_ID_AS_AGENCY.code,
        P.SYSTEM_CODE_AS_AGENCY.code,
        P.WRONG_NAMESPACE.code,
    }
)

_MAGIC = {"application/pdf": b"%PDF-", "application/zip": b"PK"}


@dataclass(frozen=True)
class Options:
    strict: bool = False
    check_attachments: bool = True  # decode every attachment (base64 validity, size, digest)


def validate(message: Message, *, strict: bool = False, check_attachments: bool = True) -> list[Problem]:
    """Every problem in ``message``, including those found while reading it."""
    checker = _Checker(Options(strict, check_attachments))
    checker.out.extend(message.source_problems)
    if isinstance(message, DocumentMessage):
        checker.document(message)
    else:
        checker.status(message)
    if strict:
        return [p.with_severity(Severity.ERROR) if p.code in _STRICT_ESCALATES else p for p in checker.out]
    return checker.out


class _Checker:
    def __init__(self, options: Options) -> None:
        self.options = options
        self.out: list[Problem] = []

    # -- primitives ----------------------------------------------------------------------------

    def add(self, problem: Problem) -> None:
        self.out.append(problem)

    def present(self, value: str | None) -> bool:
        return value is not None and value.strip() != ""

    def required(self, value: str | None, path: str, severity: Severity | None = None) -> bool:
        if self.present(value):
            return True
        self.add(P.MISSING(path, element=path, severity=severity))
        return False

    def length(self, value: str | None, path: str, key: str | None = None) -> None:
        limit = LIMITS[key or path.rsplit("/", 1)[-1].split("[")[0]]
        if value is not None and len(value.strip()) > limit:
            self.add(P.TOO_LONG(path, element=path, length=len(value.strip()), limit=limit))

    def text(self, value: str | None, path: str, *, required: bool = False) -> None:
        if required and not self.required(value, path):
            return
        if self.present(value):
            self.null(value, path)
            self.length(value, path)

    def null(self, value: str | None, path: str) -> bool:
        if value is not None and value.strip().lower() in ("null", "none", "undefined", "nil"):
            self.add(P.NULL_VALUE(path, element=path, value=value.strip()))
            return True
        return False

    def date(self, value: str | None, path: str, *, required: bool = False) -> None:
        self._moment(value, path, required, parse_date, P.BAD_DATE)

    def timestamp(self, value: str | None, path: str, *, required: bool = False) -> None:
        self._moment(value, path, required, parse_timestamp, P.BAD_TIMESTAMP)

    def _moment(
        self,
        value: str | None,
        path: str,
        required: bool,
        parser: Callable[[str], object],
        bad_format: ProblemType,
    ) -> None:
        """A date or timestamp: a malformed one and an impossible one are told apart."""
        if required and not self.required(value, path):
            return
        if not self.present(value) or self.null(value, path):
            return
        assert value is not None
        try:
            parser(value)
        except ImpossibleDateError:
            self.add(P.IMPOSSIBLE_DATE(path, value=value.strip()))
        except DateFormatError:
            self.add(bad_format(path, value=value.strip()))

    def agency(self, value: str | None, path: str, *, required: bool = True) -> None:
        found = classify(value)
        if found.kind is CodeKind.EMPTY:
            if required:
                self.add(P.MISSING(path, element=path))
            return
        problem = {
            CodeKind.AGENCY: None,
            CodeKind.SYSTEM: P.SYSTEM_CODE_AS_AGENCY,
            CodeKind.LEGACY: P.LEGACY_AGENCY_CODE,
            CodeKind.SYSTEM_ID: P.SYSTEM_ID_AS_AGENCY,
            CodeKind.INVALID: P.BAD_AGENCY_CODE,
        }.get(found.kind)
        if found.kind is CodeKind.NULL:
            self.add(P.NULL_VALUE(path, element=path, value=found.text))
        elif problem is not None:
            self.add(problem(path, value=found.text))

    def integer(self, value: str | None, path: str, low: int, high: int | None, allowed: str) -> int | None:
        if not self.present(value) or self.null(value, path):
            return None
        assert value is not None
        text = value.strip()
        if not (text.isascii() and text.isdigit()) or int(text) < low:
            self.add(P.BAD_VALUE(path, element=path, value=text, allowed=allowed))
            return None
        if high is not None and int(text) > high:
            self.add(P.BAD_VALUE(path, element=path, value=text, allowed=allowed, severity=Severity.WARNING))
        return int(text)

    def document_id(self, value: str | None, path: str) -> DocumentId | None:
        if not self.present(value) or self.null(value, path):
            return None
        assert value is not None
        try:
            parsed = DocumentId.parse(value)
        except ImpossibleDateError:
            self.add(P.IMPOSSIBLE_DATE(path, value=value.strip().split(",")[1]))
            return None
        except ValueError as exc:
            self.add(P.BAD_DOCUMENT_ID(path, value=value.strip(), detail=str(exc)))
            return None
        self.agency(parsed.issuer.text, path)
        return parsed

    # -- documents -----------------------------------------------------------------------------

    def document(self, message: DocumentMessage) -> None:
        header = message.header
        if header is None:
            self.add(P.MISSING("MessageHeader", element="edXMLEnvelope/edXMLHeader/MessageHeader"))
        else:
            self.message_header(header)
        trace = message.trace
        if trace is not None:
            self.trace(trace)
        self.business(message.business, header)
        self.attachments(message)

    def organization(self, org: Organization | None, path: str, *, name_required: bool) -> None:
        if org is None:
            self.add(P.MISSING(path, element=path))
            return
        self.agency(org.organ_id, f"{path}/OrganId")
        self.text(org.organ_name, f"{path}/OrganName", required=name_required)
        self.text(org.organization_in_charge, f"{path}/OrganizationInCharge")

    def message_header(self, h: MessageHeader) -> None:
        base = "MessageHeader"
        self.organization(h.from_, f"{base}/From", name_required=True)
        if not h.to:
            self.add(P.NO_RECIPIENT(f"{base}/To"))
        seen: Counter[str] = Counter()
        sender = (h.from_.organ_id or "").strip() if h.from_ else ""
        for i, to in enumerate(h.to, start=1):
            path = f"{base}/To[{i}]"
            self.organization(to, path, name_required=False)
            code = (to.organ_id or "").strip()
            if not code:
                continue
            seen[code] += 1
            if seen[code] == 2:
                self.add(P.DUPLICATE_RECIPIENT(f"{path}/OrganId", value=code))
            if code == sender:
                self.add(P.SELF_RECIPIENT(f"{path}/OrganId", value=code))

        kind = None
        if h.document_type is None:
            self.add(P.MISSING(f"{base}/DocumentType", element=f"{base}/DocumentType"))
        else:
            dt = h.document_type
            self.integer(dt.type, f"{base}/DocumentType/Type", 0, None, "a number")
            if self.required(dt.type_name, f"{base}/DocumentType/TypeName"):
                assert dt.type_name is not None
                match = find_type(dt.type_name)
                if match is None:
                    self.add(
                        P.UNKNOWN_DOCUMENT_TYPE(f"{base}/DocumentType/TypeName", value=dt.type_name.strip())
                    )
                else:
                    kind = match.kind
                    if not match.exact:
                        self.add(
                            P.LOOSE_DOCUMENT_TYPE(
                                f"{base}/DocumentType/TypeName",
                                value=dt.type_name.strip(),
                                expected=match.kind.name,
                            )
                        )

        notation: Notation | None = None
        number_checked = False
        if h.code is None:
            self.add(P.MISSING(f"{base}/Code", element=f"{base}/Code"))
        else:
            number, text = h.code.code_number, h.code.code_notation
            npath, tpath = f"{base}/Code/CodeNumber", f"{base}/Code/CodeNotation"
            number_ok = self.required(number, npath)
            if number_ok:
                assert number is not None
                self.length(number, npath)
                if not (number.strip().isascii() and number.strip().isdigit()):
                    self.add(P.BAD_CODE_NUMBER(npath, value=number.strip()))
                    number_ok = False
            if self.required(text, tpath):
                assert text is not None
                self.length(text, tpath)
                try:
                    notation = Notation.from_parts(number.strip() if number_ok and number else "0", text)
                except ValueError as exc:
                    self.add(P.BAD_NOTATION(tpath, value=text.strip(), detail=str(exc)))
            number_checked = number_ok
            if notation is not None and number_ok:
                self.notation(notation, kind, tpath, h.document_type.type_name if h.document_type else None)

        promulgation_date = None
        if h.promulgation_info is None:
            self.add(P.MISSING(f"{base}/PromulgationInfo", element=f"{base}/PromulgationInfo"))
        else:
            pi = h.promulgation_info
            self.text(pi.place, f"{base}/PromulgationInfo/Place", required=True)
            self.date(pi.promulgation_date, f"{base}/PromulgationInfo/PromulgationDate", required=True)
            promulgation_date = pi.promulgation_date

        self.text(h.subject, f"{base}/Subject", required=True)
        self.text(h.content, f"{base}/Content")
        if h.signer_info is None:
            self.add(P.MISSING(f"{base}/SignerInfo", element=f"{base}/SignerInfo"))
        else:
            s = h.signer_info
            self.text(s.full_name, f"{base}/SignerInfo/FullName", required=True)
            self.text(s.position, f"{base}/SignerInfo/Position", required=True)
            self.text(s.competence, f"{base}/SignerInfo/Competence")
        self.date(h.due_date, f"{base}/DueDate")
        if h.other_info is not None:
            o = h.other_info
            opath = f"{base}/OtherInfo"
            self.integer(o.priority, f"{opath}/Priority", 0, 3, "0-3")
            self.integer(o.promulgation_amount, f"{opath}/PromulgationAmount", 0, None, "a count")
            self.integer(o.page_amount, f"{opath}/PageAmount", 0, None, "a count")
            if self.present(o.direction) and (o.direction or "").strip().lower() not in (
                "true",
                "false",
                "0",
                "1",
            ):
                self.add(
                    P.BAD_VALUE(
                        f"{opath}/Direction",
                        element=f"{opath}/Direction",
                        value=o.direction,
                        allowed="true, false",
                    )
                )
            for i, appendix in enumerate(o.appendixes or [], start=1):
                self.text(appendix, f"{opath}/Appendixes/Appendix[{i}]")
        for i, rf in enumerate(h.response_for, start=1):
            self.response_for(rf, f"{base}/ResponseFor[{i}]", allow_empty=False)
        self.integer(h.steering_type, f"{base}/SteeringType", 0, None, "a number")
        for i, place in enumerate(h.to_places or [], start=1):
            self.text(place, f"{base}/ToPlaces/Place[{i}]")

        self.required(h.document_id, f"{base}/DocumentId", severity=Severity.WARNING)
        docid = self.document_id(h.document_id, f"{base}/DocumentId")
        if docid is not None:
            self.docid_agrees(docid, h, notation if number_checked else None, promulgation_date)

    def notation(self, notation: Notation, kind: object, path: str, type_name: str | None) -> None:
        from lienthong.codes.doctypes import DocumentKind

        issues = check(notation, kind if isinstance(kind, DocumentKind) else None)
        for issue in issues:
            if issue is NotationIssue.NUMBER_NOT_PADDED:
                self.add(P.NUMBER_NOT_PADDED(path, value=notation.number))
            elif issue is NotationIssue.BAD_NUMBER:
                self.add(P.BAD_CODE_NUMBER(path, value=notation.number))
            else:
                detail = {
                    NotationIssue.TYPE_MISMATCH: "its type abbreviation is another type's",
                    NotationIssue.TYPE_MISSING: "the type abbreviation is missing",
                    NotationIssue.UNEXPECTED_TYPE: "an official letter carries no type abbreviation",
                }[issue]
                self.add(
                    P.NOTATION_TYPE_MISMATCH(
                        path,
                        value=notation.notation,
                        type_name=(type_name or "").strip(),
                        detail=detail,
                    )
                )

    def docid_agrees(
        self, docid: DocumentId, h: MessageHeader, notation: Notation | None, day: str | None
    ) -> None:
        path = "MessageHeader/DocumentId"
        value = str(h.document_id).strip()
        sender = (h.from_.organ_id or "").strip() if h.from_ else ""
        if sender and docid.issuer.text != sender:
            self.add(P.DOCUMENT_ID_MISMATCH(path, value=value, element="From/OrganId", other=sender))
        if day and day.strip() and docid.day.strftime("%Y/%m/%d") != day.strip():
            self.add(P.DOCUMENT_ID_MISMATCH(path, value=value, element="PromulgationDate", other=day.strip()))
        if notation is not None and (
            docid.notation.number.lstrip("0") != notation.number.lstrip("0")
            or docid.notation.groups != notation.groups
        ):
            self.add(P.DOCUMENT_ID_MISMATCH(path, value=value, element="Code", other=str(notation)))

    def response_for(self, rf: ResponseFor, path: str, *, allow_empty: bool) -> None:
        values = (rf.organ_id, rf.code, rf.promulgation_date, rf.document_id)
        if not any(self.present(v) for v in values):
            if not allow_empty:
                self.add(P.EMPTY_RESPONSE_FOR(path))
            return
        self.agency(rf.organ_id, f"{path}/OrganId")
        self.date(rf.promulgation_date, f"{path}/PromulgationDate")
        self.required(rf.document_id, f"{path}/DocumentId")
        self.document_id(rf.document_id, f"{path}/DocumentId")
        if self.present(rf.code) and not self.null(rf.code, f"{path}/Code"):
            try:
                Notation.parse(str(rf.code))
            except ValueError as exc:
                self.add(P.BAD_NOTATION(f"{path}/Code", value=str(rf.code).strip(), detail=str(exc)))

    def trace(self, trace: TraceHeaderList) -> None:
        for i, th in enumerate(trace.trace_headers, start=1):
            path = f"TraceHeaderList/TraceHeader[{i}]"
            self.agency(th.organ_id, f"{path}/OrganId")
            self.timestamp(th.timestamp, f"{path}/Timestamp", required=True)

    def business(self, b: Business | None, h: MessageHeader | None) -> None:
        path = "TraceHeaderList/Bussiness"
        doc_type = "0"
        if b is not None:
            if self.present(b.bussiness_doc_type):
                doc_type = str(b.bussiness_doc_type).strip()
                if doc_type not in BUSINESS_DOC_TYPES:
                    self.add(P.BAD_BUSINESS_DOC_TYPE(f"{path}/BussinessDocType", value=doc_type))
            self.text(b.bussiness_doc_reason, f"{path}/BussinessDocReason")
            if self.present(b.paper) and str(b.paper).strip() not in ("0", "1"):
                self.add(P.BAD_VALUE(f"{path}/Paper", element=f"{path}/Paper", value=b.paper, allowed="0, 1"))
            self.document_id(b.document_id, f"{path}/DocumentId")
            info = b.bussiness_document_info
            if info is not None:
                for i, r in enumerate(info.receiver_list or [], start=1):
                    self.agency(
                        r.organ_id,
                        f"{path}/BussinessDocumentInfo/ReceiverList/Receiver[{i}]/OrganId",
                    )
            for i, rep in enumerate(b.replacement_info_list or [], start=1):
                rpath = f"{path}/ReplacementInfoList/ReplacementInfo[{i}]"
                self.required(rep.document_id, f"{rpath}/DocumentId")
                self.document_id(rep.document_id, f"{rpath}/DocumentId")
                for j, code in enumerate(rep.organ_id_list or [], start=1):
                    self.agency(code, f"{rpath}/OrganIdList/OrganId[{j}]")
        if doc_type in ("1", "2", "3"):
            self.target(doc_type, b, h, path)

    def target(self, doc_type: str, b: Business | None, h: MessageHeader | None, path: str) -> None:
        """Revocations, updates and replacements must name the document they act on."""
        refs = [rf.document_id for rf in (h.response_for if h else [])]
        if b is not None:
            refs.append(b.document_id)
            refs.extend(r.document_id for r in b.replacement_info_list or [])
        if any(self.present(r) for r in refs):
            return
        where = {
            "1": "MessageHeader/ResponseFor/DocumentId",
            "2": "Bussiness/DocumentId or ResponseFor/DocumentId",
            "3": "Bussiness/ReplacementInfoList/ReplacementInfo/DocumentId",
        }[doc_type]
        self.add(
            P.MISSING_TARGET(f"{path}/BussinessDocType", action=BUSINESS_DOC_TYPES[doc_type], where=where)
        )

    # -- attachments ----------------------------------------------------------------------------

    def attachments(self, message: DocumentMessage) -> None:
        refs = message.references
        atts = message.attachment_list
        if not atts and not refs:
            self.add(P.NO_ATTACHMENT("AttachmentEncoded"))
            return
        by_ref = self.content_ids(
            [(r.content_id, f"edXMLManifest/Reference[{i}]") for i, r in enumerate(refs, 1)]
        )
        by_att = self.content_ids(
            [(a.content_id, f"AttachmentEncoded/Attachment[{i}]") for i, a in enumerate(atts, 1)]
        )
        for cid, i in by_ref.items():
            if cid not in by_att:
                self.add(
                    P.ATTACHMENT_MISMATCH(
                        f"edXMLManifest/Reference[{i}]/ContentId",
                        detail=f"the manifest names '{cid}' but no attachment has it",
                    )
                )
            else:
                self.pair(
                    refs[i - 1],
                    atts[by_att[cid] - 1],
                    f"AttachmentEncoded/Attachment[{by_att[cid]}]",
                )
        for cid, i in by_att.items():
            if cid not in by_ref:
                self.add(
                    P.ATTACHMENT_MISMATCH(
                        f"AttachmentEncoded/Attachment[{i}]/ContentId",
                        detail=f"attachment '{cid}' is not in the manifest",
                    )
                )
        for i, att in enumerate(atts, start=1):
            self.attachment(att, f"AttachmentEncoded/Attachment[{i}]")

    def content_ids(self, items: list[tuple[str | None, str]]) -> dict[str, int]:
        out: dict[str, int] = {}
        for index, (cid, path) in enumerate(items, start=1):
            if not self.required(cid, f"{path}/ContentId"):
                continue
            key = normalise_cid(str(cid))
            if key in out:
                self.add(P.DUPLICATE_CONTENT_ID(f"{path}/ContentId", value=str(cid).strip()))
                continue
            out[key] = index
        return out

    def pair(self, ref: Reference, att: Attachment, path: str) -> None:
        for element, a, b in (
            ("AttachmentName", ref.attachment_name, att.attachment_name),
            ("ContentType", ref.content_type, att.content_type),
        ):
            if self.present(a) and self.present(b) and str(a).strip() != str(b).strip():
                self.add(
                    P.ATTACHMENT_INFO_MISMATCH(
                        f"{path}/{element}",
                        element=element,
                        value=str(a).strip(),
                        other=str(b).strip(),
                    )
                )

    def attachment(self, att: Attachment, path: str) -> None:
        self.text(att.attachment_name, f"{path}/AttachmentName", required=True)
        self.required(att.content_type, f"{path}/ContentType")
        if att.data is None:
            self.add(P.MISSING(f"{path}/ContentTransferEncoded", element=f"{path}/ContentTransferEncoded"))
            return
        if not self.options.check_attachments:
            return
        try:
            info = att.data.info()
        except ValueError as exc:  # Base64Error
            offset = getattr(exc, "offset", 0)
            reason = getattr(exc, "reason", str(exc))
            self.add(P.BAD_BASE64(f"{path}/ContentTransferEncoded", offset=offset, reason=reason))
            return
        name = (att.attachment_name or "").strip()
        if info.size == 0:
            self.add(P.EMPTY_ATTACHMENT(f"{path}/ContentTransferEncoded", value=name))
            return
        ctype = (att.content_type or "").strip().lower()
        magic = _MAGIC.get(ctype)
        if magic is not None and not iter_head(att.data, len(magic)).startswith(magic):
            self.add(
                P.BAD_CONTENT_TYPE(
                    f"{path}/ContentType",
                    value=ctype,
                    detail=f"the content does not start with {magic!r}",
                )
            )

    # -- statuses ------------------------------------------------------------------------------

    def status(self, message: StatusMessage) -> None:
        h = message.header
        base = "MessageHeader"
        if h is None:
            self.add(P.MISSING(base, element="edXMLEnvelope/edXMLHeader/MessageHeader"))
            return
        self.organization(h.from_, f"{base}/From", name_required=False)
        if h.response_for is None:
            self.add(P.MISSING(f"{base}/ResponseFor", element=f"{base}/ResponseFor"))
        else:
            self.response_for(h.response_for, f"{base}/ResponseFor", allow_empty=False)
            if not self.present(h.response_for.organ_id):
                self.add(P.MISSING(f"{base}/ResponseFor/OrganId", element=f"{base}/ResponseFor/OrganId"))
        code = (h.status_code or "").strip()
        if self.required(h.status_code, f"{base}/StatusCode") and code not in STATUS_CODES:
            self.add(P.UNKNOWN_STATUS(f"{base}/StatusCode", value=code))
        if self.present(h.description):
            self.length(h.description, f"{base}/Description", key="StatusDescription")
        elif code in STATUSES_NEEDING_REASON:
            self.add(P.MISSING(f"{base}/Description", element=f"{base}/Description"))
        self.timestamp(h.timestamp, f"{base}/Timestamp", required=True)
        trace = (
            message.envelope.header.trace_header_list
            if message.envelope and message.envelope.header
            else None
        )
        if trace is not None:
            self.trace(trace)


def normalise_cid(content_id: str) -> str:
    """ContentIds match with or without their ``cid:`` scheme (both are seen in the field)."""
    text = content_id.strip()
    return text[4:] if text.lower().startswith("cid:") else text
