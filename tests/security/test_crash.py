"""SIGKILLs under load (real processes) on SQLite and PostgreSQL: nothing lost, nothing doubled.

Short in CI; a long run by hand: ``LIENTHONG_CRASH_KILLS=14 LIENTHONG_CRASH_PACKAGES=400``.
"""

from __future__ import annotations

import os
import random
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from lienthong.hub import directory
from lienthong.hub.config import HubConfig
from lienthong.hub.service import Hub
from lienthong.store.tables import Delivery, Package, StatusEvent
from tests.hub.conftest import make_hub
from tests.security.harness import RECEIVERS, SENDER, HubProcess, Load, run

KILLS = int(os.environ.get("LIENTHONG_CRASH_KILLS", "3"))
PACKAGES = int(os.environ.get("LIENTHONG_CRASH_PACKAGES", "30"))
SYSTEMS = {"000.00.00.G22": "vpcp.sys", "000.00.00.H41": "nghean.sys", "000.00.00.H14": "caobang.sys"}


def test_sigkill_under_load_loses_and_doubles_nothing(tmp_path: Path, db_url: str) -> None:
    data = tmp_path / "data"
    setup = make_hub(tmp_path, db_url)  # the test directory (agencies, systems) in data/
    with setup.write() as s:
        now = datetime.now(UTC)
        tokens = {code: f"Bearer {directory.issue_token(s, sid, now)}" for code, sid in SYSTEMS.items()}
    setup.close()
    hub = HubProcess(db_url, data, tmp_path / "hub.log")
    hub.start()
    load = Load(hub.url, tokens, PACKAGES)
    try:
        kills = run(hub, load, KILLS, random.Random(12))
    finally:
        hub.stop()
    assert load.errors == []
    assert kills >= min(KILLS, 1)
    assert sorted(load.acknowledged) == list(range(1, PACKAGES + 1))

    check = Hub(HubConfig(data_dir=data, db_url=db_url))
    try:
        with check.read() as s:
            packages = s.execute(select(Package).where(Package.kind == "edoc")).scalars().all()
            assert sorted(p.doc_id for p in packages) == sorted(
                load.acknowledged.values()
            )  # none lost, none doubled
            deliveries = s.execute(select(Delivery).where(Delivery.kind == "edoc")).scalars().all()
            assert len(deliveries) == PACKAGES * len(RECEIVERS)
            assert {d.state for d in deliveries} == {"done"}
            assert all(d.last_status_code == "01" for d in deliveries)  # every status routed
            statuses = int(s.execute(select(func.count()).select_from(StatusEvent)).scalar_one())
            assert statuses == PACKAGES * len(
                RECEIVERS
            )  # a status answered twice is a repeat, not a second one
        for agency in RECEIVERS:
            assert len(load.received[agency]) == PACKAGES  # kept by delivery id: each exactly once
        assert check.verify_audit().ok
        assert list(check.blobs.tmp.glob("upload-*")) == []
        assert SENDER in SYSTEMS
    finally:
        check.close()
    print(
        f"\ncrash run: {PACKAGES} packages, {kills} kills, {hub.starts} starts, lost 0, duplicated 0, "
        f"re-offered {sum(n - 1 for r in load.received.values() for n in r.values())}"
    )
