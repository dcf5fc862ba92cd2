"""The hub's people: roles and scopes, argon2 passwords, throttled sign-in, sessions, tokens, audit, CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from lienthong.accounts import signin
from lienthong.accounts.model import digest
from lienthong.accounts.passwords import verify_password
from lienthong.cli.main import app as cli
from lienthong.hub.people import hub_accounts, in_scope
from lienthong.hub.service import Hub
from lienthong.problems import LienthongError
from lienthong.store.tables import ACCOUNTS, AuditEntry

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
PASSWORD = "đúng-mật-khẩu-1"


def codes_of(exc: pytest.ExceptionInfo[LienthongError]) -> str:
    return exc.value.problem.code


def test_roles_and_scopes_are_checked(hub: Hub) -> None:
    accounts = hub_accounts()
    with hub.write() as s:
        accounts.add(s, "an.nguyen", PASSWORD, "operator", NOW, display_name="Nguyễn An")
        province = accounts.add(s, "nghean", PASSWORD, "province-operator", NOW, scope="000.00.00.H41")
        accounts.add(s, "bxd", PASSWORD, "ministry-operator", NOW, scope="000.00.00.G17")
    scoped = "province-operator"
    cases = [
        ({"username": "x", "role": "operator"}, "ACCOUNTS.BAD_USERNAME"),
        ({"username": "an.nguyen", "role": "operator"}, "ACCOUNTS.USER_EXISTS"),
        ({"username": "bad.role", "role": "clerk"}, "ACCOUNTS.BAD_ROLE"),
        ({"username": "no.scope", "role": "province-operator"}, "ACCOUNTS.BAD_SCOPE"),
        ({"username": "not.level1", "role": scoped, "scope": "002.00.20.H13"}, "ACCOUNTS.BAD_SCOPE"),
        ({"username": "wrong.branch", "role": scoped, "scope": "000.00.00.G17"}, "ACCOUNTS.BAD_SCOPE"),
        ({"username": "not.listed", "role": scoped, "scope": "000.00.00.H99"}, "ACCOUNTS.BAD_SCOPE"),
        ({"username": "scoped.op", "role": "operator", "scope": "000.00.00.H41"}, "ACCOUNTS.BAD_SCOPE"),
        ({"username": "weak.pw", "role": "operator", "password": "short"}, "ACCOUNTS.WEAK_PASSWORD"),
    ]
    for case, code in cases:
        password = str(case.pop("password", PASSWORD))
        with hub.write() as s, pytest.raises(LienthongError) as exc:
            accounts.add(s, case["username"], password, case["role"], NOW, scope=case.get("scope"))
        assert codes_of(exc) == code, case
    assert in_scope(province, "000.00.00.H41") and in_scope(province, "012.03.45.H41")
    assert not in_scope(province, "000.00.00.H14") and not in_scope(province, "000.00.00.G22")
    with hub.read() as s:
        stored = s.execute(select(ACCOUNTS.users.c.password_hash)).scalars().all()
    assert all(h.startswith("$argon2id$") for h in stored)
    assert verify_password(stored[0], PASSWORD) and not verify_password(stored[0], "sai")


def test_sign_in_throttle_sessions_and_audit(hub: Hub) -> None:
    accounts = hub_accounts()
    with hub.write() as s:
        accounts.add(s, "an.nguyen", PASSWORD, "operator", NOW)
    with hub.write() as s:
        ok = signin.sign_in(accounts, s, "An.Nguyen ", PASSWORD, "10.0.0.7", NOW)
    assert ok.person is not None and ok.token and ok.expires_at == NOW + timedelta(hours=8)
    with hub.read() as s:
        assert signin.session_for(accounts, s, ok.token, NOW + timedelta(hours=1)) is not None
        assert signin.session_for(accounts, s, ok.token, NOW + timedelta(hours=8, seconds=1)) is None
        assert signin.session_for(accounts, s, "forged", NOW) is None
    # Five wrong passwords lock the name for the window, even for the right password.
    for _ in range(5):
        with hub.write() as s:
            bad = signin.sign_in(accounts, s, "an.nguyen", "wrong password!", "10.0.0.8", NOW)
        assert bad.problem is not None and bad.problem.code == "ACCOUNTS.BAD_CREDENTIALS"
    with hub.write() as s:
        locked = signin.sign_in(accounts, s, "an.nguyen", PASSWORD, "10.0.0.7", NOW + timedelta(minutes=1))
    assert locked.problem is not None and locked.problem.code == "ACCOUNTS.THROTTLED"
    with hub.write() as s:
        later = signin.sign_in(accounts, s, "an.nguyen", PASSWORD, "10.0.0.7", NOW + timedelta(minutes=16))
    assert later.person is not None
    with hub.write() as s:  # a sign-in sweeps the expired sessions away
        signin.sign_in(accounts, s, "an.nguyen", PASSWORD, "10.0.0.7", NOW + timedelta(hours=9))
        tokens = s.execute(select(ACCOUNTS.sessions.c.token_hash)).scalars().all()
    assert len(tokens) == 1 and digest(ok.token) not in tokens and digest(later.token) not in tokens
    # A huge password is refused without hashing a megabyte.
    with hub.write() as s:
        huge = signin.sign_in(accounts, s, "nobody.else", "x" * 1_000_000, "10.0.0.9", NOW)
    assert huge.problem is not None and huge.problem.code == "ACCOUNTS.BAD_CREDENTIALS"
    # An unknown name fails exactly like a wrong password.
    with hub.write() as s:
        ghost = signin.sign_in(accounts, s, "nobody", PASSWORD, "10.0.0.9", NOW)
    assert ghost.problem is not None and ghost.problem.code == "ACCOUNTS.BAD_CREDENTIALS"
    # Disabling ends the sessions at once; a reset password ends them too.
    with hub.write() as s:
        accounts.set_state(s, "an.nguyen", "disabled", NOW, actor="user:root", ip="10.0.0.1")
    with hub.write() as s:
        assert signin.session_for(accounts, s, later.token, NOW) is None
        denied = signin.sign_in(accounts, s, "an.nguyen", PASSWORD, "10.0.0.3", NOW + timedelta(hours=1))
        assert denied.problem is not None
    with hub.read() as s:
        entries = s.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars().all()
    actions = [(e.actor, e.action, json.loads(e.details).get("ip")) for e in entries]
    assert ("user:an.nguyen", "account.sign_in", "10.0.0.7") in actions
    assert ("user:an.nguyen", "account.sign_in_failed", "10.0.0.8") in actions
    assert ("user:an.nguyen", "account.sign_in_throttled", "10.0.0.7") in actions
    assert ("user:root", "account.disable", "10.0.0.1") in actions
    assert hub.verify_audit().ok


def test_api_tokens_are_hashed_scoped_and_revocable(hub: Hub) -> None:
    accounts = hub_accounts()
    with hub.write() as s:
        accounts.add(s, "robot", PASSWORD, "operator", NOW)
        token_id, secret = accounts.issue_token(s, "robot", ["read"], NOW, label="dashboards")
    with hub.write() as s:
        stored = s.execute(select(ACCOUNTS.tokens.c.token_hash)).scalar_one()
        assert secret not in stored
        found = accounts.person_for_token(s, secret, NOW)
        assert found is not None and found[0].username == "robot" and found[1] == {"read"}
        accounts.revoke_token(s, token_id, NOW)
    with hub.write() as s:
        assert accounts.person_for_token(s, secret, NOW) is None
        with pytest.raises(LienthongError):
            accounts.revoke_token(s, 999, NOW)


def test_cli_user_commands(hub: Hub) -> None:
    runner = CliRunner()
    db = hub.config.database_url
    base = ["hub", "user"]
    out = runner.invoke(cli, [*base, "add", "ops1", "--role", "operator", "--password", PASSWORD, "--db", db])
    assert out.exit_code == 0, out.output
    scoped = ["--role", "province-operator", "--scope", "000.00.00.H41", "--name", "Sở TT&TT Nghệ An"]
    out = runner.invoke(cli, [*base, "add", "nghean", *scoped, "--password", PASSWORD, "--db", db])
    assert out.exit_code == 0, out.output
    out = runner.invoke(cli, [*base, "add", "ops1", "--role", "operator", "--password", PASSWORD, "--db", db])
    assert out.exit_code == 1 and "ACCOUNTS.USER_EXISTS" in out.output
    out = runner.invoke(cli, [*base, "list", "--db", db])
    assert "ops1" in out.output and "000.00.00.H41" in out.output
    assert runner.invoke(cli, [*base, "disable", "nghean", "--db", db]).exit_code == 0
    out = runner.invoke(cli, [*base, "reset-password", "ops1", "--password", "mật-khẩu-mới-2", "--db", db])
    assert out.exit_code == 0, out.output
    out = runner.invoke(cli, [*base, "token", "ops1", "--scope", "read", "--db", db])
    assert out.exit_code == 0 and "lt_" in out.output
    assert runner.invoke(cli, [*base, "disable", "nobody", "--db", db]).exit_code == 1
    accounts = hub_accounts()
    with hub.write() as s:
        assert accounts.get(s, "nghean").state == "disabled"
        assert signin.sign_in(accounts, s, "ops1", "mật-khẩu-mới-2", "127.0.0.1", datetime.now(UTC)).person
