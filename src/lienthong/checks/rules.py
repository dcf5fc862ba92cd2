"""The preflight rules of Directive 807 item 5 and item 2, each a plain function over a package's facts."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from datetime import datetime, time, timedelta

from lienthong.checks import problems as P
from lienthong.checks.engine import Facts, Need, Rule
from lienthong.codes.agency import AgencyCode
from lienthong.codes.dates import format_timestamp, parse_date
from lienthong.codes.docid import DocumentId
from lienthong.codes.doctypes import Category
from lienthong.codes.notation import Notation, NotationIssue
from lienthong.codes.notation import check as check_notation
from lienthong.edxml import XmlFragment
from lienthong.edxml.blob import Base64Error
from lienthong.edxml.validate import normalise_cid
from lienthong.problems import Problem, Severity
from lienthong.signing.report import SignatureReport

W = Severity.WARNING


def _fmt(moment: datetime) -> str:
    return format_timestamp(moment)


# --- time limits ---------------------------------------------------------------------------------


# Time limits bind a document's first sending: new documents and replacements (a new document in
# place of another). A revocation or an update carries the original's signing time, days old.
_TIMED_BUSINESS = frozenset({0, 3})


def sent_on_time(f: Facts) -> Iterator[Problem]:
    """Decision 28 Art. 6, Decree 30 Art. 18.1: sent on the day of signing, at the latest at
    12:00 of the next working day. Urgent documents are the next rule's."""
    signed = f.signing_time
    if signed is None or f.priority >= f.policy.time.urgent_priority:
        return
    if f.business_type not in _TIMED_BUSINESS:
        return
    moment, source = signed
    cal = f.context.calendar
    day = moment.astimezone(cal.tz).date()
    deadline = datetime.combine(cal.next_working_day(day), f.policy.time.next_day_deadline, cal.tz)
    now = f.context.now()
    if now > deadline:
        how_vi = "ký lúc" if source == "signature" else "ban hành ngày"
        how_en = "signed at" if source == "signature" else "promulgated on"
        when = _fmt(moment) if source == "signature" else day.strftime("%Y/%m/%d")
        yield P.SENT_LATE(
            "MessageHeader/PromulgationInfo/PromulgationDate",
            detail_vi=f"{how_vi} {when}, hạn gửi {_fmt(deadline)}, gửi lúc {_fmt(now)}",
            detail_en=f"{how_en} {when}, due by {_fmt(deadline)}, sent at {_fmt(now)}",
        )


def urgent_sent_immediately(f: Facts) -> Iterator[Problem]:
    """Decision 28 Art. 6: urgent documents go immediately after signing (a configurable grace).

    Known only by its date, an urgent document is due by the end of that day plus the grace.
    """
    signed = f.signing_time
    if signed is None or f.priority < f.policy.time.urgent_priority:
        return
    if f.business_type not in _TIMED_BUSINESS:
        return
    moment, source = signed
    grace = timedelta(minutes=f.policy.time.urgent_grace_minutes)
    if source == "date":
        when_vi, when_en = f"ban hành ngày {moment:%Y/%m/%d}", f"promulgated on {moment:%Y/%m/%d}"
        moment = datetime.combine(moment.date(), time(23, 59, 59), moment.tzinfo)
    else:
        when_vi, when_en = f"ký lúc {_fmt(moment)}", f"signed at {_fmt(moment)}"
    deadline = moment + grace
    now = f.context.now()
    if now > deadline:
        yield P.URGENT_LATE(
            "MessageHeader/OtherInfo/Priority",
            detail_vi=f"độ khẩn {f.priority}, {when_vi}, hạn gửi {_fmt(deadline)}, gửi lúc {_fmt(now)}",
            detail_en=f"priority {f.priority}, {when_en}, due by {_fmt(deadline)}, sent at {_fmt(now)}",
        )


# --- metadata (Decree 30 Appendix VI) --------------------------------------------------------------

# (path, limit) of the outgoing metadata Appendix VI lists, with the lengths it sets.
_LIMITS = {
    "Code/CodeNumber": 11,
    "Code/CodeNotation": 30,
    "From/OrganName": 200,
    "Subject": 500,
    "SignerInfo/Position": 100,
    "SignerInfo/FullName": 50,
    "To/OrganId": 13,
}


