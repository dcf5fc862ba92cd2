"""``lienthong check FILE``: the preflight checklist of one package, green and red lines or JSON."""

from __future__ import annotations

import json
import os
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from lienthong.checks import DEFAULT_POLICY, Outcome, PolicyError, check, load_policy
from lienthong.edxml import DocumentMessage, ParseError, parse

EXIT_OK, EXIT_ERRORS, EXIT_UNREADABLE = 0, 1, 2
TRUST_ENV = "LIENTHONG_TRUST_DIR"
_MARKS = {
    Outcome.PASSED: "[green]✓[/]",
    Outcome.WARNED: "[yellow]![/]",
    Outcome.FAILED: "[red]✗[/]",
    Outcome.SKIPPED: "[dim]–[/]",
    Outcome.OFF: "[dim]–[/]",
}


def check_command(
    file: Path = typer.Argument(..., help="An edXML document package."),
    as_json: bool = typer.Option(False, "--json", help="Print the checklist as a JSON list."),
    policy_file: Path | None = typer.Option(None, "--policy", help="A TOML policy file (docs/rules.md)."),
    trust: Path | None = typer.Option(
        None,
        "--trust",
        help=f"Trust store for the signature rules; default ${TRUST_ENV}, else they are skipped.",
    ),
) -> None:
    """Check one package before sending. Exit 0 without errors, 1 with errors, 2 if it cannot be read."""
    try:
        policy = load_policy(policy_file) if policy_file is not None else DEFAULT_POLICY
    except PolicyError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_UNREADABLE) from None
    try:
        message = parse(file)
    except ParseError as exc:
        typer.echo(f"error: {file}: {exc.problem}", err=True)
        raise typer.Exit(EXIT_UNREADABLE) from None
    if not isinstance(message, DocumentMessage):
        typer.echo(f"error: {file}: only document packages are checked (this is a status)", err=True)
        raise typer.Exit(EXIT_UNREADABLE)
    report = None
    folder = trust or (Path(os.environ[TRUST_ENV]) if os.environ.get(TRUST_ENV) else None)
    if folder is not None:
        from lienthong.signing.errors import SigningError
        from lienthong.signing.trust import load_trust_store
        from lienthong.signing.verify import Verifier

        try:
            report = Verifier(load_trust_store(folder)).verify_package(file)
        except SigningError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(EXIT_UNREADABLE) from None
    result = check(message, policy=policy, report=report)
    if as_json:
        typer.echo(json.dumps([r.to_dict() for r in result.results], ensure_ascii=False, indent=2))
    else:
        console = Console(highlight=False)
        console.print(f"[bold]{escape(str(file))}[/]")
        for r in result.results:
            note = f" [dim]({escape(r.note)})[/]" if r.note else ""
            title = f"{escape(r.rule.title_vi)} / {escape(r.rule.title_en)}"
            console.print(f"{_MARKS[r.outcome]} {r.rule.code} {title}{note}")
            for p in r.problems:
                style = "red" if p.is_error else "yellow"
                console.print(f"    [{style}]{p.severity.value}[/] {escape(p.message_vi)}")
                console.print(f"    [dim]{escape(p.message_en)} — {escape(p.path)}[/]")
        verdict = "[red]có lỗi / errors[/]" if result.has_errors else "[green]đạt / passed[/]"
        console.print(verdict)
    raise typer.Exit(EXIT_ERRORS if result.has_errors else EXIT_OK)
