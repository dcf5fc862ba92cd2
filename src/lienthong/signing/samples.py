"""Small, valid PDF documents made on the spot, for demos, tests and benchmarks (no files to ship)."""

from __future__ import annotations

import random


def sample_pdf(title: str = "Cong van so 12/QD-UBND", *, pages: int = 1, padding: int = 0) -> bytes:
    """A PDF with ``pages`` A4 pages of text and, if asked, ``padding`` bytes of incompressible data.

    The padding is an unreferenced-by-content stream object, so the file has the size of a real
    scanned document without needing one. The text is ASCII: base fonts have no Vietnamese glyphs.
    """
    font_obj = 3 + 2 * pages
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(pages))
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
    ]
    for i in range(pages):
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {4 + 2 * i} 0 R "
            f"/Resources << /Font << /F1 {font_obj} 0 R >> >> >>".encode()
        )
        text = f"BT /F1 14 Tf 72 760 Td ({_escape(title)} - trang {i + 1}) Tj ET".encode()
        objects.append(_stream(text))
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    if padding:
        objects.append(_stream(random.Random(0).randbytes(padding)))
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _stream(data: bytes) -> bytes:
    return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
