"""A gateway's settings, read from a TOML file: the agency, the hub link, the outbox, warnings, e-mail."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lienthong.delivery.mail import SmtpSettings
from lienthong.signing.token import TokenConfig

__all__ = ["ConfigError", "GatewayConfig", "HubLink", "SmtpSettings"]


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class HubLink:
    protocol: str = "lienthong"  # lienthong (JSON API) | sdk (today's national hub protocol)
    url: str = "http://127.0.0.1:8400"
    token: str = ""  # lienthong
    system_id: str = ""  # sdk
    secret: str = ""  # sdk


@dataclass(frozen=True)
class GatewayConfig:
    agency_code: str
    agency_name: str
    data_dir: Path
    database: str = ""
    hub: HubLink = field(default_factory=HubLink)
    deliver_until_hours: float = 24.0  # temporary failures are retried this long, then Gửi lỗi
    max_attempts: int | None = None  # optionally, also at most this many tries (None: the deadline alone)
    warn_after_minutes: float = 15.0  # still not at the hub after this: the "chưa gửi được lên Trục" warning
    backoff_seconds: float = 2.0
    backoff_max_seconds: float = 600.0
    outbox_interval: float = 0.2  # how often the outbox looks for queued work in its own database
    wait_seconds: float = 25.0  # long-poll timeout towards the hub
    tracking_interval: float = 30.0
    tracking_batch: int = 50  # documents asked about per tracking round, least recently asked first
    warnings_interval: float = 60.0
    not_fetched_hours: float = 4.0  # working hours before "chưa đến nơi nhận"
    clerk_emails: tuple[str, ...] = ()
    smtp: SmtpSettings | None = None  # no [smtp] section: warnings are shown, not e-mailed
    mail_backoff_seconds: float = 30.0  # first wait after the SMTP server failed; doubled, capped at 1 h
    trust_dir: Path | None = None  # trust anchors for verifying what arrives
    signing_key: Path | None = None  # the agency's key: outgoing packages carry its XML signature
    signing_cert: Path | None = None
    signing_token: TokenConfig | None = None  # [signing_token]: the agency's key on a PKCS#11 token instead
    agency_directory: Path | None = None  # agencies to match signers' certificates to (docs/signatures.md)
    preflight: bool = True  # run the preflight rules (lienthong.checks) on what is submitted
    checks_policy: Path | None = None  # a TOML policy for them; the defaults otherwise
    max_package_bytes: int = 600 << 20  # the largest package taken in (submitted or fetched)
    spool_in_memory: int = 4 << 20  # attachment text one parse keeps in memory before spilling to disk
    http_host: str = "127.0.0.1"
    http_port: int = 8500
    holidays_file: Path | None = None
    office_hours_only: bool = True  # False: warning thresholds count every hour (demos, 24/7 units)

    @property
    def database_url(self) -> str:
        return self.database or f"sqlite:///{(self.data_dir / 'gateway.sqlite3').resolve()}"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "packages"

    @classmethod
    def load(cls, path: Path) -> GatewayConfig:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: {exc}") from None
        return cls.from_dict(data, base=Path(path).parent)

    @classmethod
    def from_dict(cls, data: dict[str, Any], base: Path = Path(".")) -> GatewayConfig:
        try:
            hub = HubLink(**data.pop("hub", {}))
            smtp = SmtpSettings(**data.pop("smtp")) if "smtp" in data else None
            token = _token(data.pop("signing_token"), base) if "signing_token" in data else None
            for key in (
                "data_dir",
                "trust_dir",
                "holidays_file",
                "signing_key",
                "signing_cert",
                "checks_policy",
                "agency_directory",
            ):
                if data.get(key):
                    data[key] = (base / str(data[key])).resolve()
            if "clerk_emails" in data:
                data["clerk_emails"] = tuple(data["clerk_emails"])
            config = cls(hub=hub, smtp=smtp, signing_token=token, **data)
        except TypeError as exc:
            raise ConfigError(f"unknown or missing setting: {exc}") from None
        if config.signing_token is not None and config.signing_key is not None:
            raise ConfigError("give signing_key (a file) or [signing_token] (a PKCS#11 token), not both")
        if config.hub.protocol not in ("lienthong", "sdk"):
            raise ConfigError(f"hub.protocol must be lienthong or sdk, not {config.hub.protocol!r}")
        return config


def _token(section: dict[str, Any], base: Path) -> TokenConfig:
    """``[signing_token]``: module, key_label, token_label or slot, pin_file or pin_env (never the PIN)."""
    if "pin" in section:
        raise ConfigError("[signing_token] takes pin_file or pin_env: a PIN is never written in the file")
    for key in ("module", "pin_file"):
        if section.get(key):
            # Joined, not resolved: a PKCS#11 library is known by the path it was loaded with.
            given = Path(str(section[key]))
            section[key] = given if given.is_absolute() else base / given
    try:
        return TokenConfig(**section)
    except TypeError as exc:
        raise ConfigError(f"[signing_token]: unknown or missing setting: {exc}") from None
