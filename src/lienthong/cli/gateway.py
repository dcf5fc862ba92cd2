"""``lienthong gateway``: run an agency's gateway and work its registers from the command line.

Every command's ``--json`` output is documented in docs/gateway.md and stable. Exit codes: 0 done,
1 refused (the reason is printed, with its GATEWAY.* code), 2 bad configuration.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from lienthong.accounts.store import AccountStore
from lienthong.cli import gateway_view as view
from lienthong.cli.people import token_app, user_app
from lienthong.gateway import problems as GP
from lienthong.gateway.config import ConfigError, GatewayConfig
from lienthong.gateway.service import Gateway, GatewayError, Page
from lienthong.problems import LienthongError

T = TypeVar("T")
app = typer.Typer(
    help="The agency gateway (cổng kết nối của hệ thống quản lý văn bản).", no_args_is_help=True
)
ConfigOpt = Annotated[
    Path, typer.Option("--config", "-c", envvar="LIENTHONG_GATEWAY_CONFIG", help="The gateway's TOML file.")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (stable; see docs/gateway.md).")]
ClerkOpt = Annotated[str, typer.Option("--clerk", help="Who does it (văn thư).")]
SearchOpt = Annotated[str, typer.Option("--search", help="Text in number, subject, sender or id.")]
StateOpt = Annotated[str, typer.Option("--state", help="Only this state (e.g. arrived, send_error).")]
PageOpt = Annotated[int, typer.Option("--page", min=1, help="Page number, 50 rows a page.")]


def _people(db: str | None, data_dir: str | None) -> AccountStore:
    """A gateway's accounts: --db, else --data-dir's database, else LIENTHONG_GATEWAY_CONFIG's."""
    import os

    from lienthong.gateway.people import open_store

    if db is None and data_dir is not None:
        db = f"sqlite:///{(Path(data_dir) / 'gateway.sqlite3').resolve()}"
    if db is None:
        path = os.environ.get("LIENTHONG_GATEWAY_CONFIG")
        if not path:
            typer.echo("cần --db, --data-dir hoặc LIENTHONG_GATEWAY_CONFIG / give --db, --data-dir or "
                       "LIENTHONG_GATEWAY_CONFIG", err=True)  # fmt: skip
            raise typer.Exit(2)
        db = _config(Path(path)).database_url
    return open_store(db)


app.add_typer(user_app(_people, "gateway's console (roles: clerk, leader, admin)"), name="user")
app.add_typer(token_app(_people, "read, send, answer"), name="token")


def _open(config: Path, *, sending: bool = False) -> Gateway:
    """The gateway of ``config``; only ``serve`` sends, the other commands leave its leases be."""
    try:
        return Gateway(GatewayConfig.load(config), take_over=sending)
    except ConfigError as exc:
        typer.echo(f"cấu hình sai / bad configuration: {exc}", err=True)
        raise typer.Exit(2) from None
    except LienthongError as exc:
        typer.echo(f"{exc.problem.code}: {exc.problem.message_vi} / {exc.problem.message_en}", err=True)
        raise typer.Exit(2) from None


@contextmanager
def _gateway(config: Path) -> Iterator[Gateway]:
    """The gateway, closed afterwards; a refusal prints its code and reason and exits 1."""
    gateway = _open(config)
    try:
        yield gateway
    except GatewayError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    finally:
        gateway.close()


def _console() -> Console:
    """The terminal's width, or 160 columns into a pipe or a log (local ids are 36 characters)."""
    return Console() if sys.stdout.isatty() else Console(width=160)


def _json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _do(config: Path, fn: Callable[[Gateway], T]) -> T:
    with _gateway(config) as gateway:
        return fn(gateway)


