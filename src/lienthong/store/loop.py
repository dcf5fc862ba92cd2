"""A named background thread with a stop signal: the shape of every hub-side loop in ``store``."""

from __future__ import annotations

import threading


class Loop:
    """Subclasses implement ``_run`` and return from it when ``_stop`` is set."""

    name = "lienthong-loop"

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        raise NotImplementedError
