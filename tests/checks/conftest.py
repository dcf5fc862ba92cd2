"""Checks fixtures: the signing tests' session PKI, for packages with real PAdES signatures."""

from __future__ import annotations

from tests.signing.conftest import kit  # noqa: F401  (the session PKI fixture, reused)
