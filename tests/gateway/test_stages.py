"""The stages against the in-memory hub: what a clerk sees when things go wrong (issue 13's observations)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from lienthong.gateway.service import Gateway, GatewayError
from lienthong.gateway.tables import Outgoing
from tests.gateway.conftest import Clock, exchange
from tests.gateway.fakehub import FakeHub
from tests.hub.conftest import document

G22, H41 = "000.00.00.G22", "000.00.00.H41"
DOCID = "000.00.00.G22,2026/11/20,807/VPCP-KSTT"
Make = Callable[..., Gateway]


def _pair(local_gateway: Make, clock: Clock | None = None, **kwargs: object) -> tuple[Gateway, Gateway]:
    clock = clock or Clock()
    return local_gateway(G22, clock, **kwargs), local_gateway(H41, clock)


def _arrived(local_gateway: Make, **doc: object) -> tuple[Gateway, Gateway, int]:
    vpcp, nghean = _pair(local_gateway)
    vpcp.submit(document(recipients=(H41,), document_id=DOCID, **doc), approve_as="Văn thư A")  # type: ignore[arg-type]
    exchange((vpcp, nghean))
    [incoming] = [i for i in nghean.inbox() if i["kind"] == "edoc"]
    return vpcp, nghean, int(incoming["id"])


def _replies(g: Gateway) -> list[str]:
    return [str(o["status_code"]) for o in g.outbox() if o["kind"] == "status"]


# --- observation 2: a hub outage is retried, never Gửi lỗi; the same file is no "already sent" ---------


def test_a_hub_outage_while_sending_keeps_the_document_queued_and_it_arrives_once(
    local_gateway: Make, fake_hub: FakeHub
) -> None:
    clock = Clock()
    vpcp, nghean = _pair(local_gateway, clock, warn_after_minutes=15.0)
    fake_hub.down = True
    data = document(recipients=(H41,), document_id=DOCID)
    out = vpcp.submit(data, approve_as="Văn thư A")
    for _ in range(5):
        vpcp.process_outbox()
    assert vpcp.outbox()[0]["label_vi"] == "Chưa gửi" and vpcp.counts()["send_error"] == 0
    assert vpcp.submit(data).local_id == out.local_id  # the same file again: the same entry, no refusal
    clock.now += timedelta(minutes=20)
    vpcp.process_outbox()
    assert [w["label_vi"] for w in vpcp.warnings()] == ["Chưa gửi được lên Trục"]
    fake_hub.down = False
    clock.now += timedelta(minutes=20)
    exchange((vpcp, nghean))
    assert vpcp.outbox()[0]["label_vi"] == "Đã gửi"
    assert vpcp.warnings() == []  # resolved by itself
    assert [w["state"] for w in vpcp.warnings(include_resolved=True)] == ["resolved"]
    assert len(fake_hub.accepted()) == 1 and len(nghean.inbox(state="arrived")) == 1


def test_credentials_refused_are_retried_not_a_send_error(local_gateway: Make, fake_hub: FakeHub) -> None:
    vpcp, _ = _pair(local_gateway)
    fake_hub.bad_credentials = True
    vpcp.submit(document(recipients=(H41,)), approve_as="Văn thư A")
    vpcp.process_outbox()
    [row] = vpcp.outbox()
    assert row["state"] == "queued" and row["error"] == "HUB.AUTH_FAILED"


# --- observation 4: only the hub's exact repeat counts as "already accepted" ----------------------------


def test_a_duplicate_refusal_is_a_send_error_with_the_hubs_code(
    local_gateway: Make, fake_hub: FakeHub
) -> None:
    vpcp, _ = _pair(local_gateway)
    fake_hub.refuse_next.append(("HUB.DUPLICATE_NOTATION", "Số 807/VPCP-KSTT đã được gửi"))
    out = vpcp.submit(document(recipients=(H41,), subject="Một văn bản khác cùng số"), approve_as="Văn thư A")
    vpcp.process_outbox()
    [row] = vpcp.outbox()
    assert row["state"] == "send_error" and row["hub_doc_id"] is None  # never "sent" under another's id
    assert row["error"] == "HUB.DUPLICATE_NOTATION" and "807/VPCP-KSTT" in row["error_text"]
    [warning] = vpcp.warnings()
    assert warning["kind"] == "send_failed" and "HUB.DUPLICATE_NOTATION" in warning["detail"]
    with pytest.raises(GatewayError) as refused:
        vpcp.resend("no-such-package", "Văn thư A")
    assert refused.value.status == 404
    vpcp.resend(out.local_id, "Văn thư A")
    assert vpcp.outbox()[0]["state"] == "queued"


def test_the_exact_repeat_of_our_own_bytes_is_sent(local_gateway: Make, fake_hub: FakeHub) -> None:
    vpcp, _ = _pair(local_gateway)
    out = vpcp.submit(document(recipients=(H41,)), approve_as="Văn thư A")
    first = fake_hub.port(G22).send(vpcp.core.read_blob(out.blob_path))  # accepted, then a crash
    vpcp.process_outbox()
    [row] = vpcp.outbox()
    assert row["state"] == "sent" and row["hub_doc_id"] == first.doc_id
    assert len(fake_hub.accepted()) == 1


# --- observation 3 and the state machine: every move allowed and refused ---------------------------------

ALLOWED = [
    ("arrived", "accept", "accepted"),
    ("arrived", "return", "returned"),
    ("arrived", "assign", "assigned"),
    ("accepted", "assign", "assigned"),
    ("accepted", "process", "processing"),
    ("accepted", "complete", "completed"),
    ("assigned", "process", "processing"),
    ("assigned", "complete", "completed"),
    ("processing", "complete", "completed"),
]


def _walk(g: Gateway, incoming_id: int, to: str) -> None:
    path = {
        "accepted": ["accept"],
        "assigned": ["accept", "assign"],
        "processing": ["accept", "process"],
        "completed": ["accept", "complete"],
        "returned": ["return"],
    }
    for action in path.get(to, []):
        g.act(incoming_id, action, "Văn thư B", reason="Sai nơi nhận")


@pytest.mark.parametrize(("start", "action", "end"), ALLOWED)
def test_each_allowed_move_sends_its_status(local_gateway: Make, start: str, action: str, end: str) -> None:
    _, nghean, incoming = _arrived(local_gateway)
    _walk(nghean, incoming, start)
    before = len(_replies(nghean))
    assert nghean.act(incoming, action, "Văn thư B", reason="Sai nơi nhận") == end
    assert len(_replies(nghean)) == before + 1


REFUSED = [
    ("arrived", "process"),
    ("arrived", "complete"),
    ("arrived", "agree"),
    ("arrived", "refuse"),
    ("accepted", "accept"),
    ("accepted", "return"),
    ("assigned", "accept"),
    ("processing", "assign"),
    ("completed", "accept"),  # observation 3: a 03 after the 06
    ("completed", "complete"),
    ("returned", "complete"),  # observation 3: a returned document completed
    ("returned", "accept"),
]


@pytest.mark.parametrize(("start", "action"), REFUSED)
def test_each_refused_move_names_the_state_and_sends_nothing(
    local_gateway: Make, start: str, action: str
) -> None:
    _, nghean, incoming = _arrived(local_gateway)
    _walk(nghean, incoming, start)
    before = _replies(nghean)
    with pytest.raises(GatewayError) as refused:
        nghean.act(incoming, action, "Văn thư B", reason="Sai")
    assert refused.value.problem.code == "GATEWAY.INVALID_TRANSITION" and refused.value.status == 409
    assert nghean.show(incoming)["label_vi"] in refused.value.problem.message_vi
    assert _replies(nghean) == before  # nothing goes to the hub


def test_the_senders_tracking_never_goes_backwards(local_gateway: Make) -> None:
    vpcp, nghean, incoming = _arrived(local_gateway)
    nghean.act(incoming, "accept", "Văn thư B")
    nghean.act(incoming, "complete", "Văn thư B")
    # A late 01 or 03 reaching the sender after the 06 (another copy, a retry) is history only.
    nghean.reply(incoming, "03", "Tiếp nhận", "Văn thư B")
    exchange((vpcp, nghean))
    [recipient] = vpcp.track(vpcp.outbox(state="sent")[0]["local_id"])["recipients"]
    assert recipient["last_status"] == "06" and recipient["label_vi"] == "Đã hoàn thành"
    assert [h.split("@")[0] for h in recipient["history"]] == ["01", "03", "06", "03"]


# --- observation 5 and 14: revocations, updates and replacements -------------------------------------------


def _change(kind: str, number: str = "807", day: str = "2026/11/20") -> bytes:
    business: dict[str, object] = {"bussiness_doc_type": kind, "document_id": DOCID, "paper": "0"}
    if kind == "3":
        business = {
            "bussiness_doc_type": "3",
            "paper": "0",
            "replacement_info_list": [{"document_id": DOCID, "organ_id_list": [H41]}],
        }
    return document(recipients=(H41,), number=number, day=day, document_id=DOCID, business=business)


def test_a_revocation_with_the_originals_number_is_sent_and_revokes_the_copy(local_gateway: Make) -> None:
    vpcp, nghean, incoming = _arrived(local_gateway)
    nghean.act(incoming, "accept", "Văn thư B")
    revocation = vpcp.submit(_change("1"), approve_as="Văn thư A")  # the same number 807: no crash
    assert revocation.state == "queued" and revocation.register_number is None
    exchange((vpcp, nghean))
    assert nghean.show(incoming)["state"] == "revoked"
    assert nghean.show(incoming)["actions"] == []  # only viewing from now on
    with pytest.raises(GatewayError, match="INVALID_TRANSITION"):
        nghean.act(incoming, "complete", "Văn thư B")


@pytest.mark.parametrize("kind", ["2", "3"])
def test_an_update_or_a_replacement_answered_15_supersedes_the_original(
    local_gateway: Make, kind: str
) -> None:
    vpcp, nghean, incoming = _arrived(local_gateway)
    vpcp.submit(_change(kind, number="808"), approve_as="Văn thư A")
    exchange((vpcp, nghean))
    change = nghean.inbox(state="change_arrived")[0]["id"]
    with pytest.raises(GatewayError, match="INVALID_TRANSITION"):
        nghean.act(change, "accept", "Văn thư B")  # a change is answered 15 or 16
    assert nghean.act(change, "agree", "Văn thư B") == "accepted"
    assert nghean.show(incoming)["state"] == "superseded"


def test_a_refused_update_leaves_the_original(local_gateway: Make) -> None:
    vpcp, nghean, incoming = _arrived(local_gateway)
    vpcp.submit(_change("2", number="808"), approve_as="Văn thư A")
    exchange((vpcp, nghean))
    change = nghean.inbox(state="change_arrived")[0]["id"]
    assert nghean.act(change, "refuse", "Văn thư B") == "declined"
    assert nghean.show(incoming)["state"] == "arrived"


def test_a_recall_answered_15_cancels_and_16_keeps_the_state(local_gateway: Make) -> None:
    vpcp, nghean, incoming = _arrived(local_gateway)
    nghean.act(incoming, "accept", "Văn thư B")
    vpcp.recall(vpcp.outbox(state="sent")[0]["local_id"], "Ban hành nhầm", "Văn thư A")
    exchange((vpcp, nghean))
    assert nghean.show(incoming)["state"] == "recall_requested"
    assert nghean.act(incoming, "refuse", "Văn thư B") == "accepted"  # kept as it was
    vpcp.recall(vpcp.outbox(state="sent")[0]["local_id"], "Ban hành nhầm, lần 2", "Văn thư A")
    exchange((vpcp, nghean))
    assert nghean.act(incoming, "agree", "Văn thư B") == "cancelled"
    with pytest.raises(GatewayError, match="INVALID_TRANSITION"):
        nghean.act(incoming, "assign", "Văn thư B")


# --- observation 10: refused at review is not "not sent" ------------------------------------------------


def test_a_submission_refused_at_review_leaves_chua_gui(local_gateway: Make) -> None:
    vpcp, _ = _pair(local_gateway)
    vpcp.submit(document(recipients=(H41,), number="12"), approve_as="Văn thư A")
    again = vpcp.submit(document(recipients=(H41,), number="12", subject="Khác"))
    with pytest.raises(GatewayError, match="CHECKS_FAILED"):
        vpcp.approve(again.local_id, "Văn thư A")
    row = vpcp.outbox(state="refused")[0]
    assert row["label_vi"] == "Không được duyệt gửi"
    counts = vpcp.counts()
    assert counts["refused"] == 1 and counts["not_sent"] == 1  # only the first one waits to be sent
    assert vpcp.approve(again.local_id, "Văn thư A", override=True).state == "queued"


# --- observation 11: tracking asks only about documents still waiting, in batches -----------------------


def test_tracking_asks_only_about_waiting_documents_in_batches(
    local_gateway: Make, fake_hub: FakeHub
) -> None:
    vpcp, nghean = _pair(local_gateway, tracking_batch=2)
    for n in range(3):
        vpcp.submit(document(recipients=(H41,), number=str(100 + n)), approve_as="Văn thư A")
    exchange((vpcp, nghean))
    for i in nghean.inbox(state="arrived"):
        nghean.act(i["id"], "accept", "Văn thư B")
    first = nghean.inbox(state="accepted")[0]["id"]
    nghean.act(first, "complete", "Văn thư B")
    exchange((vpcp, nghean))
    assert len(vpcp.tracking.waiting()) == 2  # the completed one is final: no longer asked about
    fake_hub.calls.clear()
    vpcp.refresh_tracking()
    assert fake_hub.calls["sent"] == 2  # one batch
    with vpcp.core.sessions() as s:
        assert s.query(Outgoing).filter(Outgoing.tracked_at.is_not(None)).count() == 2


def test_only_a_sending_process_takes_back_the_leases(local_gateway: Make, fake_hub: FakeHub) -> None:
    from lienthong.gateway.outbox import QUEUE

    vpcp, _ = _pair(local_gateway)
    vpcp.submit(document(recipients=(H41,)), approve_as="Văn thư A")
    with vpcp.core.tx() as s:
        assert len(QUEUE.claim(s, vpcp.clock())) == 1  # the running sender holds it
    reader = Gateway(
        vpcp.config, port=fake_hub.port(G22), clock=vpcp.clock, take_over=False
    )  # `gateway act`…
    reader.close()
    assert vpcp.process_outbox() == 0  # still leased: nobody sends it twice meanwhile
    restarted = Gateway(
        vpcp.config, port=fake_hub.port(G22), clock=vpcp.clock
    )  # `gateway serve` after a crash
    assert restarted.process_outbox() == 1
    restarted.close()
