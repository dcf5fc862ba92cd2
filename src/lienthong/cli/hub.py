"""``lienthong hub``: run the national hub and administer its directory, systems and audit log."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from lienthong.accounts.store import AccountStore
from lienthong.cli import hub_ops
from lienthong.cli import report as report_cli
from lienthong.cli.opening import open_hub
from lienthong.cli.people import user_app
from lienthong.hub import directory
from lienthong.hub import problems as HP
from lienthong.hub.config import HubConfig, Policy
from lienthong.hub.people import hub_accounts
from lienthong.hub.service import Hub
from lienthong.problems import LienthongError

if TYPE_CHECKING:
    from lienthong.hub.relay import Federation

T = TypeVar("T")

app = typer.Typer(help="The national hub (Trục liên thông văn bản quốc gia).", no_args_is_help=True)
agency_app = typer.Typer(help="The agency directory.", no_args_is_help=True)
system_app = typer.Typer(help="Connected systems (SDK systemid + secret, API tokens).", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
app.add_typer(agency_app, name="agency")
app.add_typer(system_app, name="system")
app.add_typer(audit_app, name="audit")
app.add_typer(report_cli.watch_app, name="watch")
app.command("report")(report_cli.report)
app.command("trace")(report_cli.trace)


def _people(db: str | None, data_dir: str | None) -> AccountStore:
    hub = _hub(db, data_dir)
    return AccountStore(hub_accounts(), hub.read, hub.write, hub.clock)


app.add_typer(user_app(_people, "hub's console"), name="user")
app.command("backup")(hub_ops.backup)
app.command("restore")(hub_ops.restore)
app.command("archive")(hub_ops.archive)

DbOpt = Annotated[str | None, typer.Option("--db", help="Database URL (env LIENTHONG_HUB_DB).")]
DirOpt = Annotated[str | None, typer.Option("--data-dir", help="Data folder (env LIENTHONG_DATA_DIR).")]


def _hub(db: str | None, data_dir: str | None, **kwargs: object) -> Hub:
    return open_hub(HubConfig.from_env(db, data_dir, **kwargs))


def _die(exc: LienthongError) -> None:
    p = exc.problem
    typer.echo(f"{p.code}: {p.message_vi} / {p.message_en}", err=True)
    raise typer.Exit(1)


@app.command("serve")
def serve(
    db: DbOpt = None,
    data_dir: DirOpt = None,
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8400, help="Port to listen on."),
    policy: Policy = typer.Option(
        Policy.DEFAULT, help="default: deliver and report; strict: refuse every error."
    ),
    sdk_prefix: str = typer.Option("", help="Path prefix for the SDK protocol endpoints."),
    max_package_mb: int = typer.Option(100, help="Largest package accepted, in MB."),
    checks_policy: Path | None = typer.Option(
        None, "--checks-policy", help="Preflight checks policy (TOML)."
    ),
    watch: bool = typer.Option(True, help="Run the warning system (alerts, daily reports)."),
    rate: float = typer.Option(50.0, help="Sustained requests per second allowed to each connected system."),
    burst: int = typer.Option(200, help="Requests a connected system may send at once above the rate."),
    workers: int = typer.Option(1, min=1, help="Worker processes (PostgreSQL only; SQLite has one writer)."),
) -> None:
    """Run the hub: migrations are applied on start; several workers share one PostgreSQL."""
    import os

    import uvicorn

    from lienthong.api.factory import ENV, ServeOptions
    from lienthong.api.server import server_options
    from lienthong.monitor.config import MonitorConfig
    from lienthong.monitor.identity import ClientCertMode

    options = ServeOptions(
        db=db,
        data_dir=data_dir,
        policy=policy.value,
        sdk_prefix=sdk_prefix,
        max_package_bytes=max_package_mb << 20,
        checks_policy=str(checks_policy.resolve()) if checks_policy else None,
        watch=watch,
        rate=rate,
        burst=burst,
        workers=workers,
    )
    hub = open_hub(options.hub_config())  # migrates once, before any worker starts
    engine = hub.engine.url.render_as_string()
    postgres = hub.is_postgres
    hub.close()
    if workers > 1 and not postgres:
        detail = "SQLite has one writer process: use PostgreSQL (--db postgresql://...) for --workers > 1"
        _die(LienthongError(HP.OPERATION("", detail=detail)))
    os.environ[ENV] = options.to_env()  # each worker builds its app from it
    typer.echo(f"Lienthong hub on http://{host}:{port} (database {engine}, {workers} worker(s))")
    # With the client-certificate check on, the peer address must stay the proxy's own: uvicorn would
    # otherwise replace it with X-Forwarded-For and the trusted-proxy test would see the agency.
    checking = MonitorConfig.from_env().client_cert.mode is not ClientCertMode.OFF
    uvicorn.run(
        "lienthong.api.factory:app_from_environment",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="info",
        proxy_headers=not checking,
        timeout_worker_healthcheck=60,  # a worker importing on a busy machine is slow, not dead
        **server_options(),  # issue 12: 431 and malformed requests answered as JSON
    )


@agency_app.command("add")
def agency_add(
    code: str,
    name: str = typer.Option(..., "--name"),
    parent: str | None = typer.Option(None, "--parent", help="Parent code (default: derived from the code)."),
    email: list[str] = typer.Option([], "--email", help="Contact address (repeatable)."),
    legacy: bool = typer.Option(False, "--legacy", help="Register a non-Decision-20 code explicitly."),
    db: DbOpt = None,
    data_dir: DirOpt = None,
) -> None:
    """Add an agency to the directory."""
    hub = _hub(db, data_dir)
    try:
        with hub.write() as s:
            a = directory.add_agency(
                s, directory.AgencyInput(code, name, parent, tuple(email), legacy), hub.clock()
            )
            typer.echo(f"added {a.code} {a.name} (level {a.level or '-'}, parent {a.parent_code or '-'})")
    except LienthongError as exc:
        _die(exc)


@agency_app.command("list")
def agency_list(
    level: int | None = typer.Option(None, help="Only this level (1-4)."),
    as_json: bool = typer.Option(False, "--json"),
    db: DbOpt = None,
    data_dir: DirOpt = None,
) -> None:
    """List the directory."""
    hub = _hub(db, data_dir)
    with hub.read() as s:
        rows = directory.list_agencies(s, level=level, include_removed=True)
        data = [
            {
                "code": a.code,
                "name": a.name,
                "parent": a.parent_code,
                "level": a.level,
                "legacy": a.legacy,
                "state": a.state,
                "emails": a.emails,
            }
            for a in rows
        ]
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    table = Table("code", "name", "parent", "level", "state", "legacy")
    for a in data:
        table.add_row(
            str(a["code"]),
            str(a["name"]),
            str(a["parent"] or ""),
            str(a["level"] or ""),
            str(a["state"]),
            "yes" if a["legacy"] else "",
        )
    Console().print(table)


@agency_app.command("show")
def agency_show(code: str, db: DbOpt = None, data_dir: DirOpt = None) -> None:
    """Show one agency."""
    hub = _hub(db, data_dir)
    try:
        with hub.read() as s:
            a = directory.get_agency(s, code)
            for key in (
                "code",
                "name",
                "parent_code",
                "level",
                "legacy",
                "state",
                "emails",
                "version",
                "last_contact_at",
            ):
                typer.echo(f"{key}: {getattr(a, key)}")
    except LienthongError as exc:
        _die(exc)


def _set_state(code: str, state: str, db: str | None, data_dir: str | None) -> None:
    hub = _hub(db, data_dir)
    try:
        with hub.write() as s:
            directory.set_state(s, code, state, hub.clock())
        typer.echo(f"{code}: {state}")
    except LienthongError as exc:
        _die(exc)


@agency_app.command("suspend")
def agency_suspend(code: str, db: DbOpt = None, data_dir: DirOpt = None) -> None:
    """Suspend an agency: it can neither send nor receive."""
    _set_state(code, "suspended", db, data_dir)


@agency_app.command("resume")
def agency_resume(code: str, db: DbOpt = None, data_dir: DirOpt = None) -> None:
    """Make a suspended agency active again."""
    _set_state(code, "active", db, data_dir)


@agency_app.command("remove")
def agency_remove(code: str, db: DbOpt = None, data_dir: DirOpt = None) -> None:
    """Remove an agency from the directory (kept for history, listed as deleted to sync clients)."""
    _set_state(code, "removed", db, data_dir)


@agency_app.command("import")
def agency_import(file: Path, db: DbOpt = None, data_dir: DirOpt = None) -> None:
    """Import agencies from CSV (code,name,parent,emails,legacy) or JSON; existing codes are skipped."""
    hub = _hub(db, data_dir)
    try:
        with hub.write() as s:
            added, skipped = directory.import_agencies(s, file, hub.clock())
    except LienthongError as exc:
        _die(exc)
    typer.echo(f"imported {added} agencies, skipped {skipped} already present or without a code")


@system_app.command("add")
def system_add(
    system_id: str,
    agency: list[str] = typer.Option(..., "--agency", help="An agency this system acts for (repeatable)."),
    secret: str | None = typer.Option(None, "--secret", help="The SDK secret (generated when absent)."),
    db: DbOpt = None,
    data_dir: DirOpt = None,
) -> None:
    """Register a connected system; prints a generated secret once."""
    hub = _hub(db, data_dir)
    try:
        with hub.write() as s:
            _, value = directory.add_system(s, hub.keys, system_id, agency, hub.clock(), secret)
    except LienthongError as exc:
        _die(exc)
    typer.echo(f"system {system_id} acts for {', '.join(agency)}")
    if secret is None:
        typer.echo(f"secret (shown once): {value}")


@system_app.command("list")
def system_list(db: DbOpt = None, data_dir: DirOpt = None) -> None:
    """List connected systems and the agencies they act for."""
    from sqlalchemy import select

    from lienthong.store.tables import System

    hub = _hub(db, data_dir)
    table = Table("system id", "agencies", "state", "roles", "last contact")
    with hub.read() as s:
        for system in s.execute(select(System).order_by(System.system_id)).scalars():
            table.add_row(
                system.system_id,
                ", ".join(system.agency_codes),
                system.state,
                " ".join(
                    n for n, on in (("operator", system.operator), ("register", system.can_register)) if on
                ),
                str(system.last_contact_at or ""),
            )
    Console().print(table)


def _grant(system_id: str, db: str | None, data_dir: str | None, **grants: bool) -> None:
    from lienthong.hub import registration

    hub = _hub(db, data_dir)
    try:
        with hub.write() as s:
            registration.set_grants(s, system_id, hub.clock(), **grants)
    except LienthongError as exc:
        _die(exc)
    typer.echo(f"{system_id}: {', '.join(f'{k}={v}' for k, v in grants.items())}")


@system_app.command("grant-operator")
def system_grant_operator(
    system_id: str,
    revoke: bool = typer.Option(False, "--revoke", help="Withdraw the role."),
    db: DbOpt = None,
    data_dir: DirOpt = None,
) -> None:
    """Give a system (and its API tokens) the hub operator's role: national reports, any timeline."""
    _grant(system_id, db, data_dir, operator=not revoke)


