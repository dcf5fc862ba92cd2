"""The exception signing raises when it cannot go on (an unreadable key, a missing trust store)."""

from __future__ import annotations

from lienthong.problems import LienthongError


class SigningError(LienthongError):
    """Signing or verification could not start or finish; carries one SIG problem."""
