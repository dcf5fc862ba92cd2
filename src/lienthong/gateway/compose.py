"""A document package built from the console's form: the gateway's own builder, signed when approved."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lienthong.codes.calendar import VIETNAM
from lienthong.edxml import to_bytes
from lienthong.edxml.builder import BuildError, attachment_from_bytes, build_document
from lienthong.gateway import problems as GP
from lienthong.gateway.core import Clock
from lienthong.gateway.problems import GatewayError

TYPES = {
    "1": "Công văn",
    "2": "Quyết định",
    "3": "Thông báo",
    "4": "Kế hoạch",
    "5": "Báo cáo",
    "6": "Tờ trình",
}
PRIORITIES = {"0": "Thường", "1": "Khẩn", "2": "Thượng khẩn", "3": "Hỏa tốc"}
_CODE = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$")


@dataclass(frozen=True)
class FileIn:
    name: str
    content_type: str
    data: bytes


@dataclass
class Draft:
    """What a clerk typed into the compose form."""

    type_code: str
    number: str
    notation: str
    subject: str
    signer_name: str
    signer_position: str
    recipients: list[str]
    priority: str = "0"
    place: str = "Hà Nội"
    files: list[FileIn] = field(default_factory=list)


def padded(number: int) -> str:
    """A register number as a notation writes it: 01…09, then 10, 11… (Decree 30, Annex I)."""
    return f"{number:02d}"


def recipient_codes(text: str, picked: list[str] | None = None) -> list[str]:
    """Codes picked from the directory and typed one a line or with commas; each like 000.00.00.H41."""
    codes = [c.strip() for c in [*(picked or []), *re.split(r"[\s,;]+", text)] if c.strip()]
    wrong = [c for c in codes if not _CODE.match(c)]
    if wrong or not codes:
        raise GatewayError(GP.BAD_REQUEST(detail=f"recipients: {', '.join(wrong) or '(none)'}"))
    return list(dict.fromkeys(codes))


def build(draft: Draft, agency_code: str, agency_name: str, clock: Clock, names: dict[str, str]) -> bytes:
    """The package's bytes (unsigned: the gateway signs it when a leader approves)."""
    if not draft.subject.strip() or not draft.files:
        raise GatewayError(GP.BAD_REQUEST(detail="subject and a PDF are required"))
    if not draft.files[0].name.lower().endswith(".pdf"):
        raise GatewayError(GP.BAD_REQUEST(detail="the first file must be the document's PDF"))
    today = clock().astimezone(VIETNAM)
    meta = {
        "from": {"organ_id": agency_code, "organ_name": agency_name or agency_code},
        "to": [{"organ_id": c, "organ_name": names.get(c, c)} for c in draft.recipients],
        "code": {"code_number": draft.number, "code_notation": draft.notation},
        "promulgation_info": {"place": draft.place, "promulgation_date": today.strftime("%Y/%m/%d")},
        "document_type": {"type": draft.type_code, "type_name": TYPES.get(draft.type_code, "Công văn")},
        "subject": draft.subject.strip(),
        "signer_info": {"position": draft.signer_position, "full_name": draft.signer_name},
        "other_info": {"priority": draft.priority if draft.priority in PRIORITIES else "0"},
    }
    files = [
        attachment_from_bytes(f.name, f.data, f.content_type or "application/octet-stream")
        for f in draft.files
    ]
    try:
        return to_bytes(build_document(meta, files, clock=lambda: today))
    except BuildError as exc:
        raise GatewayError(GP.BAD_REQUEST(detail=str(exc))) from None
