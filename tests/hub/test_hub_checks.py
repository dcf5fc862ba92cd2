"""The preflight checks at the hub (issue 5): findings recorded, state secrets refused under every policy."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from lienthong.hub import problems as HP
from lienthong.hub.intake import Refused
from lienthong.hub.service import Hub
from tests.hub.conftest import PDF, document, send


def test_a_state_secret_document_is_refused_and_the_refusal_recorded(hub: Hub) -> None:
    with pytest.raises(Refused) as caught:
        send(hub, "vpcp.sys", document(subject="TỐI MẬT - Về phương án bảo đảm an ninh"))
    problem = caught.value.problem
    assert problem.code == HP.STATE_SECRET.code
    assert problem.params["level"] == "Tối mật"
    assert problem.path == "MessageHeader/Subject"
    assert HP.sdk_error_code(problem.code) == "31"
    with hub.read() as s:
        assert s.execute(sa.text("SELECT code FROM refusals")).scalars().all() == [HP.STATE_SECRET.code]
        assert s.execute(sa.text("SELECT count(*) FROM packages")).scalar_one() == 0
        assert s.execute(sa.text("SELECT count(*) FROM deliveries")).scalar_one() == 0


def test_an_ordinary_subject_about_secrets_is_delivered(hub: Hub) -> None:
    accepted = send(hub, "vpcp.sys", document(subject="V/v bảo vệ bí mật nhà nước trong cơ quan"))
    assert [d.state for d in accepted.deliveries] == ["pending", "pending"]


def test_check_findings_are_recorded_not_blocking_under_the_default_policy(hub: Hub) -> None:
    # A Công văn sent with paper is against letter 775; the hub still delivers it and says so.
    data = document(business={"bussiness_doc_type": "0", "paper": "1"}, number="808")
    accepted = send(hub, "vpcp.sys", data)
    assert "CHECK.PAPER" in {p.code for p in accepted.problems}
    assert [d.state for d in accepted.deliveries] == ["pending", "pending"]
    with hub.read() as s:
        stored = s.execute(sa.text("SELECT problems_json FROM packages")).scalar_one()
    assert "CHECK.PAPER" in {p["code"] for p in json.loads(stored)}


def test_the_strict_policy_refuses_on_check_errors(strict_hub: Hub) -> None:
    # PDF 1.3 breaks only a check (Decree 30 wants PDF ≥ 1.4), not the edXML validation.
    old_pdf = document(number="809", content=PDF.replace(b"%PDF-1.4", b"%PDF-1.3"))
    with pytest.raises(Refused) as caught:
        send(strict_hub, "vpcp.sys", old_pdf)
    assert caught.value.problem.code == HP.POLICY_REFUSED.code
    assert caught.value.problem.params["detail"] == "CHECK.MAIN_PDF at AttachmentEncoded/Attachment[809.pdf]"
    with pytest.raises(Refused) as caught:
        send(strict_hub, "vpcp.sys", document(number="810", subject="(Mật) Kế hoạch"))
    assert caught.value.problem.code == HP.STATE_SECRET.code
