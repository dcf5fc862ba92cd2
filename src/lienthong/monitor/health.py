"""Health checks as small named objects, and the readiness report that aggregates them with "since when".

A check returns a `CheckResult`: a status, a stable reason code (a MONITOR.* problem code, or
"OK") and a detail. `Health` runs the registered checks, remembers since when each one has been
in its current state, and says whether the process is ready. Nothing here knows of HTTP.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from lienthong.monitor import problems as MP
from lienthong.problems import Problem

Clock = Callable[[], datetime]
log = logging.getLogger(__name__)
OK_REASON = "OK"


class Status(StrEnum):
    """ok: fine; warn: works but someone must act soon (not ready stays true); fail: not ready."""

    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


_RANK = {Status.OK: 0, Status.WARN: 1, Status.FAIL: 2}


def worst(statuses: Iterable[Status]) -> Status:
    return max(statuses, key=lambda s: _RANK[s], default=Status.OK)


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check; ``reason`` is stable (a problem code), ``detail`` is for people."""

    status: Status
    reason: str = OK_REASON
    detail: str = ""
    data: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def ok(cls, detail: str = "", **data: Any) -> CheckResult:
        return cls(Status.OK, OK_REASON, detail, data)

    @classmethod
    def of(cls, problem: Problem, status: Status = Status.FAIL, **data: Any) -> CheckResult:
        return cls(status, problem.code, problem.message_en, data)


class Check(Protocol):
    """Anything with a name that can say how it is."""

    name: str

    def run(self) -> CheckResult: ...


@dataclass
class FunctionCheck:
    """A check from a plain function (the usual way to add one)."""

    name: str
    function: Callable[[], CheckResult]

    def run(self) -> CheckResult:
        return self.function()


@dataclass(frozen=True)
class CheckState:
    """One check's last result and since when it has had this status and reason."""

    name: str
    result: CheckResult
    since: datetime
    checked_at: datetime

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "status": self.result.status.value,
            "reason": self.result.reason,
            "detail": self.result.detail,
            "since": self.since.isoformat(),
            "checked_at": self.checked_at.isoformat(),
        }
        if self.result.data:
            out["data"] = dict(self.result.data)
        return out


@dataclass(frozen=True)
class Readiness:
    """All checks at one moment: ready unless one fails."""

    status: Status
    checks: tuple[CheckState, ...]
    at: datetime

    @property
    def ready(self) -> bool:
        return self.status is not Status.FAIL

    def check(self, name: str) -> CheckState:
        for state in self.checks:
            if state.name == name:
                return state
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": {Status.OK: "ok", Status.WARN: "degraded", Status.FAIL: "fail"}[self.status],
            "ready": self.ready,
            "at": self.at.isoformat(),
            "checks": {c.name: c.to_dict() for c in self.checks},
        }


class Health:
    """The registered checks of one process and the memory of since when each is in its state."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._checks: dict[str, Check] = {}
        self._states: dict[str, CheckState] = {}
        self._lock = threading.Lock()

    def add(self, check: Check) -> Check:
        if check.name in self._checks:
            raise ValueError(f"health check {check.name} registered twice")
        self._checks[check.name] = check
        return check

    def add_function(self, name: str, function: Callable[[], CheckResult]) -> Check:
        return self.add(FunctionCheck(name, function))

    @property
    def names(self) -> list[str]:
        return list(self._checks)

    def remember(self, name: str, result: CheckResult, since: datetime) -> None:
        """Seed a check's state (e.g. from the database), so "since" survives a restart."""
        with self._lock:
            self._states[name] = CheckState(name, result, since, since)

    def run(self) -> Readiness:
        now = self.clock()
        states = []
        for name, check in list(self._checks.items()):
            try:
                result = check.run()
            except Exception as exc:  # a broken check must say so, not break the endpoint
                log.exception("health check %s crashed", name)
                result = CheckResult.of(
                    MP.CHECK_CRASHED("", name=name, detail=f"{type(exc).__name__}: {exc}")
                )
            states.append(self._record(name, result, now))
        return Readiness(worst(s.result.status for s in states), tuple(states), now)

    def _record(self, name: str, result: CheckResult, now: datetime) -> CheckState:
        with self._lock:
            before = self._states.get(name)
            same = before is not None and (before.result.status, before.result.reason) == (
                result.status,
                result.reason,
            )
            state = CheckState(name, result, before.since if same and before else now, now)
            self._states[name] = state
            return state

    def last(self) -> dict[str, CheckState]:
        with self._lock:
            return dict(self._states)


class Heartbeat:
    """A loop (a scheduler, a worker) beats each round; its check fails when the beats stop."""

    def __init__(self, name: str, clock: Clock, max_age: timedelta) -> None:
        self.name = name
        self.clock = clock
        self.max_age = max_age
        self.last_beat: datetime | None = None

    def beat(self) -> None:
        self.last_beat = self.clock()

    def run(self) -> CheckResult:
        if self.last_beat is None:
            return CheckResult.of(MP.SCHEDULER_NOT_STARTED("", name=self.name))
        age = self.clock() - self.last_beat
        if age > self.max_age:
            return CheckResult.of(
                MP.SCHEDULER_STALLED("", name=self.name, since=self.last_beat.isoformat()),
                last_beat=self.last_beat.isoformat(),
            )
        return CheckResult.ok(f"last run {self.last_beat.isoformat()}", last_beat=self.last_beat.isoformat())