def metadata_complete(f: Facts) -> Iterator[Problem]:
    """Every outgoing field of Appendix VI present, within its length, dates and numbers in range."""
    h = f.header
    sender = h.from_
    code = h.code
    info = h.promulgation_info
    signer = h.signer_info
    dtype = h.document_type
    values: dict[str, str | None] = {
        "From/OrganId": sender.organ_id if sender else None,
        "From/OrganName": sender.organ_name if sender else None,
        "DocumentId": h.document_id,
        "Code/CodeNumber": code.code_number if code else None,
        "Code/CodeNotation": code.code_notation if code else None,
        "PromulgationInfo/PromulgationDate": info.promulgation_date if info else None,
        "DocumentType/TypeName": dtype.type_name if dtype else None,
        "Subject": h.subject,
        "SignerInfo/Position": signer.position if signer else None,
        "SignerInfo/FullName": signer.full_name if signer else None,
    }
    for path, value in values.items():
        text = (value or "").strip()
        if not text:
            yield _missing(path)
        elif path in _LIMITS and len(text) > _LIMITS[path]:
            yield _too_long(path, len(text), _LIMITS[path])
    if not h.to:
        yield _missing("To")
    for i, to in enumerate(h.to):
        organ = (to.organ_id or "").strip()
        if not organ:
            yield _missing(f"To[{i + 1}]/OrganId")
        elif len(organ) > _LIMITS["To/OrganId"]:
            yield _too_long(f"To[{i + 1}]/OrganId", len(organ), _LIMITS["To/OrganId"])
    other = h.other_info
    priority = ((other.priority if other else None) or "").strip()
    if priority and not (priority.isdigit() and 0 <= int(priority) <= 3):
        yield _out_of_range("OtherInfo/Priority", priority, "0–3")
    pages = ((other.page_amount if other else None) or "").strip()
    if pages and not (pages.isdigit() and int(pages) >= 1):
        yield _out_of_range("OtherInfo/PageAmount", pages, "≥ 1")
    due = (h.due_date or "").strip()
    if due:
        try:
            due_day = parse_date(due)
        except ValueError:
            yield _out_of_range("DueDate", due, "yyyy/MM/dd")
        else:
            if f.promulgation_date is not None and due_day < f.promulgation_date:
                yield _out_of_range("DueDate", due, "≥ PromulgationDate")
    day = values["PromulgationInfo/PromulgationDate"]
    if day and f.promulgation_date is None:
        yield _out_of_range("PromulgationInfo/PromulgationDate", day, "yyyy/MM/dd")


def _missing(path: str) -> Problem:
    return P.METADATA_INCOMPLETE(
        f"MessageHeader/{path}", detail_vi=f"thiếu {path}", detail_en=f"{path} is missing"
    )


def _too_long(path: str, length: int, limit: int) -> Problem:
    return P.METADATA_INCOMPLETE(
        f"MessageHeader/{path}",
        detail_vi=f"{path} dài {length} ký tự, tối đa {limit}",
        detail_en=f"{path} has {length} characters, at most {limit}",
    )


def _out_of_range(path: str, value: str, expected: str) -> Problem:
    return P.METADATA_INCOMPLETE(
        f"MessageHeader/{path}",
        detail_vi=f"{path} = '{value}' (cần {expected})",
        detail_en=f"{path} = '{value}' (expected {expected})",
    )


# --- format (thể thức) ---------------------------------------------------------------------------

_NOTATION_TEXT = {
    NotationIssue.BAD_FORMAT: ("sai dạng", "malformed"),
    NotationIssue.BAD_NUMBER: ("số phải lớn hơn 0", "the number must be above 0"),
    NotationIssue.NUMBER_NOT_PADDED: ("số nhỏ hơn 10 phải viết 01…09", "numbers below 10 are written 01…09"),
    NotationIssue.TYPE_MISMATCH: (
        "chữ viết tắt tên loại là của loại khác",
        "the type abbreviation is another type's",
    ),
    NotationIssue.TYPE_MISSING: ("thiếu chữ viết tắt tên loại", "the type abbreviation is missing"),
    NotationIssue.UNEXPECTED_TYPE: (
        "công văn không có chữ viết tắt tên loại",
        "an official letter has no type abbreviation",
    ),
}


def notation_consistent(f: Facts) -> Iterator[Problem]:
    """Number/notation well formed, with the type's abbreviation and the issuer's."""
    code = f.header.code
    if code is None or not (code.code_number or "").strip() or not (code.code_notation or "").strip():
        return  # reported as missing metadata
    path = "MessageHeader/Code"
    try:
        notation = Notation.from_parts(code.code_number or "", code.code_notation or "")
    except ValueError as exc:
        yield P.NOTATION(path, detail_vi=f"không đọc được: {exc}", detail_en=f"unreadable: {exc}")
        return
    kind = f.type_match.kind if f.type_match else None
    for issue in check_notation(notation, kind):
        vi, en = _NOTATION_TEXT[issue]
        yield P.NOTATION(path, detail_vi=f"{notation}: {vi}", detail_en=f"{notation}: {en}")
    expected = f.policy.format.issuer_abbreviations.get(f.sender)
    if expected and expected not in notation.issuer_groups:
        yield P.NOTATION(
            path,
            detail_vi=f"{notation}: thiếu chữ viết tắt của cơ quan ban hành ({expected})",
            detail_en=f"{notation}: the issuer's abbreviation ({expected}) is missing",
        )
    if notation.year and f.promulgation_date and int(notation.year) != f.promulgation_date.year:
        yield P.NOTATION(
            path,
            detail_vi=f"{notation}: năm {notation.year} khác năm ban hành {f.promulgation_date.year}",
            detail_en=f"{notation}: year {notation.year} is not the year of promulgation "
            f"{f.promulgation_date.year}",
        )
    doc_id = (f.header.document_id or "").strip()
    if doc_id:
        try:
            parsed = DocumentId.parse(doc_id)
        except ValueError:
            return  # EDXML.BAD_DOCUMENT_ID says it
        if f.sender and parsed.issuer.text != f.sender:
            yield P.NOTATION(
                "MessageHeader/DocumentId",
                detail_vi=f"DocumentId ghi cơ quan ban hành {parsed.issuer.text}, không phải {f.sender}",
                detail_en=f"the DocumentId names issuer {parsed.issuer.text}, not the sender {f.sender}",
            )


