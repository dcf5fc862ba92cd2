"""What a gateway plugs in with a few lines: its own checks, its contact with the hub, its outbox figures."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from lienthong.monitor.checks import DatabaseCheck, FolderProbe, StorageCheck
from lienthong.monitor.connectivity import ContactTracker, PeerContact
from lienthong.monitor.health import Health
from lienthong.monitor.metrics import Metrics
from lienthong.monitor.notify import Fanout, Recorder
from lienthong.monitor.state import Conditions, StateStore
from lienthong.store.db import make_engine, migrate
from tests.monitor.conftest import Clock


def test_a_gateway_watches_its_contact_with_the_hub(tmp_path: Path, clock: Clock) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'gateway.sqlite3'}")
    migrate(engine)
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    metrics, recorder = Metrics(), Recorder()
    health = Health(clock)
    health.add(DatabaseCheck(engine.url, clock))
    health.add(StorageCheck(FolderProbe(outbox), outbox, min_free_bytes=1, name="outbox"))
    last_success: list[datetime] = [clock.now]  # the gateway's outbox sets this after each good exchange
    tracker = ContactTracker(
        engine,
        lambda: [PeerContact("hub", last_success[0])],
        Conditions(StateStore(engine), Fanout([metrics, recorder]), clock),
        clock,
        lost_after=timedelta(minutes=10),
        metrics=metrics,
    )
    try:
        readiness = health.run()
        metrics.observe_readiness(readiness)
        assert readiness.ready and {s.name for s in readiness.checks} == {"database", "outbox"}
        tracker.sweep()
        clock.advance(minutes=11)
        metrics.count("outbox_retry", reason="HUB.UNAVAILABLE")
        tracker.sweep()
        assert [a.problem.code for a in recorder.alerts] == ["MONITOR.CONTACT_LOST"]
        last_success[0] = clock.advance(minutes=1)
        tracker.sweep()
        assert [a.problem.code for a in recorder.alerts][-1] == "MONITOR.CONTACT_RESTORED"
        [today] = tracker.uptime(1)
        assert (today.peer, today.up_seconds, today.observed_seconds) == ("hub", 600.0, 720.0)
        text = metrics.exposition().decode()
        values = {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
        }
        assert values[("lienthong_outbox_retries_total", (("reason", "HUB.UNAVAILABLE"),))] == 1
        assert values[("lienthong_health_status", (("check", "outbox"),))] == 1
        assert values[("lienthong_alerts_total", (("code", "MONITOR.CONTACT_LOST"),))] == 1
        assert values[("lienthong_peers_contact_lost", ())] == 0
    finally:
        engine.dispose()
