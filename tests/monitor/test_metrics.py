"""/metrics after real traffic over HTTP, read with the official Prometheus text parser."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from lienthong.api.app import create_app
from lienthong.hub import directory
from lienthong.monitor.config import MonitorConfig
from lienthong.monitor.hub import HubMonitor
from lienthong.store.tables import Agency
from tests.hub.conftest import Server, document, status
from tests.monitor.conftest import Clock, make_certificate, new_hub, pem

DOCID = "000.00.00.G22,2026/11/20,807/VPCP-KSTT"


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample by (name, labels), as Prometheus itself reads the exposition."""
    out: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return out


def value(found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return found[(name, frozenset(labels.items()))]


def test_metrics_count_real_traffic(tmp_path: Path, db_url: str, clock: Clock) -> None:
    hub = new_hub(tmp_path, db_url, clock)
    tls = tmp_path / "tls.pem"
    tls.write_bytes(pem(make_certificate("hub.lienthong.test", clock.now + timedelta(days=45))))
    monitor = HubMonitor(hub, MonitorConfig(min_free_bytes=1, tls_certificates=(tls,), background=False))
    with hub.write() as s:
        tokens = {
            name: {"Authorization": f"Bearer {directory.issue_token(s, name, clock.now, 'metrics')}"}
            for name in ("vpcp.sys", "nghean.sys")
        }
        levels = {a.code: a.level for a in s.execute(select(Agency)).scalars()}
    vpcp, nghean = tokens["vpcp.sys"], tokens["nghean.sys"]
    hub.config = dataclasses.replace(hub.config, ops_token="ops-secret")  # issue 12: /metrics needs it
    try:
        with Server(create_app(hub, monitor=monitor)) as server, httpx.Client(base_url=server.url) as http:
            data = document(recipients=("000.00.00.H41", "000.00.00.H14", "000.00.00.H99"), document_id=DOCID)
            assert http.post("/api/v1/packages", content=data, headers=vpcp).status_code == 201
            assert http.post("/api/v1/packages", content=data, headers=vpcp).json()["repeat"] is True
            again = document(recipients=("000.00.00.H41",), day="2026/11/21")  # same number, same year
            assert http.post("/api/v1/packages", content=again, headers=vpcp).status_code == 409
            assert http.post("/api/v1/packages", content=b"<edXML", headers=vpcp).status_code == 422
            inbox = http.get("/api/v1/inbox", headers=nghean).json()["items"]
            delivery = inbox[0]["delivery_id"]
            assert http.get(f"/api/v1/inbox/{delivery}/content", headers=nghean).status_code == 200
            ack = http.post(f"/api/v1/inbox/{delivery}/ack", json={"status": "done"}, headers=nghean)
            assert ack.status_code == 200
            reply = status("000.00.00.H41", "000.00.00.G22", DOCID, "03", "Tiếp nhận")
            assert http.post("/api/v1/packages", content=reply, headers=nghean).status_code == 201
            assert http.get("/metrics").status_code == 404
            answer = http.get("/metrics", headers={"Authorization": "Bearer ops-secret"})
            assert answer.headers["content-type"].startswith("text/plain")
            found = samples(answer.text)
    finally:
        hub.close()

    assert value(found, "lienthong_packages_accepted_total", kind="edoc") == 1  # the repeat is not new
    assert value(found, "lienthong_packages_accepted_total", kind="status") == 1
    assert value(found, "lienthong_packages_refused_total", reason="HUB.DUPLICATE_NOTATION") == 1
    assert value(found, "lienthong_packages_refused_total", reason="HUB.MALFORMED") == 1
    assert value(found, "lienthong_deliveries_total", kind="edoc", outcome="pending") == 2
    assert value(found, "lienthong_deliveries_total", kind="edoc", outcome="undeliverable") == 1
    assert value(found, "lienthong_deliveries_total", kind="status", outcome="pending") == 1
    assert value(found, "lienthong_fetches_total", kind="edoc") == 1
    assert value(found, "lienthong_acknowledgements_total", status="done") == 1
    assert value(found, "lienthong_statuses_routed_total", code="03") == 1
    # Queue depth: Cao Bằng's copy and the status reply for VPCP wait; Nghệ An's copy is done.
    assert value(found, "lienthong_deliveries_waiting", kind="edoc", state="pending") == 1
    assert value(found, "lienthong_deliveries_waiting", kind="status", state="pending") == 1
    assert value(found, "lienthong_deliveries_waiting", kind="edoc", state="fetched") == 0
    expected: dict[str, float] = {}
    for code in ("000.00.00.H14", "000.00.00.G22"):
        label = str(levels[code]) if levels[code] else "none"
        expected[label] = expected.get(label, 0) + 1
    for label in ("1", "2", "3", "4", "none"):
        assert value(found, "lienthong_backlog", level=label) == expected.get(label, 0), label
    route = {"method": "POST", "route": "/api/v1/packages"}
    assert value(found, "lienthong_http_request_duration_seconds_count", status="2xx", **route) == 3
    assert value(found, "lienthong_http_request_duration_seconds_count", status="4xx", **route) == 2
    inbox_route = {"method": "GET", "route": "/api/v1/inbox/{delivery_id}/content", "status": "2xx"}
    assert value(found, "lienthong_http_request_duration_seconds_count", **inbox_route) == 1
    assert value(found, "lienthong_health_status", check="database") == 1
    assert value(found, "lienthong_health_status", check="storage") == 1
    assert value(found, "lienthong_health_warning", check="certificates") == 1  # 45 days: the 60-day warning
    assert value(found, "lienthong_storage_free_bytes", check="storage") > 0
    assert ("lienthong_outbox_retries_total", frozenset()) not in found  # the gateway feeds it


def test_certificate_days_and_outbox_figures(tmp_path: Path, clock: Clock) -> None:
    hub = new_hub(tmp_path, f"sqlite:///{tmp_path / 'hub.sqlite3'}", clock)
    cert = make_certificate("UBND tỉnh Nghệ An", clock.now + timedelta(days=20, hours=12))
    with hub.write() as s:
        directory.get_agency(s, "000.00.00.H41").certificate_pem = pem(cert).decode()
    monitor = HubMonitor(hub, MonitorConfig(min_free_bytes=1, background=False))
    try:
        monitor.scan_certificates()
        monitor.metrics.count("outbox_retry", reason="HUB.UNAVAILABLE")  # as the gateway will
        monitor.metrics.outbox_pending.set(4)
        found = samples(monitor.metrics.exposition().decode())
    finally:
        hub.close()
    days = [v for (name, labels), v in found.items() if name == "lienthong_certificate_days_to_expiry"]
    assert days == [20.5]
    labels = next(dict(k[1]) for k in found if k[0] == "lienthong_certificate_days_to_expiry")
    assert labels["kind"] == "agency" and "Nghệ An" in labels["subject"] and len(labels["sha256"]) == 64
    assert value(found, "lienthong_outbox_retries_total", reason="HUB.UNAVAILABLE") == 1
    assert value(found, "lienthong_outbox_pending") == 4
    assert value(found, "lienthong_alerts_total", code="MONITOR.CERT_EXPIRING") == 1
