"""Queries that must stay cheap as the hub grows: the directory in SQL pages, bulk import, open deliveries."""

from __future__ import annotations

import csv
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, text

from lienthong.api.app import create_app
from lienthong.hub import directory
from lienthong.hub.directory import DirectoryError
from lienthong.hub.service import Hub
from lienthong.store.tables import Agency, AuditEntry, Delivery
from tests.hub.conftest import Server, document, send, system


def _csv(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["code", "name", "parent"])
        writer.writerows(rows)
    return path


def _units(count: int) -> list[tuple[str, str, str]]:
    return [(f"000.{n // 90 + 1:02d}.{n % 90 + 1:02d}.H41", f"Đơn vị {n}", "") for n in range(count)]


def test_bulk_import_is_one_version_and_one_audit_entry(hub: Hub, tmp_path: Path) -> None:
    with hub.read() as s:
        before_version = directory.current_version(s)
        before_audit = s.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
    path = _csv(tmp_path / "units.csv", [*_units(300), ("000.00.00.H41", "đã có", "")])
    with hub.write() as s:
        added, skipped = directory.import_agencies(s, path, hub.clock())
    assert (added, skipped) == (300, 1)
    with hub.read() as s:
        assert directory.current_version(s) == before_version + 1
        versions = set(s.execute(select(Agency.version).where(Agency.code.like("000.%.%.H41"))).scalars())
        assert before_version + 1 in versions
        entries = s.execute(select(AuditEntry).where(AuditEntry.seq > before_audit)).scalars().all()
        assert [e.action for e in entries] == ["agency.import"]
        parent = s.execute(select(Agency.parent_code).where(Agency.code == "000.01.01.H41")).scalar_one()
        assert parent == "000.00.01.H41"  # derived from the code, as add_agency does
    assert hub.verify_audit().ok


def test_one_bad_row_refuses_the_whole_import(hub: Hub, tmp_path: Path) -> None:
    path = _csv(tmp_path / "bad.csv", [*_units(10), ("not-a-code!", "x", "")])
    with pytest.raises(DirectoryError), hub.write() as s:
        directory.import_agencies(s, path, hub.clock())
    with hub.read() as s:
        assert directory.count_agencies(s) == 6  # only the fixture's agencies


def test_directory_pages_by_key_and_filters_in_sql(hub: Hub, tmp_path: Path) -> None:
    with hub.write() as s:
        directory.import_agencies(s, _csv(tmp_path / "u.csv", _units(250)), hub.clock())
        token = directory.issue_token(s, "vpcp.sys", hub.clock())
    with Server(create_app(hub)) as server, httpx.Client(base_url=server.url) as http:
        auth = {"Authorization": f"Bearer {token}"}
        seen: list[str] = []
        after: str | None = None
        while True:
            params: dict[str, str | int] = {"limit": 100, **({"after": after} if after else {})}
            body = http.get("/api/v1/agencies", params=params, headers=auth).json()
            seen += [item["code"] for item in body["items"]]
            after = body["next"]
            if after is None:
                break
        assert seen == sorted(seen) and len(seen) == len(set(seen)) == 256
        level1 = http.get("/api/v1/agencies", params={"level": 1}, headers=auth).json()
        assert {i["code"] for i in level1["items"]} == {
            "000.00.00.G22",
            "000.00.00.H41",
            "000.00.00.H14",
            "000.00.00.G17",
        }
        old_style = http.get("/api/v1/agencies", params={"offset": 250, "limit": 100}, headers=auth).json()
        assert [i["code"] for i in old_style["items"]] == seen[250:]


def test_inbox_pages_by_key_and_counts_open_deliveries(hub: Hub) -> None:
    for n in range(5):
        send(hub, "vpcp.sys", document(number=str(300 + n), recipients=("000.00.00.H41",)))
    nghean = system(hub, "nghean.sys")
    first = hub.pending(nghean, limit=2)
    second = hub.pending(nghean, limit=2, after=first[-1].delivery_id)
    third = hub.pending(nghean, limit=2, after=second[-1].delivery_id)
    ids = [i.delivery_id for i in first + second + third]
    assert len(ids) == len(set(ids)) == 5
    hub.fetch(nghean, ids[0])
    hub.ack(nghean, ids[0], "done")
    assert hub.count_pending(nghean) == 4
    assert hub.count_pending(nghean, "edoc") == 4 and hub.count_pending(nghean, "status") == 0


def test_the_receiver_queries_use_the_partial_index(hub: Hub) -> None:
    send(hub, "vpcp.sys", document())
    nghean = system(hub, "nghean.sys")
    query = (
        select(func.count())
        .select_from(Delivery)
        .where(*hub._open_for(nghean, "edoc"))
        .compile(hub.engine, compile_kwargs={"literal_binds": True})
    )
    with hub.engine.connect() as conn:
        if hub.is_postgres:
            conn.execute(text("SET enable_seqscan = off"))
            plan = "\n".join(r[0] for r in conn.execute(text(f"EXPLAIN {query}")))
        else:
            plan = "\n".join(str(r[-1]) for r in conn.execute(text(f"EXPLAIN QUERY PLAN {query}")))
    assert "ix_deliveries_open" in plan, plan
