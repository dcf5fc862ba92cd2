"""Opening the hub for a command: say so when its database is new, one coded line when it is unreachable."""

from __future__ import annotations

from pathlib import Path

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from lienthong.hub import problems as HP
from lienthong.hub.config import HubConfig
from lienthong.hub.service import Hub


def _sqlite_file(config: HubConfig) -> Path | None:
    """The SQLite file the hub will open (from the URL it uses, default or given); None for a server."""
    url = make_url(config.database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def where(config: HubConfig) -> str:
    """The database a person would recognise: the SQLite file, or the server and database (no password)."""
    file = _sqlite_file(config)
    return (
        str(file) if file is not None else make_url(config.database_url).render_as_string(hide_password=True)
    )


def open_hub(config: HubConfig) -> Hub:
    """The hub over ``config``'s database; a clear line on stderr for a new or unreachable one."""
    sqlite_file = _sqlite_file(config)
    new = sqlite_file is not None and not sqlite_file.exists()
    try:
        hub = Hub(config)
    except SQLAlchemyError as exc:
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        p = HP.DATABASE_UNREACHABLE("", target=where(config), detail=detail)
        typer.echo(f"{p.code}: {p.message_vi} / {p.message_en}", err=True)
        raise typer.Exit(1) from None
    if new:
        typer.echo(
            f"đã tạo cơ sở dữ liệu Trục mới, trống tại {where(config)} / "
            f"created a new, empty hub database at {where(config)} "
            "(--data-dir, --db or LIENTHONG_DATA_DIR, LIENTHONG_HUB_DB choose another)",
            err=True,
        )
    return hub
