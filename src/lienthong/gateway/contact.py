"""The gateway's link to the hub: the configured client, contact tracking and summarised connection errors."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from lienthong.client.models import (
    HubPort,
    HubRefused,
    HubUnavailable,
    InboxEntry,
    ReportSource,
    SendResult,
    SentEntry,
    Sink,
)
from lienthong.gateway import problems as GP
from lienthong.gateway.config import GatewayConfig

log = logging.getLogger("lienthong.gateway")


def connect(config: GatewayConfig) -> HubPort:
    """The hub port the configuration names (one that refuses every call when credentials are missing)."""
    hub = config.hub
    if hub.protocol == "sdk":
        if not (hub.system_id and hub.secret):
            return Unconfigured()
        from lienthong.client.sdk import SdkClient

        return SdkClient(hub.url, hub.system_id, hub.secret, config.agency_code)
    if not hub.token.strip():
        return Unconfigured()
    from lienthong.client.jsonapi import HubClient

    return HubClient(hub.url, hub.token.strip())


class Unconfigured:
    """No credentials: every call is refused with GATEWAY.NO_CREDENTIALS (not an HTTP header error)."""

    def _refuse(self) -> Any:
        p = GP.NO_CREDENTIALS()
        raise HubRefused(p.code, f"{p.message_vi} / {p.message_en}")

    def send(self, package: bytes) -> SendResult:
        return self._refuse()  # type: ignore[no-any-return]

    def send_file(self, path: Path) -> SendResult:
        return self._refuse()  # type: ignore[no-any-return]

    def inbox(self, kind: str | None = None) -> list[InboxEntry]:
        return self._refuse()  # type: ignore[no-any-return]

    def fetch(self, delivery_id: str) -> bytes:
        return self._refuse()  # type: ignore[no-any-return]

    def fetch_into(self, delivery_id: str, sink: Sink) -> None:
        self._refuse()

    def ack(self, delivery_id: str, status: str, reason: str = "") -> None:
        self._refuse()

    def sent(self, doc_id: str) -> list[SentEntry]:
        return self._refuse()  # type: ignore[no-any-return]

    def wait(self, timeout: float) -> int:
        return self._refuse()  # type: ignore[no-any-return]

    def close(self) -> None:
        pass


class ErrorSummary:
    """Logs the first connection error at once, then one summary line per ``every`` seconds."""

    def __init__(self, every: float = 60.0) -> None:
        self.every = every
        self.down_since: float | None = None
        self.last_logged = 0.0
        self.count = 0
        self.last_error = ""

    def failed(self, exc: Exception) -> None:
        now = time.monotonic()
        self.count += 1
        self.last_error = str(exc)
        if self.down_since is None:
            self.down_since, self.last_logged, self.count = now, now, 0
            log.warning("hub unreachable: %s", exc)
        elif now - self.last_logged >= self.every:
            log.warning(
                "hub still unreachable (%d more failures in %.0f s): %s",
                self.count,
                now - self.last_logged,
                exc,
            )
            self.last_logged, self.count = now, 0

    def worked(self) -> None:
        if self.down_since is not None:
            log.warning("hub reachable again after %.0f s", time.monotonic() - self.down_since)
        self.down_since, self.count = None, 0


class Contact:
    """A hub port that notes every call that went through, and summarises the ones that did not."""

    def __init__(self, port: HubPort, contacted: Callable[[], None]) -> None:
        self.inner = port
        self.contacted = contacted
        self.errors = ErrorSummary()
        self.refused: HubRefused | None = None  # the last refusal of our credentials, for readiness

    def _call(self, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            result = fn(*args)
        except HubUnavailable as exc:
            self.errors.failed(exc)
            raise
        except HubRefused as exc:
            self.errors.worked()
            if exc.code in ("HUB.AUTH_FAILED", "HUB.FORBIDDEN", GP.NO_CREDENTIALS.code):
                if self.refused is None:
                    log.error("the hub refuses this gateway's credentials: %s", exc)
                self.refused = exc
            else:
                self.refused = None
                self.contacted()  # a refusal about a document is an answer: the hub is there
            raise
        self.errors.worked()
        self.refused = None
        self.contacted()
        return result

    def send(self, package: bytes) -> SendResult:
        return self._call(self.inner.send, package)  # type: ignore[no-any-return]

    def send_file(self, path: Path) -> SendResult:
        return self._call(self.inner.send_file, path)  # type: ignore[no-any-return]

    def inbox(self, kind: str | None = None) -> list[InboxEntry]:
        return self._call(self.inner.inbox, kind)  # type: ignore[no-any-return]

    def fetch(self, delivery_id: str) -> bytes:
        return bytes(self._call(self.inner.fetch, delivery_id))

    def fetch_into(self, delivery_id: str, sink: Sink) -> None:
        self._call(self.inner.fetch_into, delivery_id, sink)

    def ack(self, delivery_id: str, status: str, reason: str = "") -> None:
        self._call(self.inner.ack, delivery_id, status, reason)

    def sent(self, doc_id: str) -> list[SentEntry]:
        return self._call(self.inner.sent, doc_id)  # type: ignore[no-any-return]

    def wait(self, timeout: float) -> int:
        return int(self._call(self.inner.wait, timeout))

    def reports(self) -> ReportSource | None:
        """The hub's daily reports through this contact, when the protocol offers them."""
        return self if isinstance(self.inner, ReportSource) else None

    def daily_report(self, day: date, fmt: str, lang: str) -> bytes:
        inner = self.inner
        assert isinstance(inner, ReportSource)  # reports() said so
        return bytes(self._call(inner.daily_report, day, fmt, lang))

    def close(self) -> None:
        self.inner.close()
