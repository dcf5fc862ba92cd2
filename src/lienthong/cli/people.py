"""``lienthong … user``: add, list, disable, enable, reset-password and tokens, for the hub or a gateway."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from lienthong.accounts.store import AccountStore
from lienthong.problems import LienthongError

DbOpt = Annotated[str | None, typer.Option("--db", help="Database URL.")]
DirOpt = Annotated[str | None, typer.Option("--data-dir", help="Data folder.")]
Password = Annotated[
    str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="At least 10 characters.")
]
Opener = Callable[[str | None, str | None], AccountStore]


def _die(exc: LienthongError) -> NoReturn:
    p = exc.problem
    typer.echo(f"{p.code}: {p.message_vi} / {p.message_en}", err=True)
    raise typer.Exit(1)


T = TypeVar("T")


def _run(
    open_store: Opener, db: str | None, data_dir: str | None, action: Callable[[AccountStore, Session], T]
) -> T:
    """Run one account change in one transaction; a problem is printed and exits 1."""
    store = open_store(db, data_dir)
    try:
        with store.write() as s:
            return action(store, s)
    except LienthongError as exc:
        _die(exc)


def user_app(open_store: Opener, what: str) -> typer.Typer:
    """The ``user`` commands over the accounts of whatever ``open_store`` opens (hub or gateway)."""
    app = typer.Typer(help=f"People who sign in to the {what} (roles, passwords, API tokens).")

    def change(db: str | None, data_dir: str | None, action: Callable[[AccountStore, Session], T]) -> T:
        return _run(open_store, db, data_dir, action)

    @app.command("add")
    def add(
        username: str,
        role: Annotated[str, typer.Option(help="The role.")],
        password: Password,
        scope: Annotated[
            str | None, typer.Option(help="The agency code a scoped role is limited to.")
        ] = None,
        name: Annotated[str, typer.Option(help="Full name shown in the console.")] = "",
        db: DbOpt = None,
        data_dir: DirOpt = None,
    ) -> None:
        """Add a person with a role (and, for a scoped role, its agency)."""
        change(db, data_dir, lambda st, s: st.accounts.add(
            s, username, password, role, st.clock(), scope=scope, display_name=name
        ))  # fmt: skip
        typer.echo(f"{username}: added ({role}{' ' + scope if scope else ''})")

    @app.command("list")
    def list_(db: DbOpt = None, data_dir: DirOpt = None) -> None:
        """Every person, their role, scope and state."""
        store = open_store(db, data_dir)
        with store.read() as s:
            people = store.accounts.people(s)
        table = Table("username", "name", "role", "scope", "state")
        for p in people:
            table.add_row(p.username, p.display_name, p.role, p.scope or "", p.state)
        Console().print(table)

    def _state(username: str, state: str, db: str | None, data_dir: str | None) -> None:
        change(db, data_dir, lambda st, s: st.accounts.set_state(s, username, state, st.clock()))
        typer.echo(f"{username}: {state}")

    @app.command("disable")
    def disable(username: str, db: DbOpt = None, data_dir: DirOpt = None) -> None:
        """Disable a person: their sessions end at once and their tokens stop working."""
        _state(username, "disabled", db, data_dir)

    @app.command("enable")
    def enable(username: str, db: DbOpt = None, data_dir: DirOpt = None) -> None:
        """Enable a disabled person again."""
        _state(username, "active", db, data_dir)

    @app.command("reset-password")
    def reset_password(username: str, password: Password, db: DbOpt = None, data_dir: DirOpt = None) -> None:
        """Set a new password; the person's open sessions end."""
        change(db, data_dir, lambda st, s: st.accounts.reset_password(s, username, password, st.clock()))
        typer.echo(f"{username}: password reset")

    _token_commands(app, open_store, change, "token", "revoke-token")
    return app


def token_app(open_store: Opener, scopes: str) -> typer.Typer:
    """``token issue|revoke|list``: API tokens for a document system or a monitoring tool."""
    app = typer.Typer(help=f"API tokens (stored hashed, scoped, revocable). Scopes: {scopes}.")

    def change(db: str | None, data_dir: str | None, action: Callable[[AccountStore, Session], T]) -> T:
        return _run(open_store, db, data_dir, action)

    _token_commands(app, open_store, change, "issue", "revoke")

    @app.command("list")
    def list_(db: DbOpt = None, data_dir: DirOpt = None) -> None:
        """Every token: its number, owner, label, scopes, when issued and revoked (never the secret)."""
        store = open_store(db, data_dir)
        with store.read() as s:
            rows = store.accounts.tokens(s)
        table = Table("id", "username", "label", "scopes", "created", "revoked")
        for r in rows:
            revoked = str(r["revoked_at"] or "")
            table.add_row(str(r["id"]), r["username"], r["label"], r["scopes"], str(r["created_at"]), revoked)
        Console().print(table)

    return app


def _token_commands(app: typer.Typer, open_store: Opener, change: Any, issue: str, revoke: str) -> None:
    @app.command(issue)
    def token(
        username: str,
        scope: Annotated[list[str], typer.Option("--scope", help="What the token may do (repeat).")],
        label: str = "",
        db: DbOpt = None,
        data_dir: DirOpt = None,
    ) -> None:
        """Issue an API token acting as ``username``; it is printed once, only its hash is kept."""
        token_id, secret = change(
            db, data_dir, lambda st, s: st.accounts.issue_token(s, username, scope, st.clock(), label)
        )
        typer.echo(f"token {token_id}: {secret}")

    @app.command(revoke)
    def revoke_token(token_id: int, db: DbOpt = None, data_dir: DirOpt = None) -> None:
        """Revoke an API token by its number."""
        change(db, data_dir, lambda st, s: st.accounts.revoke_token(s, token_id, st.clock()))
        typer.echo(f"token {token_id}: revoked")
