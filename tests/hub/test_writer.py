"""The one writer with group commit: concurrent accepts share batches, refusals and failures stay apart."""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lienthong.hub.intake import Refused
from lienthong.hub.service import Hub
from lienthong.store.tables import ApiToken, Delivery, Package, Refusal
from lienthong.store.writer import Batch
from tests.hub.conftest import document, send


def test_concurrent_accepts_commit_in_batches_and_all_are_durable(hub: Hub) -> None:
    bodies = [document(number=str(100 + n)) for n in range(24)]
    gate = threading.Barrier(8)

    def one(body: bytes) -> str:
        with contextlib.suppress(threading.BrokenBarrierError):
            gate.wait(timeout=5)
        return send(hub, "vpcp.sys", body).doc_id

    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(one, bodies))
    assert len(set(ids)) == 24
    assert hub.writer.jobs >= 24
    with hub.read() as s:
        assert s.execute(select(func.count(Package.id))).scalar_one() == 24
        assert s.execute(select(func.count(Delivery.id))).scalar_one() == 48
        for (key,) in s.execute(select(Package.blob_key)):
            assert hub.blobs.exists(key)  # every committed package has its bytes
    assert hub.verify_audit().ok
    assert not list(hub.blobs.tmp.glob("upload-*"))  # nothing left staged


def test_a_refusal_in_a_batch_is_recorded_and_the_others_commit(hub: Hub) -> None:
    first = send(hub, "vpcp.sys", document(number="900"))
    same_number = [document(number="900", subject=f"lần {n}") for n in range(3)]
    fresh = [document(number=str(901 + n)) for n in range(3)]

    def one(body: bytes) -> str:
        try:
            return send(hub, "vpcp.sys", body).doc_id
        except Refused as refused:
            return refused.problem.code

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(one, same_number + fresh))
    assert all(r.startswith("HUB.DUPLICATE_") for r in results[:3])
    assert all(r != first.doc_id and not r.startswith("HUB.") for r in results[3:])
    with hub.read() as s:
        assert s.execute(select(func.count(Refusal.id))).scalar_one() == 3
        assert s.execute(select(func.count(Package.id))).scalar_one() == 4
    assert hub.verify_audit().ok


def test_a_failing_job_is_retried_alone_and_does_not_fail_its_batch(hub: Hub, tmp_path: Path) -> None:
    started, release = threading.Event(), threading.Event()

    def slow(s: Session, batch: Batch) -> None:
        started.set()
        release.wait(5)  # hold the writer so the next jobs queue up into one batch

    def broken(s: Session, batch: Batch) -> None:
        raise RuntimeError("disk on fire")

    errors: list[BaseException] = []

    def run_broken() -> None:
        try:
            hub.writer.run(broken)
        except RuntimeError as exc:
            errors.append(exc)

    holder = threading.Thread(target=hub.writer.run, args=(slow,))
    holder.start()
    assert started.wait(5)
    bad = threading.Thread(target=run_broken)
    bad.start()
    good: list[str] = []
    sender = threading.Thread(target=lambda: good.append(send(hub, "vpcp.sys", document()).doc_id))
    sender.start()
    release.set()
    for t in (holder, bad, sender):
        t.join(10)
    assert [str(e) for e in errors] == ["disk on fire"]
    assert len(good) == 1
    with hub.read() as s:
        assert s.execute(select(Package.doc_id)).scalar_one() == good[0]
    assert hub.verify_audit().ok


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_token_lookups_are_cached_and_forgotten_on_change(hub: Hub) -> None:
    from lienthong.hub import directory

    with hub.write() as s:
        token = directory.issue_token(s, "vpcp.sys", hub.clock())
    ref = hub.system_for_token(token)
    assert ref is not None and ref.system_id == "vpcp.sys"
    with hub.write() as s:
        row = s.execute(select(ApiToken)).scalar_one()
        row.revoked = True
    assert hub.system_for_token(token) is not None  # cached for cache_seconds
    hub.forget_cached()
    assert hub.system_for_token(token) is None


def test_sqlite_checkpoints_run_in_the_background_not_in_commits(tmp_path: Path) -> None:
    import sqlite3
    import time

    from sqlalchemy import text

    from lienthong.store.db import Checkpointer, make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'c.sqlite3'}")
    checkpointer = Checkpointer(engine, every=0.05)
    with engine.begin() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0  # commits never do it
        conn.execute(text("CREATE TABLE t (x TEXT)"))
        conn.execute(text("INSERT INTO t VALUES (:x)"), [{"x": "y" * 4000}] * 2000)  # > 1,000 pages
    probe = sqlite3.connect(tmp_path / "c.sqlite3", isolation_level=None)
    checkpointer.start()
    try:
        frames = 10**9
        deadline = time.monotonic() + 10
        while frames > 10 and time.monotonic() < deadline:
            time.sleep(0.1)
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO t VALUES ('z')"))
            frames = probe.execute("PRAGMA wal_checkpoint(NOOP)").fetchone()[1]
        assert frames <= 10  # checkpointed in the background, so the WAL started over
    finally:
        checkpointer.stop()
        probe.close()
        engine.dispose()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sqlite_readers_never_take_the_write_lock(hub: Hub) -> None:
    """A read while the writer holds SQLite's write lock answers at once, and the writer is not held up.

    Readers used to begin IMMEDIATE like writers: each one queued in SQLite's busy handler behind
    the writer (sleeps growing to 100 ms) and made the writer sleep there in turn (issue 15's p99).
    """
    import time

    from sqlalchemy import text

    send(hub, "vpcp.sys", document(number="700"))
    with hub.write() as w:
        w.execute(text("UPDATE packages SET repeat_count = repeat_count + 1"))  # holds the write lock
        start = time.monotonic()
        with hub.read() as r:
            assert r.execute(select(func.count(Package.id))).scalar_one() == 1  # the committed state
        assert time.monotonic() - start < 5.0  # before: blocked for busy_timeout (30 s), then "locked"
