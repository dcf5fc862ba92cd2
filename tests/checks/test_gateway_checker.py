"""The gateway's ready checker over really signed packages, and the clerk's checklist it fills."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from lienthong.checks import (
    AgencyRecord,
    InMemoryHistory,
    InMemoryRegistry,
    SentDocument,
    gateway_checker,
)
from lienthong.codes.calendar import VIETNAM
from lienthong.edxml import parse, to_bytes
from lienthong.edxml.builder import attachment_from_bytes, build_document
from lienthong.gateway.config import GatewayConfig
from lienthong.gateway.service import Gateway, GatewayError
from lienthong.signing.samples import sample_pdf
from tests.signing.kit import AN, RECIPIENT, SENDER, SigningKit

REGISTRY = InMemoryRegistry.of([AgencyRecord(SENDER.code), AgencyRecord(RECIPIENT.code)])


def signed_package(kit: SigningKit, *, extra_pdf: bytes | None = None, **meta: Any) -> bytes:
    """A Quyết định of today, its main PDF signed by Nguyễn Văn An and sealed by the sender."""
    today = datetime.now(UTC).astimezone(VIETNAM).strftime("%Y/%m/%d")
    data: dict[str, Any] = {
        "from": {"organ_id": SENDER.code, "organ_name": SENDER.name},
        "to": [{"organ_id": RECIPIENT.code, "organ_name": RECIPIENT.name}],
        "code": {"code_number": "12", "code_notation": "QĐ-VPCP"},
        "promulgation_info": {"place": "Hà Nội", "promulgation_date": today},
        "document_type": {"type": "1", "type_name": "Quyết định"},
        "subject": "Về việc ban hành quy chế làm việc",
        "signer_info": {"competence": "KT. CHỦ NHIỆM", "position": "Phó Chủ nhiệm", "full_name": AN},
        "business": {"bussiness_doc_type": "0", "paper": "0"},
        **meta,
    }
    files = [attachment_from_bytes("12.pdf", kit.signed_document())]
    if extra_pdf is not None:
        files.append(attachment_from_bytes("phu-luc.pdf", extra_pdf))
    return to_bytes(build_document(data, files))


def test_a_properly_signed_package_has_no_findings(kit: SigningKit) -> None:
    checker = gateway_checker(trust=kit.trust, registry=REGISTRY, history=InMemoryHistory())
    data = signed_package(kit, extra_pdf=kit.signed_attachment())
    assert checker(parse(data), data) == []


def test_unsigned_annexes_duplicates_and_secrets_are_errors(kit: SigningKit) -> None:
    history = InMemoryHistory()
    today = datetime.now(UTC).astimezone(VIETNAM)
    history.record(SentDocument("out-7", RECIPIENT.code, None, SENDER.code, 12, "QĐ-VPCP", today.year))
    checker = gateway_checker(trust=kit.trust, registry=REGISTRY, history=history)
    data = signed_package(kit, extra_pdf=sample_pdf("Phu luc"), subject="MẬT - Về việc bảo đảm an ninh")
    found = {p.code: p for p in checker(parse(data), data)}
    assert set(found) == {"CHECK.STATE_SECRET", "CHECK.SIGNATURES", "CHECK.DUPLICATE"}
    assert all(p.is_error for p in found.values())
    assert found["CHECK.DUPLICATE"].params["original"] == "out-7"
    assert "phu-luc.pdf" in found["CHECK.SIGNATURES"].message_en


def test_without_a_trust_store_the_signature_rules_are_skipped(kit: SigningKit) -> None:
    data = signed_package(kit)
    assert gateway_checker()(parse(data), data) == []


@pytest.fixture
def gateway(tmp_path: Path, kit: SigningKit) -> Iterator[Gateway]:
    config = GatewayConfig(agency_code=SENDER.code, agency_name=SENDER.name, data_dir=tmp_path / "gw")
    gw = Gateway(config, checker=gateway_checker(trust=kit.trust, registry=REGISTRY))
    yield gw
    gw.close()


def test_the_gateway_checklist_stops_a_failing_package_until_a_clerk_acts(
    gateway: Gateway, kit: SigningKit
) -> None:
    good = gateway.submit(signed_package(kit, extra_pdf=kit.signed_attachment()))
    assert all(item.ok for item in gateway.checklist(good.local_id))
    bad = gateway.submit(
        signed_package(
            kit, extra_pdf=sample_pdf("Phu luc"), code={"code_number": "13", "code_notation": "QĐ-VPCP"}
        )
    )
    failing = [item for item in gateway.checklist(bad.local_id) if not item.ok]
    assert [item.code for item in failing] == ["CHECK.SIGNATURES"]
    assert failing[0].message_vi.startswith("Tệp phu-luc.pdf không có chữ ký số hợp lệ")
    with pytest.raises(GatewayError, match=r"CHECK\.SIGNATURES"):
        gateway.approve(bad.local_id, "văn thư")


def test_the_gateways_register_answers_the_history_port(gateway: Gateway, kit: SigningKit) -> None:
    # Asked outside submit(): the gateway runs its checker inside its write transaction, where a
    # second SQLite session would wait for the lock (reported to the lead; see the issue report).
    from lienthong.gateway.checks_ports import OutgoingHistory

    history = OutgoingHistory(gateway.sessions)
    first = gateway.submit(signed_package(kit))
    today = datetime.now(UTC).astimezone(VIETNAM)
    ask: dict[str, Any] = {
        "document_id": None,
        "issuer": SENDER.code,
        "number": 12,
        "notation": "QĐ-VPCP",
        "year": today.year,
    }
    assert history.find(RECIPIENT.code, **ask) is None  # checked, not approved: nothing sent yet
    gateway.approve(first.local_id, "văn thư")
    found = history.find(RECIPIENT.code, **ask)
    assert found is not None and found.reference == first.local_id and found.notation == "QĐ-VPCP"
    assert history.find("000.00.00.H14", **ask) is None  # another recipient
    assert history.find(RECIPIENT.code, **{**ask, "number": 13}) is None
    by_id = history.find(RECIPIENT.code, **{**ask, "document_id": first.document_id, "number": None})
    assert by_id is not None and by_id.reference == first.local_id
    checker = gateway_checker(history=history)
    data = signed_package(kit, subject="Về việc ban hành quy chế làm việc (gửi lại)")
    [duplicate] = [p for p in checker(parse(data), data) if p.code == "CHECK.DUPLICATE"]
    assert duplicate.params["original"] == first.local_id


def test_the_seal_is_checked_against_the_agency_directory(kit: SigningKit) -> None:
    data = signed_package(kit, extra_pdf=kit.signed_attachment())
    proven = gateway_checker(
        trust=kit.trust, registry=REGISTRY, history=InMemoryHistory(), directory=kit.directory
    )
    assert proven(parse(data), data) == []
    by_name = gateway_checker(
        trust=kit.trust, registry=REGISTRY, history=InMemoryHistory(), directory=kit.names_only
    )
    (warning,) = by_name(parse(data), data)
    assert warning.code == "CHECK.MAIN_PDF" and not warning.is_error and "by name only" in warning.message_en
