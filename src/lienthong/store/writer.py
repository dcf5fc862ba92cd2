"""One fair writer per process with group commit: jobs queue in order and commit together in batches.

Requests do their expensive work (staging, hashing, parsing, checks, the body's fsync) concurrently,
then hand a short job to the writer and wait. The writer takes every job that is waiting (up to
``max_batch``) and runs them in one transaction; ``finish`` then does the batch's shared work (one
batched audit append, placing the bodies with one folder sync) before the single commit. Each job's
caller is answered only once its batch is durable. The queue is FIFO, so no request can starve,
and no database lock is ever contended inside the process (SQLite's busy-wait is unfair).

A job may raise a ``LienthongError`` (a refusal): it is answered with that error and the batch still
commits, keeping what the job wrote (a job refuses before it writes, or records the refusal on
purpose). Any other failure rolls the batch back and each job is retried alone, so one bad job
cannot fail the others.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session

from lienthong.problems import LienthongError

log = logging.getLogger(__name__)
T = TypeVar("T")
AuditItem = tuple[str, str, str, dict[str, Any]]  # actor, action, subject, details


@dataclass
class Batch:
    """What the jobs of one batch share: the moment, audit entries and bodies to place before commit."""

    now: datetime
    entries: list[AuditItem] = field(default_factory=list)
    bodies: list[tuple[Path, str]] = field(default_factory=list)  # (synced staging file, sha256)
    wake: set[str] = field(default_factory=set)  # agencies with new mail: other workers hear of it


@dataclass
class _Job(Generic[T]):
    fn: Callable[[Session, Batch], T]
    future: Future[T]


class GroupWriter:
    """The process's single writer thread (started on first use)."""

    def __init__(
        self,
        transaction: Callable[[], AbstractContextManager[Session]],
        finish: Callable[[Session, Batch], None],
        clock: Callable[[], datetime],
        max_batch: int = 64,
    ) -> None:
        self._transaction = transaction
        self._finish = finish
        self._clock = clock
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[_Job[Any] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self.batches = 0  # how many batches committed (bench and tests read it)
        self.jobs = 0

    def run(self, fn: Callable[[Session, Batch], T]) -> T:
        """Run ``fn`` in the next batch; return its result once the batch is committed."""
        if threading.current_thread() is self._thread:
            return self._inline(fn)  # a job that writes again must not wait for itself
        self._ensure_started()
        job: _Job[T] = _Job(fn, Future())
        self._queue.put(job)
        return job.future.result()

    def stop(self) -> None:
        with self._start_lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout=30)

    def _inline(self, fn: Callable[[Session, Batch], T]) -> T:
        with self._transaction() as session:
            batch = Batch(self._clock())
            result = fn(session, batch)
            self._finish(session, batch)
        return result

    def _ensure_started(self) -> None:
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="lienthong-writer", daemon=True)
                self._thread.start()

    def _loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            jobs: list[_Job[Any]] = [first]
            stop = False
            while len(jobs) < self.max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                jobs.append(more)
            self._commit(jobs)
            if stop:
                return

    def _commit(self, jobs: list[_Job[Any]]) -> None:
        try:
            self._attempt(jobs)
            return
        except Exception as exc:
            if len(jobs) == 1:
                jobs[0].future.set_exception(exc)
                return
            log.warning("a batch of %d writes failed (%s); retrying each alone", len(jobs), exc)
        for job in jobs:
            try:
                self._attempt([job])
            except Exception as exc:
                job.future.set_exception(exc)

    def _attempt(self, jobs: list[_Job[Any]]) -> None:
        outcomes: list[tuple[_Job[Any], Any, BaseException | None]] = []
        with self._transaction() as session:
            batch = Batch(self._clock())
            for job in jobs:
                try:
                    outcomes.append((job, job.fn(session, batch), None))
                except LienthongError as refused:
                    outcomes.append((job, None, refused))
            self._finish(session, batch)
        # Committed: only now is anyone answered.
        self.batches += 1
        self.jobs += len(jobs)
        for job, value, error in outcomes:
            if error is None:
                job.future.set_result(value)
            else:
                job.future.set_exception(error)
