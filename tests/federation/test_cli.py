"""``lienthong hub upstream`` and ``lienthong hub relays``: the operator's commands."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from lienthong.cli.main import app
from lienthong.hub.config import HubConfig
from lienthong.hub.relay import list_relays
from lienthong.hub.service import Hub
from tests.federation.kit import PROVINCE_A, province, unit_system
from tests.hub.conftest import document, send

A1 = next(iter(PROVINCE_A))


def test_upstream_set_show_and_the_relay_queue(tmp_path: Path) -> None:
    data, db = tmp_path / "a", f"sqlite:///{tmp_path / 'a.sqlite3'}"
    province(data, db, PROVINCE_A).close()
    where = ["--db", db, "--data-dir", str(data)]
    runner = CliRunner()
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n")
    missing = runner.invoke(
        app, ["hub", "upstream", "set", "--protocol", "sdk", "--url", "http://x", "--hub-code", "W", *where]
    )
    assert missing.exit_code == 1 and "--secret-file" in missing.output
    no_system = [
        "--protocol",
        "sdk",
        "--url",
        "http://127.0.0.1:9",
        "--hub-code",
        "000.00.00.W41",
        "--secret-file",
        str(secret),
    ]
    answer = runner.invoke(app, ["hub", "upstream", "set", *no_system, *where])
    assert answer.exit_code == 1 and "HUB.UPSTREAM_BAD_LINK" in answer.output
    answer = runner.invoke(app, ["hub", "upstream", "set", *no_system, "--system-id", "hub-A", *where])
    assert answer.exit_code == 0, answer.output
    shown = runner.invoke(app, ["hub", "upstream", "show", "--json", *where])
    assert shown.exit_code == 0, shown.output
    view = json.loads(shown.output)
    assert view["protocol"] == "sdk" and view["system_id"] == "hub-A" and "s3cret" not in shown.output
    # Nothing listens on port 9: the sync says so with the stable code, and the link records it.
    failed = runner.invoke(app, ["hub", "upstream", "sync", *where])
    assert failed.exit_code == 1 and "HUB.UPSTREAM_UNREACHABLE" in failed.output
    assert json.loads(runner.invoke(app, ["hub", "upstream", "show", "--json", *where]).output)["last_error"]
    # A relay failed for good, listed and resent by the operator.
    hub = Hub(HubConfig(data_dir=data, db_url=db))
    from lienthong.hub import upstream as U

    with hub.write() as s:
        U.apply_directory(s, [U.RemoteAgency("000.00.00.G22", "VPCP", None, "active", 3)], 3, hub.clock())
    send(hub, unit_system(A1), document(sender=A1, recipients=("000.00.00.G22",)))
    from sqlalchemy import update

    from lienthong.store.tables import Relay

    with hub.write() as s:
        s.execute(update(Relay).values(state="failed", error_code="HUB.UPSTREAM_REFUSED"))
    [relay] = list_relays(hub)
    hub.close()
    listed = runner.invoke(app, ["hub", "relays", "--state", "failed", "--json", *where])
    assert listed.exit_code == 0, listed.output
    assert [r["relay_id"] for r in json.loads(listed.output)] == [relay.relay_id]
    again = runner.invoke(app, ["hub", "relays", "resend", relay.relay_id, *where])
    assert again.exit_code == 0, again.output
    waiting = json.loads(runner.invoke(app, ["hub", "relays", "--state", "waiting", "--json", *where]).output)
    assert [r["relay_id"] for r in waiting] == [relay.relay_id]
    twice = runner.invoke(app, ["hub", "relays", "resend", relay.relay_id, *where])
    assert twice.exit_code == 1 and "HUB.NOT_RELAYED" in twice.output
