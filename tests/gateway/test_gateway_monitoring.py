"""The gateway's health, metrics and contact with the hub (issue 8 for the gateway)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

from lienthong.api.gateway_app import create_app
from lienthong.cli.main import app as cli
from lienthong.gateway.monitoring import GatewayMonitor
from lienthong.gateway.service import Gateway
from tests.gateway.conftest import Clock, api_token
from tests.hub.conftest import Server, document


def test_health_and_metrics_of_a_running_gateway(make_gateway: Callable[..., Gateway]) -> None:
    vpcp = make_gateway("000.00.00.G22", "vpcp.sys")
    vpcp.submit(document(), approve_as="Văn thư A")
    token = api_token(vpcp, scopes=("read",))
    with Server(create_app(vpcp)) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        assert http.get("/metrics").status_code == 401  # metrics too need a token
        http.headers["Authorization"] = f"Bearer {token}"
        for _ in range(100):  # both loops must have finished a round
            if http.get("/health/ready").status_code == 200:
                break
            time.sleep(0.1)
        ready = http.get("/health/ready").json()
        assert ready["ready"] and set(ready["checks"]) >= {"database", "packages", "outbox", "inbox"}
        text = http.get("/metrics").text
    values = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    assert values[("lienthong_health_status", (("check", "database"),))] == 1
    assert ("lienthong_warnings_open", (("kind", "recipient_unknown"),)) not in values


def test_contact_with_the_hub_lost_and_restored(make_gateway: Callable[..., Gateway]) -> None:
    clock = Clock()
    vpcp = make_gateway("000.00.00.G22", "vpcp.sys", clock=clock)
    monitor = GatewayMonitor(vpcp, contact_lost_after=timedelta(minutes=10), watch_loops=False)
    vpcp.port.inbox()  # a good exchange
    monitor.contact.sweep()
    assert monitor.status()["agencies"][0]["up"]
    clock.now += timedelta(minutes=11)
    sweep = monitor.contact.sweep()
    status = monitor.status()
    assert not status["agencies"][0]["up"]
    assert sweep.lost == ["hub"]
    vpcp.port.inbox()
    sweep = monitor.contact.sweep()
    assert sweep.restored == ["hub"]
    assert monitor.status()["agencies"][0]["up"]


def test_gateway_status_command(make_gateway: Callable[..., Gateway], tmp_path: Path) -> None:
    vpcp = make_gateway("000.00.00.G22", "vpcp.sys")
    config = tmp_path / "status.toml"
    config.write_text(
        f'agency_code = "000.00.00.G22"\nagency_name = "VPCP"\ndata_dir = "{vpcp.config.data_dir}"\n'
        f'[hub]\nurl = "{vpcp.config.hub.url}"\ntoken = "{vpcp.config.hub.token}"\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        cli, ["gateway", "health", "--config", str(config), "--json"], env=dict(os.environ)
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["readiness"]["ready"] and report["agencies"][0]["up"]
    assert set(report["dashboard"]) == {"not_sent", "send_error", "refused", "returned", "late"}
