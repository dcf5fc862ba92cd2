"""``lienthong gateway``: run an agency's gateway and work its registers from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from lienthong.gateway.config import ConfigError, GatewayConfig
from lienthong.gateway.service import Gateway, GatewayError
from lienthong.problems import LienthongError

app = typer.Typer(
    help="The agency gateway (cổng kết nối của hệ thống quản lý văn bản).", no_args_is_help=True
)
ConfigOpt = Annotated[
    Path, typer.Option("--config", "-c", envvar="LIENTHONG_GATEWAY_CONFIG", help="The gateway's TOML file.")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _open(config: Path) -> Gateway:
    try:
        return Gateway(GatewayConfig.load(config))
    except ConfigError as exc:
        typer.echo(f"cấu hình sai / bad configuration: {exc}", err=True)
        raise typer.Exit(2) from None
    except LienthongError as exc:
        typer.echo(f"{exc.problem.code}: {exc.problem.message_vi} / {exc.problem.message_en}", err=True)
        raise typer.Exit(2) from None


def _print(rows: Any, as_json: bool, columns: list[str]) -> None:
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
        return
    table = Table(*columns)
    for row in rows:
        table.add_row(*(str(row.get(c, "") if row.get(c) is not None else "") for c in columns))
    Console().print(table)


@app.command("serve")
def serve(config: ConfigOpt) -> None:
    """Run the gateway: outbox, inbox (long poll), tracking, warnings, and its HTTP interface."""
    import uvicorn

    from lienthong.gateway.app import create_app

    gateway = _open(config)
    cfg = gateway.config
    typer.echo(
        f"Lienthong gateway {cfg.agency_code} on http://{cfg.http_host}:{cfg.http_port} → hub {cfg.hub.url}"
    )
    uvicorn.run(create_app(gateway), host=cfg.http_host, port=cfg.http_port, log_level="warning")


@app.command("send")
def send(
    file: Path,
    config: ConfigOpt,
    clerk: str = typer.Option(..., "--clerk", help="Who approves the sending (văn thư)."),
    override: bool = typer.Option(False, "--override", help="Approve despite checklist errors."),
) -> None:
    """Register a package, show its checklist, and queue it when the clerk approves."""
    gateway = _open(config)
    try:
        row = gateway.submit(file.read_bytes())
        failing = False
        for item in gateway.checklist(row.local_id):
            mark = "[green]✓[/]" if item.ok else "[red]✗[/]"
            failing |= not item.ok
            Console().print(f"{mark} {item.code} {item.path} — {item.message_vi}", highlight=False)
        gateway.approve(row.local_id, clerk, override=override)
    except (GatewayError, OSError) as exc:
        typer.echo(f"không gửi / not sent: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{row.local_id}: đã xếp hàng gửi / queued{' (despite errors)' if failing else ''}")


@app.command("outbox")
def outbox(config: ConfigOpt, as_json: JsonOpt = False) -> None:
    """Outgoing packages and their state (Chưa gửi / Gửi lỗi / Đã gửi)."""
    _print(_open(config).outbox(), as_json, ["local_id", "kind", "label_vi", "notation", "attempts", "error"])


@app.command("inbox")
def inbox(config: ConfigOpt, as_json: JsonOpt = False) -> None:
    """The incoming register (sổ văn bản đến)."""
    _print(_open(config).inbox(), as_json, ["id", "kind", "arrival_number", "sender", "notation", "state"])


@app.command("status")
def status(
    incoming_id: int,
    action: str,
    config: ConfigOpt,
    clerk: str = typer.Option(..., "--clerk"),
    reason: str = typer.Option("", "--reason", help="Required to return (02); at most 1000 characters."),
) -> None:
    """Act on an incoming document: accept (03), return (02), assign (04), process (05), complete (06)."""
    try:
        state = _open(config).act(incoming_id, action, clerk, reason)
    except GatewayError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{incoming_id}: {state}")


@app.command("warnings")
def warnings(
    config: ConfigOpt,
    as_json: JsonOpt = False,
    all_: bool = typer.Option(False, "--all", help="Include resolved."),
) -> None:
    """The sender's warnings: send errors, not fetched, not acknowledged, returned, unknown recipients."""
    _print(
        _open(config).warnings(all_),
        as_json,
        ["id", "label_vi", "state", "notation", "recipient", "opened_at"],
    )


@app.command("track")
def track(local_id: str, config: ConfigOpt, as_json: JsonOpt = False) -> None:
    """The per-recipient timeline of one sent document."""
    try:
        data = _open(config).track(local_id)
    except GatewayError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    Console().print(f"[bold]{data['notation']}[/] {data['subject'] or ''} — {data['state']}")
    _print(data["recipients"], False, ["recipient", "label_vi", "fetched_at", "history", "error"])


@app.command("status")
def gateway_status(
    config: ConfigOpt,
    as_json: JsonOpt = False,
    days: int = typer.Option(7, help="Days of uptime to show."),
) -> None:
    """What is healthy, what is not and since when: checks, the contact with the hub, the outbox.

    Exit 1 when the gateway is not ready.
    """
    from lienthong.cli.monitor_view import render_status
    from lienthong.gateway.monitoring import GatewayMonitor

    gateway = _open(config)
    try:
        gateway.port.wait(0)  # one exchange with the hub now, so "contact" is current
    except Exception as exc:  # an unreachable hub is what this command is for: report it, do not fail
        typer.echo(f"hub: {exc}", err=True)
    report = GatewayMonitor(gateway, watch_loops=False).status(days)
    ready = bool(report["readiness"]["ready"])
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        render_status(Console(), report, title=f"Lienthong gateway {gateway.config.agency_code}", peer="peer")
        Console().print(report["dashboard"])
    gateway.close()
    if not ready:
        raise typer.Exit(1)
