"""Shared fixtures: the public sample packages (from ``../shared/samples`` or ``LIENTHONG_SAMPLES``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# CI checks the repository out with shared/ beside it; LIENTHONG_SAMPLES overrides.
CANDIDATES = [REPO.parent / "shared" / "samples", Path("/work/shared/samples")]


def find_samples() -> Path:
    override = os.environ.get("LIENTHONG_SAMPLES")
    for candidate in [Path(override)] if override else CANDIDATES:
        if candidate.is_dir() and any(candidate.glob("*.edxml")):
            return candidate
    raise FileNotFoundError(
        "sample packages not found: put shared/samples beside the repository or set LIENTHONG_SAMPLES"
    )


SAMPLES = find_samples()
SHARED = SAMPLES.parent  # shared/: samples, captures, docs
STATUS_SAMPLES = sorted(SAMPLES.glob("status*.edxml"))
DOCUMENT_SAMPLES = sorted(SAMPLES.glob("edoc*.edxml"))
# Not well-formed as published: stray bytes before the declaration, undeclared prefixes.
NEEDS_REPAIR = {"edoc_new.edxml", "edoc.edxml"}
WELL_FORMED = [p for p in sorted(SAMPLES.glob("*.edxml")) if p.name not in NEEDS_REPAIR]


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    """The directory of the public sample packages."""
    return SAMPLES