@app.command("serve")
def serve(config: ConfigOpt) -> None:
    """Run the gateway: outbox, inbox (long poll), tracking, warnings, and its HTTP interface."""
    import uvicorn

    from lienthong.api.gateway_app import create_app
    from lienthong.gateway.runner import one_malloc_arena

    one_malloc_arena()  # before any thread: what a step frees goes back (issue 15, item 4)
    cfg = _config(config)
    sock = socket.socket(socket.AF_INET6 if ":" in cfg.http_host else socket.AF_INET)
    # As uvicorn does: a restart must not wait for the last run's connections to leave TIME_WAIT
    # (a port another program listens on is still refused).
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((cfg.http_host, cfg.http_port))  # before anything starts: a taken port ends it here
    except OSError:
        p = GP.PORT_IN_USE(host=cfg.http_host, port=cfg.http_port)
        typer.echo(f"{p.code}: {p.message_vi} / {p.message_en}", err=True)
        raise typer.Exit(1) from None
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    gateway = _open(config, sending=True)
    logging.getLogger("lienthong.gateway").info(
        "gateway %s on http://%s:%s → hub %s", cfg.agency_code, cfg.http_host, cfg.http_port, cfg.hub.url
    )
    server = uvicorn.Server(
        uvicorn.Config(create_app(gateway), log_level="warning", timeout_graceful_shutdown=1)
    )
    try:
        server.run(sockets=[sock])
    finally:
        gateway.close()


def _config(config: Path) -> GatewayConfig:
    try:
        return GatewayConfig.load(config)
    except ConfigError as exc:
        typer.echo(f"cấu hình sai / bad configuration: {exc}", err=True)
        raise typer.Exit(2) from None


@app.command("send")
def send(
    file: Path,
    config: ConfigOpt,
    clerk: ClerkOpt,
    override: bool = typer.Option(False, "--override", help="Approve despite checklist errors."),
) -> None:
    """Register a package, show its checklist, and queue it when the clerk approves."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        typer.echo(f"không đọc được tệp / cannot read {file}: {exc.strerror}", err=True)
        raise typer.Exit(1) from None
    with _gateway(config) as gateway:
        row = gateway.submit(data)
        for item in gateway.checklist(row.local_id):
            mark = "[green]✓[/]" if item.ok else "[red]✗[/]"
            _console().print(f"{mark} {item.code} {item.path} — {item.message_vi}", highlight=False)
        gateway.approve(row.local_id, clerk, override=override)
        typer.echo(f"{row.local_id}: đã xếp hàng gửi / queued")


@app.command("act")
def act(
    incoming_id: int,
    action: Annotated[str, typer.Argument(help="accept|return|assign|process|complete|agree|refuse")],
    config: ConfigOpt,
    clerk: ClerkOpt,
    reason: str = typer.Option("", "--reason", help="Required to return (02); at most 1000 characters."),
    as_json: JsonOpt = False,
) -> None:
    """Act on an incoming document; the matching status (02–06, 15, 16) goes back to the sender."""
    with _gateway(config) as gateway:
        state = gateway.act(incoming_id, action, clerk, reason)
        shown = gateway.show(incoming_id)
    if as_json:
        _json({"id": incoming_id, "state": state, "label_vi": shown["label_vi"]})
        return
    typer.echo(f"Văn bản {incoming_id}: {shown['label_vi']} ({state})")


@app.command("resend")
def resend(local_id: str, config: ConfigOpt, clerk: ClerkOpt, as_json: JsonOpt = False) -> None:
    """Put a *Gửi lỗi* package back into the outbox (the same bytes)."""
    row = _do(config, lambda g: g.resend(local_id, clerk))
    if as_json:
        _json({"local_id": row.local_id, "state": row.state})
        return
    typer.echo(f"{row.local_id}: đã đưa lại vào hàng gửi / queued again")


@app.command("show")
def show(incoming_id: int, config: ConfigOpt, as_json: JsonOpt = False) -> None:
    """One incoming document: metadata, signature verdicts, attachments, history, allowed actions."""
    data = _do(config, lambda g: g.show(incoming_id))
    if as_json:
        _json(data)
        return
    view.show_document(_console(), data)


@app.command("fetch")
def fetch(
    incoming_id: int,
    config: ConfigOpt,
    out: Path = typer.Option(Path("."), "--out", help="Folder to write into (created if missing)."),
    as_json: JsonOpt = False,
) -> None:
    """Write an incoming document's package and each decoded attachment under safe file names."""
    with _gateway(config) as gateway:
        files = [gateway.package(incoming_id)]
        files += [
            gateway.attachment(incoming_id, a["number"]) for a in gateway.show(incoming_id)["attachments"]
        ]
    out.mkdir(parents=True, exist_ok=True)
    written: list[dict[str, Any]] = []
    for n, f in enumerate(files):
        path = out / (f.name if n == 0 else f"{n:02d}-{f.name}")
        path.write_bytes(f.data)
        written.append({"path": str(path), "size": len(f.data), "content_type": f.content_type})
    if as_json:
        _json(written)
        return
    for w in written:
        typer.echo(f"{w['path']}  {view.human_size(w['size'])}")


