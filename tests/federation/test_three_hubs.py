"""Three real hubs on loopback (``lienthong hub serve`` processes): a national hub, province A linked to
it by the JSON API, province B linked by the SDK protocol; units act through ``lienthong.client``."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from lienthong.client.jsonapi import HubClient
from lienthong.edxml import DocumentMessage, parse
from lienthong.hub.config import HubConfig
from lienthong.hub.service import Hub
from lienthong.store.tables import Agency
from tests.federation.kit import (
    PROVINCE_A,
    PROVINCE_B,
    SECRET,
    link,
    national,
    province,
    token,
    unit_system,
)
from tests.hub.conftest import document, pg_database, status
from tests.security.harness import HubProcess

A1, A2 = list(PROVINCE_A)
B1, B2 = list(PROVINCE_B)
G22 = "000.00.00.G22"
FAST = {
    "LIENTHONG_UPSTREAM_PULL_SECONDS": "0.5",
    "LIENTHONG_UPSTREAM_TICK_SECONDS": "0.3",
    "LIENTHONG_UPSTREAM_LATE_MINUTES": "0.02",
    "LIENTHONG_UPSTREAM_BACKOFF_SECONDS": "0.3",
    "LIENTHONG_UPSTREAM_BACKOFF_MAX_SECONDS": "0.6",
}


def until(what: str, probe: Callable[[], Any], timeout: float = 45.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            found = probe()
        except httpx.HTTPError:
            found = None
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class Cluster:
    hubs: dict[str, HubProcess]
    urls: dict[str, str]
    units: dict[str, HubClient]  # agency code -> its system's client at its own hub
    db: dict[str, str]
    data: dict[str, Path]

    def hub(self, name: str) -> Hub:
        return Hub(HubConfig(data_dir=self.data[name], db_url=self.db[name]))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def cluster(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Cluster]:
    for key, value in FAST.items():
        monkeypatch.setenv(key, value)
    with ExitStack() as stack:
        db: dict[str, str] = {}
        for name in ("N", "A", "B"):
            if request.param == "sqlite":
                db[name] = f"sqlite:///{tmp_path / name}.sqlite3"
            else:
                request.getfixturevalue("pg_available")
                db[name] = stack.enter_context(pg_database())
        data = {name: tmp_path / name for name in db}
        procs = {name: HubProcess(db[name], data[name], tmp_path / f"{name}.log") for name in db}
        urls = {name: p.url for name, p in procs.items()}
        n = national(data["N"], db["N"])
        token_a = token(n, "hub-A")
        tokens = {code: token(n, unit_system(code)) for code in ("000.00.00.G22", "000.00.00.G17")}
        n.close()
        a = province(data["A"], db["A"], PROVINCE_A)
        link(a, "A", "json", urls["N"], token_a)
        tokens |= {code: token(a, unit_system(code)) for code in PROVINCE_A}
        a.close()
        b = province(data["B"], db["B"], PROVINCE_B)
        link(b, "B", "sdk", urls["N"], SECRET, system_id="hub-B")  # the SDK protocol at the national root
        tokens |= {code: token(b, unit_system(code)) for code in PROVINCE_B}
        b.close()
        for p in procs.values():
            p.start()
            stack.callback(p.stop)
        home = {code: "N" for code in ("000.00.00.G22", "000.00.00.G17")}
        home |= {code: "A" for code in PROVINCE_A} | {code: "B" for code in PROVINCE_B}
        units = {code: HubClient(urls[home[code]], tok, timeout=30) for code, tok in tokens.items()}
        for client in units.values():
            stack.callback(client.close)
        cluster = Cluster(procs, urls, units, db, data)
        # Each province has taken the national directory (its first round, at start).
        until("A's directory", lambda: B1 in dict(units[A1].agencies()))
        until("B's directory", lambda: A1 in dict(units[B1].agencies()))
        yield cluster


def take(client: HubClient, kind: str = "edoc", expect: int = 1) -> list[tuple[str, bytes]]:
    """Wait for ``expect`` packages, fetch and acknowledge them."""
    items = until(f"{expect} {kind}", lambda: (i := client.inbox(kind)) and len(i) >= expect and i)
    out = []
    for item in items:
        out.append((item.sender, client.fetch(item.delivery_id)))
        client.ack(item.delivery_id, "done")
    return out


def sent(client: HubClient, doc_id: str) -> dict[str, dict[str, Any]]:
    items = client._call("GET", "/api/v1/packages/sent", params={"doc_id": doc_id}).json()["items"]
    return {i["recipient"]: i for i in items}


def traces(data: bytes) -> list[str]:
    message = parse(data)
    assert isinstance(message, DocumentMessage) and message.trace is not None
    return [t.organ_id or "" for t in message.trace.trace_headers]


def test_local_cross_province_mixed_and_statuses_back(cluster: Cluster) -> None:
    u = cluster.units
    # Local only: stays in province A.
    local = u[A1].send(document(sender=A1, recipients=(A2,), number="21"))
    assert [(d.recipient, d.state) for d in local.deliveries] == [(A2, "pending")]
    [(_, got)] = take(u[A2])
    assert traces(got) == [A1]
    # Mixed: a local unit, a unit of province B (SDK-linked) and a national unit: ONE relay, To cut.
    mixed = u[A1].send(document(sender=A1, recipients=(A2, B1, G22), number="22"))
    assert {d.recipient: d.state for d in mixed.deliveries} == {A2: "pending", B1: "relay", G22: "relay"}
    take(u[A2])
    [(_, at_national)] = take(u[G22])
    [(_, at_b)] = take(u[B1])
    for data in (at_national, at_b):
        message = parse(data)
        assert isinstance(message, DocumentMessage) and message.header is not None
        assert [t.organ_id for t in message.header.to] == [B1, G22]
        assert traces(data) == [A1, "000.00.00.W41"]
    # Cross-province the other way, from the SDK-linked province: B's TraceHeader added.
    cross = u[B2].send(document(sender=B2, recipients=(A1,), number="23"))
    [(_, at_a)] = take(u[A1])
    assert traces(at_a) == [B2, "000.00.00.W14"]
    # Statuses back along the same road, to the original sender, per recipient.
    message = parse(at_b)
    assert isinstance(message, DocumentMessage) and message.header is not None
    document_id = message.header.document_id or ""
    u[B1].send(status(B1, A1, document_id, "03", "Đã tiếp nhận"))
    u[G22].send(status(G22, A1, document_id, "03", "Đã tiếp nhận"))
    take(u[A1], "status", expect=2)
    rows = until(
        "statuses on the sent list",
        lambda: (
            (r := sent(u[A1], mixed.doc_id))
            and all(r[c]["last_status_code"] == "03" for c in (B1, G22))
            and r
        ),
    )
    assert {c: rows[c]["route"] for c in rows} == {A2: "local", B1: "upstream", G22: "upstream"}
    assert rows[B1]["state"] == "relayed"
    # And A1's status for B2's document reaches B2 through the SDK link.
    message = parse(at_a)
    assert isinstance(message, DocumentMessage) and message.header is not None
    u[A1].send(status(A1, B2, message.header.document_id or "", "03"))
    take(u[B2], "status")
    until("B2's status", lambda: sent(u[B2], cross.doc_id)[A1]["last_status_code"] == "03")


@pytest.mark.parametrize("cluster", ["sqlite"], indirect=True)  # the core test runs on PostgreSQL too
def test_outage_then_recovery_nothing_lost_or_doubled(cluster: Cluster) -> None:
    u = cluster.units
    cluster.hubs["N"].stop()
    docs = [u[A1].send(document(sender=A1, recipients=(G22, B1), number=str(30 + i))) for i in range(3)]
    local = u[A1].send(document(sender=A1, recipients=(A2,), number="39"))  # the province still works
    assert local.deliveries[0].state == "pending"

    def degraded() -> bool:
        ready = httpx.get(f"{cluster.urls['A']}/health/ready", timeout=10)
        check = ready.json()["checks"]["upstream"]
        return ready.status_code == 200 and check["status"] == "warn" and check["data"]["backlog"] == 3

    until("A degraded, not down", degraded)
    with cluster.hub("A").read() as s:
        from lienthong.store.tables import Relay

        warned = [r.warned_at for r in s.query(Relay).all()]
    assert len(warned) == 3
    cluster.hubs["N"].start()
    got = take(u[G22], expect=3)
    got_b = take(u[B1], expect=3)
    time.sleep(2)  # retries after the recovery must not bring anything twice
    assert u[G22].inbox() == [] and u[B1].inbox() == []
    assert len(got) == len(got_b) == 3
    for doc in docs:
        rows = sent(u[A1], doc.doc_id)
        assert rows[G22]["state"] == rows[B1]["state"] == "relayed"


@pytest.mark.parametrize("cluster", ["sqlite"], indirect=True)
def test_refusal_upstream_reaches_the_original_sender(cluster: Cluster) -> None:
    u = cluster.units
    n = cluster.hub("N")
    with n.write() as s:
        s.execute(update(Agency).where(Agency.code.in_([A2, B2])).values(state="suspended"))
    n.close()
    # Through the JSON link (problem+json) and through the SDK link (FAIL JSON): the same code back.
    for sender in (A2, B2):
        refused = u[sender].send(document(sender=sender, recipients=(G22,), number="41"))
        row = until(
            "the upstream's refusal",
            lambda: (r := sent(u[sender], refused.doc_id)[G22])["state"] == "undeliverable" and r,  # noqa: B023
        )
        assert row["error_code"] == "HUB.SENDER_SUSPENDED" and row["route"] == "upstream"
        assert row["error_text"]


@pytest.mark.parametrize("cluster", ["sqlite"], indirect=True)
def test_a_province_killed_mid_relay_or_mid_pull_delivers_once(
    cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    u = cluster.units

    def restart_with(name: str, fault: str | None) -> None:
        cluster.hubs[name].stop()
        if fault:
            monkeypatch.setenv("LIENTHONG_HUB_FAULT", fault)
        else:
            monkeypatch.delenv("LIENTHONG_HUB_FAULT", raising=False)
        cluster.hubs[name].start()

    # A dies right after the national hub took the package, before it recorded the answer.
    restart_with("A", "relay-after-send")
    u[A1].send(document(sender=A1, recipients=(G22,), number="51"))
    proc = cluster.hubs["A"].proc
    assert proc is not None
    assert proc.wait(timeout=60) == -9  # SIGKILL: the power cut
    restart_with("A", None)  # the same bytes again: the national hub answers a repeat
    got = take(u[G22])
    time.sleep(1.5)
    assert len(got) == 1 and u[G22].inbox() == []
    # B dies right after taking a package in, before it recorded the upstream delivery id.
    restart_with("B", "pull-after-accept")
    u[G22].send(document(sender=G22, recipients=(B1,), number="52"))
    proc = cluster.hubs["B"].proc
    assert proc is not None
    assert proc.wait(timeout=60) == -9
    restart_with("B", None)  # fetched again: the same bytes from the same sender are a repeat
    got = take(u[B1])
    time.sleep(1.5)
    assert len(got) == 1 and u[B1].inbox() == []


@pytest.mark.postgres
def test_a_province_with_two_workers_relays_each_document_once(
    cluster_pg_workers: tuple[Cluster, HubProcess],
) -> None:
    cluster, _ = cluster_pg_workers
    u = cluster.units
    docs = [u[A1].send(document(sender=A1, recipients=(G22,), number=str(60 + i))) for i in range(6)]
    got = take(u[G22], expect=6)
    time.sleep(2)
    assert len(got) == 6 and u[G22].inbox() == []
    for doc in docs:
        assert sent(u[A1], doc.doc_id)[G22]["state"] == "relayed"


@pytest.fixture
def cluster_pg_workers(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Cluster, HubProcess]]:
    """Province A served by two worker processes on PostgreSQL: only the leader relays and pulls."""
    request.getfixturevalue("pg_available")
    for key, value in FAST.items():
        monkeypatch.setenv(key, value)
    with ExitStack() as stack:
        db = {name: stack.enter_context(pg_database()) for name in ("N", "A")}
        data = {name: tmp_path / name for name in db}
        procs = {
            "N": HubProcess(db["N"], data["N"], tmp_path / "N.log"),
            "A": HubProcess(db["A"], data["A"], tmp_path / "A.log", extra=("--workers", "2")),
        }
        n = national(data["N"], db["N"])
        token_a = token(n, "hub-A")
        tokens = {G22: token(n, unit_system(G22))}
        n.close()
        a = province(data["A"], db["A"], PROVINCE_A)
        link(a, "A", "json", procs["N"].url, token_a)
        tokens |= {code: token(a, unit_system(code)) for code in PROVINCE_A}
        a.close()
        for p in procs.values():
            p.start()
            stack.callback(p.stop)
        urls = {name: p.url for name, p in procs.items()}
        units = {
            code: HubClient(urls["N" if code == G22 else "A"], tok, timeout=30)
            for code, tok in tokens.items()
        }
        for client in units.values():
            stack.callback(client.close)
        until("A's directory", lambda: G22 in dict(units[A1].agencies()))
        yield Cluster(procs, urls, units, db, data), procs["A"]
