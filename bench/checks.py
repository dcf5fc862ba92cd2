"""Preflight-check figures: checks per second on a 300 KB signed package, beside signature verification.

Run: ``.venv/bin/python bench/checks.py [--repeat N]``. It makes a demo PKI in a temporary
folder, builds a package of about 300 KB whose main PDF is signed by a person and sealed by the
agency, and times, medians of N runs after a warm-up:

- the rules alone over the parsed package and its verification report (what the checks cost);
- the hub's subset (no signatures, registry or history), as ``hub/intake.prepare`` runs it;
- signature verification alone (``Verifier.verify_package``: parse, XML-DSig, PAdES, cross-checks);
- the gateway's checker, end to end (verification + every rule).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from lienthong.checks import (
    AgencyRecord,
    Context,
    InMemoryHistory,
    InMemoryRegistry,
    SentDocument,
    check,
    gateway_checker,
    hub_check,
)
from lienthong.codes.calendar import VIETNAM
from lienthong.edxml import DocumentMessage, parse, to_bytes
from lienthong.edxml.builder import attachment_from_bytes, build_document
from lienthong.signing.pdf import DocumentSigner, PdfSignSpec, Role
from lienthong.signing.pki import DemoPki, create_demo_pki
from lienthong.signing.samples import sample_pdf
from lienthong.signing.trust import load_trust_store
from lienthong.signing.verify import Verifier

SENDER, RECIPIENT = "000.00.00.G22", "000.00.00.H41"
TARGET = 300 * 1024


def median_seconds(action: Callable[[], object], repeat: int) -> float:
    action()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2]


def signed_package(pki: DemoPki) -> bytes:
    # Base64 makes 3 bytes 4: pad the PDF so the whole package is about 300 KB.
    pdf = sample_pdf(padding=TARGET * 3 // 4 - 45_000)
    pdf = DocumentSigner(pki.person("Nguyễn Văn An")).sign(pdf, PdfSignSpec(role=Role.PERSON))
    spec = PdfSignSpec(role=Role.AGENCY, number_notation="12/QĐ-VPCP")
    pdf = DocumentSigner(pki.agencies[SENDER]).sign(pdf, spec)
    today = datetime.now(UTC).astimezone(VIETNAM).strftime("%Y/%m/%d")
    meta = {
        "from": {"organ_id": SENDER, "organ_name": "Văn phòng Chính phủ"},
        "to": [{"organ_id": RECIPIENT, "organ_name": "Ủy ban nhân dân tỉnh Nghệ An"}],
        "code": {"code_number": "12", "code_notation": "QĐ-VPCP"},
        "promulgation_info": {"place": "Hà Nội", "promulgation_date": today},
        "document_type": {"type": "1", "type_name": "Quyết định"},
        "subject": "Về việc ban hành quy chế làm việc",
        "signer_info": {
            "competence": "KT. CHỦ NHIỆM",
            "position": "Phó Chủ nhiệm",
            "full_name": "Nguyễn Văn An",
        },
        "business": {"bussiness_doc_type": "0", "paper": "0"},
    }
    return to_bytes(build_document(meta, [attachment_from_bytes("12.pdf", pdf)]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        pki = create_demo_pki(Path(folder) / "pki")
        trust = load_trust_store(pki.trust_dir)
        data = signed_package(pki)
        message = parse(data)
        assert isinstance(message, DocumentMessage)
        verifier = Verifier(trust)
        report = verifier.verify_package(data)
        registry = InMemoryRegistry.of([AgencyRecord(SENDER), AgencyRecord(RECIPIENT)])
        history = InMemoryHistory(
            [SentDocument(f"pkg-{n}", RECIPIENT, None, SENDER, n, "QĐ-VPCP", 2026) for n in range(13, 1013)]
        )
        context = Context(registry=registry, history=history)
        result = check(message, context=context, report=report)
        assert not result.problems, [str(p) for p in result.problems]  # the figure is for a clean package

        rules = median_seconds(lambda: check(message, context=context, report=report), args.repeat)
        hub = median_seconds(lambda: hub_check(message), args.repeat)
        parse_only = median_seconds(lambda: parse(data), args.repeat)
        verify = median_seconds(lambda: verifier.verify_package(data), args.repeat)
        checker = gateway_checker(trust=trust, registry=registry, history=history)
        gateway = median_seconds(lambda: checker(parse(data), data), args.repeat)

    print(f"package: {len(data) / 1024:.0f} KB, main PDF signed by a person and the agency (PAdES-B-B)")
    print(f"history: {len(history.sent)} documents already sent (in memory)")
    rows = [
        (f"all {len(result.results)} rules over parsed package + report", rules),
        ("hub subset (no signatures/registry/history)", hub),
        ("edXML parse alone", parse_only),
        ("signature verification alone", verify),
        ("gateway checker (parse + verify + rules)", gateway),
    ]
    for label, seconds in rows:
        print(f"{label:<48} {1 / seconds:9.1f} /s  {seconds * 1e3:8.2f} ms")
    print(f"rules cost {rules / verify * 100:.1f} % of signature verification")


if __name__ == "__main__":
    main()