def promulgation_date_sound(f: Facts) -> Iterator[Problem]:
    """Not in the future; the day the document was signed (Decree 30 Art. 18.1)."""
    day = f.promulgation_date
    if day is None:
        return
    path = "MessageHeader/PromulgationInfo/PromulgationDate"
    now = f.context.now()
    slack = timedelta(minutes=f.policy.time.future_tolerance_minutes)
    today = (now + slack).astimezone(f.context.calendar.tz).date()
    if day > today:
        yield P.PROMULGATION_DATE(
            path,
            detail_vi=f"ngày {day:%Y/%m/%d} ở tương lai (hôm nay {today:%Y/%m/%d})",
            detail_en=f"{day:%Y/%m/%d} is in the future (today is {today:%Y/%m/%d})",
        )
    signed = f.signing_time
    if signed is None or signed[1] != "signature":
        return
    moment = signed[0]
    if moment > now + slack:
        yield P.PROMULGATION_DATE(
            path,
            detail_vi=f"thời gian ký {_fmt(moment)} ở tương lai",
            detail_en=f"the signing time {_fmt(moment)} is in the future",
        )
    signed_day = moment.astimezone(f.context.calendar.tz).date()
    if signed_day != day:
        yield P.PROMULGATION_DATE(
            path,
            severity=W,
            detail_vi=f"ngày ban hành {day:%Y/%m/%d} khác ngày ký số {signed_day:%Y/%m/%d}",
            detail_en=f"promulgated {day:%Y/%m/%d} but digitally signed {signed_day:%Y/%m/%d}",
        )


def document_type_known(f: Facts) -> Iterator[Problem]:
    """TypeName is one of the 29 types (or, if the policy allows, a legal document), spelled exactly."""
    dtype = f.header.document_type
    name = ((dtype.type_name if dtype else None) or "").strip()
    if not name:
        return  # reported as missing metadata
    path = "MessageHeader/DocumentType/TypeName"
    match = f.type_match
    if match is None:
        yield P.DOCUMENT_TYPE(
            path,
            detail_vi=f"'{name}' không phải một trong 29 loại văn bản hành chính",
            detail_en=f"'{name}' is not one of the 29 administrative types",
        )
        return
    if match.kind.category is Category.LEGAL and not f.policy.format.allow_legal_types:
        yield P.DOCUMENT_TYPE(
            path,
            detail_vi=f"'{name}' là văn bản quy phạm pháp luật, chính sách không cho phép",
            detail_en=f"'{name}' is a legal document, which the policy does not allow",
        )
    if not match.exact:
        yield P.DOCUMENT_TYPE(
            path,
            severity=W,
            detail_vi=f"'{name}' phải viết đúng là '{match.kind.name}'",
            detail_en=f"'{name}' should be written '{match.kind.name}'",
        )


_MARKERS = ("TM.", "KT.", "TL.", "TUQ.", "Q.")
_MARKER_LETTERS = {m.rstrip(".") for m in _MARKERS}
# A marker as clerks mistype it: any case, with or without its dot, "T/M", "T.M.", "K/T".
_LOOSE_MARKER = re.compile(r"^(?P<raw>[A-Za-z](?:[./]?[A-Za-z]){0,2})[.:/]?(?=\s|$)")


def competence_marker(f: Facts) -> Iterator[Problem]:
    """TM., KT., TL., TUQ., Q.: upper case, a dot, a space, then the position in capitals."""
    text = unicodedata.normalize("NFC", f.competence)
    if not text:
        return
    path = "MessageHeader/SignerInfo/Competence"
    first, _, rest = text.partition(" ")
    rest = rest.strip()
    if first in _MARKERS:
        if not rest:
            yield P.COMPETENCE_MARKER(
                path,
                detail_vi=f"'{text}': sau {first} phải có chức vụ",
                detail_en=f"'{text}': {first} must be followed by a position",
            )
        elif rest != rest.upper():
            yield P.COMPETENCE_MARKER(
                path,
                detail_vi=f"'{text}': chức vụ sau {first} viết in hoa ('{first} {rest.upper()}')",
                detail_en=f"'{text}': the position after {first} is written in capitals "
                f"('{first} {rest.upper()}')",
            )
        return
    m = _LOOSE_MARKER.match(text)
    letters = re.sub(r"[./]", "", m.group("raw")).upper() if m else ""
    if letters in _MARKER_LETTERS:
        proper = f"{letters}."
        yield P.COMPETENCE_MARKER(
            path,
            detail_vi=f"'{text}': viết là '{proper}' (in hoa, có dấu chấm)",
            detail_en=f"'{text}': write '{proper}' (capitals and a dot)",
        )


