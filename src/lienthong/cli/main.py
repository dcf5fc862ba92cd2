"""The ``lienthong`` command: one sub-command group per part of the system."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from lienthong import __version__
from lienthong.cli import check as check_cli
from lienthong.cli import edxml as edxml_cli
from lienthong.cli import gateway as gateway_cli
from lienthong.cli import hub as hub_cli
from lienthong.cli import pki as pki_cli
from lienthong.cli import sign as sign_cli

app = typer.Typer(
    name="lienthong",
    help="Lienthong: exchange of signed official documents between state agencies (edXML, QCVN 102:2016).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(edxml_cli.app, name="edxml")
app.add_typer(hub_cli.app, name="hub")
app.add_typer(gateway_cli.app, name="gateway")
app.add_typer(pki_cli.app, name="pki")
app.add_typer(sign_cli.app, name="sign")
app.command("verify")(sign_cli.verify)
app.command("check")(check_cli.check_command)  # issue 5: preflight checks


@app.command("version")
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


@app.command("problems")
def problems(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List every problem code Lienthong can report, with its messages and legal basis."""
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
