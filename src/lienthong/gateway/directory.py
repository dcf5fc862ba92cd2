"""The hub's directory for picking recipients: asked when the compose page needs it, kept for an hour.

Only the JSON API offers it; with the SDK protocol, or when the hub cannot be reached, the list is
empty and clerks type the recipients' codes.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from lienthong.client.models import HubRefused, HubUnavailable
from lienthong.gateway.contact import Contact
from lienthong.gateway.core import Clock

log = logging.getLogger(__name__)
KEEP = timedelta(hours=1)
RETRY = timedelta(minutes=1)  # after a failure, ask again soon, but not on every page


class Directory:
    def __init__(self, contact: Contact, clock: Clock) -> None:
        self.contact = contact
        self.clock = clock
        self._rows: list[tuple[str, str]] = []
        self._until: datetime | None = None

    def bodies(self) -> list[tuple[str, str]]:
        """(code, name) of the level-1 bodies (ministries, provinces…), or [] when the hub cannot say."""
        now = self.clock()
        if self._until is not None and now < self._until:
            return self._rows
        ask = getattr(self.contact.inner, "agencies", None)
        try:
            self._rows = sorted(ask(level=1), key=lambda r: r[1]) if ask is not None else []
            self._until = now + KEEP
        except (HubUnavailable, HubRefused) as exc:
            log.warning("directory: %s", exc)
            self._until = now + RETRY
        return self._rows

    def names(self) -> dict[str, str]:
        return dict(self._rows)