def main_pdf(f: Facts) -> Iterator[Problem]:
    """The main document (first PDF) is PDF ≥ 1.4; when signatures were verified, it carries valid
    signatures of the signer named in SignerInfo and of the sending agency."""
    pdfs = f.pdf_attachments
    if not pdfs and f.business_type in (1, 2):
        return  # a revocation or an update names a document already issued
    if not pdfs:
        yield P.MAIN_PDF(
            "AttachmentEncoded",
            detail_vi="gói tin không có văn bản chính dạng PDF",
            detail_en="the package has no PDF main document",
        )
        return
    att = pdfs[0]
    name = att.attachment_name or att.content_id or "?"
    path = f"AttachmentEncoded/Attachment[{name}]"
    version = f.pdf_version(att)
    minimum = f.policy.format.min_pdf_version
    if f.head(att) is None:
        pass  # undecodable content: EDXML.BAD_BASE64 says it, and the hub refuses it
    elif version is None:
        yield P.MAIN_PDF(path, detail_vi=f"{name} không phải tệp PDF", detail_en=f"{name} is not a PDF file")
    elif version < minimum:
        v, m = f"{version[0]}.{version[1]}", f"{minimum[0]}.{minimum[1]}"
        yield P.MAIN_PDF(
            path, detail_vi=f"{name} là PDF {v}, cần ≥ {m}", detail_en=f"{name} is PDF {v}, needs ≥ {m}"
        )
    main = f.main_document
    if main is None:
        return  # signatures not verified here (the hub) or not readable
    valid = [s for s in main.signatures if s.valid]
    people = [s for s in valid if s.signer_kind == "person"]
    agencies = [s for s in valid if s.signer_kind == "agency"]
    signer = f.header.signer_info
    full_name = signer.full_name if signer else None
    if not people:
        yield P.MAIN_PDF(
            path,
            detail_vi=f"{name} thiếu chữ ký số hợp lệ của người ký",
            detail_en=f"{name} lacks a valid signature of the signer",
        )
    elif full_name and not any(s.signer is not None and s.signer.same_person(full_name) for s in people):
        found = ", ".join(s.signer.name or "?" for s in people if s.signer)
        yield P.MAIN_PDF(
            path,
            detail_vi=f"{name} được ký bởi {found}, không phải {full_name} (SignerInfo)",
            detail_en=f"{name} is signed by {found}, not {full_name} (SignerInfo)",
        )
    if not agencies:
        yield P.MAIN_PDF(
            path,
            detail_vi=f"{name} thiếu chữ ký số hợp lệ của cơ quan",
            detail_en=f"{name} lacks a valid signature of the agency",
        )
    elif f.sender:
        yield from _seal_of_sender(agencies, f.sender, name, path)


def _seal_of_sender(agencies: list[SignatureReport], sender: str, name: str, path: str) -> Iterator[Problem]:
    """The agency's signature is the sender's: proven by the directory (a registered certificate or
    the operator's mapping) or, as a warning, by a name match. Certificates carry no agency code,
    so without a directory (no match at all) nothing is said here."""
    matches = [s.agency for s in agencies if s.agency is not None and s.agency.code is not None]
    if not matches or any(m.proven and m.code == sender for m in matches):
        return
    if any(m.code == sender for m in matches):
        yield P.MAIN_PDF(
            path,
            severity=Severity.WARNING,
            detail_vi=f"chữ ký cơ quan trên {name} chỉ khớp tên với đơn vị gửi {sender}, "
            "chưa phải bằng chứng",
            detail_en=f"the seal on {name} matches the sender {sender} by name only, which is not proof",
        )
        return
    codes = ", ".join(m.code if m.proven else f"{m.code} ({m.method.value})" for m in matches if m.code)
    proven = any(m.proven for m in matches)
    yield P.MAIN_PDF(
        path,
        severity=Severity.ERROR if proven else Severity.WARNING,
        detail_vi=f"{name} mang chữ ký của cơ quan {codes}, không phải đơn vị gửi {sender}",
        detail_en=f"{name} carries the seal of {codes}, not of the sender {sender}",
    )


# --- authority -------------------------------------------------------------------------------------


