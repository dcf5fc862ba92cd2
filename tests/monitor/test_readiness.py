"""Readiness breaks for real when a dependency breaks, names the right reason, and recovers.

Each test breaks one thing the way it breaks in production: the database file disappears or its
disk turns read-only, the PostgreSQL database refuses connections or writes, the storage disk
fills up or turns read-only, the trust store is missing, a certificate expires, a scheduler stops.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from lienthong.api.app import create_app
from lienthong.hub.service import Hub
from lienthong.monitor.checks import DatabaseCheck
from lienthong.monitor.config import MonitorConfig
from lienthong.monitor.health import Status
from lienthong.monitor.hub import HubMonitor
from lienthong.store.db import make_engine
from tests.hub.conftest import PG_ADMIN, Server
from tests.monitor.conftest import Clock, make_certificate, new_hub, pem

SMALL = 64 * 1024  # the free-space threshold used with the 1 MB tmpfs


def config(**kwargs: Any) -> MonitorConfig:
    """Settings for a test on a hand-moved clock: no background loop (its heartbeat follows real time)."""
    kwargs.setdefault("min_free_bytes", SMALL)
    return MonitorConfig(background=False, **kwargs)


def ready(http: httpx.Client) -> tuple[int, dict[str, Any]]:
    answer = http.get("/health/ready")
    return answer.status_code, answer.json()


@pytest.fixture
def sqlite_hub(tmp_path: Path, clock: Clock) -> Iterator[Hub]:
    hub = new_hub(tmp_path, f"sqlite:///{tmp_path / 'hub.sqlite3'}", clock)
    yield hub
    hub.close()


def test_live_and_ready_on_a_healthy_hub(tmp_path: Path, db_url: str, clock: Clock) -> None:
    hub = new_hub(tmp_path, db_url, clock)
    monitor = HubMonitor(hub, MonitorConfig(min_free_bytes=SMALL))  # with its loop, as served
    try:
        with Server(create_app(hub, monitor=monitor)) as server, httpx.Client(base_url=server.url) as http:
            assert http.get("/health/live").json()["status"] == "ok"
            status, body = ready(http)
            assert status == 200 and body["ready"] is True and body["status"] == "ok"
            assert set(body["checks"]) >= {"database", "storage", "monitor"}
            for check in body["checks"].values():
                assert (check["status"], check["reason"]) == ("ok", "OK")
                assert check["since"] == clock.now.isoformat()
    finally:
        hub.close()


def test_sqlite_file_gone_then_back(sqlite_hub: Hub, tmp_path: Path, clock: Clock) -> None:
    monitor = HubMonitor(sqlite_hub, config())
    database = tmp_path / "hub.sqlite3"
    with Server(create_app(sqlite_hub, monitor=monitor)) as server, httpx.Client(base_url=server.url) as http:
        assert ready(http)[0] == 200
        clock.advance(minutes=5)
        for suffix in ("", "-wal", "-shm"):
            if Path(f"{database}{suffix}").exists():
                os.replace(f"{database}{suffix}", f"{database}{suffix}.moved")
        try:
            status, body = ready(http)
            assert status == 503 and body["ready"] is False
            check = body["checks"]["database"]
            assert (check["status"], check["reason"]) == ("fail", "MONITOR.DATABASE_UNREACHABLE")
            assert check["since"] == clock.now.isoformat()
            assert not database.exists(), "the probe must not create an empty database in its place"
            clock.advance(minutes=1)
            assert (
                ready(http)[1]["checks"]["database"]["since"]
                == (clock.now - timedelta(minutes=1)).isoformat()
            )
        finally:
            for suffix in ("", "-wal", "-shm"):
                if Path(f"{database}{suffix}.moved").exists():
                    os.replace(f"{database}{suffix}.moved", f"{database}{suffix}")
        clock.advance(minutes=1)
        status, body = ready(http)
        assert status == 200, body
        assert body["checks"]["database"]["reason"] == "OK"
        assert body["checks"]["database"]["since"] == clock.now.isoformat()


def test_sqlite_disk_turns_read_only_then_writable(tmp_path: Path, clock: Clock, tmpfs_factory: Any) -> None:
    disk = tmpfs_factory("dbdisk", "16m")
    hub = new_hub(tmp_path, f"sqlite:///{disk.path / 'hub.sqlite3'}", clock)
    monitor = HubMonitor(hub, config())
    try:
        assert monitor.readiness().ready
        disk.read_only()
        try:
            readiness = monitor.readiness()
            assert not readiness.ready
            check = readiness.check("database")
            assert check.result.reason == "MONITOR.DATABASE_READONLY"
            assert "readonly" in check.result.detail
            assert readiness.check("storage").result.reason == "OK"  # only the database broke
        finally:
            disk.writable()
        assert monitor.readiness().check("database").result.reason == "OK"
    finally:
        monitor.stop()
        hub.close()


@pytest.mark.postgres
def test_postgresql_connections_refused_then_allowed(
    tmp_path: Path, clock: Clock, pg_available: bool
) -> None:
    """A test database of its own: connections terminated and refused, then writes refused."""
    name = f"lt_mon_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    hub = new_hub(tmp_path, PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", clock)
    monitor = HubMonitor(hub, config())
    try:
        with Server(create_app(hub, monitor=monitor)) as server, httpx.Client(base_url=server.url) as http:
            assert ready(http)[0] == 200
            with admin.connect() as conn:
                conn.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
                conn.execute(
                    sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                    {"n": name},
                )
            status, body = ready(http)
            assert status == 503
            assert body["checks"]["database"]["reason"] == "MONITOR.DATABASE_UNREACHABLE"
            assert name in body["checks"]["database"]["detail"]
            with admin.connect() as conn:
                conn.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
            status, body = ready(http)
            assert status == 200 and body["checks"]["database"]["reason"] == "OK"

            with admin.connect() as conn:
                conn.execute(sa.text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'))
            status, body = ready(http)
            assert status == 503
            assert body["checks"]["database"]["reason"] == "MONITOR.DATABASE_READONLY"
            assert "read-only" in body["checks"]["database"]["detail"]
            with admin.connect() as conn:
                conn.execute(sa.text(f'ALTER DATABASE "{name}" RESET default_transaction_read_only'))
            status, body = ready(http)
            assert status == 200 and body["checks"]["database"]["reason"] == "OK"
    finally:
        monitor.stop()
        hub.close()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_storage_disk_full_then_freed(tmp_path: Path, clock: Clock, tmpfs_factory: Any) -> None:
    disk = tmpfs_factory("blobs", "1m")
    hub = new_hub(tmp_path, f"sqlite:///{tmp_path / 'hub.sqlite3'}", clock, data_dir=disk.path)
    monitor = HubMonitor(hub, config())
    try:
        with Server(create_app(hub, monitor=monitor)) as server, httpx.Client(base_url=server.url) as http:
            assert ready(http)[0] == 200
            filler = disk.fill()
            status, body = ready(http)
            assert status == 503
            check = body["checks"]["storage"]
            assert (check["status"], check["reason"]) == ("fail", "MONITOR.STORAGE_LOW_SPACE")
            assert check["data"]["free_bytes"] < SMALL
            assert body["checks"]["database"]["reason"] == "OK"
            filler.unlink()
            status, body = ready(http)
            assert status == 200 and body["checks"]["storage"]["data"]["free_bytes"] > SMALL
    finally:
        monitor.stop()
        hub.close()


def test_storage_read_only_then_writable(tmp_path: Path, clock: Clock, tmpfs_factory: Any) -> None:
    disk = tmpfs_factory("blobs", "4m")
    hub = new_hub(tmp_path, f"sqlite:///{tmp_path / 'hub.sqlite3'}", clock, data_dir=disk.path)
    monitor = HubMonitor(hub, config())
    try:
        assert monitor.readiness().ready
        disk.read_only()
        try:
            readiness = monitor.readiness()
            check = readiness.check("storage")
            assert not readiness.ready and check.result.reason == "MONITOR.STORAGE_NOT_WRITABLE"
            assert "Read-only file system" in check.result.detail
        finally:
            disk.writable()
        assert monitor.readiness().check("storage").result.reason == "OK"
    finally:
        monitor.stop()
        hub.close()


def test_free_space_threshold_above_what_is_free(sqlite_hub: Hub) -> None:
    """Without a tmpfs: a threshold above the real free space of the real disk."""
    free = shutil.disk_usage(sqlite_hub.blobs.root).free
    monitor = HubMonitor(sqlite_hub, config(min_free_bytes=free * 2))
    readiness = monitor.readiness()
    assert readiness.check("storage").result.reason == "MONITOR.STORAGE_LOW_SPACE"
    assert readiness.to_dict()["checks"]["storage"]["data"]["free_bytes"] <= free * 2


def test_trust_store_missing_empty_then_loaded(sqlite_hub: Hub, tmp_path: Path, clock: Clock) -> None:
    store = tmp_path / "trust"
    monitor = HubMonitor(sqlite_hub, config(trust_store=store))
    assert monitor.readiness().check("trust_store").result.reason == "MONITOR.TRUST_STORE_MISSING"
    store.mkdir()
    (store / "junk.pem").write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    readiness = monitor.readiness()
    assert not readiness.ready
    assert readiness.check("trust_store").result.reason == "MONITOR.TRUST_STORE_EMPTY"
    ca = make_certificate("Root CA test", clock.now + timedelta(days=3650), ca=True)
    (store / "root.crt").write_bytes(pem(ca))
    readiness = monitor.readiness()
    assert readiness.ready and readiness.check("trust_store").result.data["certificates"] == 1


def test_tls_certificate_expiring_then_expired_then_renewed(
    sqlite_hub: Hub, tmp_path: Path, clock: Clock
) -> None:
    tls = tmp_path / "tls.pem"
    tls.write_bytes(pem(make_certificate("hub.lienthong.test", clock.now + timedelta(days=10))))
    monitor = HubMonitor(sqlite_hub, config(tls_certificates=(tls,)))
    with Server(create_app(sqlite_hub, monitor=monitor)) as server, httpx.Client(base_url=server.url) as http:
        status, body = ready(http)
        check = body["checks"]["certificates"]
        assert status == 200 and body["status"] == "degraded"  # still serving, but someone must act
        assert (check["status"], check["reason"]) == ("warn", "MONITOR.CERT_EXPIRING")
        assert check["data"]["days_left"] == 10 and "hub.lienthong.test" in check["detail"]
        clock.advance(days=11)
        status, body = ready(http)
        assert status == 503
        assert (body["checks"]["certificates"]["status"], body["checks"]["certificates"]["reason"]) == (
            "fail",
            "MONITOR.CERT_EXPIRED",
        )
        tls.write_bytes(pem(make_certificate("hub.lienthong.test", clock.now + timedelta(days=400))))
        status, body = ready(http)
        assert status == 200 and body["status"] == "ok"
        assert body["checks"]["certificates"]["reason"] == "OK"


def test_scheduler_not_started_alive_then_stalled(sqlite_hub: Hub, clock: Clock) -> None:
    monitor = HubMonitor(sqlite_hub, config())
    heartbeat = monitor.register_scheduler("watch", timedelta(minutes=5))
    assert monitor.readiness().check("watch").result.reason == "MONITOR.SCHEDULER_NOT_STARTED"
    heartbeat.beat()
    assert monitor.readiness().ready
    clock.advance(minutes=6)
    readiness = monitor.readiness()
    assert not readiness.ready
    assert readiness.check("watch").result.reason == "MONITOR.SCHEDULER_STALLED"
    heartbeat.beat()
    assert monitor.readiness().check("watch").result.reason == "OK"


def test_since_survives_a_restart(sqlite_hub: Hub, clock: Clock) -> None:
    first = HubMonitor(sqlite_hub, config())
    started = clock.now
    first.readiness()
    clock.advance(hours=2)
    again = HubMonitor(sqlite_hub, config())
    assert again.readiness().check("database").since == started


def test_a_held_write_lock_is_busy_not_read_only(sqlite_hub: Hub, clock: Clock) -> None:
    """Another writer holding the lock past the probe's wait: degraded (still ready), not "read-only"."""
    check = DatabaseCheck(sqlite_hub.engine.url, clock, timeout=0.2)
    try:
        with sqlite_hub.write() as s:
            s.execute(sa.text("SELECT 1"))  # the hub's writer now holds SQLite's write lock
            result = check.run()
        assert (result.status, result.reason) == (Status.WARN, "MONITOR.DATABASE_BUSY")
        assert check.run().reason == "OK"  # the lock is gone
    finally:
        check.close()
