"""The upstream link (issue 16): the one hub this hub relays to, its client, the directory taken from it.

The link is kept in the database (one row) with this hub's credential there encrypted by the hub's
key ring, like system secrets. The upstream is reached with the project's own hub clients: the SDK
protocol of today's national hub (system id + secret) or another Lienthong hub's JSON API (token).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from lienthong.client.jsonapi import HubClient
from lienthong.client.models import HubPort, HubRefused, HubUnavailable
from lienthong.client.sdk import SdkClient
from lienthong.hub import audit
from lienthong.hub import problems as HP
from lienthong.hub.directory import DirectoryError, next_version, parent_default
from lienthong.hub.keys import KeyRing
from lienthong.problems import LienthongError
from lienthong.store.tables import Agency, UpstreamLink

log = logging.getLogger(__name__)
PROTOCOLS = ("sdk", "json")
LINK_ID = 1


class UpstreamError(LienthongError):
    pass


@dataclass(frozen=True)
class LinkSettings:
    """What the operator sets; the credential in clear (encrypted when stored)."""

    protocol: str
    url: str
    credential: str
    hub_code: str
    system_id: str = ""


@dataclass(frozen=True)
class LinkView:
    """The link as shown (never the credential)."""

    protocol: str
    url: str
    system_id: str
    hub_code: str
    directory_version: int
    last_sync_at: datetime | None
    last_pull_at: datetime | None
    last_ok_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, value in self.__dict__.items():
            out[name] = value.isoformat() if isinstance(value, datetime) else value
        return out


def validate(settings: LinkSettings) -> None:
    if settings.protocol not in PROTOCOLS:
        raise UpstreamError(
            HP.UPSTREAM_BAD_LINK("", detail=f"protocol must be sdk or json, not {settings.protocol}")
        )
    if not settings.url.startswith(("http://", "https://")):
        raise UpstreamError(HP.UPSTREAM_BAD_LINK("", detail="the URL must start with http:// or https://"))
    if not settings.credential.strip():
        raise UpstreamError(HP.UPSTREAM_BAD_LINK("", detail="the secret (sdk) or token (json) is empty"))
    if settings.protocol == "sdk" and not settings.system_id.strip():
        raise UpstreamError(HP.UPSTREAM_BAD_LINK("", detail="the SDK protocol needs --system-id"))
    if not settings.hub_code.strip():
        raise UpstreamError(HP.UPSTREAM_BAD_LINK("", detail="this hub's code (--hub-code) is empty"))


def set_link(
    s: Session, keys: KeyRing, settings: LinkSettings, now: datetime, actor: str = "operator"
) -> None:
    """Create or replace the upstream link (the directory version seen restarts when the URL changes)."""
    validate(settings)
    row = s.get(UpstreamLink, LINK_ID)
    if row is None:
        row = UpstreamLink(id=LINK_ID, directory_version=0)
        s.add(row)
    elif row.url != settings.url:
        row.directory_version = 0
    row.protocol, row.url = settings.protocol, settings.url.rstrip("/")
    row.system_id, row.hub_code = settings.system_id.strip(), settings.hub_code.strip()
    row.credential_encrypted = keys.encrypt_secret(settings.credential.strip())
    row.updated_at = now
    details = {"protocol": settings.protocol, "url": row.url, "system_id": row.system_id}
    audit.append(s, now, actor, "upstream.set", "upstream", details)


def get_settings(s: Session, keys: KeyRing) -> LinkSettings | None:
    row = s.get(UpstreamLink, LINK_ID)
    if row is None:
        return None
    return LinkSettings(
        row.protocol, row.url, keys.decrypt_secret(row.credential_encrypted), row.hub_code, row.system_id
    )


def view(s: Session) -> LinkView | None:
    row = s.get(UpstreamLink, LINK_ID)
    if row is None:
        return None
    return LinkView(
        row.protocol,
        row.url,
        row.system_id,
        row.hub_code,
        row.directory_version,
        row.last_sync_at,
        row.last_pull_at,
        row.last_ok_at,
        row.last_error,
        row.last_error_at,
    )


def record(s: Session, now: datetime, *, error: str | None = None, what: str = "") -> None:
    """The link's health after a call: ok (with what was done: sync, pull) or the last error."""
    row = s.get(UpstreamLink, LINK_ID)
    if row is None:
        return
    if error is None:
        row.last_ok_at = now
        if what == "sync":
            row.last_sync_at = now
        elif what == "pull":
            row.last_pull_at = now
    else:
        row.last_error, row.last_error_at = error[:2000], now


def open_port(settings: LinkSettings, timeout: float = 60.0) -> HubPort:
    """The project's hub client for the link's protocol."""
    if settings.protocol == "json":
        return HubClient(settings.url, settings.credential, timeout=timeout)
    return SdkClient(
        settings.url, settings.system_id, settings.credential, settings.hub_code, timeout=timeout
    )


