"""Small valid packages for tests, built with the builder at a fixed time."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from lienthong.codes.dates import VIETNAM
from lienthong.edxml import DocumentMessage, StatusMessage, to_bytes
from lienthong.edxml.builder import attachment_from_bytes, build_document, build_status
from lienthong.edxml.model import Organization
from lienthong.problems import Problem

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
PDF = b"%PDF-1.4\n% a tiny test document\n" + bytes(range(256)) * 4


def clock() -> datetime:
    return datetime(2024, 3, 5, 9, 30, 0, tzinfo=VIETNAM)


def metadata() -> dict[str, Any]:
    """A complete official letter (Công văn) from the Government Office to two provinces."""
    return {
        "from": {"organ_id": "000.00.00.G22", "organ_name": "Văn phòng Chính phủ"},
        "to": [
            {"organ_id": "000.00.00.H41", "organ_name": "UBND Tỉnh Nghệ An"},
            {"organ_id": "000.00.00.H14", "organ_name": "UBND Tỉnh Cao Bằng"},
        ],
        "code": {"code_number": "807", "code_notation": "VPCP-KSTT"},
        "promulgation_info": {"place": "Hà Nội", "promulgation_date": "2024/03/05"},
        "document_type": {"type": "1", "type_name": "Công văn"},
        "subject": "V/v kết nối, liên thông phần mềm quản lý văn bản",
        "signer_info": {"position": "Chủ nhiệm", "full_name": "Trần Văn Sơn"},
    }


def document(content: bytes = PDF, **overrides: Any) -> DocumentMessage:
    """A valid document package; ``overrides`` replace top-level metadata keys."""
    meta = metadata()
    meta.update(overrides)
    return build_document(meta, [attachment_from_bytes("cong-van.pdf", content)], clock=clock)


def document_bytes(content: bytes = PDF, **overrides: Any) -> bytes:
    return to_bytes(document(content, **overrides))


def status(code: str = "03", description: str = "Đã tiếp nhận") -> StatusMessage:
    sender = Organization(organ_id="000.00.00.H41", organ_name="UBND Tỉnh Nghệ An")
    return build_status(
        sender=sender, document=document(), status_code=code, description=description, clock=clock
    )


def status_bytes(code: str = "03", description: str = "Đã tiếp nhận") -> bytes:
    return to_bytes(status(code, description))


def codes(problems: Iterable[Problem]) -> list[str]:
    """The codes of a list of problems, in order."""
    return [p.code for p in problems]