@system_app.command("allow-register")
def system_allow_register(
    system_id: str,
    revoke: bool = typer.Option(False, "--revoke", help="Withdraw the permission."),
    db: DbOpt = None,
    data_dir: DirOpt = None,
) -> None:
    """Let a system register units under its own level-1 bodies (SDK registerAgency); off by default."""
    _grant(system_id, db, data_dir, can_register=not revoke)


@system_app.command("limits")
def system_limits(
    system_id: str,
    rate: float | None = typer.Option(None, "--rate", help="Requests per second (default: the hub's)."),
    burst: int | None = typer.Option(None, "--burst", help="Burst size (default: the hub's)."),
    db: DbOpt = None,
    data_dir: DirOpt = None,
) -> None:
    """Set a system's own rate limit; without options it goes back to the hub's default."""
    from lienthong.hub import registration

    hub = _hub(db, data_dir)
    try:
        with hub.write() as s:
            registration.set_limits(s, system_id, hub.clock(), rate, burst)
    except LienthongError as exc:
        _die(exc)
    typer.echo(f"{system_id}: rate {rate or 'default'}/s, burst {burst or 'default'}")


@system_app.command("rotate-secret")
def system_rotate(
    system_id: str,
    secret: str | None = typer.Option(None, "--secret"),
    db: DbOpt = None,
    data_dir: DirOpt = None,
) -> None:
    """Give a system a new SDK secret (printed once when generated)."""
    hub = _hub(db, data_dir)
    try:
        with hub.write() as s:
            value = directory.rotate_secret(s, hub.keys, system_id, hub.clock(), secret)
    except LienthongError as exc:
        _die(exc)
    typer.echo(f"new secret (shown once): {value}" if secret is None else "secret changed")