def sender_registered(f: Facts) -> Iterator[Problem]:
    """The sender's code is registered and its agency active."""
    assert f.context.registry is not None
    path = "MessageHeader/From/OrganId"
    record = f.context.registry.agency(f.sender) if f.sender else None
    if record is None:
        yield P.SENDER_AUTHORITY(
            path,
            detail_vi=f"mã {f.sender or '(trống)'} chưa được đăng ký",
            detail_en=f"code {f.sender or '(empty)'} is not registered",
        )
    elif record.state != "active":
        yield P.SENDER_AUTHORITY(
            path,
            detail_vi=f"{f.sender} đang ở trạng thái {record.state}",
            detail_en=f"{f.sender} is {record.state}",
        )


def level_may_send(f: Facts) -> Iterator[Problem]:
    """Types the policy reserves for higher levels (default: Chỉ thị, Thông tư only from level 1)."""
    assert f.context.registry is not None
    name = f.type_name
    limit = f.policy.authority.max_level.get(name) if name else None
    if limit is None or not f.sender:
        return
    record = f.context.registry.agency(f.sender)
    if record is not None:
        level = record.effective_level
    else:
        parsed = AgencyCode.try_parse(f.sender)
        level = parsed.level if parsed else None
    if level is not None and level > limit:
        yield P.LEVEL_PERMISSION(
            "MessageHeader/DocumentType/TypeName",
            level=level,
            detail_vi=f"'{name}' chỉ do đơn vị cấp {limit} trở lên ban hành",
            detail_en=f"'{name}' is sent only by level-{limit} units or above",
        )


def competence_fits(f: Facts) -> Iterator[Problem]:
    """A TL./TUQ. signature where the policy wants the head (or a deputy) to sign."""
    name = f.type_name
    marker = f.competence.split(" ", 1)[0] if f.competence else ""
    auth = f.policy.authority
    if name in auth.head_only_types and marker in auth.delegated_markers:
        yield P.COMPETENCE_POLICY(
            "MessageHeader/SignerInfo/Competence",
            detail_vi=f"'{name}' phải do người đứng đầu (hoặc cấp phó, KT.) ký, không ký {marker}",
            detail_en=f"'{name}' must be signed by the head (or a deputy, KT.), not {marker}",
        )


# --- state secrets --------------------------------------------------------------------------------

_LEVEL_NAMES = {"tuyệt mật": "Tuyệt mật", "tối mật": "Tối mật", "mật": "Mật"}
# Unambiguous phrases, in any case.
_PHRASES = re.compile(r"\b(tuyệt\s+mật|tối\s+mật)\b", re.IGNORECASE)
# The bare mark "MẬT" as stamped (capitals), not a syllable of another word: BÍ MẬT (secret, the
# topic), BẢO MẬT (security), MẬT ĐỘ (density), MẬT KHẨU (password), MẬT MÃ (cipher), MẬT THIẾT
# (close), MẬT ONG (honey) …
_BARE_MARK = re.compile(
    r"(?<!BÍ\s)(?<!BẢO\s)(?<!GIỮ\s)\bMẬT\b(?!\s+(?:ĐỘ|KHẨU|MÃ|THIẾT|ONG|THÁM|BÁO|TẬP|PHẨM|VỤ)\b)"
)
# "Mật" as a label: at the start of the subject or in brackets, "Độ mật: Mật".
_LABEL = re.compile(
    r"(?:^\s*[\[(]?\s*mật\s*[\]):\-–]|[\[(]\s*mật\s*[\])]|độ\s+mật\s*:\s*(?P<level>tuyệt\s+mật|tối\s+mật|mật))",
    re.IGNORECASE,
)
_NOT_SECRET = {"", "0", "thường", "thuong", "không", "khong", "none", "normal", "public", "công khai"}


def secrecy_level(text: str) -> str | None:
    """The secrecy level a text is marked with (``Mật``, ``Tối mật``, ``Tuyệt mật``), if any."""
    value = unicodedata.normalize("NFC", text)
    m = _PHRASES.search(value)
    if m:
        return _LEVEL_NAMES[" ".join(m.group(1).lower().split())]
    m = _LABEL.search(value)
    if m:
        level = m.group("level")
        return _LEVEL_NAMES[" ".join(level.lower().split())] if level else "Mật"
    if _BARE_MARK.search(value):
        return "Mật"
    return None


def _classification_elements(f: Facts) -> Iterator[tuple[str, str]]:
    names = f.policy.secrets.classification_elements
    h = f.header
    holders: list[tuple[str, list[XmlFragment]]] = [("MessageHeader", h.extras)]
    if h.other_info is not None:
        holders.append(("MessageHeader/OtherInfo", h.other_info.extras))
    env = f.message.envelope
    if env is not None and env.header is not None:
        holders.append(("edXMLHeader", env.header.extras))
    for where, extras in holders:
        for frag in extras:
            for element in frag.element.iter():
                local = str(element.tag).rsplit("}", 1)[-1]
                if local in names:
                    yield f"{where}/{local}", "".join(str(t) for t in element.itertext()).strip()


