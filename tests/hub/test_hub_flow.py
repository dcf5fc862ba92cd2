"""The hub's core flows on SQLite and PostgreSQL: send, deliver, fetch, acknowledge, statuses, refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from lienthong.hub import directory
from lienthong.hub import problems as HP
from lienthong.hub.intake import Refused
from lienthong.hub.keys import verify_receipt
from lienthong.hub.service import Hub, HubError
from tests import conftest
from tests.hub.conftest import PDF, document, send, status, system

SAMPLES = conftest.SAMPLES
needs_samples = conftest.needs_samples


def test_one_to_many_send_fetch_ack(hub: Hub) -> None:
    data = document(recipients=("000.00.00.H41", "000.00.00.H14"))
    accepted = send(hub, "vpcp.sys", data)
    assert not accepted.repeat
    assert sorted((d.recipient, d.state) for d in accepted.deliveries) == [
        ("000.00.00.H14", "pending"),
        ("000.00.00.H41", "pending"),
    ]
    nghean, caobang = system(hub, "nghean.sys"), system(hub, "caobang.sys")
    inbox = hub.pending(nghean)
    assert [i.sender for i in inbox] == ["000.00.00.G22"]
    assert hub.count_pending(caobang, "edoc") == 1
    path, _ = hub.fetch(nghean, inbox[0].delivery_id)
    assert path.read_bytes() == data  # the stored bytes, exactly
    assert hub.pending(nghean)[0].state == "fetched"  # fetched but not acknowledged: still pending
    assert hub.ack(nghean, inbox[0].delivery_id, "done") == "done"
    assert hub.pending(nghean) == []
    assert hub.count_pending(caobang) == 1  # the other recipient is untouched
    rows = {r.recipient: r for r in hub.sent(system(hub, "vpcp.sys"), accepted.doc_id)}
    assert rows["000.00.00.H41"].state == "done" and rows["000.00.00.H41"].fetched_at is not None
    assert rows["000.00.00.H14"].state == "pending"


def test_statuses_route_back_to_the_sender_only(hub: Hub) -> None:
    accepted = send(hub, "vpcp.sys", document(document_id="000.00.00.G22,2026/11/20,807/VPCP-KSTT"))
    docid = "000.00.00.G22,2026/11/20,807/VPCP-KSTT"
    send(hub, "nghean.sys", status("000.00.00.H41", "000.00.00.G22", docid, "01"))
    send(hub, "nghean.sys", status("000.00.00.H41", "000.00.00.G22", docid, "03", "Tiếp nhận, vào sổ"))
    vpcp = system(hub, "vpcp.sys")
    replies = hub.pending(vpcp, "status")
    assert len(replies) == 2 and {r.recipient for r in replies} == {"000.00.00.G22"}
    assert hub.pending(system(hub, "caobang.sys"), "status") == []
    rows = {r.recipient: r for r in hub.sent(vpcp, accepted.doc_id)}
    assert rows["000.00.00.H41"].last_status_code == "03"
    assert rows["000.00.00.H14"].last_status_code is None
    history = hub.status_history(vpcp, rows["000.00.00.H41"].delivery_id)
    assert [code for code, _, _ in history] == ["01", "03"]


def test_status_for_a_document_never_delivered_is_refused(hub: Hub) -> None:
    send(
        hub,
        "vpcp.sys",
        document(recipients=("000.00.00.H41",), document_id="000.00.00.G22,2026/11/20,807/VPCP-KSTT"),
    )
    with pytest.raises(Refused) as caught:
        send(
            hub,
            "caobang.sys",
            status("000.00.00.H14", "000.00.00.G22", "000.00.00.G22,2026/11/20,807/VPCP-KSTT"),
        )
    assert caught.value.problem.code == HP.STATUS_NOT_DELIVERED.code


def test_exact_repeat_is_success_with_the_original_id_and_not_delivered_twice(hub: Hub) -> None:
    data = document()
    first = send(hub, "vpcp.sys", data)
    again = send(hub, "vpcp.sys", data)
    assert again.repeat and again.doc_id == first.doc_id
    assert hub.count_pending(system(hub, "nghean.sys")) == 1


def test_reused_document_id_and_reused_number_are_refused_naming_the_original(hub: Hub) -> None:
    first = send(
        hub, "vpcp.sys", document(number="807", document_id="000.00.00.G22,2026/11/20,807/VPCP-KSTT")
    )
    with pytest.raises(Refused) as caught:
        send(hub, "vpcp.sys", document(number="808", document_id="000.00.00.G22,2026/11/20,807/VPCP-KSTT"))
    assert caught.value.problem.code == HP.DUPLICATE_DOCUMENT_ID.code
    assert caught.value.original == first.doc_id
    with pytest.raises(Refused) as caught:
        send(hub, "vpcp.sys", document(number="807", day="2026/11/21", subject="Một văn bản khác cùng số"))
    assert caught.value.problem.code == HP.DUPLICATE_NOTATION.code
    assert caught.value.original == first.doc_id
    # The same number in another year is a new document.
    send(hub, "vpcp.sys", document(number="807", day="2027/01/05"))


def test_unknown_recipient_fails_at_once_while_the_others_proceed(hub: Hub) -> None:
    accepted = send(hub, "vpcp.sys", document(recipients=("000.00.00.H41", "000.00.00.H99")))
    states = {d.recipient: d for d in accepted.deliveries}
    assert states["000.00.00.H41"].state == "pending"
    assert states["000.00.00.H99"].state == "undeliverable"
    assert states["000.00.00.H99"].problem is not None
    assert states["000.00.00.H99"].problem.code == HP.UNKNOWN_RECIPIENT.code


def test_suspended_sender_is_refused_and_suspended_recipient_fails(hub: Hub) -> None:
    with hub.write() as s:
        directory.set_state(s, "000.00.00.H14", "suspended", hub.clock())
    accepted = send(hub, "vpcp.sys", document())
    states = {d.recipient: d for d in accepted.deliveries}
    assert states["000.00.00.H14"].state == "undeliverable"
    assert states["000.00.00.H14"].problem is not None
    assert states["000.00.00.H14"].problem.code == HP.RECIPIENT_SUSPENDED.code
    with pytest.raises(Refused) as caught:
        send(hub, "caobang.sys", document(sender="000.00.00.H14", recipients=("000.00.00.H41",)))
    assert caught.value.problem.code == HP.SENDER_SUSPENDED.code


def test_no_agency_sees_or_touches_what_was_not_addressed_to_it(hub: Hub) -> None:
    send(hub, "vpcp.sys", document(recipients=("000.00.00.H41",)))
    delivery_id = hub.pending(system(hub, "nghean.sys"))[0].delivery_id
    caobang = system(hub, "caobang.sys")
    assert hub.pending(caobang) == []
    for action in (lambda: hub.fetch(caobang, delivery_id), lambda: hub.ack(caobang, delivery_id, "done")):
        with pytest.raises(HubError) as caught:
            action()
        assert caught.value.problem.code == HP.NOT_FOUND.code
    with pytest.raises(Refused) as refused:
        send(hub, "caobang.sys", document(sender="000.00.00.H41", recipients=("000.00.00.G22",)))
    assert refused.value.problem.code == HP.SENDER_NOT_ALLOWED.code


def test_revocation_withdraws_unfetched_copies_and_is_delivered(hub: Hub) -> None:
    docid = "000.00.00.G22,2026/11/20,807/VPCP-KSTT"
    send(hub, "vpcp.sys", document(document_id=docid))
    caobang = system(hub, "caobang.sys")
    fetched = hub.pending(caobang)[0].delivery_id
    hub.fetch(caobang, fetched)
    revocation = document(
        number="809",
        document_id="000.00.00.G22,2026/11/21,809/VPCP-KSTT",
        business={"bussiness_doc_type": "1", "bussiness_doc_reason": "Thu hồi văn bản", "paper": "0"},
        response_for=[{"organ_id": "000.00.00.G22", "code": "807/VPCP-KSTT", "document_id": docid}],
    )
    send(hub, "vpcp.sys", revocation)
    nghean_inbox = hub.pending(system(hub, "nghean.sys"))
    # Not fetched yet: the original is withdrawn and only the revocation waits.
    assert [i.notation for i in nghean_inbox] == ["809/VPCP-KSTT"]
    # Already fetched: the original stays, and the revocation arrives beside it.
    assert {i.notation for i in hub.pending(caobang)} == {"807/VPCP-KSTT", "809/VPCP-KSTT"}


def test_receive_error_is_recorded_and_can_be_offered_again(hub: Hub) -> None:
    send(hub, "vpcp.sys", document(recipients=("000.00.00.H41",)))
    nghean = system(hub, "nghean.sys")
    delivery_id = hub.pending(nghean)[0].delivery_id
    hub.fetch(nghean, delivery_id)
    assert hub.ack(nghean, delivery_id, "processing") == "fetched"
    assert len(hub.pending(nghean)) == 1
    assert hub.ack(nghean, delivery_id, "fail") == "failed"
    assert hub.pending(nghean) == []
    row = hub.sent(system(hub, "vpcp.sys"))[0]
    assert row.state == "failed" and row.error_code == "HUB.RECEIVE_FAILED"
    hub.reoffer(delivery_id)
    assert [i.delivery_id for i in hub.pending(nghean)] == [delivery_id]
    with pytest.raises(HubError) as caught:
        hub.ack(nghean, delivery_id, "archived")
    assert caught.value.problem.code == HP.BAD_ACK.code


def test_audit_chain_verifies_and_detects_tampering(hub: Hub) -> None:
    send(hub, "vpcp.sys", document())
    report = hub.verify_audit()
    assert report.ok and report.entries > 10
    with hub.engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_log SET details = '{\"forged\": true}' WHERE seq = 3"))
    broken = hub.verify_audit()
    assert not broken.ok and broken.first_broken == 3


def test_audit_chain_detects_a_removed_last_entry(hub: Hub) -> None:
    send(hub, "vpcp.sys", document())
    with hub.engine.begin() as conn:
        last = conn.execute(sa.text("SELECT max(seq) FROM audit_log")).scalar_one()
        conn.execute(sa.text("DELETE FROM audit_log WHERE seq = :s"), {"s": last})
    assert not hub.verify_audit().ok


def test_receipt_verifies_offline_and_a_forged_one_does_not(hub: Hub) -> None:
    accepted = send(hub, "vpcp.sys", document())
    receipt = hub.receipt(accepted)
    public = hub.keys.receipt_public_pem()
    assert verify_receipt(receipt, public)
    assert receipt["sha256"] == accepted.sha256
    forged = dict(receipt, sha256="0" * 64)
    assert not verify_receipt(forged, public)


@needs_samples
def test_the_real_clients_messy_sample_is_accepted_and_its_problems_recorded(hub: Hub) -> None:
    data = (SAMPLES / "edoc_new.edxml").read_bytes()[len(b"1212") :]
    accepted = send(hub, "vpcp.sys", data)
    codes = {p.code for p in accepted.problems}
    assert {"EDXML.BAD_CODE_NUMBER", "EDXML.IMPOSSIBLE_DATE", "EDXML.LEGACY_AGENCY_CODE"} <= codes
    assert [(d.recipient, d.state) for d in accepted.deliveries] == [("28.22.H17", "pending")]
    with hub.read() as s:
        stored = s.execute(sa.text("SELECT problems_json FROM packages")).scalar_one()
    assert "EDXML.BAD_CODE_NUMBER" in {p["code"] for p in json.loads(stored)}


@needs_samples
def test_strict_policy_refuses_every_error(strict_hub: Hub) -> None:
    data = (SAMPLES / "edoc_new.edxml").read_bytes()[len(b"1212") :]
    with pytest.raises(Refused) as caught:
        send(strict_hub, "vpcp.sys", data)
    assert caught.value.problem.code == HP.POLICY_REFUSED.code


def test_unreadable_and_broken_packages_are_refused_with_their_codes(hub: Hub) -> None:
    with pytest.raises(Refused) as caught:
        send(hub, "vpcp.sys", b"<edXML><not-closed>")
    assert caught.value.problem.code == HP.MALFORMED.code
    broken = document().replace(b"JVBERi0xLjQ", b"!!!!!!!!!!!")  # corrupt the base64 of the PDF
    with pytest.raises(Refused) as caught:
        send(hub, "vpcp.sys", broken)
    assert caught.value.problem.code == HP.INTEGRITY.code
    with hub.read() as s:
        refusals = s.execute(sa.text("SELECT code FROM refusals ORDER BY id")).scalars().all()
    assert refusals == [HP.MALFORMED.code, HP.INTEGRITY.code]


def test_size_limit(tmp_path: Path) -> None:
    from tests.hub.conftest import make_hub

    small = make_hub(tmp_path, f"sqlite:///{tmp_path / 'small.sqlite3'}", max_package_bytes=10_000)
    with pytest.raises(Refused) as caught:
        send(small, "vpcp.sys", document(content=PDF + b"x" * 20_000))
    assert caught.value.problem.code == HP.TOO_LARGE.code
    assert list((tmp_path / "data" / "blobs" / "tmp").glob("upload-*")) == []  # nothing left behind
    small.close()


@needs_samples
def test_an_operator_policy_for_the_preflight_checks(tmp_path: Path) -> None:
    from tests.hub.conftest import make_hub

    policy = tmp_path / "checks.toml"
    policy.write_text('[rules]\n"CHECK.MAIN_PDF" = "off"\n"CHECK.SENT_LATE" = "info"\n', encoding="utf-8")
    default = make_hub(tmp_path / "a", f"sqlite:///{tmp_path / 'a.sqlite3'}")
    tuned = make_hub(tmp_path / "b", f"sqlite:///{tmp_path / 'b.sqlite3'}", checks_policy=policy)
    data = (SAMPLES / "edoc_new.edxml").read_bytes()[len(b"1212") :]
    found = {p.code: p.severity.value for p in send(default, "vpcp.sys", data).problems}
    assert found["CHECK.MAIN_PDF"] == "error" and found["CHECK.SENT_LATE"] == "warning"
    found = {p.code: p.severity.value for p in send(tuned, "vpcp.sys", data).problems}
    assert "CHECK.MAIN_PDF" not in found and found["CHECK.SENT_LATE"] == "info"
    default.close()
    tuned.close()
