"""Backup and restore of a hub: the database (SQLite online backup, or pg_dump) and the data folder.

The database is copied first, the bodies after: a body is in place before the commit that names
it, so every package in the copied database finds its body in the copied folder. A manifest
records the engine, the audit chain's head at the time and a SHA-256 of each database file.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, inspect, select
from sqlalchemy.engine import make_url

from lienthong.hub import problems as HP
from lienthong.hub.config import HubConfig
from lienthong.problems import LienthongError
from lienthong.store.blobs import file_sha256
from lienthong.store.db import make_engine, normalise_url
from lienthong.store.tables import Counter, Package

MANIFEST = "manifest.json"
SQLITE_FILE = "hub.sqlite3"
PG_FILE = "hub.pgdump"


class BackupError(LienthongError):
    pass


def _fail(detail: str) -> BackupError:
    return BackupError(HP.OPERATION("", detail=detail))


@dataclass(frozen=True)
class BackupReport:
    folder: Path
    engine: str
    packages: int
    audit_seq: int
    bodies: int


def backup(config: HubConfig, out: Path, now: datetime) -> BackupReport:
    """Copy the hub's database and data folder into ``out`` (which must not exist or be empty)."""
    if out.exists() and any(out.iterdir()):
        raise _fail(f"{out} is not empty")
    out.mkdir(parents=True, exist_ok=True)
    url = normalise_url(config.database_url)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            head = conn.execute(
                select(Counter.value, Counter.text).where(Counter.name == "audit_head")
            ).first()
            packages = int(conn.execute(select(func.count(Package.id))).scalar_one())
    finally:
        engine.dispose()
    if url.startswith("sqlite"):
        kind, dump = "sqlite", out / SQLITE_FILE
        _sqlite_backup(Path(make_url(url).database or ""), dump)
    else:
        kind, dump = "postgresql", out / PG_FILE
        _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(dump), _libpq(url)])
    bodies = _copy_tree(config.blob_dir, out / "blobs", skip={"tmp"})
    _copy_tree(config.key_dir, out / "keys")
    manifest = {
        "engine": kind,
        "at": now.isoformat(),
        "database_file": dump.name,
        "database_sha256": file_sha256(dump),
        "packages": packages,
        "audit_seq": head[0] if head else 0,
        "audit_head": head[1] if head else "",
        "bodies": bodies,
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return BackupReport(out, kind, packages, head[0] if head else 0, bodies)


def restore(source: Path, config: HubConfig) -> dict[str, Any]:
    """Restore a backup into an empty database and data folder; returns the manifest."""
    try:
        manifest: dict[str, Any] = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _fail(f"{source} is not a hub backup: {exc}") from None
    dump = source / manifest["database_file"]
    if file_sha256(dump) != manifest["database_sha256"]:
        raise _fail(f"{dump} does not match its manifest (damaged or altered)")
    url = normalise_url(config.database_url)
    if (url.startswith("sqlite")) != (manifest["engine"] == "sqlite"):
        raise _fail(f"the backup is of a {manifest['engine']} hub; the target database is not")
    if config.blob_dir.exists() and any(p.name != "tmp" for p in config.blob_dir.iterdir()):
        raise _fail(f"{config.blob_dir} already holds package bodies: restore into a new data folder")
    if url.startswith("sqlite"):
        target = Path(make_url(url).database or "")
        if target.exists():
            raise _fail(f"{target} exists: restore into a new database")
        target.parent.mkdir(parents=True, exist_ok=True)
        _sqlite_backup(dump, target)
    else:
        engine = make_engine(url)
        try:
            if inspect(engine).get_table_names():
                raise _fail("the target PostgreSQL database is not empty")
        finally:
            engine.dispose()
        _run(["pg_restore", "--no-owner", "--exit-on-error", "--dbname", _libpq(url), str(dump)])
    _copy_tree(source / "blobs", config.blob_dir)
    _copy_tree(source / "keys", config.key_dir)
    return manifest


def _sqlite_backup(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent copy while the hub keeps writing."""
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _run(command: list[str]) -> None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise _fail(f"{command[0]} is not installed (Debian: apt-get install postgresql-client)") from None
    if done.returncode != 0:
        raise _fail(f"{command[0]} failed: {done.stderr.strip()[:500]}")


def _copy_tree(source: Path, target: Path, skip: frozenset[str] | set[str] = frozenset()) -> int:
    """Copy files that are not there yet (bodies are immutable); returns how many files."""
    count = 0
    if not source.exists():
        return 0
    for path in source.rglob("*"):
        relative = path.relative_to(source)
        if relative.parts[0] in skip or not path.is_file():
            continue
        destination = target / relative
        if not destination.exists():
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, destination)
        count += 1
    return count
