"""Retention: old, closed packages move out of the hot tables into a verifiable archive folder.

A package is archived when it was received before the date, none of its copies is still open
(pending or fetched), and no row that stays refers to it. The folder holds ``packages.jsonl``
(each package with its deliveries, status events and the audit entries about them, hashes
included), the bodies under ``blobs/`` and a manifest with SHA-256s; ``verify`` checks it all.
The audit chain itself is never cut: the hub keeps every entry, so ``hub audit verify`` still
passes and each archived entry can be matched against it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from lienthong.hub import audit
from lienthong.hub import problems as HP
from lienthong.problems import LienthongError
from lienthong.store.blobs import FileBlobStore, file_sha256
from lienthong.store.tables import AuditEntry, Counter, Delivery, Package, StatusEvent

OPEN = ("pending", "fetched")
CHUNK = 500


class ArchiveError(LienthongError):
    pass


@dataclass(frozen=True)
class ArchiveReport:
    folder: Path
    packages: int
    deliveries: int
    bodies_removed: int


def _columns(row: Any) -> dict[str, Any]:
    return {c.key: _plain(getattr(row, c.key)) for c in row.__table__.columns}


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def candidates(session: Session, before: datetime) -> list[int]:
    """Ids of packages old and closed enough to archive, none referred to by a row that stays."""
    old = set(session.execute(select(Package.id).where(Package.received_at < before)).scalars())
    still_open = select(Delivery.package_id).where(Delivery.state.in_(OPEN), Delivery.package_id.in_(old))
    chosen = old - set(session.execute(still_open).scalars()) if old else set()
    while True:  # drop packages that a staying row points at, until nothing changes
        kept_refs: set[int] = set()
        for column, owner in (
            (Package.answers_package_id, Package.id),
            (Delivery.superseded_by, Delivery.package_id),
        ):
            rows = session.execute(select(column, owner).where(column.is_not(None))).all()
            kept_refs |= {ref for ref, by in rows if ref in chosen and by not in chosen}
        events = session.execute(
            select(StatusEvent.status_package_id, Delivery.package_id).join(
                Delivery, StatusEvent.delivery_pk == Delivery.id
            )
        ).all()
        kept_refs |= {ref for ref, by in events if ref in chosen and by not in chosen}
        if not kept_refs:
            return sorted(chosen)
        chosen -= kept_refs


def _records(session: Session, ids: list[int]) -> Iterator[dict[str, Any]]:
    packages = session.execute(select(Package).where(Package.id.in_(ids)).order_by(Package.id)).scalars()
    for package in packages:
        deliveries = list(package.deliveries)
        events = session.execute(
            select(StatusEvent).where(StatusEvent.delivery_pk.in_([d.id for d in deliveries]))
        ).scalars()
        subjects = [package.doc_id, *(d.delivery_id for d in deliveries)]
        entries = session.execute(
            select(AuditEntry).where(AuditEntry.subject.in_(subjects)).order_by(AuditEntry.seq)
        ).scalars()
        yield {
            "package": _columns(package),
            "deliveries": [_columns(d) for d in deliveries],
            "status_events": [_columns(e) for e in events],
            "audit": [_columns(e) for e in entries],
        }


def archive(
    session: Session, blobs: FileBlobStore, before: datetime, out: Path, now: datetime
) -> ArchiveReport:
    """Export then remove, in the caller's transaction; bodies no package needs are deleted after."""
    if out.exists() and any(out.iterdir()):
        raise ArchiveError(HP.OPERATION("", detail=f"{out} is not empty"))
    ids = candidates(session, before)
    (out / "blobs").mkdir(parents=True, exist_ok=True)
    jsonl = out / "packages.jsonl"
    keys: set[str] = set()
    deliveries = 0
    with jsonl.open("w", encoding="utf-8") as fh:
        for start in range(0, len(ids), CHUNK):
            for record in _records(session, ids[start : start + CHUNK]):
                key = record["package"]["blob_key"]
                if key not in keys and blobs.exists(key):
                    _copy_synced(blobs.root / key[:2] / key[2:4] / key, out / "blobs" / key)
                keys.add(key)
                deliveries += len(record["deliveries"])
                fh.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    head = session.execute(select(Counter).where(Counter.name == "audit_head")).scalar_one_or_none()
    manifest = {
        "before": before.isoformat(),
        "at": now.isoformat(),
        "packages": len(ids),
        "deliveries": deliveries,
        "packages_sha256": file_sha256(jsonl),
        "audit_seq": head.value if head else 0,
        "audit_head": head.text if head else "",
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    _remove(session, ids)
    details = {"before": manifest["before"], "packages": len(ids), "sha256": manifest["packages_sha256"]}
    audit.append(session, now, "operator", "archive", str(out.name), details)
    session.flush()
    still_used = set(session.execute(select(Package.blob_key).where(Package.blob_key.in_(keys))).scalars())
    removed = 0
    for key in keys - still_used:
        path = blobs.root / key[:2] / key[2:4] / key
        if path.exists():
            path.unlink()
            removed += 1
    return ArchiveReport(out, len(ids), deliveries, removed)


def _remove(session: Session, ids: list[int]) -> None:
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        pks = select(Delivery.id).where(Delivery.package_id.in_(chunk))
        session.execute(delete(StatusEvent).where(StatusEvent.delivery_pk.in_(pks)))
        session.execute(delete(StatusEvent).where(StatusEvent.status_package_id.in_(chunk)))
        session.execute(delete(Delivery).where(Delivery.package_id.in_(chunk)))
        session.execute(delete(Package).where(Package.id.in_(chunk)))


def verify(folder: Path) -> list[str]:
    """What does not check in an archive folder (an empty list: it is intact)."""
    problems: list[str] = []
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    jsonl = folder / "packages.jsonl"
    if file_sha256(jsonl) != manifest["packages_sha256"]:
        problems.append("packages.jsonl does not match the manifest")
    count = 0
    with jsonl.open(encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            count += 1
            package = record["package"]
            body = folder / "blobs" / package["blob_key"]
            if not body.exists() or file_sha256(body) != package["sha256"]:
                problems.append(f"the body of {package['doc_id']} is missing or altered")
            for e in record["audit"]:
                at = datetime.fromisoformat(e["at"])
                digest = audit.entry_hash(
                    e["prev_hash"], e["seq"], at, e["actor"], e["action"], e["subject"], e["details"]
                )
                if digest != e["hash"]:
                    problems.append(f"audit entry {e['seq']} of {package['doc_id']} does not match its hash")
    if count != manifest["packages"]:
        problems.append(f"{count} packages listed, the manifest says {manifest['packages']}")
    return problems


def _copy_synced(source: Path, target: Path) -> None:
    with source.open("rb") as src, target.open("wb") as dst:
        while chunk := src.read(1 << 20):
            dst.write(chunk)
        dst.flush()
        os.fsync(dst.fileno())
