"""Shared fixtures: the public sample packages (``../shared/samples`` or ``LIENTHONG_SAMPLES``), if present.

The samples are optional: on a fresh clone with nothing beside it the tests that read them skip with
the reason below, and every other test builds what it needs. CI sets ``LIENTHONG_REQUIRE_SAMPLES=1``
so that there a missing sample folder fails the run instead of skipping.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# CI checks the repository out with shared/ beside it; LIENTHONG_SAMPLES overrides.
BESIDE = REPO.parent / "shared" / "samples"
REASON = (
    "the public sample packages are not here: put shared/samples beside the repository "
    "or set LIENTHONG_SAMPLES"
)


def find_samples() -> Path | None:
    """The samples directory, or None when there is none to be found."""
    override = os.environ.get("LIENTHONG_SAMPLES")
    candidate = Path(override) if override else BESIDE
    if candidate.is_dir() and any(candidate.glob("*.edxml")):
        return candidate
    if os.environ.get("LIENTHONG_REQUIRE_SAMPLES") == "1":
        raise pytest.UsageError(f"LIENTHONG_REQUIRE_SAMPLES=1 but {REASON} (looked in {candidate})")
    return None


_FOUND = find_samples()
HAVE_SAMPLES = _FOUND is not None
# Without samples the names still exist (so modules import) but point nowhere; the tests using
# them carry ``needs_samples`` and are skipped with the reason.
SAMPLES = _FOUND if _FOUND is not None else BESIDE
SHARED = SAMPLES.parent  # shared/: samples, captures, docs
STATUS_SAMPLES = sorted(SAMPLES.glob("status*.edxml"))
DOCUMENT_SAMPLES = sorted(SAMPLES.glob("edoc*.edxml"))
# Not well-formed as published: stray bytes before the declaration, undeclared prefixes.
NEEDS_REPAIR = {"edoc_new.edxml", "edoc.edxml"}
WELL_FORMED = [p for p in sorted(SAMPLES.glob("*.edxml")) if p.name not in NEEDS_REPAIR]

needs_samples = pytest.mark.skipif(not HAVE_SAMPLES, reason=REASON)


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    """The directory of the public sample packages (the test skips when there is none)."""
    if not HAVE_SAMPLES:
        pytest.skip(REASON)
    return SAMPLES