@system_app.command("remove")
def system_remove(system_id: str, db: DbOpt = None, data_dir: DirOpt = None) -> None:
    """Remove a connected system (its agencies stay in the directory)."""
    hub = _hub(db, data_dir)
    try:
        with hub.write() as s:
            directory.remove_system(s, system_id, hub.clock())
    except LienthongError as exc:
        _die(exc)
    typer.echo(f"removed {system_id}")


@system_app.command("token")
def system_token(
    system_id: str, label: str = typer.Option("", "--label"), db: DbOpt = None, data_dir: DirOpt = None
) -> None:
    """Issue a JSON-API bearer token for a system (printed once; only its hash is kept)."""
    hub = _hub(db, data_dir)
    try:
        with hub.write() as s:
            token = directory.issue_token(s, system_id, hub.clock(), label)
    except LienthongError as exc:
        _die(exc)
    typer.echo(token)


@audit_app.command("verify")
def audit_verify(db: DbOpt = None, data_dir: DirOpt = None) -> None:
    """Check the audit chain; exit 1 and name the first broken entry if it was altered."""
    hub = _hub(db, data_dir)
    report = hub.verify_audit()
    if report.ok:
        typer.echo(f"audit chain intact: {report.entries} entries")
        return
    typer.echo(f"audit chain BROKEN at entry {report.first_broken}: {report.reason}", err=True)
    raise typer.Exit(1)


