"""``lienthong demo``: the whole country on one machine (see ``lienthong.demo``)."""

from __future__ import annotations

from pathlib import Path

import typer


def demo(
    agencies: int = typer.Option(12, "--agencies", help="Level-1 bodies with a gateway (4 to 12)."),
    documents: int = typer.Option(6, "--documents", help="Routine documents besides the scenes."),
    db: str | None = typer.Option(None, "--db", help="The hub's database URL (default: SQLite in --out)."),
    out: Path = typer.Option(
        Path("demo-output"), "--out", help="Where results, reports, e-mails and logs go."
    ),
    keep_running: bool = typer.Option(
        False, "--keep-running", help="Leave the hub and gateways up at the end."
    ),
    samples: Path | None = typer.Option(None, "--samples", help="A folder of sample packages to show first."),
) -> None:
    """The whole country in one command: a hub, gateways, documents, answers, faults and reports."""
    from lienthong.demo import main

    if not 4 <= agencies <= 12:
        raise typer.BadParameter("between 4 and 12", param_hint="--agencies")
    status = main(
        [str(samples)] if samples else [],
        agencies=agencies,
        documents=documents,
        database=db,
        out=out,
        keep_running=keep_running,
    )
    raise typer.Exit(status)