def no_state_secret(f: Facts) -> Iterator[Problem]:
    """Documents marked Mật, Tối mật or Tuyệt mật never travel on this system (Decision 28)."""
    for path, value in _classification_elements(f):
        if value.strip().casefold() in _NOT_SECRET:
            continue
        level = secrecy_level(value) or value
        yield P.STATE_SECRET(
            path,
            level=level,
            detail_vi=f"phần tử phân loại độ mật ghi '{value}'",
            detail_en=f"the classification element says '{value}'",
        )
        return
    subject = f.header.subject or ""
    marked = secrecy_level(subject)
    if marked:
        yield P.STATE_SECRET(
            "MessageHeader/Subject",
            level=marked,
            detail_vi="trích yếu mang dấu độ mật",
            detail_en="the subject carries a secrecy mark",
        )
        return
    texts = [("MessageHeader/Subject", subject), ("MessageHeader/Content", f.header.content or "")]
    for att in f.message.attachment_list:
        texts.append(("AttachmentEncoded/Attachment", f"{att.attachment_name or ''} {att.description or ''}"))
    for keyword in f.policy.secrets.keywords:
        needle = unicodedata.normalize("NFC", keyword).casefold()
        for path, text in texts:
            if needle and needle in unicodedata.normalize("NFC", text).casefold():
                yield P.STATE_SECRET(
                    path,
                    level="Mật",
                    detail_vi=f"có cụm từ '{keyword}' theo chính sách của đơn vị",
                    detail_en=f"contains '{keyword}', a phrase the operator's policy marks as secret",
                )
                return


# --- signatures and attachments ----------------------------------------------------------------------


def every_pdf_signed(f: Facts) -> Iterator[Problem]:
    """Every PDF carries a valid signature; attachments after the main document the agency's."""
    assert f.report is not None
    for index, doc in enumerate(d for d in f.report.attachments if d.kind == "pdf"):
        valid = [s for s in doc.signatures if s.valid]
        path = f"AttachmentEncoded/Attachment[{doc.file}]"
        if not valid:
            reasons = sorted({p.code for p in doc.all_problems if p.is_error}) or ["SIG.MISSING"]
            yield P.SIGNATURES(
                path,
                name=doc.file,
                detail_vi=f"không có chữ ký hợp lệ ({', '.join(reasons)})",
                detail_en=f"no valid signature ({', '.join(reasons)})",
            )
        elif index > 0 and not any(s.signer_kind == "agency" for s in valid):
            yield P.SIGNATURES(
                path,
                name=doc.file,
                detail_vi="tệp đính kèm phải có chữ ký số của cơ quan",
                detail_en="an attached document must carry the agency's signature",
            )


def manifest_matches(f: Facts) -> Iterator[Problem]:
    """Every manifest reference has its attachment (same ContentId and name) and vice versa."""
    refs = {normalise_cid(r.content_id or ""): r for r in f.message.references}
    atts = {normalise_cid(a.content_id or ""): a for a in f.message.attachment_list}
    for cid, ref in refs.items():
        if cid not in atts:
            label = ref.attachment_name or cid or "?"
            yield P.MANIFEST(
                "edXMLBody/edXMLManifest/Reference",
                detail_vi=f"{label} có trong danh mục nhưng không có tệp",
                detail_en=f"{label} is in the manifest but not attached",
            )
        elif (ref.attachment_name or "").strip() != (atts[cid].attachment_name or "").strip():
            yield P.MANIFEST(
                "edXMLBody/edXMLManifest/Reference",
                detail_vi=f"tên tệp '{ref.attachment_name}' khác '{atts[cid].attachment_name}'",
                detail_en=f"the name '{ref.attachment_name}' differs from '{atts[cid].attachment_name}'",
            )
    for cid, att in atts.items():
        if cid not in refs:
            label = att.attachment_name or cid or "?"
            yield P.MANIFEST(
                "AttachmentEncoded/Attachment",
                detail_vi=f"{label} được đính kèm nhưng không có trong danh mục",
                detail_en=f"{label} is attached but not in the manifest",
            )


def attachment_types_allowed(f: Facts) -> Iterator[Problem]:
    """Content types and extensions on the allow-list; a .pdf is really a PDF."""
    allowed = f.policy.attachments
    for att in f.message.attachment_list:
        name = att.attachment_name or ""
        ctype = (att.content_type or "").strip().lower()
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        path = f"AttachmentEncoded/Attachment[{name}]"
        if ctype not in allowed.content_types:
            yield P.ATTACHMENT_TYPE(
                path, name=name, detail_vi=f"kiểu nội dung '{ctype}'", detail_en=f"content type '{ctype}'"
            )
        if ext not in allowed.extensions:
            yield P.ATTACHMENT_TYPE(
                path, name=name, detail_vi=f"phần mở rộng '{ext}'", detail_en=f"extension '{ext}'"
            )
        elif ext == "pdf" and b"%PDF-" not in (f.head(att, 1024) or b"%PDF-"):
            yield P.ATTACHMENT_TYPE(
                path, name=name, detail_vi="nội dung không phải PDF", detail_en="the content is not a PDF"
            )


