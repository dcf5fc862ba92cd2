"""``lienthong edxml``: validate, show and pack edXML packages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from lienthong.edxml import DocumentMessage, Message, ParseError, parse
from lienthong.edxml.blob import Base64Error
from lienthong.edxml.builder import BuildError, build_document, load_metadata, to_dict
from lienthong.edxml.problems import UNREADABLE
from lienthong.edxml.validate import validate
from lienthong.edxml.writer import write_file
from lienthong.problems import Problem, Severity

app = typer.Typer(help="edXML packages (QCVN 102:2016): validate, show, pack.", no_args_is_help=True)

EXIT_OK, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2

_STYLE = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def _check_file(path: Path, strict: bool, repair: bool) -> tuple[dict[str, Any], bool]:
    """One file's result as the JSON form, and whether it was readable at all."""
    try:
        message = parse(path, repair=repair)
    except ParseError as exc:
        readable = exc.problem.code != UNREADABLE.code
        return {
            "file": str(path),
            "ok": False,
            "kind": None,
            "problems": [exc.problem.to_dict()],
        }, readable
    found = validate(message, strict=strict)
    ok = not any(p.is_error for p in found)
    return {
        "file": str(path),
        "ok": ok,
        "kind": message.kind,
        "problems": [p.to_dict() for p in found],
    }, True


@app.command("validate")
def validate_cmd(
    files: list[Path] = typer.Argument(..., help="edXML files to check."),
    strict: bool = typer.Option(False, "--strict", help="Treat system ids and legacy codes as errors."),
    repair: bool = typer.Option(
        False,
        "--repair",
        help="Fix known harmless defects (stray bytes, undeclared xlink:) and say so.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list of results."),
) -> None:
    """Validate packages. Exit 0 if all are valid, 1 if some are invalid, 2 if some cannot be read."""
    results = []
    unreadable = False
    for path in files:
        result, readable = _check_file(path, strict, repair)
        unreadable |= not readable
        results.append(result)
    if as_json:
        typer.echo(json.dumps(results, ensure_ascii=False, indent=2))
    else:
        console = Console()
        for result in results:
            mark = "[green]hợp lệ / valid[/]" if result["ok"] else "[red]không hợp lệ / invalid[/]"
            console.print(f"[bold]{result['file']}[/] ({result['kind'] or '?'}): {mark}")
            for p in result["problems"]:
                style = _STYLE[Severity(p["severity"])]
                where = p["path"] or "-"
                if "line" in p:
                    where += f" (line {p['line']}, col {p['column']})"
                console.print(f"  [{style}]{p['severity']:7}[/] {p['code']:28} {where}")
                console.print(f"          {p['message_vi']}\n          {p['message_en']}", highlight=False)
    if unreadable:
        raise typer.Exit(EXIT_UNREADABLE)
    raise typer.Exit(EXIT_OK if all(r["ok"] for r in results) else EXIT_INVALID)


def summary(message: Message) -> dict[str, Any]:
    """The JSON form of ``edxml show``: header, trace, and attachments with size and SHA-256."""
    out: dict[str, Any] = {"kind": message.kind}
    header = message.header
    out["header"] = to_dict(header) if header is not None else None
    if isinstance(message, DocumentMessage):
        trace = message.trace
        out["trace"] = to_dict(trace) if trace is not None else None
        out["signature"] = _signature_kind(message)
        attachments = []
        for att in message.attachment_list:
            entry: dict[str, Any] = {
                "content_id": att.content_id,
                "name": att.attachment_name,
                "content_type": att.content_type,
                "description": att.description,
            }
            try:
                info = att.data.info() if att.data is not None else None
                entry["size"] = info.size if info else None
                entry["sha256"] = info.sha256 if info else None
            except Base64Error as exc:
                entry["size"] = None
                entry["sha256"] = None
                entry["error"] = str(exc)
            attachments.append(entry)
        out["attachments"] = attachments
    return out


def _signature_kind(message: DocumentMessage) -> str | None:
    sig = message.signature
    if sig is None:
        return None
    from lienthong.edxml.xmltools import XMLDSIG_NS

    return "xmldsig" if sig.namespace == XMLDSIG_NS else f"non-standard ({sig.namespace or 'no namespace'})"


@app.command("show")
def show_cmd(
    file: Path = typer.Argument(..., help="An edXML file."),
    repair: bool = typer.Option(False, "--repair", help="Fix known harmless defects first."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show a readable summary of a package: header, trace and attachments."""
    try:
        message = parse(file, repair=repair)
    except ParseError as exc:
        _fail(exc.problem)
    data = summary(message)
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    console = Console()
    console.print(f"[bold]{file}[/] — {message.kind}")
    table = Table("field", "value", show_header=False)
    for key, value in _flatten(data.get("header") or {}):
        table.add_row(key, value)
    console.print(table)
    if data.get("trace"):
        trace = Table("trace", "value", show_header=False)
        for key, value in _flatten(data["trace"]):
            trace.add_row(key, value)
        console.print(trace)
    if message.kind == "document":
        console.print(f"Signature element: {data['signature'] or 'none'}")
        atts = Table("name", "content type", "size", "sha256", title="Attachments")
        for a in data["attachments"]:
            atts.add_row(
                str(a["name"]),
                str(a["content_type"]),
                str(a["size"]) if a["size"] is not None else "[red]undecodable[/]",
                (a["sha256"] or "")[:16] + "…" if a["sha256"] else "",
            )
        console.print(atts)


def _flatten(data: Any, prefix: str = "") -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            rows.extend(_flatten(value, f"{prefix}.{key}" if prefix else key))
    elif isinstance(data, list):
        for i, value in enumerate(data, start=1):
            rows.extend(_flatten(value, f"{prefix}[{i}]"))
    else:
        rows.append((prefix, str(data)))
    return rows


@app.command("pack")
def pack_cmd(
    metadata: Path = typer.Argument(..., help="Metadata as TOML or JSON (model field names)."),
    attachments: list[Path] = typer.Argument(None, help="Files to attach (PDF first)."),
    output: Path = typer.Option(..., "--output", "-o", help="Where to write the package."),
    check: bool = typer.Option(True, "--check/--no-check", help="Validate the result and refuse errors."),
) -> None:
    """Build a package from metadata and attachment files."""
    from lienthong.edxml.builder import attachment_from_file

    try:
        meta = load_metadata(metadata)
        files = [attachment_from_file(p) for p in attachments or []]
        message = build_document(meta, files, base_dir=metadata.parent)
    except BuildError as exc:
        typer.echo(f"lỗi / error: {exc}", err=True)
        raise typer.Exit(EXIT_UNREADABLE) from None
    if check:
        found = [p for p in validate(message) if p.is_error]
        if found:
            for p in found:
                typer.echo(f"{p.code} {p.path}: {p.message_vi} / {p.message_en}", err=True)
            raise typer.Exit(EXIT_INVALID)
    write_file(message, output)
    docid = message.header.document_id if message.header else None
    typer.echo(f"{output}: {len(message.attachment_list)} attachment(s), DocumentId {docid or '-'}")


def _fail(problem: Problem) -> None:
    typer.echo(f"{problem.code}: {problem.message_vi} / {problem.message_en}", err=True)
    raise typer.Exit(EXIT_UNREADABLE if problem.code == UNREADABLE.code else EXIT_INVALID)
