"""What a gateway plugs in with a few lines: its own checks, its contact with the hub, its outbox figures."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import httpx
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from lienthong.api.ops import LatencyMiddleware
from lienthong.api.ops import router as ops_router
from lienthong.monitor.checks import DatabaseCheck, FolderProbe, StorageCheck
from lienthong.monitor.connectivity import ContactTracker, PeerContact
from lienthong.monitor.health import Health, Heartbeat
from lienthong.monitor.metrics import Metrics
from lienthong.monitor.notify import Fanout, Recorder
from lienthong.monitor.state import Conditions, StateStore
from lienthong.store.db import make_engine, migrate
from tests.hub.conftest import Server
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


def test_a_gateway_app_serves_the_same_operations_routes(tmp_path: Path, clock: Clock) -> None:
    metrics = Metrics()
    health = Health(clock)
    spool = tmp_path / "spool"
    spool.mkdir()
    health.add(StorageCheck(FolderProbe(spool), spool, min_free_bytes=1, name="spool"))
    heartbeat = Heartbeat("outbox", clock, timedelta(minutes=1))
    health.add(heartbeat)
    app = FastAPI()
    app.add_middleware(LatencyMiddleware, metrics=metrics)
    app.include_router(ops_router(health.run, metrics, clock.now))
    with Server(app) as server, httpx.Client(base_url=server.url) as http:
        answer = http.get("/health/ready")
        assert answer.status_code == 503
        assert answer.json()["checks"]["outbox"]["reason"] == "MONITOR.SCHEDULER_NOT_STARTED"
        heartbeat.beat()
        assert http.get("/health/ready").status_code == 200
        text = http.get("/metrics").text
    found = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    assert found[("lienthong_health_status", (("check", "outbox"),))] == 1
    ready_count = ("method", "GET"), ("route", "/health/ready")
    assert found[("lienthong_http_request_duration_seconds_count", (*ready_count, ("status", "2xx")))] == 1
    assert found[("lienthong_http_request_duration_seconds_count", (*ready_count, ("status", "5xx")))] == 1
