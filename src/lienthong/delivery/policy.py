"""The one retry policy: exponential backoff with jitter, a cap on the wait, a deadline and/or a count."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class RetryPolicy:
    """When to try again after ``attempts`` failed tries, and when to stop trying.

    The wait doubles from ``base_seconds`` up to ``cap_seconds``, drawn between half and all of that
    (jitter spreads the retries of many senders after an outage). Temporary failures stop after
    ``max_attempts`` tries or once ``deadline`` has passed since the first try, whichever is set.
    """

    base_seconds: float = 2.0
    cap_seconds: float = 600.0
    deadline: timedelta | None = None
    max_attempts: int | None = None
    jitter: bool = True

    def delay(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th failed try (1 = the first)."""
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** max(attempts - 1, 0))
        return random.uniform(ceiling / 2, ceiling) if self.jitter else ceiling

    def gives_up(self, attempts: int, started: datetime, now: datetime) -> bool:
        """Whether a temporary failure after ``attempts`` tries, first made at ``started``, is final."""
        if self.max_attempts is not None and attempts >= self.max_attempts:
            return True
        return self.deadline is not None and now >= started + self.deadline

    def next_attempt(self, attempts: int, started: datetime, now: datetime) -> datetime | None:
        """The time of the next try, or None when it is time to give up."""
        if self.gives_up(attempts, started, now):
            return None
        wait = now + timedelta(seconds=self.delay(attempts))
        if self.deadline is not None:
            wait = min(wait, started + self.deadline)  # one last try at the deadline, not after it
        return wait
