"""The relay against an in-memory upstream: a real national Hub object reached through ``LocalPort``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from lienthong.client.models import HubUnavailable, SendResult
from lienthong.edxml import DocumentMessage, parse
from lienthong.hub.local import LocalPort
from lienthong.hub.relay import Federation, FederationConfig, link_health, list_relays, resend
from lienthong.hub.service import Hub
from lienthong.hub.upstream import LinkSettings
from lienthong.store.tables import Agency, Package, Relay
from tests.federation.kit import (
    PROVINCE_A,
    PROVINCE_B,
    Events,
    link,
    national,
    province,
    unit_system,
)
from tests.hub.conftest import document, send, status

A1, A2 = list(PROVINCE_A)
B1, B2 = list(PROVINCE_B)
G22, G17 = "000.00.00.G22", "000.00.00.G17"
FAST = FederationConfig(pull_seconds=0.2, late_minutes=0, backoff_seconds=0.01, backoff_max_seconds=0.01)


@dataclass
class World:
    national: Hub
    a: Hub
    b: Hub
    fa: Federation
    fb: Federation
    port_a: LocalPort
    port_b: LocalPort


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    n = national(tmp_path / "n", f"sqlite:///{tmp_path / 'n.sqlite3'}")
    a = province(tmp_path / "a", f"sqlite:///{tmp_path / 'a.sqlite3'}", PROVINCE_A)
    b = province(tmp_path / "b", f"sqlite:///{tmp_path / 'b.sqlite3'}", PROVINCE_B)
    port_a, port_b = LocalPort(n, "hub-A"), LocalPort(n, "hub-B")
    link(a, "A", "json", "http://national.invalid", "token-a")
    link(b, "B", "json", "http://national.invalid", "token-b")
    ports = {"A": port_a, "B": port_b}

    def factory(name: str) -> object:
        return lambda settings: ports[name]

    fa = Federation(a, FAST, port_factory=factory("A"))  # type: ignore[arg-type]
    fb = Federation(b, FAST, port_factory=factory("B"))  # type: ignore[arg-type]
    fa.sync()
    fb.sync()
    yield World(n, a, b, fa, fb, port_a, port_b)
    for hub in (n, a, b):
        hub.close()


def inbox(hub: Hub, code: str) -> list[str]:
    system = hub.system(unit_system(code))
    assert system is not None
    return [i.delivery_id for i in hub.pending(system)]


def body(hub: Hub, code: str, delivery_id: str) -> bytes:
    system = hub.system(unit_system(code))
    assert system is not None
    path, _ = hub.fetch(system, delivery_id)
    return path.read_bytes()


def test_sync_takes_upstream_codes_and_never_overwrites_a_local_one(world: World) -> None:
    with world.a.read() as s:
        routes: dict[str, str] = {code: route for code, route in s.execute(select(Agency.code, Agency.route))}
    assert routes[A1] == routes[A2] == "local"
    assert routes[B1] == routes[G22] == routes[G17] == "upstream"
    again = world.fa.sync()  # by version: nothing new
    assert (again.added, again.updated) == (0, 0)


def test_local_only_is_never_relayed(world: World) -> None:
    accepted = send(world.a, unit_system(A1), document(sender=A1, recipients=(A2,)))
    assert accepted.relay_id is None
    assert [d.route for d in accepted.deliveries] == ["local"]
    assert world.fa.relay_due() == 0
    assert len(inbox(world.a, A2)) == 1


def test_mixed_recipients_one_relay_to_cut_and_traced(world: World) -> None:
    data = document(sender=A1, recipients=(A2, B1, G22), number="11")
    accepted = send(world.a, unit_system(A1), data)
    routes = {d.recipient: (d.route, d.state) for d in accepted.deliveries}
    assert routes == {A2: ("local", "pending"), B1: ("upstream", "relay"), G22: ("upstream", "relay")}
    assert world.fa.relay_due() == 1
    assert world.port_a.sends == 1
    # The national hub got one package, To cut to the upstream recipients, A's TraceHeader appended.
    [g22_item] = inbox(world.national, G22)
    relayed = body(world.national, G22, g22_item)
    message = parse(relayed)
    assert isinstance(message, DocumentMessage) and message.header is not None
    assert [t.organ_id for t in message.header.to] == [B1, G22]
    assert [t.organ_id for t in message.trace.trace_headers] == [A1, "000.00.00.W41"]  # type: ignore[union-attr]
    # Province B pulls its copy and delivers it to its unit.
    assert world.fb.pull() == 1
    [b1_item] = inbox(world.b, B1)
    delivered = parse(body(world.b, B1, b1_item))
    assert [t.organ_id for t in delivered.trace.trace_headers] == [A1, "000.00.00.W41"]  # type: ignore[union-attr]
    # B recorded the national unit named in To as someone else's, not as an undeliverable copy.
    with world.b.read() as s:
        package = s.execute(select(Package).where(Package.sender_code == A1)).scalar_one()
        states = {d.recipient_code: d.state for d in package.deliveries}
    assert states == {B1: "fetched", G22: "elsewhere"}
    assert world.fb.pull() == 0  # acknowledged upstream: nothing twice
    # Statuses back along the same road: B1 says 03, B relays, the national hub routes, A pulls.
    document_id = delivered.header.document_id  # type: ignore[union-attr]
    assert document_id
    back = send(world.b, unit_system(B1), status(B1, A1, document_id, "03", "Đã tiếp nhận"))
    assert back.relay_id is not None
    assert world.fb.relay_due() == 1
    assert world.fa.pull() == 1
    sender = world.a.system(unit_system(A1))
    assert sender is not None
    rows = {r.recipient: r for r in world.a.sent(sender, accepted.doc_id)}
    assert rows[B1].route == "upstream" and rows[B1].state == "relayed"
    assert rows[B1].last_status_code == "03"
    assert rows[A2].route == "local"
    assert len([i for i in world.a.pending(sender, "status")]) == 1
    # The package's timeline says the same, with the relay and its audit entries.
    from lienthong.watch.timeline import timeline

    with world.a.read() as s:
        found = timeline(s, accepted.doc_id)
    assert found is not None
    assert {code: r["route"] for code, r in found["recipients"].items()} == {
        A2: "local",
        B1: "upstream",
        G22: "upstream",
    }
    assert "relay.sent" in [e["event"] for e in found["events"]]
    assert {"relay.queue", "relay.rewrite", "relay.sent"} <= {a["action"] for a in found["audit"]}


def test_outage_queues_warns_and_recovers_once(world: World) -> None:
    events = Events()
    world.a.subscribe(events)
    world.port_a.down = True
    accepted = send(world.a, unit_system(A1), document(sender=A1, recipients=(G22,), number="12"))
    assert world.fa.relay_due() == 1
    [relay] = list_relays(world.a)
    assert relay.state == "waiting" and relay.error_code == "HUB.UPSTREAM_UNREACHABLE"
    health = link_health(world.a)
    assert health.backlog == 1 and health.last_error
    assert world.fa.check_late() == 1
    assert world.fa.check_late() == 0  # one warning per relay
    assert events.kinds() == ["relay_late"]
    assert events.seen[0].sender == A1 and events.seen[0].doc_id == accepted.doc_id
    world.port_a.down = False
    with world.a.write() as s:
        s.execute(update(Relay).values(next_attempt_at=world.a.clock() - timedelta(seconds=1)))
    assert world.fa.relay_due() == 1
    assert events.kinds() == ["relay_late", "relay_resumed"]
    assert len(inbox(world.national, G22)) == 1
    assert link_health(world.a).backlog == 0


class TimesOutAfterSending:
    """The upstream takes the package but the answer is lost: the relay must not deliver it twice."""

    def __init__(self, port: LocalPort) -> None:
        self.port, self.lost = port, 1

    def send_file(self, path: Path) -> SendResult:
        return self.send(path.read_bytes())

    def send(self, package: bytes) -> SendResult:
        result = self.port.send(package)
        if self.lost:
            self.lost -= 1
            raise HubUnavailable("read timeout")
        return result

    def __getattr__(self, name: str) -> object:
        return getattr(self.port, name)


def test_a_retry_after_a_timeout_is_one_package_upstream(world: World) -> None:
    flaky = TimesOutAfterSending(world.port_a)
    world.fa.port_factory = lambda settings: flaky  # type: ignore[assignment,return-value]
    world.fa._port = None
    send(world.a, unit_system(A1), document(sender=A1, recipients=(G22, B1), number="13"))
    world.fa.relay_due()
    with world.a.write() as s:
        s.execute(update(Relay).values(next_attempt_at=world.a.clock() - timedelta(seconds=1)))
    world.fa.relay_due()
    [relay] = list_relays(world.a)
    assert relay.state == "sent" and relay.attempts == 2
    assert world.port_a.sends == 2
    assert len(inbox(world.national, G22)) == 1  # the second send was an exact repeat
    with world.national.read() as s:
        assert len(s.execute(select(Package).where(Package.sender_code == A1)).all()) == 1


def test_refusal_upstream_reaches_the_sender(world: World) -> None:
    events = Events()
    world.a.subscribe(events)
    with world.national.write() as s:  # the national hub has suspended the sender
        s.execute(update(Agency).where(Agency.code == A1).values(state="suspended"))
    accepted = send(world.a, unit_system(A1), document(sender=A1, recipients=(G22,), number="14"))
    world.fa.relay_due()
    [relay] = list_relays(world.a)
    assert relay.state == "failed" and relay.error_code == "HUB.SENDER_SUSPENDED"
    sender = world.a.system(unit_system(A1))
    assert sender is not None
    [row] = world.a.sent(sender, accepted.doc_id)
    assert (row.state, row.error_code, row.route) == ("undeliverable", "HUB.SENDER_SUSPENDED", "upstream")
    assert [e.kind for e in events.seen] == ["undeliverable"]
    assert events.seen[0].problem is not None and events.seen[0].problem.code == "HUB.UPSTREAM_REFUSED"
    # The operator resends once the national hub resumed the sender: delivered, once.
    with world.national.write() as s:
        s.execute(update(Agency).where(Agency.code == A1).values(state="active"))
    assert resend(world.a, all_failed=True) == 1
    world.fa.relay_due()
    [row] = world.a.sent(sender, accepted.doc_id)
    assert row.state == "relayed"
    assert len(inbox(world.national, G22)) == 1


def test_unknown_recipient_upstream_maps_back_per_recipient(world: World) -> None:
    from lienthong.hub import upstream as U

    ghost = "000.00.00.G99"
    with world.a.write() as s:  # a code A believes upstream, which the national hub does not know
        U.apply_directory(s, [U.RemoteAgency(ghost, "Cơ quan ma", None, "active", 999)], 999, world.a.clock())
    accepted = send(world.a, unit_system(A1), document(sender=A1, recipients=(G22, ghost), number="15"))
    world.fa.relay_due()
    sender = world.a.system(unit_system(A1))
    assert sender is not None
    rows = {r.recipient: r for r in world.a.sent(sender, accepted.doc_id)}
    assert rows[G22].state == "relayed"
    assert (rows[ghost].state, rows[ghost].error_code) == ("undeliverable", "HUB.UNKNOWN_RECIPIENT")


def test_from_upstream_never_relayed_again_and_local_senders_refused(world: World) -> None:
    send(world.national, unit_system(G22), document(sender=G22, recipients=(A1, B1), number="16"))
    assert world.fa.pull() == 1
    with world.a.read() as s:
        assert s.execute(select(Relay)).first() is None
    # A package claiming to come from one of A's own units cannot enter A from upstream.
    with world.a.read() as s:
        assert s.execute(select(Agency.route).where(Agency.code == A1)).scalar_one() == "local"


def test_link_settings_are_checked() -> None:
    from lienthong.hub import upstream as U
    from lienthong.hub.upstream import UpstreamError

    with pytest.raises(UpstreamError):
        U.validate(LinkSettings("ftp", "http://x", "t", "W"))
    with pytest.raises(UpstreamError):
        U.validate(LinkSettings("sdk", "http://x", "secret", "W"))  # no system id


class AckLost:
    """The upstream never hears the ack (a crash, a network cut): the next pull must not deliver again."""

    def __init__(self, port: LocalPort) -> None:
        self.port, self.lost = port, 1

    def ack(self, delivery_id: str, status: str, reason: str = "") -> None:
        if self.lost:
            self.lost -= 1
            raise HubUnavailable("connection reset")
        self.port.ack(delivery_id, status, reason)

    def __getattr__(self, name: str) -> object:
        return getattr(self.port, name)


def test_a_pull_interrupted_before_the_ack_delivers_once(world: World) -> None:
    flaky = AckLost(world.port_a)
    world.fa.port_factory = lambda settings: flaky  # type: ignore[assignment,return-value]
    world.fa._port = None
    send(world.national, unit_system(G22), document(sender=G22, recipients=(A1,), number="17"))
    with pytest.raises(HubUnavailable):
        world.fa.pull()
    assert world.fa.pull() == 0  # known by its upstream id: acknowledged, not taken again
    assert len(inbox(world.a, A1)) == 1
    assert world.port_a.inbox() == []  # acknowledged upstream at last


def test_a_crash_between_accept_and_record_is_a_repeat(world: World) -> None:
    send(world.national, unit_system(G22), document(sender=G22, recipients=(A1,), number="18"))
    [item] = world.port_a.inbox()
    first = world.a.accept("~upstream", world.a.stage([world.port_a.fetch(item.delivery_id)]))
    assert not first.repeat  # taken, then "crashed" before its upstream id was written
    assert world.fa.pull() == 1
    assert len(inbox(world.a, A1)) == 1  # the same bytes again: a repeat, nothing twice


def test_a_recall_follows_the_document_upstream(world: World) -> None:
    data = document(sender=A1, recipients=(B1,), number="19", document_id="A1-19")
    send(world.a, unit_system(A1), data)
    world.fa.relay_due()
    world.fb.pull()
    recall = status(A1, A1, "A1-19", "13", "Thu hồi")
    accepted = send(world.a, unit_system(A1), recall)
    assert [(d.recipient, d.state) for d in accepted.deliveries] == [(B1, "relay")]
    world.fa.relay_due()
    assert world.fb.pull() == 1
    system = world.b.system(unit_system(B1))
    assert system is not None
    kinds = [i.kind for i in world.b.pending(system)]
    assert kinds == ["edoc", "status"]  # the recall (13) reached B1 beside the document it asks back


def test_link_health_in_metrics(world: World) -> None:
    from lienthong.monitor.hub import HubMonitor

    world.port_a.down = True
    send(world.a, unit_system(A1), document(sender=A1, recipients=(G22,), number="20"))
    world.fa.relay_due()
    monitor = HubMonitor(world.a)
    try:
        text = monitor.metrics.exposition().decode()
        assert 'upstream_relays{state="waiting"} 1.0' in text
        assert "upstream_sync_age_seconds" in text
        check = monitor.readiness().check("upstream")
        assert check.result.status.value == "warn" and monitor.readiness().ready
    finally:
        monitor.stop()


def test_an_outage_warns_the_sender_and_the_operator_through_the_warning_system(world: World) -> None:
    from lienthong.store.tables import WatchOutbox
    from lienthong.watch.config import WatchConfig
    from lienthong.watch.outbox import Message
    from lienthong.watch.service import Watch

    watch = Watch(world.a, WatchConfig(operator_emails=("vanhanh@example.test",))).attach()
    world.port_a.down = True
    send(world.a, unit_system(A1), document(sender=A1, recipients=(G22,), number="21"))
    world.fa.relay_due()
    assert world.fa.check_late() == 1
    with world.a.read() as s:
        rows = {r.agency_code: r for r in s.execute(select(WatchOutbox)).scalars()}
    assert set(rows) == {A1, "operator"}
    assert rows["operator"].target == "vanhanh@example.test"
    row = rows[A1]
    import json

    message = Message(
        row.id, row.channel, row.purpose, row.agency_code, row.target, json.loads(row.payload), 0
    )
    mail = watch.alert_email(message)
    assert "trục cấp trên" in str(mail["Subject"])
    assert "HUB.UPSTREAM_LATE" in mail.get_content()


def test_a_national_size_directory_is_taken_in_chunks(tmp_path: Path) -> None:
    from lienthong.hub import upstream as U

    hub = province(tmp_path / "p", f"sqlite:///{tmp_path / 'p.sqlite3'}", PROVINCE_A)
    try:
        remote = [
            U.RemoteAgency(f"{i // 100:03d}.{i % 100:02d}.00.G01", f"Đơn vị {i}", None, "active", 5)
            for i in range(12_000)
        ]
        remote.append(U.RemoteAgency(A1, "Tên khác từ trục trên", None, "suspended", 5))  # local: kept as is
        with hub.write() as s:
            first = U.apply_directory(s, remote, 5, hub.clock())
        assert (first.added, first.updated, first.skipped_local) == (12_000, 0, 1)
        changed = [U.RemoteAgency("000.01.00.G01", "Đơn vị đổi tên", None, "removed", 6)]
        with hub.write() as s:
            again = U.apply_directory(s, remote[:100] + changed, 6, hub.clock())
        assert (again.added, again.updated) == (0, 1)
        with hub.read() as s:
            local = s.execute(select(Agency).where(Agency.code == A1)).scalar_one()
            assert (local.route, local.state, local.name) == ("local", "active", PROVINCE_A[A1])
            renamed = s.execute(select(Agency).where(Agency.code == "000.01.00.G01")).scalar_one()
            assert (renamed.name, renamed.state, renamed.route) == ("Đơn vị đổi tên", "removed", "upstream")
    finally:
        hub.close()


def test_a_sender_new_upstream_is_learnt_and_can_be_answered(world: World) -> None:
    from lienthong.hub import directory as D
    from tests.federation.kit import add_units

    newcomer = "000.00.00.G05"  # registered at the national hub after A's last directory sync
    add_units(world.national, {newcomer: "Bộ Tư pháp"})
    send(
        world.national,
        unit_system(newcomer),
        document(sender=newcomer, recipients=(A1,), number="22", document_id="G05-22"),
    )
    assert world.fa.pull() == 1
    with world.a.read() as s:
        learnt = D.get_agency(s, newcomer)
        assert learnt.route == "upstream"
    answer = send(world.a, unit_system(A1), status(A1, newcomer, "G05-22", "03"))
    assert [(d.recipient, d.route, d.state) for d in answer.deliveries] == [(newcomer, "upstream", "relay")]
