"""A gateway's people: its schema (migrations = models), the user and token commands, history of events."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from typer.testing import CliRunner

from lienthong.cli.main import app as cli
from lienthong.gateway.core import MIGRATIONS
from lienthong.gateway.people import events, open_store
from lienthong.gateway.tables import GatewayBase
from lienthong.store.db import make_engine, migrate
from tests.hub.conftest import db_url, pg_available  # noqa: F401  (fixtures)


def test_the_migrations_give_exactly_the_gateway_tables(db_url: str) -> None:  # noqa: F811
    engine = make_engine(db_url)
    try:
        migrate(engine, MIGRATIONS)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), GatewayBase.metadata)
        assert [d for d in diff if "alembic_version" not in str(d)] == []
    finally:
        engine.dispose()


def test_user_and_token_commands(tmp_path: Path) -> None:
    run = CliRunner()
    data = ["--data-dir", str(tmp_path)]
    added = run.invoke(cli, ["gateway", "user", "add", "lanhdao", "--role", "leader", "--name", "Lãnh đạo A",
                             "--password", "mat-khau-dai-1", *data])  # fmt: skip
    assert added.exit_code == 0, added.output
    wrong = run.invoke(
        cli, ["gateway", "user", "add", "x.y", "--role", "operator", "--password", "mat-khau-dai-1", *data]
    )
    assert wrong.exit_code == 1 and "ACCOUNTS.BAD_ROLE" in wrong.output
    listed = run.invoke(cli, ["gateway", "user", "list", *data])
    assert "lanhdao" in listed.output and "leader" in listed.output
    issued = run.invoke(
        cli, ["gateway", "token", "issue", "lanhdao", "--scope", "read", "--label", "QLVB", *data]
    )
    assert issued.exit_code == 0 and "lt_" in issued.output
    secret = issued.output.split(": ", 1)[1].strip()
    store = open_store(f"sqlite:///{tmp_path / 'gateway.sqlite3'}")
    with store.write() as s:
        found = store.accounts.person_for_token(s, secret, store.clock())
    assert found is not None and found[1] == frozenset({"read"})
    assert "QLVB" in run.invoke(cli, ["gateway", "token", "list", *data]).output
    assert run.invoke(cli, ["gateway", "token", "revoke", "1", *data]).exit_code == 0
    with store.write() as s:
        assert store.accounts.person_for_token(s, secret, store.clock()) is None
    disabled = run.invoke(cli, ["gateway", "user", "disable", "lanhdao", *data])
    assert disabled.exit_code == 0
    reset = run.invoke(
        cli, ["gateway", "user", "reset-password", "lanhdao", "--password", "mat-khau-moi-12", *data]
    )
    assert reset.exit_code == 0
    with store.read() as s:
        actions = [e["action"] for e in events(s)]
    assert {"account.add", "account.token_issue", "account.token_revoke", "account.disable"} <= set(actions)
