"""Calling pyHanko's blocking API safely from code that may already run inside an asyncio loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


def call_blocking(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``function(*args, **kwargs)``, moved to a worker thread when an event loop is running here.

    pyHanko's synchronous functions (and ours) call ``asyncio.run``, which refuses to start
    inside a running loop, as in an async web handler. The caller still waits for the result.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="lienthong-signing") as pool:
        return pool.submit(function, *args, **kwargs).result()
