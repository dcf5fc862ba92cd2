"""lienthong.delivery: the retry policy, the leased queue on both engines, the SMTP mailer's verdicts."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from lienthong.delivery import LeaseQueue, PermanentFailure, RetryPolicy, TemporaryFailure
from lienthong.delivery.mail import SmtpMailer, SmtpSettings, email
from lienthong.store.db import make_engine, session_factory

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class Job(Base):
    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(sa.String(16))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    lease_until: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


# --- the policy ----------------------------------------------------------------------------------------


def test_the_wait_doubles_with_jitter_up_to_the_cap() -> None:
    policy = RetryPolicy(base_seconds=2, cap_seconds=60)
    for attempts, ceiling in ((1, 2), (2, 4), (3, 8), (6, 60), (20, 60)):
        waits = [policy.delay(attempts) for _ in range(200)]
        assert all(ceiling / 2 <= w <= ceiling for w in waits)
        assert len(set(waits)) > 1  # jitter: many senders do not retry in step
    assert RetryPolicy(base_seconds=2, jitter=False).delay(3) == 8


def test_the_deadline_ends_temporary_failures_and_the_last_try_is_at_it() -> None:
    policy = RetryPolicy(base_seconds=600, cap_seconds=3600, deadline=timedelta(hours=1))
    assert policy.next_attempt(1, T0, T0 + timedelta(minutes=59, seconds=50)) == T0 + timedelta(hours=1)
    assert policy.next_attempt(9, T0, T0 + timedelta(hours=1)) is None
    assert RetryPolicy(max_attempts=3).next_attempt(3, T0, T0) is None


# --- the queue -----------------------------------------------------------------------------------------


@pytest.fixture
def sessions(db_url: str) -> Iterator[Any]:
    engine = make_engine(db_url)
    Base.metadata.create_all(engine)
    factory = session_factory(engine)
    with factory() as s, s.begin():
        s.add_all(Job(state="pending", attempts=0, next_attempt_at=T0) for _ in range(3))
    yield factory
    engine.dispose()


QUEUE = LeaseQueue(Job, ready="pending", done="sent", dead="dead", lease=timedelta(seconds=60))


def test_a_claimed_row_is_nobodys_else_until_its_lease_runs_out(sessions: Any) -> None:
    with sessions() as s, s.begin():
        first = [j.id for j in QUEUE.claim(s, T0, limit=2)]
    with sessions() as s, s.begin():
        second = [j.id for j in QUEUE.claim(s, T0 + timedelta(seconds=30), limit=5)]
    assert len(first) == 2 and len(second) == 1 and not set(first) & set(second)
    with sessions() as s, s.begin():  # the first worker died: its rows come back after the lease
        again = [j.id for j in QUEUE.claim(s, T0 + timedelta(seconds=61), limit=5)]
    assert sorted(again) == sorted(first)


def test_failures_retry_or_die_and_success_is_final(sessions: Any) -> None:
    policy = RetryPolicy(base_seconds=10, jitter=False, max_attempts=2)
    with sessions() as s, s.begin():
        a, b, c = QUEUE.claim(s, T0, limit=3)
        assert QUEUE.failed(a, T0, policy, started=T0, permanent=False)
        assert a.state == "pending" and a.next_attempt_at == T0 + timedelta(seconds=10)
        assert not QUEUE.failed(b, T0, policy, started=T0, permanent=True) and b.state == "dead"
        QUEUE.succeeded(c, T0)
        assert (c.state, c.attempts, c.lease_until) == ("sent", 1, None)
    with sessions() as s, s.begin():
        assert QUEUE.claim(s, T0 + timedelta(seconds=5)) == []  # not due yet
        [again] = QUEUE.claim(s, T0 + timedelta(seconds=10))
        assert not QUEUE.failed(again, T0, policy, started=T0, permanent=False)  # the second try was the last


def test_two_workers_at_once_never_take_the_same_row(sessions: Any, db_url: str) -> None:
    """Worker A holds its claim open; worker B, in its own transaction meanwhile, gets other rows."""
    a: Session = sessions()
    b: Session = sessions()
    try:
        a.begin()
        taken_a = {j.id for j in QUEUE.claim(a, T0, limit=1)}
        if db_url.startswith("postgresql"):  # SKIP LOCKED: B skips A's locked row, without waiting
            b.begin()
            taken_b = {j.id for j in QUEUE.claim(b, T0, limit=3)}
            b.commit()
            a.commit()
        else:  # SQLite serialises writers: B claims after A committed, and sees A's lease
            a.commit()
            b.begin()
            taken_b = {j.id for j in QUEUE.claim(b, T0, limit=3)}
            b.commit()
        assert len(taken_a) == 1 and len(taken_b) == 2 and not taken_a & taken_b
    finally:
        a.close()
        b.close()


# --- the mailer: 5xx permanent, everything else temporary ---


class Answers:
    def __init__(self, rcpt: str) -> None:
        self.rcpt = rcpt
        self.received = 0

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.rcpt.startswith("250"):
            envelope.rcpt_tos.append(address)
        return self.rcpt

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received += 1
        return "250 OK"


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _send(port: int) -> None:
    message = email("a@lienthong.test", ["vanthu@example.test"], "Thử", "Nội dung")
    SmtpMailer(SmtpSettings(host="127.0.0.1", port=port, timeout=5)).send(message)


@pytest.mark.parametrize(
    ("answer", "verdict"),
    [("250 OK", None), ("550 No such user", PermanentFailure), ("451 Try again later", TemporaryFailure)],
)
def test_the_smtp_servers_answer_decides(answer: str, verdict: type[Exception] | None) -> None:
    port = _port()
    handler = Answers(answer)
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        if verdict is None:
            _send(port)
            assert handler.received == 1
        else:
            with pytest.raises(verdict):
                _send(port)
    finally:
        controller.stop()


def test_no_smtp_server_is_temporary() -> None:
    with pytest.raises(TemporaryFailure):
        _send(_port())
