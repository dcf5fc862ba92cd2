"""The ``lienthong`` command: one sub-command group per part of the system."""

from __future__ import annotations

import importlib
import json
from typing import Any

import typer
from typer import _click as click  # typer 0.2x carries its own click: its types are these
from typer.core import TyperCommand, TyperGroup

from lienthong import __version__

# Each sub-command's module is imported only when that sub-command runs: the hub, the gateway and
# the signing stack pull in SQLAlchemy, FastAPI, pyHanko and WeasyPrint, which `lienthong --help` and
# `lienthong edxml validate` never need (they start in a fraction of the time).
LAZY: dict[str, tuple[str, str, str]] = {
    "edxml": ("lienthong.cli.edxml", "app", "edXML packages: validate, show, pack."),
    "check": ("lienthong.cli.check", "check_command", "The preflight checklist of one package."),
    "hub": ("lienthong.cli.hub", "app", "The hub (Trục liên thông văn bản): serve, directory, reports."),
    "gateway": ("lienthong.cli.gateway", "app", "An agency's gateway: send, receive, answer, track."),
    "pki": ("lienthong.cli.pki", "app", "A demo PKI (never for real documents)."),
    "sign": ("lienthong.cli.sign", "app", "Sign a PDF (PAdES) or a package (XML-DSig)."),
    "verify": ("lienthong.cli.sign", "verify", "Verify the signatures of PDFs and packages."),
    "demo": (
        "lienthong.cli.demo",
        "demo",
        "The whole country on one machine: hub, gateways, faults, reports.",
    ),
}


def _load(name: str) -> click.Command:
    module, attribute, _ = LAZY[name]
    target: Any = getattr(importlib.import_module(module), attribute)
    command: click.Command
    if isinstance(target, typer.Typer):
        command = typer.main.get_group(target)  # a group even with one sub-command (pki init)
    else:  # a plain function: a one-command app gives its click command
        single = typer.Typer()
        single.command(name)(target)
        command = typer.main.get_command(single)
    command.name = name
    return command


class LazyGroup(TyperGroup):
    """The top-level group: lists every sub-command at once, imports one only when it is run."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = super().get_command(ctx, cmd_name)
        if found is not None or cmd_name not in LAZY:
            return found
        # For listing in --help: a stand-in carrying the one-line help, nothing imported.
        return TyperCommand(cmd_name, help=LAZY[cmd_name][2], short_help=LAZY[cmd_name][2])

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] in LAZY and args[0] not in self.commands:
            self.add_command(_load(args[0]), args[0])
        return super().resolve_command(ctx, args)


app = typer.Typer(
    name="lienthong",
    cls=LazyGroup,
    help="Lienthong: exchange of signed official documents between state agencies (edXML, QCVN 102:2016).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.command("version")
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


@app.command("problems")
def problems(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List every problem code Lienthong can report, with its messages and legal basis."""
    from rich.console import Console
    from rich.table import Table

    from lienthong.problems import catalogue
    from lienthong.registry import load_all

    load_all()
    types = catalogue()
    if as_json:
        data = [
            {
                "code": p.code,
                "severity": p.severity.value,
                "message_vi": p.message_vi,
                "message_en": p.message_en,
                "basis": p.basis,
            }
            for p in types
        ]
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    table = Table("code", "severity", "message (vi / en)", "basis")
    for p in types:
        table.add_row(p.code, p.severity.value, f"{p.message_vi}\n{p.message_en}", p.basis)
    Console().print(table)


if __name__ == "__main__":
    app()
