"""The daily run happens on working days after the report time, exactly once with several workers."""

from __future__ import annotations

import threading
import time as clock_time
from datetime import UTC, date, datetime, time
from email.message import EmailMessage

import sqlalchemy as sa

from lienthong.codes.calendar import VIETNAM
from lienthong.hub.service import Hub
from lienthong.watch.config import WatchConfig
from lienthong.watch.service import RunResult, Watch
from tests.watch.conftest import Day


class Outgoing:
    """A mailer port that keeps what it is given (the SMTP path has its own tests)."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []
        self.lock = threading.Lock()

    def send(self, message: EmailMessage) -> None:
        with self.lock:
            self.sent.append(message)


def _vn(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=VIETNAM).astimezone(UTC)


def test_due_only_on_working_days_after_the_configured_time(hub: Hub) -> None:
    watch = Watch(hub, WatchConfig(), mailer=Outgoing())
    assert not watch.is_due(_vn(2026, 12, 3, 6, 59))
    assert watch.is_due(_vn(2026, 12, 3, 7, 0))
    assert not watch.is_due(_vn(2026, 12, 5, 9, 0))  # Saturday
    assert not watch.is_due(_vn(2027, 1, 1, 10, 0))  # New Year's Day
    assert not watch.is_due(_vn(2027, 2, 8, 10, 0))  # Tết
    assert watch.run_due(_vn(2026, 12, 3, 6, 59)).claimed is False
    late = Watch(hub, WatchConfig(report_time=time(8, 30)), mailer=Outgoing())
    assert not late.is_due(_vn(2026, 12, 3, 8, 29)) and late.is_due(_vn(2026, 12, 3, 8, 30))


def test_several_workers_run_the_day_exactly_once(day: Day) -> None:
    # Four workers, each with its own Hub (its own engine and connections) on the same database.
    hubs = [day.hub] + [Hub(day.hub.config, clock=day.clock) for _ in range(3)]
    mailer = Outgoing()
    watches = [Watch(h, WatchConfig(), mailer=mailer, worker=f"w{n}") for n, h in enumerate(hubs)]
    results: list[RunResult] = []
    barrier = threading.Barrier(len(watches))

    def worker(w: Watch) -> None:
        barrier.wait()
        results.append(w.run_due(_vn(2026, 12, 3, 7, 1)))

    threads = [threading.Thread(target=worker, args=(w,)) for w in watches]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sorted(r.claimed for r in results) == [False, False, False, True]
    winner = next(r for r in results if r.claimed)
    assert winner.day == date(2026, 12, 3) and winner.messages == 6
    later = _vn(2026, 12, 3, 7, 2)
    delivering = [threading.Thread(target=w.deliver_due, args=(later,)) for w in watches]
    for t in delivering:
        t.start()
    for t in delivering:
        t.join(120)
    # One report per agency, whoever delivered it, none twice.
    addresses = sorted(str(m["To"]) for m in mailer.sent)
    assert len(addresses) == len(set(addresses)) == 6
    with day.hub.read() as s:
        runs = s.execute(sa.text("SELECT kind, outcome FROM watch_runs")).all()
    assert len(runs) == 1 and runs[0][0] == "daily-report" and "6 messages" in runs[0][1]
    # Later the same morning: nothing; the next working morning: a new run.
    assert not watches[2].run_due(_vn(2026, 12, 3, 11, 0)).claimed
    assert watches[3].run_due(_vn(2026, 12, 4, 7, 0)).claimed
    for h in hubs[1:]:
        h.close()


def test_the_background_loop_runs_and_delivers(day: Day) -> None:
    mailer = Outgoing()
    watch = Watch(day.hub, WatchConfig(), mailer=mailer)
    day.clock.at(2026, 12, 3, 0, 5)  # Thursday 07:05 in Hà Nội
    watch.start(poll_seconds=0.05)
    try:
        deadline = clock_time.monotonic() + 60
        while len(mailer.sent) < 6 and clock_time.monotonic() < deadline:
            clock_time.sleep(0.05)
    finally:
        watch.stop()
    assert len(mailer.sent) == 6
