"""The agency console's browser tests share the hub console's Chromium fixture."""

from tests.console.test_browser import browser  # noqa: F401  (the fixture)
