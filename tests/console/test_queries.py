"""The console's queries on both engines: search by code or name (Vietnamese, case-folded), scope, traffic."""

from __future__ import annotations

from datetime import UTC, datetime

from lienthong.accounts.model import Person
from lienthong.codes.calendar import VIETNAM
from lienthong.hub import console as q
from lienthong.hub.service import Hub

OPS = Person(1, "ops", "ops", "operator", None, "active")
NGHEAN = Person(2, "nghean", "nghean", "province-operator", "000.00.00.H41", "active")
NOBODY = Person(3, "odd", "odd", "province-operator", None, "active")


def test_search_scope_and_traffic(any_hub: Hub) -> None:
    hub = any_hub
    today = datetime.now(UTC).astimezone(VIETNAM).date()
    with hub.read() as s:
        assert q.search_agencies(s, OPS, "", page=1).total > 3300
        found = q.search_agencies(s, OPS, "sở tư pháp tỉnh lào cai")
        codes = [r["code"] for r in found.rows]
        assert codes == ["000.00.06.H51"] or hub.engine.dialect.name == "sqlite"  # SQLite folds ASCII only
        assert [r["code"] for r in q.search_agencies(s, OPS, "Sở Tư pháp tỉnh Lào Cai").rows] == [
            "000.00.06.H51"
        ]
        assert q.search_agencies(s, OPS, "H41").total == 3  # by the code's level-1 group
        page = q.search_agencies(s, OPS, "tỉnh", page=3, per_page=20)
        assert page.page == 3 and len(page.rows) == 20 and page.pages == -(-page.total // 20)
        assert {r["code"] for r in q.search_agencies(s, NGHEAN, "").rows} == {
            "000.00.00.H41", "000.00.01.H41", "000.00.02.H41"
        }  # fmt: skip
        assert q.search_agencies(s, NOBODY, "").total == 0
        assert q.agency_view(s, NGHEAN, "000.00.00.H14", today) is None
        view = q.agency_view(s, OPS, "000.00.00.H41", today)
        assert view is not None and view.units.total == 2 and view.systems[0]["system_id"] == "nghean.sys"
        rows = q.traffic_by_day(s, OPS, today)
        assert len(rows) == 30 and rows[-1]["day"] == today
        assert rows[-1]["sent"] == 4 and rows[-1]["delivered"] == 7 and rows[-1]["refused"] == 1
        mine = q.traffic_by_day(s, NGHEAN, today)
        assert mine[-1]["sent"] == 1 and mine[-1]["delivered"] == 3 and mine[-1]["refused"] == 0
        assert q.refusals(s, OPS).total == 1 and q.refusals(s, NGHEAN).total == 0
        assert q.audit_page(s, actor="cli").total == 3  # the three accounts added
        assert q.traffic_now(s, OPS, datetime.now(UTC))["agencies"] > 3300
        assert q.traffic_now(s, NGHEAN, datetime.now(UTC)) == {"last_hour": 1, "pending": 3, "agencies": 3}
