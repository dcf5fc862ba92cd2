"""Gateways of three agencies exchanging through a live hub: send, 01 automatically, 03→06, 02, recall."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from lienthong.gateway.service import Gateway, GatewayError
from tests.gateway.conftest import Clock
from tests.hub.conftest import document

DOCID = "000.00.00.G22,2026/11/20,807/VPCP-KSTT"


def _exchange(gateways: tuple[Gateway, ...], rounds: int = 3) -> None:
    """Let every gateway work: send what is queued, take in what waits."""
    for _ in range(rounds):
        for g in gateways:
            g.process_outbox()
            g.poll_inbox()
            g.process_outbox()


@pytest.fixture
def three(make_gateway: Callable[..., Gateway]) -> tuple[Gateway, Gateway, Gateway]:
    vpcp = make_gateway("000.00.00.G22", "vpcp.sys")
    nghean = make_gateway("000.00.00.H41", "nghean.sys")
    caobang = make_gateway("000.00.00.H14", "caobang.sys", protocol="sdk")  # today's hub protocol
    return vpcp, nghean, caobang


def test_send_to_many_automatic_01_then_03_to_06_and_a_return(
    three: tuple[Gateway, Gateway, Gateway],
) -> None:
    vpcp, nghean, caobang = three
    out = vpcp.submit(document(document_id=DOCID), approve_as="Văn thư A")
    assert out.state == "queued"
    _exchange(three)
    assert vpcp.outbox()[0]["state"] == "sent"
    # Each recipient registered it in its incoming register and answered 01 on its own.
    for g in (nghean, caobang):
        [incoming] = [i for i in g.inbox() if i["kind"] == "edoc"]
        assert incoming["arrival_number"] == 1 and incoming["state"] == "arrived"
    timeline = {r["recipient"]: r for r in vpcp.track(out.local_id)["recipients"]}
    assert timeline["000.00.00.H41"]["last_status"] == "01"
    assert timeline["000.00.00.H14"]["last_status"] == "01"

    incoming_id = nghean.inbox()[0]["id"]
    for action in ("accept", "assign", "process", "complete"):
        nghean.act(incoming_id, action, "Văn thư B")
        _exchange(three)
    timeline = {r["recipient"]: r for r in vpcp.track(out.local_id)["recipients"]}
    assert [h.split("@")[0] for h in timeline["000.00.00.H41"]["history"]] == ["01", "03", "04", "05", "06"]
    assert timeline["000.00.00.H41"]["label_vi"] == "Đã hoàn thành"

    with pytest.raises(GatewayError):
        caobang.act(caobang.inbox()[0]["id"], "return", "Văn thư C")  # a return needs a reason
    caobang.act(caobang.inbox()[0]["id"], "return", "Văn thư C", reason="Gửi nhầm đơn vị")
    _exchange(three)
    timeline = {r["recipient"]: r for r in vpcp.track(out.local_id)["recipients"]}
    assert timeline["000.00.00.H14"]["label_vi"] == "Bị trả lại"
    assert [w["kind"] for w in vpcp.warnings()] == ["rejected"]


def test_recall_accepted_by_one_and_refused_by_another(three: tuple[Gateway, Gateway, Gateway]) -> None:
    vpcp, nghean, caobang = three
    out = vpcp.submit(document(document_id=DOCID), approve_as="Văn thư A")
    _exchange(three)
    vpcp.recall(out.local_id, "Văn bản ban hành nhầm", "Văn thư A")
    _exchange(three)
    for g in (nghean, caobang):
        assert [i["state"] for i in g.inbox() if i["kind"] == "edoc"] == ["recall_requested"]
    assert nghean.act(nghean.inbox()[0]["id"], "agree", "Văn thư B") == "cancelled"
    assert caobang.act(caobang.inbox()[0]["id"], "refuse", "Văn thư C") == "arrived"  # kept as it was
    _exchange(three)
    timeline = {r["recipient"]: r for r in vpcp.track(out.local_id)["recipients"]}
    assert timeline["000.00.00.H41"]["last_status"] == "15"
    assert timeline["000.00.00.H14"]["last_status"] == "16"


def test_update_and_replacement_are_registered_and_answered(three: tuple[Gateway, Gateway, Gateway]) -> None:
    vpcp, nghean, _ = three
    vpcp.submit(document(recipients=("000.00.00.H41",), document_id=DOCID), approve_as="Văn thư A")
    _exchange(three)
    update = document(
        recipients=("000.00.00.H41",),
        number="808",
        document_id="000.00.00.G22,2026/11/21,808/VPCP-KSTT",
        business={"bussiness_doc_type": "2", "document_id": DOCID, "paper": "0"},
    )
    vpcp.submit(update, approve_as="Văn thư A")
    _exchange(three)
    edocs = [i for i in nghean.inbox() if i["kind"] == "edoc"]
    assert [e["notation"] for e in edocs] == ["807/VPCP-KSTT", "808/VPCP-KSTT"]
    nghean.act(edocs[1]["id"], "agree", "Văn thư B")  # 15: the recipient takes the update
    _exchange(three)
    sent = {o["notation"]: o for o in vpcp.outbox() if o["kind"] == "edoc"}
    tracking = vpcp.track(sent["808/VPCP-KSTT"]["local_id"])["recipients"][0]
    assert tracking["last_status"] == "15"
    assert {e["notation"]: e["state"] for e in nghean.inbox() if e["kind"] == "edoc"}[
        "807/VPCP-KSTT"
    ] == "superseded"

    replacement = document(
        recipients=("000.00.00.H41",),
        number="809",
        document_id="000.00.00.G22,2026/11/22,809/VPCP-KSTT",
        business={
            "bussiness_doc_type": "3",
            "paper": "0",
            "replacement_info_list": [{"document_id": DOCID, "organ_id_list": ["000.00.00.H41"]}],
        },
    )
    vpcp.submit(replacement, approve_as="Văn thư A")
    _exchange(three)
    by_notation = {e["notation"]: e for e in nghean.inbox() if e["kind"] == "edoc"}
    nghean.act(by_notation["809/VPCP-KSTT"]["id"], "refuse", "Văn thư B")  # 16: the replacement is refused
    _exchange(three)
    sent = {o["notation"]: o for o in vpcp.outbox() if o["kind"] == "edoc"}
    assert vpcp.track(sent["809/VPCP-KSTT"]["local_id"])["recipients"][0]["last_status"] == "16"


def test_registers_flag_duplicates_and_numbers_restart_each_year(
    three: tuple[Gateway, Gateway, Gateway],
) -> None:
    vpcp, _, _ = three
    first = vpcp.submit(document(number="12", document_id="000.00.00.G22,2026/11/20,12/VPCP-KSTT"))
    assert first.register_number == 12 and first.state == "checked"
    again = vpcp.submit(
        document(number="12", day="2026/11/21", document_id="000.00.00.G22,2026/11/21,12/VPCP-KSTT")
    )
    codes = {c.code for c in vpcp.checklist(again.local_id) if not c.ok}
    assert "GATEWAY.DUPLICATE_NUMBER" in codes
    with pytest.raises(GatewayError):
        vpcp.approve(again.local_id, "Văn thư A")
    next_year = vpcp.submit(
        document(number="12", day="2027/01/04", document_id="000.00.00.G22,2027/01/04,12/VPCP-KSTT")
    )
    assert next_year.register_number == 12  # a new year, a new register
    assert vpcp.reserve_number(2027) == 1 and vpcp.reserve_number(2027) == 2


def test_warnings_open_and_resolve_as_conditions_change(make_gateway: Callable[..., Gateway]) -> None:
    clock = Clock()
    vpcp = make_gateway("000.00.00.G22", "vpcp.sys", clock=clock)
    nghean = make_gateway("000.00.00.H41", "nghean.sys", clock=clock)
    out = vpcp.submit(
        document(recipients=("000.00.00.H41", "000.00.00.G17", "000.00.00.H99"), document_id=DOCID),
        approve_as="Văn thư A",
    )
    vpcp.process_outbox()
    vpcp.refresh_tracking()
    assert {w["kind"] for w in vpcp.warnings()} == {"recipient_unknown"}  # H99 is not in the directory
    clock.now += timedelta(hours=6)  # Monday 15:00: six working hours later
    vpcp.refresh_tracking()
    vpcp.evaluate_warnings()
    late = {(w["kind"], w["recipient"]) for w in vpcp.warnings()}
    assert ("not_fetched", "000.00.00.G17") in late and ("not_fetched", "000.00.00.H41") in late
    nghean.poll_inbox()  # H41 fetches it (and queues 01, not yet sent)
    vpcp.refresh_tracking()
    vpcp.evaluate_warnings()
    late = {(w["kind"], w["recipient"]) for w in vpcp.warnings()}
    assert ("not_fetched", "000.00.00.H41") not in late  # resolved by itself
    clock.now += timedelta(days=2)  # past 12:00 of the next working day without a status
    vpcp.evaluate_warnings()
    late = {(w["kind"], w["recipient"]) for w in vpcp.warnings()}
    assert ("no_status", "000.00.00.H41") in late
    nghean.process_outbox()  # the 01 goes out at last
    vpcp.poll_inbox()
    vpcp.evaluate_warnings()
    assert ("no_status", "000.00.00.H41") not in {(w["kind"], w["recipient"]) for w in vpcp.warnings()}
    assert vpcp.counts()["late"] == 1  # G17 never fetched it
    assert vpcp.track(out.local_id)["recipients"][2]["label_vi"] == "Gửi lỗi"


def test_an_unreachable_hub_is_retried_until_the_deadline_then_send_error(
    make_gateway: Callable[..., Gateway],
) -> None:
    from lienthong.client.jsonapi import HubClient

    clock = Clock()
    vpcp = make_gateway(
        "000.00.00.G22", "vpcp.sys", clock=clock, deliver_until_hours=1.0, warn_after_minutes=15.0
    )
    vpcp.contact.inner = HubClient("http://127.0.0.1:9", "nothing-listens-here", timeout=1)  # refused
    out = vpcp.submit(document(), approve_as="Văn thư A")
    for _ in range(3):
        vpcp.process_outbox()
    [row] = vpcp.outbox()
    assert row["state"] == "queued" and row["label_vi"] == "Chưa gửi"  # still trying, not Gửi lỗi
    assert row["error"] == "GATEWAY.HUB_UNAVAILABLE" and vpcp.warnings() == []
    clock.now += timedelta(minutes=16)
    vpcp.process_outbox()
    [warning] = vpcp.warnings()
    assert warning["kind"] == "not_yet_sent" and warning["label_vi"] == "Chưa gửi được lên Trục"
    clock.now += timedelta(minutes=45)  # past the deadline of one hour
    vpcp.process_outbox()
    [row] = vpcp.outbox()
    assert row["state"] == "send_error" and row["error"] == "GATEWAY.DEADLINE_PASSED"
    assert [w["kind"] for w in vpcp.warnings()] == ["send_failed"]  # "not yet sent" gave way
    assert vpcp.counts()["send_error"] == 1
    vpcp.resend(out.local_id, "Văn thư A")
    assert vpcp.outbox()[0]["state"] == "queued"


def test_a_package_accepted_before_a_crash_is_not_sent_twice(
    three: tuple[Gateway, Gateway, Gateway], live_hub: tuple[object, object]
) -> None:
    vpcp, nghean, _ = three
    out = vpcp.submit(document(recipients=("000.00.00.H41",)), approve_as="Văn thư A")
    # The hub accepted it, then the gateway died before marking the entry sent.
    first = vpcp.port.send(vpcp.core.read_blob(out.blob_path))
    vpcp.process_outbox()  # after the restart: the same bytes again
    [row] = vpcp.outbox()
    assert row["state"] == "sent" and row["hub_doc_id"] == first.doc_id
    nghean.poll_inbox()
    assert len([i for i in nghean.inbox() if i["kind"] == "edoc"]) == 1


def test_the_preflight_checklist_stops_a_state_secret_whoever_approves(
    three: tuple[Gateway, Gateway, Gateway],
) -> None:
    vpcp, _, _ = three
    row = vpcp.submit(document(subject="TỐI MẬT: Phương án bảo vệ mục tiêu quan trọng"))
    failing = {c.code for c in vpcp.checklist(row.local_id) if not c.ok}
    assert "CHECK.STATE_SECRET" in failing
    with pytest.raises(GatewayError, match=r"GATEWAY\.STATE_SECRET"):
        vpcp.approve(row.local_id, "Văn thư A", override=True)
    assert vpcp.outbox()[0]["state"] == "refused"  # never queued, and no longer "not sent"


def test_a_document_registered_before_a_crash_still_gets_its_01(
    three: tuple[Gateway, Gateway, Gateway],
) -> None:
    vpcp, nghean, _ = three
    vpcp.submit(document(recipients=("000.00.00.H41",), document_id=DOCID), approve_as="Văn thư A")
    vpcp.process_outbox()
    [entry] = nghean.port.inbox()
    # The gateway registered it, then died before queueing its 01 and acknowledging the fetch.
    data = nghean.port.fetch(entry.delivery_id)
    with nghean.core.tx() as s:
        from lienthong.gateway.tables import Incoming

        s.add(
            Incoming(
                hub_delivery_id=entry.delivery_id,
                kind="edoc",
                sender_code="000.00.00.G22",
                recipient_code="000.00.00.H41",
                document_id=DOCID,
                arrival_year=2026,
                arrival_number=1,
                arrival_at=nghean.clock(),
                state="arrived",
                blob_path=nghean.core.store(data)[0],
                sha256="0" * 64,
            )
        )
    _exchange(three)  # after the restart
    assert [i["kind"] for i in nghean.inbox()] == ["edoc"]  # registered once
    tracking = vpcp.track(vpcp.outbox()[0]["local_id"])["recipients"][0]
    assert tracking["last_status"] == "01"


def test_through_a_real_hub_a_different_document_reusing_a_number_is_refused_and_a_revocation_is_not(
    three: tuple[Gateway, Gateway, Gateway],
) -> None:
    """Observations 4 and 14 against the real hub over HTTP."""
    vpcp, nghean, _ = three
    vpcp.submit(document(recipients=("000.00.00.H41",), document_id=DOCID), approve_as="Văn thư A")
    _exchange(three)
    other = vpcp.submit(
        document(
            recipients=("000.00.00.H41",),
            subject="Một văn bản khác, cùng số 807",
            document_id="000.00.00.G22,2026/11/20,807/VPCP-KSTT-2",
        )
    )
    assert "GATEWAY.DUPLICATE_NUMBER" in {c.code for c in vpcp.checklist(other.local_id) if not c.ok}
    vpcp.approve(other.local_id, "Văn thư A", override=True)  # the clerk overrides the warning
    _exchange(three)
    row = next(o for o in vpcp.outbox() if o["local_id"] == other.local_id)
    assert row["state"] == "send_error" and row["hub_doc_id"] is None  # never "sent" under another's id
    assert row["error"].startswith("HUB.DUPLICATE")
    assert [w["kind"] for w in vpcp.warnings()] == ["send_failed"]
    revocation = document(
        recipients=("000.00.00.H41",),
        document_id=DOCID,
        business={"bussiness_doc_type": "1", "document_id": DOCID, "paper": "0"},
    )
    sent = vpcp.submit(revocation, approve_as="Văn thư A")  # the original's number again: no crash
    assert sent.state == "queued"
    _exchange(three)
    assert next(o for o in vpcp.outbox() if o["local_id"] == sent.local_id)["state"] == "sent"
    [original] = nghean.inbox(state="revoked")
    assert original["notation"] == "807/VPCP-KSTT"