@app.command("outbox")
def outbox(
    config: ConfigOpt,
    search: SearchOpt = "",
    state: StateOpt = "",
    page: PageOpt = 1,
    as_json: JsonOpt = False,
) -> None:
    """The outgoing register: Chưa gửi / Gửi lỗi / Đã gửi / Không được duyệt gửi."""
    _register(config, lambda g: g.outbox_page(search, state, page), view.outbox_table, as_json)


@app.command("inbox")
def inbox(
    config: ConfigOpt,
    search: SearchOpt = "",
    state: StateOpt = "",
    page: PageOpt = 1,
    as_json: JsonOpt = False,
) -> None:
    """The incoming register (sổ văn bản đến)."""
    _register(config, lambda g: g.inbox_page(search, state, page), view.inbox_table, as_json)


def _register(
    config: Path, read: Callable[[Gateway], Page], table: Callable[..., Any], as_json: bool
) -> None:
    data = _do(config, lambda g: read(g).to_dict())
    if as_json:
        _json(data)
        return
    _console().print(table(data))


@app.command("warnings")
def warnings(
    config: ConfigOpt,
    as_json: JsonOpt = False,
    all_: bool = typer.Option(False, "--all", help="Include resolved."),
) -> None:
    """The sender's warnings: send errors, not yet sent, not fetched, not acknowledged, returned, unknown."""
    rows = _do(config, lambda g: g.warnings(all_))
    if as_json:
        _json(rows)
        return
    for w in rows:
        typer.echo(
            f"{w['id']}  {w['label_vi']}  {w['notation'] or w['package']}  {w['recipient'] or ''}  "
            f"{view.local(w['opened_at'])}  {w['state']}"
        )


@app.command("track")
def track(local_id: str, config: ConfigOpt, as_json: JsonOpt = False) -> None:
    """The per-recipient timeline of one sent document."""
    data = _do(config, lambda g: g.track(local_id))
    if as_json:
        _json(data)
        return
    typer.echo(f"{data['notation'] or data['local_id']} {data['subject'] or ''} — {data['label_vi']}")
    for r in data["recipients"]:
        history = " → ".join(h.split("@")[0] for h in r["history"])
        typer.echo(f"  {view.agency(r['recipient'], r['name'])}: {r['label_vi']}  {history}")


@app.command("status", hidden=True)
@app.command("health")
def health(
    config: ConfigOpt,
    as_json: JsonOpt = False,
    days: int = typer.Option(7, help="Days of uptime to show."),
) -> None:
    """Is the gateway ready: database, storage, and the hub (reachable, credentials taken)? Exit 1 if not."""
    from lienthong.cli.monitor_view import render_status
    from lienthong.gateway.monitoring import GatewayMonitor

    gateway = _open(config)
    with contextlib.suppress(Exception):  # an unreachable hub is reported by the hub check below
        gateway.port.wait(0)  # one exchange with the hub now, so its check is current
    report = GatewayMonitor(gateway, watch_loops=False).status(days)
    gateway.close()
    ready = bool(report["readiness"]["ready"])
    if as_json:
        _json(report)
    else:
        title = f"Lienthong gateway {gateway.config.agency_code}"
        render_status(_console(), report, title=title, peer="peer")
        hub = report["readiness"]["checks"]["hub"]
        if hub["status"] != "ok":
            typer.echo(f"Trục / hub: {hub['reason']} — {hub['detail']}", err=True)
    if not ready:
        raise typer.Exit(1)
