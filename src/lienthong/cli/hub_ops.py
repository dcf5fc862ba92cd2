"""``lienthong hub backup | restore | archive``: keep a hub's data safe and its hot tables small."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from lienthong.hub import archive as archiving
from lienthong.hub import backup as backups
from lienthong.hub import problems as HP
from lienthong.hub.config import HubConfig
from lienthong.hub.service import Hub
from lienthong.problems import LienthongError

DbOpt = Annotated[str | None, typer.Option("--db", help="Database URL (env LIENTHONG_HUB_DB).")]
DirOpt = Annotated[str | None, typer.Option("--data-dir", help="Data folder (env LIENTHONG_DATA_DIR).")]


def _die(exc: LienthongError) -> None:
    p = exc.problem
    typer.echo(f"{p.code}: {p.message_vi} / {p.message_en}", err=True)
    raise typer.Exit(1)


def backup(
    out: Path = typer.Option(..., "--out", help="An empty or new folder for the backup."),
    db: DbOpt = None,
    data_dir: DirOpt = None,
) -> None:
    """Back up the hub while it runs: the database (SQLite online backup or pg_dump) and its bodies."""
    Hub(HubConfig.from_env(db, data_dir)).close()  # the schema is current before it is copied
    try:
        report = backups.backup(HubConfig.from_env(db, data_dir), out, datetime.now(UTC))
    except LienthongError as exc:
        _die(exc)
        return
    typer.echo(
        f"backup of a {report.engine} hub in {report.folder}: {report.packages} packages, "
        f"{report.bodies} bodies, audit chain to entry {report.audit_seq}"
    )


def restore(
    source: Path = typer.Option(..., "--from", help="A folder written by 'hub backup'."),
    db: DbOpt = None,
    data_dir: DirOpt = None,
) -> None:
    """Restore a backup into a new database and data folder, then check the audit chain and bodies."""
    config = HubConfig.from_env(db, data_dir)
    try:
        manifest = backups.restore(source, config)
    except LienthongError as exc:
        _die(exc)
        return
    hub = Hub(config)
    try:
        report = hub.verify_audit()
        missing = hub.missing_bodies()
    finally:
        hub.close()
    if not report.ok or missing:
        detail = f"audit chain: {report.reason or 'intact'}; {len(missing)} packages without their body"
        _die(LienthongError(HP.OPERATION("", detail=f"the restored hub does not check: {detail}")))
    typer.echo(
        f"restored {manifest['packages']} packages; audit chain intact ({report.entries} entries); "
        "every package has its body"
    )


def archive(
    before: datetime = typer.Option(
        ..., "--before", formats=["%Y-%m-%d"], help="Archive packages received before."
    ),
    out: Path = typer.Option(..., "--out", help="An empty or new folder for the archive."),
    db: DbOpt = None,
    data_dir: DirOpt = None,
) -> None:
    """Move closed packages received before DATE to a verifiable archive folder."""
    hub = Hub(HubConfig.from_env(db, data_dir))
    try:
        with hub.write() as s:
            report = archiving.archive(s, hub.blobs, before.replace(tzinfo=UTC), out, hub.clock())
    except LienthongError as exc:
        _die(exc)
        return
    finally:
        hub.close()
    problems = archiving.verify(out)
    typer.echo(
        f"archived {report.packages} packages ({report.deliveries} deliveries) to {out}; "
        f"{report.bodies_removed} bodies removed; archive check: {'; '.join(problems) or 'intact'}"
    )