@agency_app.command("certificate")
def agency_certificate(code: str, file: Path, db: DbOpt = None, data_dir: DirOpt = None) -> None:
    """Register the certificate an agency signs with (PEM), checked against its signatures and TLS clients."""
    from cryptography import x509

    hub = _hub(db, data_dir)
    try:
        pem = file.read_bytes()
        x509.load_pem_x509_certificate(pem)
    except (OSError, ValueError) as exc:
        typer.echo(f"không đọc được chứng thư / unreadable certificate {file}: {exc}", err=True)
        raise typer.Exit(2) from None
    try:
        with hub.write() as s:
            agency = directory.get_agency(s, code)
            agency.certificate_pem = pem.decode("ascii")
            agency.version = directory.next_version(s)
            from lienthong.hub import audit

            audit.append(s, hub.clock(), "operator", "agency.certificate", code, {"file": str(file)})
    except LienthongError as exc:
        _die(exc)
    typer.echo(f"{code}: certificate registered")


@app.command("reoffer")
def reoffer(delivery_id: str, db: DbOpt = None, data_dir: DirOpt = None) -> None:
    """Offer a delivery the recipient reported as failed (a receive error) again."""
    hub = _hub(db, data_dir)
    try:
        hub.reoffer(delivery_id)
    except LienthongError as exc:
        _die(exc)
    typer.echo(f"{delivery_id}: pending again")


