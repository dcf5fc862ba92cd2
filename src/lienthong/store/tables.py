"""The hub's tables (SQLAlchemy 2 declarative). Every state change is a row; nothing lives only in memory."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from lienthong.accounts.tables import define_tables


class Base(DeclarativeBase):
    pass


# Literal, not bound: the planners use a partial index only when the query repeats its condition.
OPEN_DELIVERY = text("state IN ('pending', 'fetched')")


class Agency(Base):
    """An agency of the directory (Decision-20 code, or a legacy code registered as such)."""

    __tablename__ = "agencies"
    __table_args__ = (Index("ix_agencies_level_code", "level", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    parent_code: Mapped[str | None] = mapped_column(String(64), index=True)
    level: Mapped[int | None] = mapped_column(Integer)
    legacy: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(16), default="active")  # active, suspended, removed
    emails: Mapped[str] = mapped_column(Text, default="")  # comma-separated contact addresses
    certificate_pem: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(BigInteger, index=True)  # directory version of last change
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_contact_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # local: registered here; upstream: synchronised from the upstream hub's directory (issue 16)
    route: Mapped[str] = mapped_column(String(8), default="local", server_default="local")


class System(Base):
    """A connected system (the SDK's ``systemid``) acting for one or more agencies."""

    __tablename__ = "systems"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    system_id: Mapped[str] = mapped_column(String(128), unique=True)
    secret_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    state: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_contact_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Granted by the hub's administrator, never inferred from a code (issue 12): off by default.
    operator: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    can_register: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    rate_per_second: Mapped[float | None] = mapped_column(Float)  # None: the hub's default
    rate_burst: Mapped[int | None] = mapped_column(Integer)
    agencies: Mapped[list[SystemAgency]] = relationship(
        back_populates="system", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def agency_codes(self) -> list[str]:
        return [a.agency_code for a in self.agencies]


class SystemAgency(Base):
    __tablename__ = "system_agencies"

    system_pk: Mapped[int] = mapped_column(ForeignKey("systems.id", ondelete="CASCADE"), primary_key=True)
    agency_code: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    system: Mapped[System] = relationship(back_populates="agencies")


class ApiToken(Base):
    """A bearer token for the JSON API, kept only as its SHA-256."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    system_pk: Mapped[int] = mapped_column(ForeignKey("systems.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class Package(Base):
    """One accepted package (a document or a status message), stored once."""

    __tablename__ = "packages"
    __table_args__ = (
        Index("ix_packages_sender_sha", "sender_code", "sha256"),
        Index("ix_packages_sender_docid", "sender_code", "document_id"),
        Index("ix_packages_notation", "notation_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    doc_id: Mapped[str] = mapped_column(String(64), unique=True)  # the id the sender is given
    kind: Mapped[str] = mapped_column(String(8))  # edoc | status
    sender_code: Mapped[str] = mapped_column(String(64))
    system_id: Mapped[str] = mapped_column(String(128))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    blob_key: Mapped[str] = mapped_column(String(64))
    document_id: Mapped[str | None] = mapped_column(String(300))  # edXML DocumentId
    notation_key: Mapped[str | None] = mapped_column(String(300))  # issuer|year|number/notation
    business_type: Mapped[int] = mapped_column(Integer, default=0)
    target_document_id: Mapped[str | None] = mapped_column(String(300))
    status_code: Mapped[str | None] = mapped_column(String(4))
    answers_package_id: Mapped[int | None] = mapped_column(ForeignKey("packages.id"))
    subject: Mapped[str | None] = mapped_column(Text)
    notation: Mapped[str | None] = mapped_column(String(100))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    problems_json: Mapped[str] = mapped_column(Text, default="[]")
    problem_count: Mapped[int] = mapped_column(Integer, default=0)
    repeat_count: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    deliveries: Mapped[list[Delivery]] = relationship(
        back_populates="package", lazy="selectin", foreign_keys="Delivery.package_id"
    )


class Delivery(Base):
    """One recipient's copy of a package: pending, fetched, acknowledged, answered."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("package_id", "recipient_code"),
        Index("ix_deliveries_inbox", "recipient_code", "state"),
        # Only open deliveries: a receiver's count and list stay as cheap with 1 M closed ones.
        Index(
            "ix_deliveries_open",
            "recipient_code",
            "kind",
            "id",
            sqlite_where=OPEN_DELIVERY,
            postgresql_where=OPEN_DELIVERY,
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[str] = mapped_column(String(64), unique=True)  # the id the recipient sees
    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id"), index=True)
    recipient_code: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8))
    # pending -> fetched -> done | failed ; undeliverable ; withdrawn (revoked/replaced before fetch)
    state: Mapped[str] = mapped_column(String(16))
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    fetched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    fetch_count: Mapped[int] = mapped_column(Integer, default=0)
    last_status_code: Mapped[str | None] = mapped_column(String(4))
    last_status_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    superseded_by: Mapped[int | None] = mapped_column(ForeignKey("packages.id"))
    # local: offered to a local system; upstream: relayed (states relay -> relayed | undeliverable,
    # or elsewhere for a package from upstream naming a recipient this hub does not serve)
    route: Mapped[str] = mapped_column(String(8), default="local", server_default="local")
    package: Mapped[Package] = relationship(back_populates="deliveries", foreign_keys=[package_id])


class StatusEvent(Base):
    """A status reply recorded against the delivery it answers (the sender's tracking history)."""

    __tablename__ = "status_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_pk: Mapped[int] = mapped_column(ForeignKey("deliveries.id"), index=True)
    status_package_id: Mapped[int] = mapped_column(ForeignKey("packages.id"))
    status_code: Mapped[str] = mapped_column(String(4))
    description: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Refusal(Base):
    """A package the hub refused: kept for the sender's report (the body is not stored)."""

    __tablename__ = "refusals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    system_id: Mapped[str] = mapped_column(String(128), index=True)
    sender_code: Mapped[str | None] = mapped_column(String(64), index=True)
    code: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class AuditEntry(Base):
    """One line of the hash-chained audit log."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_subject", "subject"),)  # an archived package's proof

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(300))
    details: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class Counter(Base):
    """Named counters kept in the database (the directory version, the audit head)."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(String(128), default="")


# --- federation (issue 16): the upstream link, the relay queue, what was pulled from upstream --------


class UpstreamLink(Base):
    """The one upstream hub this hub relays to: its address, this hub's credential there, and health."""

    __tablename__ = "upstream_link"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1: one upstream per hub
    protocol: Mapped[str] = mapped_column(String(8))  # sdk | json
    url: Mapped[str] = mapped_column(Text)
    system_id: Mapped[str] = mapped_column(String(128), default="")  # the SDK's systemid (sdk)
    credential_encrypted: Mapped[bytes] = mapped_column(LargeBinary)  # secret (sdk) or token (json)
    hub_code: Mapped[str] = mapped_column(String(64))  # this hub's OrganId in the TraceHeader
    directory_version: Mapped[int] = mapped_column(BigInteger, default=0)  # upstream version seen
    last_sync_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_pull_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_ok_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Relay(Base):
    """A package to hand to the upstream hub once (a LeaseQueue row: waiting -> sent | failed)."""

    __tablename__ = "relays"
    __table_args__ = (Index("ix_relays_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    relay_id: Mapped[str] = mapped_column(String(64), unique=True)  # what operators name it by
    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id"), unique=True)
    state: Mapped[str] = mapped_column(String(16))  # waiting | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    first_try_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    recipients: Mapped[str] = mapped_column(Text)  # the upstream codes, comma-separated
    # The rewritten body, made once at the first try: every retry sends the same bytes.
    blob_key: Mapped[str | None] = mapped_column(String(64))
    signed: Mapped[bool] = mapped_column(Boolean, default=False)  # forwarded byte for byte
    upstream_doc_id: Mapped[str | None] = mapped_column(String(128))
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_text: Mapped[str | None] = mapped_column(Text)
    warned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # the outage warning
    package: Mapped[Package] = relationship(foreign_keys=[package_id])


class UpstreamPull(Base):
    """One upstream delivery taken into this hub: kept so a crash before the ack never delivers twice."""

    __tablename__ = "upstream_pulls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    upstream_id: Mapped[str] = mapped_column(String(128), unique=True)  # the upstream delivery id
    kind: Mapped[str] = mapped_column(String(8))
    local_doc_id: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))  # accepted | refused, then acked
    error_code: Mapped[str | None] = mapped_column(String(64))
    pulled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    acked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# --- monitoring (lienthong.monitor): conditions with "since when", and uptime per day ---------------


class MonitorState(Base):
    """A watched condition's current state (a check, a certificate, a peer's contact) and since when."""

    __tablename__ = "monitor_state"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)  # e.g. check:database, contact:<code>
    status: Mapped[str] = mapped_column(String(8))  # ok | warn | fail
    reason: Mapped[str] = mapped_column(String(64))  # OK or a MONITOR.* code
    detail: Mapped[str] = mapped_column(Text, default="")
    since: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class UptimeDay(Base):
    """How long a peer (an agency at the hub, the hub at a gateway) was in contact on one local day."""

    __tablename__ = "monitor_uptime"

    peer: Mapped[str] = mapped_column(String(128), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    up_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    observed_seconds: Mapped[float] = mapped_column(Float, default=0.0)


# --- the warning system (lienthong.watch) ------------------------------------------------------


class WatchRun(Base):
    """One scheduled run claimed by one worker: the unique (kind, run_date) makes it happen once."""

    __tablename__ = "watch_runs"
    __table_args__ = (UniqueConstraint("kind", "run_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # daily-report
    run_date: Mapped[date] = mapped_column(Date)
    worker: Mapped[str] = mapped_column(String(128))
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str] = mapped_column(Text, default="")


class WatchOutbox(Base):
    """A message to deliver (e-mail or webhook), kept until sent so an outage or a crash loses nothing."""

    __tablename__ = "watch_outbox"
    __table_args__ = (Index("ix_watch_outbox_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)  # one message per event and target
    channel: Mapped[str] = mapped_column(String(16))  # email | webhook
    purpose: Mapped[str] = mapped_column(String(16))  # alert | report
    agency_code: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str] = mapped_column(Text)  # comma-separated addresses, or the webhook URL
    payload: Mapped[str] = mapped_column(Text)  # JSON: what to say (rendered when sent)
    state: Mapped[str] = mapped_column(String(16))  # pending | sending | sent | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class WatchContact(Base):
    """How an agency wants to be warned besides its directory e-mails: a webhook, a language."""

    __tablename__ = "watch_contacts"

    agency_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    webhook_url: Mapped[str | None] = mapped_column(Text)
    webhook_secret: Mapped[str | None] = mapped_column(String(200))  # HMAC-SHA256 key for the signature
    language: Mapped[str] = mapped_column(String(2), default="vi")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# --- people (lienthong.accounts): the hub's operators, their sessions, sign-in attempts, API tokens ----

ACCOUNTS = define_tables(Base.metadata)
