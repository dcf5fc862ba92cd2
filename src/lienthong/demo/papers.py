"""The country demo's documents: Vietnamese content laid out as Decree 30 asks, signed PDFs, packages.

Each PDF is rendered by WeasyPrint from a small HTML page (national title, motto, number and
notation, place and date, summary, content, recipients, signer) with the project's Vietnamese font,
then signed twice as Decree 30 asks: the signer's signature and the agency's seal, both visible.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from html import escape
from pathlib import Path
from typing import Any

from lienthong.demo.cast import Body
from lienthong.edxml import to_bytes
from lienthong.edxml.builder import attachment_from_bytes, build_document
from lienthong.signing.pdf import DocumentSigner, PdfSignSpec, Role
from lienthong.signing.pki import Credential, PersonSpec, load_credential, utc_now

FONT = Path(__file__).resolve().parents[1] / "signing" / "fonts" / "DejaVuSans-Vietnamese.ttf"

SUBJECTS: tuple[tuple[str, str], ...] = tuple(
    (d["subject"], d["content"])
    for d in tomllib.loads((Path(__file__).with_name("documents.toml")).read_text("utf-8"))["document"]
)


@dataclass
class Paper:
    """One document as its sender keeps it: what it says, to whom, and the package made of it."""

    sender: Body
    number: int
    subject: str
    content: str
    recipients: tuple[Body, ...]
    day: date
    business: dict[str, Any] = field(default_factory=dict)
    pdf: bytes = b""
    package: bytes = b""

    @property
    def notation(self) -> str:
        return f"{self.number}/{self.sender.short}-VP"

    @property
    def document_id(self) -> str:
        return f"{self.sender.code},{self.day:%Y/%m/%d},{self.notation}"


class PaperMill:
    """Numbers, renders, signs and packages documents for every body of the demo."""

    def __init__(self, pki_dir: Path) -> None:
        self.pki_dir = pki_dir
        self.numbers: dict[str, int] = {}
        self._signers: dict[str, tuple[Credential, Credential]] = {}

    def next_number(self, body: Body) -> int:
        self.numbers[body.code] = self.numbers.get(body.code, 100) + 1
        return self.numbers[body.code]

    def _pair(self, body: Body) -> tuple[Credential, Credential]:
        if body.code not in self._signers:
            person = PersonSpec(body.signer, body.position, body.code)
            folder = self.pki_dir
            signer = load_credential(
                folder / "people" / f"{person.slug}.key.pem", folder / "people" / f"{person.slug}.cert.pem"
            )
            seal = load_credential(
                folder / "agencies" / f"{body.code}.key.pem", folder / "agencies" / f"{body.code}.cert.pem"
            )
            self._signers[body.code] = (signer, seal)
        return self._signers[body.code]

    def write(
        self,
        sender: Body,
        recipients: tuple[Body, ...],
        today: date,
        *,
        subject_index: int = 0,
        number: int | None = None,
        business: dict[str, Any] | None = None,
        subject: str | None = None,
        signed_at: datetime | None = None,
    ) -> Paper:
        """A new paper, its PDF signed by the sender's leader and sealed, packaged for the hub."""
        base_subject, content = SUBJECTS[subject_index % len(SUBJECTS)]
        paper = Paper(
            sender,
            number if number is not None else self.next_number(sender),
            subject or base_subject,
            content,
            recipients,
            today,
            business or {},
        )
        pdf = render_pdf(paper)
        person, seal = self._pair(sender)
        clock = (lambda: signed_at) if signed_at is not None else utc_now  # a late paper was signed back then
        pdf = DocumentSigner(person, clock=clock).sign(pdf, PdfSignSpec(role=Role.PERSON))
        pdf = DocumentSigner(seal, clock=clock).sign(
            pdf, PdfSignSpec(role=Role.AGENCY, number_notation=paper.notation)
        )
        paper.pdf = pdf
        paper.package = package(paper, pdf)
        return paper


def package(paper: Paper, pdf: bytes) -> bytes:
    """The edXML package of a paper with its signed PDF."""
    meta: dict[str, Any] = {
        "from": {"organ_id": paper.sender.code, "organ_name": paper.sender.name},
        "to": [{"organ_id": r.code, "organ_name": r.name} for r in paper.recipients],
        "code": {"code_number": str(paper.number), "code_notation": f"{paper.sender.short}-VP"},
        "promulgation_info": {"place": "Hà Nội", "promulgation_date": f"{paper.day:%Y/%m/%d}"},
        "document_type": {"type": "1", "type_name": "Công văn"},
        "subject": paper.subject,
        "signer_info": {
            "competence": "",
            "position": paper.sender.position,
            "full_name": paper.sender.signer,
        },
        "business": {"bussiness_doc_type": "0", "paper": "0", **paper.business},
    }
    name = paper.notation.replace("/", "-") + ".pdf"
    return to_bytes(build_document(meta, [attachment_from_bytes(name, pdf)]))


def tamper(paper: Paper) -> bytes:
    """The paper's package with one byte of its signed PDF changed (as a broken relay or a forger would)."""
    pdf = bytearray(paper.pdf)
    # The producer's name in the first revision's Info dictionary: inside the signed byte range,
    # and the file still opens, so verification must say "modified", not "unreadable".
    where = pdf.index(b"WeasyPrint") + len(b"WeasyPrin")
    pdf[where] = ord("T")
    return package(paper, bytes(pdf))


def render_pdf(paper: Paper) -> bytes:
    """The document's page, laid out like a Vietnamese công văn."""
    from weasyprint import HTML

    to = "".join(f"<li>{escape(r.name)};</li>" for r in paper.recipients)
    page = f"""<!doctype html><html lang="vi"><head><meta charset="utf-8"><style>
@font-face {{ font-family: VN; src: url("{FONT.as_uri()}"); }}
@page {{ size: A4; margin: 20mm 20mm 20mm 30mm; }}
body {{ font-family: VN; font-size: 11pt; }}
table.head {{ width: 100%; text-align: center; }} table.head td {{ vertical-align: top; }}
.b {{ font-weight: bold; }} .i {{ font-style: italic; }} .content {{ text-align: justify; margin-top: 6mm; }}
.sign {{ margin-left: 55%; text-align: center; margin-top: 8mm; }}
</style></head><body>
<table class="head"><tr>
<td style="width:40%"><div>{escape(paper.sender.name.upper())}</div><div>Số: {escape(paper.notation)}</div>
<div class="i" style="font-size:9pt">{escape(paper.subject)}</div></td>
<td><div class="b">CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</div><div class="b">Độc lập - Tự do - Hạnh phúc</div>
<div class="i">Hà Nội, ngày {paper.day.day:02d} tháng {paper.day.month:02d} năm {paper.day.year}</div></td>
</tr></table>
<p class="content">Kính gửi: các cơ quan có tên tại Nơi nhận.</p>
<p class="content">{escape(paper.content)}</p>
<p class="content">Trân trọng./.</p>
<table style="width:100%"><tr><td style="width:45%;vertical-align:top;font-size:9pt">
<div class="b i">Nơi nhận:</div><ul>{to}<li>Lưu: VT.</li></ul></td>
<td class="sign"><div class="b">{escape(paper.sender.position.upper())}</div>
<div style="height:28mm"></div><div class="b">{escape(paper.sender.signer)}</div></td></tr></table>
</body></html>"""
    pdf: bytes = HTML(string=page).write_pdf()
    return pdf