# --- monitoring: the status screen (lienthong.monitor) -------------------------------------------------


@app.command("status")
def status(
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    days: int = typer.Option(7, help="Days of uptime to show."),
    db: DbOpt = None,
    data_dir: DirOpt = None,
) -> None:
    """What is healthy, what is not and since when: checks, certificates, agency contact and uptime.

    Settings come from LIENTHONG_MONITOR_* (see docs/deployment.md). Exit 1 when the hub is not ready.
    """
    from datetime import UTC, datetime

    from sqlalchemy.exc import SQLAlchemyError

    from lienthong.cli.monitor_view import render_status
    from lienthong.monitor.config import MonitorConfig
    from lienthong.monitor.hub import HubMonitor, unreachable_status

    try:
        # Not open_hub: an unreachable database is this command's report, not a reason to stop.
        hub = Hub(HubConfig.from_env(db, data_dir))
    except (SQLAlchemyError, OSError) as exc:
        report = unreachable_status(
            str(exc).splitlines()[0] if str(exc) else type(exc).__name__, datetime.now(UTC)
        )
    else:
        monitor = HubMonitor(hub, MonitorConfig.from_env())
        try:
            report = monitor.status(days)
        finally:
            monitor.stop()
            hub.close()
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        render_status(Console(), report)
    if not report["readiness"]["ready"]:
        raise typer.Exit(1)


# --- federation (issue 16): the upstream link and the relay queue ---------------------------------------

upstream_app = typer.Typer(
    help="The upstream hub this hub relays to (provincial or ministry hub).", no_args_is_help=True
)
relays_app = typer.Typer(
    help="Packages relayed to the upstream hub: waiting, failed, resend.", invoke_without_command=True
)
app.add_typer(upstream_app, name="upstream")
app.add_typer(relays_app, name="relays")


def _federation(db: str | None, data_dir: str | None) -> tuple[Hub, Federation]:
    from lienthong.hub.relay import Federation, FederationConfig

    hub = _hub(db, data_dir)
    return hub, Federation(hub, FederationConfig.from_env())


@upstream_app.command("set")
def upstream_set(
    protocol: str = typer.Option(
        ..., "--protocol", help="sdk (today's national hub) or json (a Lienthong hub)."
    ),
    url: str = typer.Option(
        ..., "--url", help="The upstream's address (the SDK endpoint, or the hub's root)."
    ),
    hub_code: str = typer.Option(
        ..., "--hub-code", help="This hub's code, written in each relayed TraceHeader."
    ),
    system_id: str = typer.Option("", "--system-id", help="This hub's systemid upstream (sdk)."),
    secret_file: Path | None = typer.Option(None, "--secret-file", help="File holding the secret (sdk)."),
    token_file: Path | None = typer.Option(
        None, "--token-file", help="File holding the bearer token (json)."
    ),
    db: DbOpt = None,
    data_dir: DirOpt = None,
) -> None:
    """Set (or replace) the upstream link; the credential is stored encrypted with the hub's keys."""
    from lienthong.hub import upstream

    source = secret_file if protocol == "sdk" else token_file
    if source is None:
        flag = "--secret-file" if protocol == "sdk" else "--token-file"
        _die(LienthongError(HP.UPSTREAM_BAD_LINK("", detail=f"{flag} is required for --protocol {protocol}")))
        return
    try:
        credential = source.read_text(encoding="utf-8").strip()
    except OSError as exc:
        _die(LienthongError(HP.UPSTREAM_BAD_LINK("", detail=f"cannot read {source}: {exc.strerror}")))
        return
    hub = _hub(db, data_dir)
    try:
        with hub.write() as s:
            settings = upstream.LinkSettings(protocol, url, credential, hub_code, system_id)
            upstream.set_link(s, hub.keys, settings, hub.clock())
    except LienthongError as exc:
        _die(exc)
    typer.echo(f"upstream: {protocol} {url} (this hub: {hub_code})")


