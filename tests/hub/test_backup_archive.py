"""Backup and restore round-trip (audit chain and bodies intact, same packages served); the archive."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lienthong.cli.main import app as cli
from lienthong.hub import archive
from lienthong.hub.config import HubConfig
from lienthong.hub.service import Hub
from tests.hub.conftest import document, pg_database, send, system


@pytest.fixture
def restore_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """A new, empty database of the same engine to restore into."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored' / 'hub.sqlite3'}"
        return
    with pg_database() as url:
        yield url


def test_backup_then_restore_passes_audit_verify_and_serves_the_same_packages(
    hub: Hub, tmp_path: Path, db_url: str, restore_url: str
) -> None:
    bodies = {send(hub, "vpcp.sys", document(number=str(700 + n))).doc_id: n for n in range(3)}
    nghean = system(hub, "nghean.sys")
    before = {i.delivery_id: i.notation for i in hub.pending(nghean)}
    first = next(iter(before))
    path, _ = hub.fetch(nghean, first)
    original = path.read_bytes()
    hub.ack(nghean, first, "done")
    data = str(tmp_path / "data")
    runner = CliRunner()
    done = runner.invoke(
        cli, ["hub", "backup", "--out", str(tmp_path / "bk"), "--db", db_url, "--data-dir", data]
    )
    assert done.exit_code == 0, done.output
    assert "3 packages" in done.output
    target = str(tmp_path / "restored-data")
    args = ["hub", "restore", "--from", str(tmp_path / "bk"), "--db", restore_url, "--data-dir", target]
    restored = runner.invoke(cli, args)
    assert restored.exit_code == 0, restored.output
    verify = runner.invoke(cli, ["hub", "audit", "verify", "--db", restore_url, "--data-dir", target])
    assert verify.exit_code == 0 and "intact" in verify.output
    again = Hub(HubConfig(data_dir=Path(target), db_url=restore_url))
    try:
        waiting = {i.delivery_id: i.notation for i in again.pending(system(again, "nghean.sys"))}
        assert waiting == {k: v for k, v in before.items() if k != first}
        path, _ = again.fetch(system(again, "nghean.sys"), first)  # done, but its bytes are there
        assert path.read_bytes() == original
    finally:
        again.close()
    assert len(bodies) == 3
    # Restoring over a hub that has data is refused, not merged.
    twice = runner.invoke(cli, args)
    assert twice.exit_code == 1 and "HUB.OPERATION" in twice.output


def test_archive_moves_old_closed_packages_out_and_the_archive_verifies(hub: Hub, tmp_path: Path) -> None:
    hub.clock = lambda: datetime(2025, 6, 1, 9, 0, tzinfo=UTC)
    old = [
        send(hub, "vpcp.sys", document(number=str(800 + n), recipients=("000.00.00.H41",))) for n in range(3)
    ]
    still_open = send(hub, "vpcp.sys", document(number="810", recipients=("000.00.00.H41",)))
    nghean = system(hub, "nghean.sys")
    for accepted in old:
        delivery = accepted.deliveries[0].delivery_id
        assert delivery is not None
        hub.fetch(nghean, delivery)
        hub.ack(nghean, delivery, "done")
    hub.clock = lambda: datetime.now(UTC)
    recent = send(hub, "vpcp.sys", document(number="820", recipients=("000.00.00.H41",)))
    old_key = old[0].sha256
    assert hub.blobs.exists(old_key)
    out = tmp_path / "archive-2025"
    with hub.write() as s:
        report = archive.archive(s, hub.blobs, datetime(2026, 1, 1, tzinfo=UTC), out, hub.clock())
    assert (report.packages, report.deliveries, report.bodies_removed) == (3, 3, 3)
    assert archive.verify(out) == []
    assert not hub.blobs.exists(old_key)  # out of the hot store, kept in the archive
    assert (out / "blobs" / old_key).exists()
    assert hub.verify_audit().ok  # the chain is never cut
    waiting = {i.delivery_id for i in hub.pending(nghean)}
    assert {still_open.deliveries[0].delivery_id, recent.deliveries[0].delivery_id} == waiting
    # An altered body in the archive is found.
    (out / "blobs" / old_key).write_bytes(b"changed")
    assert any("missing or altered" in p for p in archive.verify(out))


def test_archive_cli_reports_and_checks(hub: Hub, tmp_path: Path, db_url: str) -> None:
    hub.clock = lambda: datetime(2025, 6, 1, 9, 0, tzinfo=UTC)
    accepted = send(hub, "vpcp.sys", document(number="830", recipients=("000.00.00.H41",)))
    delivery = accepted.deliveries[0].delivery_id
    assert delivery is not None
    hub.ack(system(hub, "nghean.sys"), delivery, "done")
    hub.close()
    args = ["hub", "archive", "--before", "2026-01-01", "--out", str(tmp_path / "a"), "--db", db_url]
    result = CliRunner().invoke(cli, [*args, "--data-dir", str(tmp_path / "data")])
    assert result.exit_code == 0, result.output
    assert "archived 1 packages" in result.output and "intact" in result.output
