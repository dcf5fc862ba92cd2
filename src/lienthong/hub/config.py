"""The hub's settings: where its data lives, its acceptance policy and its limits."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path


class Policy(StrEnum):
    # The hub exists to deliver: refuse only what cannot be routed, trusted or stored safely.
    DEFAULT = "default"
    # Refuse on every validation error.
    STRICT = "strict"


DEFAULT_DATA_DIR = Path("lienthong-data")


def default_db_url(data_dir: Path) -> str:
    return f"sqlite:///{(data_dir / 'hub.sqlite3').resolve()}"


@dataclass(frozen=True)
class HubConfig:
    data_dir: Path = DEFAULT_DATA_DIR
    db_url: str = ""
    policy: Policy = Policy.DEFAULT
    max_package_bytes: int = 100 << 20
    max_recipients: int = 1000
    rate_per_second: float = 50.0  # sustained requests per connected system
    rate_burst: int = 200
    hub_code: str = "000.00.00.W00"  # the hub's own identity on receipts
    checks_policy: Path | None = None  # the preflight checks' TOML policy (docs/rules.md); defaults otherwise
    cache_seconds: float = 1.0  # how long a connected system's record is cached between requests
    # /metrics, /openapi.json and /docs: answered only with this bearer token, or to everyone when
    # public_ops is set; with neither they are not served (issue 12, defect 9).
    ops_token: str = ""
    public_ops: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def database_url(self) -> str:
        return self.db_url or default_db_url(self.data_dir)

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def key_dir(self) -> Path:
        return self.data_dir / "keys"

    @classmethod
    def from_env(cls, db: str | None = None, data_dir: str | None = None, **kwargs: object) -> HubConfig:
        """Options first, then LIENTHONG_HUB_DB / LIENTHONG_DATA_DIR, then ./lienthong-data/."""
        folder = Path(data_dir or os.environ.get("LIENTHONG_DATA_DIR") or DEFAULT_DATA_DIR)
        url = db or os.environ.get("LIENTHONG_HUB_DB") or ""
        kwargs.setdefault("ops_token", os.environ.get("LIENTHONG_HUB_OPS_TOKEN", ""))
        public = os.environ.get("LIENTHONG_HUB_PUBLIC_OPS", "").lower() in ("1", "true", "yes")
        kwargs.setdefault("public_ops", public)
        return cls(data_dir=folder, db_url=url, **kwargs)  # type: ignore[arg-type]