def attachment_sizes(f: Facts) -> Iterator[Problem]:
    """Each attachment and all of them together within the policy's limits (default 50 MB)."""
    limits = f.policy.attachments
    total = 0
    for att in f.message.attachment_list:
        if att.data is None:
            continue
        try:
            size = att.data.info().size
        except Base64Error:
            continue  # EDXML.BAD_BASE64 says it
        total += size
        if size > limits.max_file_bytes:
            name = att.attachment_name or "?"
            yield P.ATTACHMENT_SIZE(
                f"AttachmentEncoded/Attachment[{name}]",
                detail_vi=f"{name}: {size} byte, tối đa {limits.max_file_bytes}",
                detail_en=f"{name}: {size} bytes, at most {limits.max_file_bytes}",
            )
    if total > limits.max_total_bytes:
        yield P.ATTACHMENT_SIZE(
            "AttachmentEncoded",
            detail_vi=f"tổng {total} byte, tối đa {limits.max_total_bytes}",
            detail_en=f"{total} bytes in all, at most {limits.max_total_bytes}",
        )


_RESERVED_NAMES = {
    "con",
    "prn",
    "aux",
    "nul",
    *(f"com{i}" for i in range(1, 10)),
    *(f"lpt{i}" for i in range(1, 10)),
}


def unsafe_name(name: str, max_length: int) -> tuple[str, str] | None:
    """Why ``name`` is not a safe file name (vi, en), or None."""
    if not name.strip():
        return "tên trống", "the name is empty"
    if "/" in name or "\\" in name:
        return "tên chứa đường dẫn", "the name contains a path"
    if name.strip(". ") == "" or name.startswith(".."):
        return "tên chỉ gồm dấu chấm", "the name is only dots"
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in name):
        return "tên chứa ký tự điều khiển", "the name contains control characters"
    if any(c in '<>:"|?*' for c in name):
        return 'tên chứa ký tự cấm (<>:"|?*)', 'the name contains forbidden characters (<>:"|?*)'
    if name.split(".", 1)[0].strip().lower() in _RESERVED_NAMES:
        return "tên thiết bị của Windows", "a Windows device name"
    if len(name) > max_length:
        return (
            f"tên dài {len(name)} ký tự, tối đa {max_length}",
            f"{len(name)} characters, at most {max_length}",
        )
    return None


def attachment_names_safe(f: Facts) -> Iterator[Problem]:
    """No paths, control or bidirectional characters, reserved names; at most 200 characters."""
    limit = f.policy.attachments.max_name_length
    named = [(a.attachment_name or "", "AttachmentEncoded/Attachment") for a in f.message.attachment_list]
    named += [(r.attachment_name or "", "edXMLBody/edXMLManifest/Reference") for r in f.message.references]
    seen: set[str] = set()
    for name, where in named:
        if name in seen:
            continue
        seen.add(name)
        why = unsafe_name(name, limit)
        if why is not None:
            shown = name.encode("unicode_escape").decode("ascii")
            yield P.ATTACHMENT_NAME(
                f"{where}[{shown}]", detail_vi=f"'{shown}': {why[0]}", detail_en=f"'{shown}': {why[1]}"
            )


# --- duplicates ---------------------------------------------------------------------------------------


def not_sent_twice(f: Facts) -> Iterator[Problem]:
    """Same DocumentId, or same number + notation + issuer + year, already sent to a recipient.

    Updates (2) and replacements (3) repeat a document on purpose; revocations (1) point at it.
    """
    assert f.context.history is not None
    if f.business_type != 0:
        return
    notation = f.notation
    number = int(notation.number) if notation else None
    year = f.promulgation_date.year if f.promulgation_date else None
    doc_id = (f.header.document_id or "").strip() or None
    for recipient in f.recipients:
        original = f.context.history.find(
            recipient,
            document_id=doc_id,
            issuer=f.sender,
            number=number,
            notation=notation.notation if notation else None,
            year=year,
        )
        if original is None:
            continue
        same_id = doc_id is not None and original.document_id == doc_id
        yield P.DUPLICATE(
            "MessageHeader/DocumentId" if same_id else "MessageHeader/Code",
            recipient=recipient,
            original=original.reference,
            detail_vi="cùng mã văn bản"
            if same_id
            else f"cùng số, ký hiệu {notation} của {f.sender} năm {year}",
            detail_en="the same DocumentId"
            if same_id
            else f"the same number/notation {notation} of {f.sender} in {year}",
        )


# --- electronic-only catalogue ----------------------------------------------------------------------


