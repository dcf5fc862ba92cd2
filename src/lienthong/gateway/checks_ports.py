"""The gateway's answer to the preflight checks' history port: its outgoing register (issue 5).

Wire it as ``gateway_checker(history=OutgoingHistory(gateway.sessions))``; the checks then see
every document this gateway approved for sending, per recipient.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from lienthong.checks import SentDocument
from lienthong.gateway.tables import Outgoing, OutgoingRecipient

# A draft or a checked package has not gone anywhere yet; from approval on, it is (being) sent.
SENT_STATES = ("approved", "queued", "sent", "send_error")


class OutgoingHistory:
    """``SendingHistory`` over the gateway's outgoing register."""

    def __init__(self, sessions: Callable[[], Session]) -> None:
        self.sessions = sessions

    def find(
        self,
        recipient: str,
        *,
        document_id: str | None,
        issuer: str,
        number: int | None,
        notation: str | None,
        year: int | None,
    ) -> SentDocument | None:
        sent = (
            select(Outgoing)
            .join(OutgoingRecipient, OutgoingRecipient.outgoing_id == Outgoing.id)
            .where(
                OutgoingRecipient.recipient_code == recipient,
                Outgoing.kind == "edoc",
                Outgoing.business_type == 0,
                Outgoing.state.in_(SENT_STATES),
            )
            .order_by(Outgoing.id)
        )
        with self.sessions() as s:
            if document_id:
                row = s.execute(sent.where(Outgoing.document_id == document_id).limit(1)).scalar_one_or_none()
                if row is not None:
                    return _sent(row, recipient)
            if number is None or notation is None or year is None:
                return None
            same_number = sent.where(
                Outgoing.issuer == issuer, Outgoing.register_year == year, Outgoing.register_number == number
            )
            for row in s.execute(same_number).scalars():
                # The register keeps "number/notation" as written; compare the notation part.
                if (row.notation or "").split("/", 1)[-1] == notation:
                    return _sent(row, recipient)
        return None


def _sent(row: Outgoing, recipient: str) -> SentDocument:
    written = (row.notation or "").split("/", 1)
    return SentDocument(
        reference=row.local_id,
        recipient=recipient,
        document_id=row.document_id,
        issuer=row.issuer,
        number=row.register_number,
        notation=written[-1] if len(written) == 2 else None,
        year=row.register_year,
        business_type=row.business_type,
    )