@upstream_app.command("show")
def upstream_show(
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    db: DbOpt = None,
    data_dir: DirOpt = None,
) -> None:
    """The link (never its credential), its health and the relay backlog."""
    from lienthong.hub import upstream
    from lienthong.hub.relay import link_health

    hub = _hub(db, data_dir)
    with hub.read() as s:
        link = upstream.view(s)
    if link is None:
        _die(LienthongError(HP.UPSTREAM_NOT_CONFIGURED("")))
        return
    health = link_health(hub)
    out = link.to_dict() | {
        "backlog": health.backlog,
        "failed": health.failed,
        "oldest_waiting": health.oldest_waiting.isoformat() if health.oldest_waiting else None,
    }
    if as_json:
        typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    for key, value in out.items():
        typer.echo(f"{key}: {'' if value is None else value}")


def _upstream_call(db: str | None, data_dir: str | None, work: Callable[[Federation], T]) -> T:
    """Run ``work`` against the upstream now; its failures end the command with their code."""
    from lienthong.client.models import HubRefused, HubUnavailable

    _, federation = _federation(db, data_dir)
    try:
        return work(federation)
    except LienthongError as exc:
        _die(exc)
    except (HubUnavailable, HubRefused) as exc:
        _die(LienthongError(HP.UPSTREAM_UNREACHABLE("", detail=str(exc))))
    finally:
        federation.stop()
    raise typer.Exit(1)  # not reached: _die exits


@upstream_app.command("sync")
def upstream_sync(db: DbOpt = None, data_dir: DirOpt = None) -> None:
    """Synchronise the directory from the upstream now (changes since the version last seen)."""
    result = _upstream_call(db, data_dir, lambda f: f.sync())
    typer.echo(
        f"directory: {result.added} added, {result.updated} updated, "
        f"{result.skipped_local} local codes kept; upstream version {result.version}"
    )


@upstream_app.command("pull")
def upstream_pull(db: DbOpt = None, data_dir: DirOpt = None) -> None:
    """Take what the upstream holds for this hub's units now (and send what waits to go up)."""
    taken, sent = _upstream_call(db, data_dir, lambda f: (f.pull(), f.relay_due()))
    typer.echo(f"pulled {taken}, relays tried {sent}")


@relays_app.callback()
def relays_list(
    ctx: typer.Context,
    state: str | None = typer.Option(None, "--state", help="waiting, sent or failed."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    db: DbOpt = None,
    data_dir: DirOpt = None,
) -> None:
    """The relay queue: what waits to go upstream, what went, what failed (with the upstream's code)."""
    if ctx.invoked_subcommand is not None:
        return
    from lienthong.hub.relay import list_relays

    rows = list_relays(_hub(db, data_dir), state)
    if as_json:
        typer.echo(json.dumps([r.to_dict() for r in rows], ensure_ascii=False, indent=2))
        return
    table = Table("relay", "doc_id", "sender", "to", "state", "tries", "error")
    for r in rows:
        table.add_row(
            r.relay_id, r.doc_id, r.sender, r.recipients, r.state, str(r.attempts), r.error_code or ""
        )
    Console().print(table)


@relays_app.command("resend")
def relays_resend(
    relay_id: str | None = typer.Argument(None, help="The relay to send again."),
    all_failed: bool = typer.Option(False, "--all-failed", help="Every failed relay."),
    db: DbOpt = None,
    data_dir: DirOpt = None,
) -> None:
    """Put failed relays back in the queue (the same bytes: the upstream answers a repeat with its id)."""
    from lienthong.hub.relay import resend

    if not relay_id and not all_failed:
        _die(LienthongError(HP.BAD_REQUEST("", detail="name a relay or pass --all-failed")))
    try:
        count = resend(_hub(db, data_dir), relay_id, all_failed)
    except LienthongError as exc:
        _die(exc)
        return
    typer.echo(f"{count} relay(s) queued again")