def paper_as_catalogued(f: Facts) -> Iterator[Problem]:
    """Paper=0 for the catalogue's types, Paper=1 only for Decision 28's exceptions."""
    business = f.message.business
    paper = ((business.paper if business else None) or "").strip()
    name = f.type_name
    if paper not in ("0", "1") or name is None:
        return
    cat = f.policy.catalogue
    path = "TraceHeaderList/Bussiness/Paper"
    to_government = sorted(set(f.recipients) & cat.paper_recipients)
    own_list = name in cat.agency_paper.get(f.sender, frozenset())
    listed = name in cat.electronic_only
    if paper == "1" and listed and not to_government and not own_list:
        yield P.PAPER(
            path,
            detail_vi=f"'{name}' thuộc danh mục gửi hoàn toàn điện tử (Văn bản 775), Paper phải là 0",
            detail_en=f"'{name}' is on the electronic-only catalogue (letter 775): Paper must be 0",
        )
    elif paper == "0" and to_government:
        yield P.PAPER(
            path,
            detail_vi=f"văn bản gửi Chính phủ, Thủ tướng ({', '.join(to_government)}) kèm bản giấy (Paper=1)",
            detail_en=f"documents to the Government or the Prime Minister ({', '.join(to_government)}) "
            "are followed by paper (Paper=1)",
        )
    elif paper == "0" and own_list:
        yield P.PAPER(
            path,
            detail_vi=f"'{name}' thuộc danh mục gửi kèm bản giấy của {f.sender} (Paper=1)",
            detail_en=f"'{name}' is on {f.sender}'s own list of documents followed by paper (Paper=1)",
        )
    elif paper == "0" and not listed:
        yield P.PAPER(
            path,
            detail_vi=f"'{name}' không thuộc danh mục gửi hoàn toàn điện tử nhưng Paper=0",
            detail_en=f"'{name}' is not on the electronic-only catalogue but Paper=0",
        )


# --- the rules, in checklist order -------------------------------------------------------------------

SIG, REG, HIST = frozenset({Need.SIGNATURES}), frozenset({Need.REGISTRY}), frozenset({Need.HISTORY})

RULES: tuple[Rule, ...] = (
    Rule(P.STATE_SECRET, "Không phải văn bản mật", "Not a state secret", no_state_secret),
    Rule(P.SENT_LATE, "Gửi đúng thời hạn", "Sent within the time limit", sent_on_time),
    Rule(P.URGENT_LATE, "Văn bản khẩn gửi ngay", "Urgent document sent at once", urgent_sent_immediately),
    Rule(P.METADATA_INCOMPLETE, "Đủ thông tin đầu vào", "Metadata complete", metadata_complete),
    Rule(P.NOTATION, "Số, ký hiệu đúng thể thức", "Number/notation well formed", notation_consistent),
    Rule(P.PROMULGATION_DATE, "Ngày ban hành hợp lệ", "Promulgation date sound", promulgation_date_sound),
    Rule(P.DOCUMENT_TYPE, "Tên loại văn bản hợp lệ", "Document type known", document_type_known),
    Rule(
        P.COMPETENCE_MARKER, "Quyền hạn ký đúng thể thức", "Competence marker well formed", competence_marker
    ),
    Rule(P.MAIN_PDF, "Văn bản chính PDF có đủ chữ ký", "Main PDF signed by signer and agency", main_pdf),
    Rule(
        P.SENDER_AUTHORITY,
        "Đơn vị gửi đã đăng ký",
        "Sender registered and active",
        sender_registered,
        REG,
        False,
    ),
    Rule(
        P.LEVEL_PERMISSION,
        "Đúng thẩm quyền theo cấp",
        "Allowed for the sender's level",
        level_may_send,
        REG,
        False,
    ),
    Rule(P.COMPETENCE_POLICY, "Thẩm quyền ký phù hợp", "Signing competence fits", competence_fits),
    Rule(P.SIGNATURES, "Mọi tệp PDF có chữ ký số", "Every PDF signed", every_pdf_signed, SIG, False),
    Rule(P.MANIFEST, "Danh mục khớp tệp đính kèm", "Manifest matches attachments", manifest_matches),
    Rule(
        P.ATTACHMENT_TYPE, "Định dạng tệp được phép", "Attachment formats allowed", attachment_types_allowed
    ),
    Rule(P.ATTACHMENT_SIZE, "Dung lượng trong giới hạn", "Sizes within limits", attachment_sizes),
    Rule(P.ATTACHMENT_NAME, "Tên tệp an toàn", "Attachment names safe", attachment_names_safe),
    Rule(P.DUPLICATE, "Không gửi trùng", "Not sent twice", not_sent_twice, HIST, False),
    Rule(P.PAPER, "Đúng danh mục không kèm giấy", "Paper flag as catalogued", paper_as_catalogued),
)
HUB_RULES: tuple[Rule, ...] = tuple(r for r in RULES if r.hub)
