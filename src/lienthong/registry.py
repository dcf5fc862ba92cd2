"""Imports every module that defines problem types, so the whole catalogue is registered."""

from __future__ import annotations

import importlib

# Each layer adds its problem module here when it defines one.
PROBLEM_MODULES: tuple[str, ...] = (
    "lienthong.edxml.problems",
    "lienthong.hub.problems",
    "lienthong.signing.problems",
    "lienthong.monitor.problems",
    "lienthong.checks.problems",
    "lienthong.watch.problems",
    "lienthong.gateway.problems",
    "lienthong.accounts.problems",
)


def load_all() -> None:
    for name in PROBLEM_MODULES:
        importlib.import_module(name)
