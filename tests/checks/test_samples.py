"""The public sample packages through the hub's subset: no rule breaks, revocations and updates pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from lienthong.checks import Outcome, hub_check
from lienthong.edxml import DocumentMessage, parse
from tests.conftest import DOCUMENT_SAMPLES, needs_samples


@needs_samples
@pytest.mark.parametrize("path", DOCUMENT_SAMPLES, ids=lambda p: p.name)
def test_every_rule_runs_on_the_samples(path: Path) -> None:
    message = parse(path, repair=True)
    assert isinstance(message, DocumentMessage)
    result = hub_check(message)
    assert all(r.outcome is not Outcome.SKIPPED for r in result.results)
    if path.name in ("edoc_revocation.edxml", "edoc_update.edxml"):
        # They name a document already issued: no time limit, no main PDF required.
        assert result.problems == []
    if path.name == "edoc_replacement.edxml":
        # A replacement is a new document: its 2018 date is late, its main document a zipped .doc.
        assert {p.code for p in result.problems} == {"CHECK.SENT_LATE", "CHECK.MAIN_PDF"}
