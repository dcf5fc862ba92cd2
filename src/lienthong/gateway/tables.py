"""The gateway's own tables: registers, outbox with per-recipient tracking, inbox, warnings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from lienthong.accounts.tables import define_tables
from lienthong.store.tables import MonitorState, UptimeDay


class GatewayBase(DeclarativeBase):
    pass


class Outgoing(GatewayBase):
    """A document (or a status reply) going out: its register entry, review state and outbox state."""

    __tablename__ = "outgoing"
    __table_args__ = (
        UniqueConstraint("issuer", "register_year", "register_number"),
        Index("ix_outgoing_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    local_id: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(8))  # edoc | status
    issuer: Mapped[str] = mapped_column(String(64))
    register_year: Mapped[int | None] = mapped_column(Integer)
    register_number: Mapped[int | None] = mapped_column(Integer)  # số văn bản đi
    notation: Mapped[str | None] = mapped_column(String(100))
    document_id: Mapped[str | None] = mapped_column(String(300), index=True)
    subject: Mapped[str | None] = mapped_column(Text)
    type_name: Mapped[str | None] = mapped_column(String(100))
    business_type: Mapped[int] = mapped_column(Integer, default=0)
    status_code: Mapped[str | None] = mapped_column(String(4))
    answers_incoming_id: Mapped[int | None] = mapped_column(ForeignKey("incoming.id"))
    # draft -> checked -> queued -> sent | send_error; checked -> refused (the clerk's review refused it)
    state: Mapped[str] = mapped_column(String(16))
    checklist_json: Mapped[str] = mapped_column(Text, default="[]")
    approved_by: Mapped[str | None] = mapped_column(String(200))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    blob_path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    hub_doc_id: Mapped[str | None] = mapped_column(String(64), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error_code: Mapped[str | None] = mapped_column(String(64))
    last_error_text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    queued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # deadline starts
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    tracked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # last asked the hub
    recipients: Mapped[list[OutgoingRecipient]] = relationship(
        back_populates="outgoing", lazy="selectin", cascade="all, delete-orphan"
    )


class OutgoingRecipient(GatewayBase):
    """What the sender knows of one recipient: sent? fetched? which status last, when?"""

    __tablename__ = "outgoing_recipients"
    __table_args__ = (UniqueConstraint("outgoing_id", "recipient_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    outgoing_id: Mapped[int] = mapped_column(ForeignKey("outgoing.id", ondelete="CASCADE"), index=True)
    recipient_code: Mapped[str] = mapped_column(String(64), index=True)
    recipient_name: Mapped[str | None] = mapped_column(String(300))
    # unsent | pending | fetched | done | failed | undeliverable | withdrawn
    hub_state: Mapped[str] = mapped_column(String(16), default="unsent")
    error_code: Mapped[str | None] = mapped_column(String(64))
    fetched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_status_code: Mapped[str | None] = mapped_column(String(4))
    last_status_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status_history: Mapped[str] = mapped_column(Text, default="")  # "01@iso;03@iso"
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    outgoing: Mapped[Outgoing] = relationship(back_populates="recipients")


class Incoming(GatewayBase):
    """A package received from the hub: its arrival register entry and the clerk's handling."""

    __tablename__ = "incoming"
    __table_args__ = (UniqueConstraint("arrival_year", "arrival_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hub_delivery_id: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(8))
    sender_code: Mapped[str] = mapped_column(String(64))
    sender_name: Mapped[str | None] = mapped_column(String(300))
    recipient_code: Mapped[str] = mapped_column(String(64))
    document_id: Mapped[str | None] = mapped_column(String(300), index=True)
    notation: Mapped[str | None] = mapped_column(String(100))
    subject: Mapped[str | None] = mapped_column(Text)
    status_code: Mapped[str | None] = mapped_column(String(4))
    business_type: Mapped[int] = mapped_column(Integer, default=0)
    arrival_year: Mapped[int | None] = mapped_column(Integer)
    arrival_number: Mapped[int | None] = mapped_column(Integer)  # số đến
    arrival_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # lienthong.gateway.states.TRANSITIONS is the one table of the states and the moves between them
    state: Mapped[str] = mapped_column(String(16))
    prior_state: Mapped[str | None] = mapped_column(String(16))  # before a recall request, for a 16
    verification_json: Mapped[str] = mapped_column(Text, default="[]")
    duplicate_of: Mapped[int | None] = mapped_column(ForeignKey("incoming.id"))
    priority: Mapped[str | None] = mapped_column(String(4))  # độ khẩn: 0 thường … 3 hỏa tốc (OtherInfo)
    blob_path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))


class Warning_(GatewayBase):
    """A warning for the sender's clerks: open until acknowledged or resolved by itself."""

    __tablename__ = "warnings"
    __table_args__ = (Index("ix_warnings_open", "state", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    outgoing_id: Mapped[int | None] = mapped_column(ForeignKey("outgoing.id"))
    recipient_code: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))  # open | acknowledged | resolved
    detail: Mapped[str] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Sequence(GatewayBase):
    """Register numbering: one row per (register, issuer, year), restarting at 1 every 1 January."""

    __tablename__ = "sequences"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


class MailOut(GatewayBase):
    """A warning e-mail to the clerks, queued with the warning and kept until the SMTP server took it."""

    __tablename__ = "mail_outbox"
    __table_args__ = (Index("ix_mail_outbox_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    warning_id: Mapped[int] = mapped_column(ForeignKey("warnings.id"), index=True)
    state: Mapped[str] = mapped_column(String(16))  # pending | sent | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# lienthong.monitor keeps its conditions and uptime in the same tables at the hub and at a gateway
# (migration g0002): they belong to the gateway's schema, so the schema test compares them too.
for _shared in (MonitorState.__table__, UptimeDay.__table__):
    assert isinstance(_shared, Table)
    _shared.to_metadata(GatewayBase.metadata)


class Event(GatewayBase):
    """The gateway's history of who did what, when and from where (sign-ins, approvals, answers…)."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(200))  # user:NAME (a signed-in person or a token's owner)
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(200), index=True)  # e.g. incoming:12, outgoing:LOCAL
    ip: Mapped[str] = mapped_column(String(64), default="")
    details: Mapped[str] = mapped_column(Text, default="{}")


# The people who sign in (lienthong.accounts), in the gateway's own database (migration g0004a).
ACCOUNTS = define_tables(GatewayBase.metadata)
