"""The demo's first minute: the public sample packages validated and shown (when present), one package built.

The demo needs nothing beside the repository: it builds every package it sends. The public sample
packages are an optional extra, validated and shown when found: the first argument, else
``LIENTHONG_SAMPLES``, else ``../shared/samples`` beside the repository (or beside the current
directory). A directory named explicitly (argument or environment) must hold packages.
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from lienthong.codes.dates import VIETNAM
from lienthong.edxml import DocumentMessage, Message, ParseError, parse, write_file
from lienthong.edxml.builder import attachment_from_bytes, build_document
from lienthong.edxml.validate import validate
from lienthong.problems import Problem, Severity

REPO = Path(__file__).resolve().parents[3]
OUTPUT = Path("demo-output")

_STYLE = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


class SamplesMissing(Exception):
    """No directory of sample packages was found; the message says where it was looked for."""


def find_samples(argument: str | None = None) -> Path | None:
    """The samples directory: the argument, ``LIENTHONG_SAMPLES``, or ``../shared/samples`` if present.

    None when nothing was named and nothing lies beside the repository; ``SamplesMissing`` when a
    directory was named but holds no packages (the user asked for it, so saying nothing would mislead).
    """
    given = argument or os.environ.get("LIENTHONG_SAMPLES")
    beside = [REPO.parent / "shared" / "samples", Path.cwd().resolve().parent / "shared" / "samples"]
    candidates = [Path(given)] if given else list(dict.fromkeys(beside))
    for candidate in candidates:
        if candidate.is_dir() and any(candidate.glob("*.edxml")):
            return candidate
    if not given:
        return None
    raise SamplesMissing(
        f"no sample packages (*.edxml) found in {given}. Give a directory of .edxml packages as the "
        "argument or in LIENTHONG_SAMPLES, or neither: the demo builds its own packages."
    )


def _codes(problems: list[Problem]) -> str:
    parts = []
    for p in problems:
        parts.append(f"[{_STYLE[p.severity]}]{p.code.removeprefix('EDXML.')}[/]")
    return ", ".join(parts) or "[green]—[/]"


def validate_samples(console: Console, samples: Path) -> None:
    table = Table(title=f"Sample packages in {samples}", show_lines=False)
    table.add_column("file", no_wrap=True)
    table.add_column("kind")
    table.add_column("as received")
    table.add_column("with --repair")
    for path in sorted(samples.glob("*.edxml")):
        kind, plain = _check(path, repair=False)
        _, repaired = _check(path, repair=True)
        table.add_row(path.name, kind, plain, repaired if repaired != plain else "[dim]same[/]")
    console.print(table)
    console.print(
        "[dim]✓ valid (hợp lệ), ✗ invalid (không hợp lệ); red error, yellow warning, cyan info. "
        "Codes are shown without their EDXML. prefix; docs/problems.md explains each one.[/]"
    )


def _check(path: Path, *, repair: bool) -> tuple[str, str]:
    try:
        message = parse(path, repair=repair)
    except ParseError as exc:
        p = exc.problem
        where = f" (line {p.line}, col {p.column})" if p.line is not None else ""
        return "?", f"[red]refused: {p.code.removeprefix('EDXML.')}{where}[/]"
    problems = validate(message)
    verdict = "[red]✗[/]" if any(p.is_error for p in problems) else "[green]✓[/]"
    return message.kind, f"{verdict} {_codes(problems)}"


def show(console: Console, message: Message, title: str) -> None:
    table = Table(show_header=False, title=title)
    header = message.header
    if header is not None and header.from_ is not None:
        table.add_row("From", f"{header.from_.organ_id} — {header.from_.organ_name}")
    if isinstance(message, DocumentMessage) and message.header is not None:
        h = message.header
        for org in h.to:
            table.add_row("To", f"{org.organ_id} — {org.organ_name or ''}")
        table.add_row("DocumentId", h.document_id or "")
        table.add_row("Type", (h.document_type.type_name or "") if h.document_type else "")
        table.add_row("Subject (trích yếu)", h.subject or "")
        business = message.business
        if business is not None:
            table.add_row("BussinessDocType", business.bussiness_doc_type or "0")
        for att in message.attachment_list:
            info = att.data.info() if att.data is not None else None
            size = f"{info.size:,} bytes, sha256 {info.sha256[:16]}…" if info else "no content"
            table.add_row("Attachment", f"{att.attachment_name} ({att.content_type}) {size}")
    console.print(table)


def build_demo(console: Console, output: Path = OUTPUT) -> Path:
    def clock() -> datetime:
        return datetime(2024, 3, 5, 9, 30, tzinfo=VIETNAM)

    metadata = {
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
    pdf = b"%PDF-1.4\n% Lienthong demo\n%%EOF\n"
    message = build_document(metadata, [attachment_from_bytes("807-VPCP-KSTT.pdf", pdf)], clock=clock)
    output.mkdir(parents=True, exist_ok=True)
    target = output / "demo.edxml"
    write_file(message, target)
    again = parse(target)
    problems = validate(again)
    verdict = "[green]valid, no problems[/]" if not problems else _codes(problems)
    same = "[green]same model[/]" if again == message else "[red]differs![/]"
    show(console, again, f"Built with the builder → {target}")
    console.print(f"Validation: {verdict}; read back: {same}")
    return target


def show_samples(console: Console, samples: Path) -> None:
    """Validate every sample package, then show the first readable document package."""
    validate_samples(console, samples)
    for path in sorted(samples.glob("edoc*.edxml")):
        try:
            message = parse(path)
        except ParseError:
            continue
        show(console, message, f"{path.name}")
        severities = Counter(p.severity.value for p in validate(message))
        counts = ", ".join(f"{n} {level}" for level, n in sorted(severities.items()))
        console.print(f"Its problems: {counts or 'none'}")
        break
