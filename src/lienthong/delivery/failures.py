"""The two kinds of failure every delivery tells apart: try again later, or give up at once."""

from __future__ import annotations


class TemporaryFailure(Exception):
    """The other side is away or overloaded (network, timeout, 5xx, SMTP 4xx): try again later."""


class PermanentFailure(Exception):
    """The other side refused for good (a coded refusal, SMTP 5xx, a 4xx webhook answer): do not retry."""

    def __init__(self, text: str, code: str = "") -> None:
        super().__init__(text)
        self.code = code
        self.text = text