# --- the directory, synchronised from upstream ---------------------------------------------------------


@dataclass(frozen=True)
class RemoteAgency:
    code: str
    name: str
    parent: str | None
    state: str  # active | suspended | removed
    version: int


def fetch_directory(port: HubPort, since: int) -> tuple[list[RemoteAgency], int]:
    """The upstream's agencies changed since ``since`` and its version now (by each protocol's own call)."""
    if isinstance(port, HubClient):
        return _json_directory(port, since)
    if isinstance(port, SdkClient):
        return _sdk_directory(port, since)
    fetch = getattr(port, "directory", None)  # in-memory upstreams of the tests
    if fetch is None:
        raise UpstreamError(HP.UPSTREAM_BAD_LINK("", detail=f"{type(port).__name__} has no directory"))
    found: tuple[list[RemoteAgency], int] = fetch(since)
    return found


def _json_directory(port: HubClient, since: int) -> tuple[list[RemoteAgency], int]:
    out: list[RemoteAgency] = []
    after: str | None = None
    while True:
        params: dict[str, Any] = {"since_version": since, "limit": 5000} | ({"after": after} if after else {})
        body = port._call("GET", "/api/v1/agencies", params=params).json()
        for i in body.get("items", []):
            out.append(
                RemoteAgency(
                    str(i["code"]), str(i["name"]), i.get("parent"), str(i["state"]), int(i["version"])
                )
            )
        after = body.get("next")
        if not after:
            break
    return out, max([since, *(a.version for a in out)])


def _sdk_directory(port: SdkClient, since: int) -> tuple[list[RemoteAgency], int]:
    # The whole list: a ``version`` parameter would travel as the XroadVnpt-version header, which the
    # SDK itself sets to its protocol version. Unchanged rows are skipped when applied.
    data = port._json("getSynchronizeUnit", port._request("getSynchronizeUnit", {}))
    out = [
        RemoteAgency(
            str(i["code"]),
            str(i.get("name") or i["code"]),
            str(i.get("pid") or "") or None,
            "removed" if str(i.get("deleted")).lower() == "true" else "active",
            int(i.get("version") or 0),
        )
        for i in data.get("data", [])
        if i.get("code")
    ]
    return out, max([since, *(a.version for a in out)])


@dataclass(frozen=True)
class SyncResult:
    added: int
    updated: int
    skipped_local: int
    version: int


CHUNK = 5000  # codes per statement: the national directory holds over 111,000 units


def apply_directory(s: Session, remote: list[RemoteAgency], version: int, now: datetime) -> SyncResult:
    """Upstream codes in: a local code is never overwritten; upstream ones follow the upstream.

    In chunks of ``CHUNK`` codes (one lookup and one bulk insert each), with one directory version
    for the whole sync, so a full national directory is taken in seconds, not one row at a time.
    """
    added = updated = skipped = 0
    bump: int | None = None
    for start in range(0, len(remote), CHUNK):
        part = remote[start : start + CHUNK]
        existing = {
            a.code: a
            for a in s.execute(select(Agency).where(Agency.code.in_([r.code for r in part]))).scalars()
        }
        new_rows: list[dict[str, Any]] = []
        for r in part:
            found = existing.get(r.code)
            if found is not None and found.route != "upstream":
                skipped += 1
                continue
            name, parent = r.name[:300], r.parent or (found.parent_code if found else parent_default(r.code))
            if found is not None and (found.name, found.state, found.parent_code) == (name, r.state, parent):
                continue
            bump = bump or next_version(s)
            if found is None:
                new_rows.append(
                    {
                        "code": r.code,
                        "name": name,
                        "parent_code": parent,
                        "level": _level(r.code),
                        "legacy": False,
                        "state": r.state,
                        "emails": "",
                        "route": "upstream",
                        "version": bump,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                existing[r.code] = Agency(code=r.code, route="upstream")  # a repeated code counts once
                continue
            found.name, found.state, found.parent_code = name, r.state, parent
            found.version, found.updated_at = bump, now
            updated += 1
        if new_rows:
            s.execute(insert(Agency), new_rows)
            added += len(new_rows)
    row = s.get(UpstreamLink, LINK_ID)
    if row is not None:
        row.directory_version = max(row.directory_version, version)
        row.last_sync_at = row.last_ok_at = now
    if added or updated:
        details = {"added": added, "updated": updated, "version": version}
        audit.append(s, now, "upstream", "upstream.sync", "directory", details)
    return SyncResult(added, updated, skipped, version)


def _level(code: str) -> int | None:
    from lienthong.codes.agency import AgencyCode

    parsed = AgencyCode.try_parse(code)
    return parsed.level if parsed else None


def describe(exc: BaseException) -> str:
    """One line for the link's last error."""
    if isinstance(exc, HubRefused):
        return f"{exc.code}: {exc.message}"
    if isinstance(exc, (HubUnavailable, httpx.HTTPError, DirectoryError, LienthongError)):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"
