"""The tracking stage: ask the hub where sent documents stand, only those still awaiting a final status.

Each round asks about at most ``tracking_batch`` documents, those asked about least recently first,
so a gateway with years of history asks about today's work, not about everything ever sent.
"""

from __future__ import annotations

import logging

from sqlalchemy import and_, exists, or_, select

from lienthong.client.models import HubRefused, HubUnavailable, SentEntry
from lienthong.gateway.core import Core
from lienthong.gateway.states import moves_forward
from lienthong.gateway.tables import Outgoing, OutgoingRecipient
from lienthong.gateway.warnings import Warnings

log = logging.getLogger("lienthong.gateway")
FINAL_STATUS = ("02", "06", "15", "16")


class Tracking:
    def __init__(self, core: Core, warnings: Warnings) -> None:
        self.core = core
        self.warnings = warnings

    def waiting(self) -> list[tuple[int, str]]:
        """(row id, hub id) of sent documents with a recipient still short of a final status."""
        r = OutgoingRecipient
        open_recipient = exists().where(
            r.outgoing_id == Outgoing.id,
            r.hub_state != "undeliverable",
            or_(r.last_status_code.is_(None), r.last_status_code.not_in(FINAL_STATUS)),
        )
        query = (
            select(Outgoing.id, Outgoing.hub_doc_id)
            .where(and_(Outgoing.state == "sent", Outgoing.kind == "edoc", Outgoing.hub_doc_id.is_not(None)))
            .where(open_recipient)
            .order_by(Outgoing.tracked_at.is_not(None), Outgoing.tracked_at, Outgoing.id)
            .limit(self.core.config.tracking_batch)
        )
        with self.core.sessions() as s:
            return [(row_id, str(doc_id)) for row_id, doc_id in s.execute(query).all()]

    def refresh(self) -> int:
        """One round: returns how many recipients' entries were updated."""
        updated = 0
        for row_id, hub_doc_id in self.waiting():
            try:
                entries = self.core.port.sent(hub_doc_id)
            except (HubUnavailable, HubRefused):
                break  # the contact logs it, summarised; the next round tries again
            updated += self._apply(row_id, entries)
        return updated

    def _apply(self, row_id: int, entries: list[SentEntry]) -> int:
        now = self.core.clock()
        updated = 0
        with self.core.tx() as s:
            row = s.get_one(Outgoing, row_id)
            row.tracked_at = now
            by_code = {e.recipient: e for e in entries}
            for r in row.recipients:
                entry = by_code.get(r.recipient_code)
                if entry is None:
                    continue
                r.hub_state, r.error_code = entry.state, entry.error_code
                if entry.fetched and r.fetched_at is None:
                    r.fetched_at = now
                code = entry.last_status_code
                if code and code != r.last_status_code and moves_forward(r.last_status_code, code):
                    r.last_status_code, r.last_status_at = code, now
                r.updated_at = now
                if entry.state == "undeliverable":
                    self.warnings.open(
                        s, "recipient_unknown", row, r.recipient_code, entry.error_code or "", now
                    )
                updated += 1
        return updated
