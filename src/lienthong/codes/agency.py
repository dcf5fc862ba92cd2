"""Agency identifier codes (mã định danh, Decision 20/2020/QĐ-TTg): parse, classify, level, parent.

A Decision-20 code reads ``NNN.NN.NN.XNN`` right to left: level 1 is a letter and two digits
(G ministries and Government bodies, H provinces, other letters for other branches), then level 2
(two digits), level 3 (two digits) and level 4 (three digits); zeros mean "this level is the unit
itself". Real traffic also carries older three-part codes (``28.22.H17``) and connected-system
ids (``vxp.saas.03``); they are recognised and classified so callers can flag them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import total_ordering

_CODE_RE = re.compile(r"^(\d{3})\.(\d{2})\.(\d{2})\.([A-Z])(\d{2})$")
_LEGACY_RE = re.compile(r"^(\d{2})\.(\d{2})\.([A-Z])(\d{2})$")
# Ids of connected systems: lower-case dotted words, at least one dot, e.g. vxp.saas.03.
_SYSTEM_ID_RE = re.compile(r"^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)+$")
_NULL_LIKE = {"null", "none", "nil", "undefined", "n/a"}


class CodeKind(StrEnum):
    """What an identifier found in an agency-code slot turned out to be."""

    AGENCY = "agency"  # a well-formed Decision-20 code of an agency
    SYSTEM = "system"  # a Decision-20-shaped code of a connected system or hub (level 1 W..)
    LEGACY = "legacy"  # an older three-part code, e.g. 28.22.H17
    SYSTEM_ID = "system_id"  # a connected-system id used where a code belongs, e.g. vxp.saas.03
    NULL = "null"  # the literal null/None written by a careless serialiser
    EMPTY = "empty"
    INVALID = "invalid"


# Level-1 letters as read from published codes; the remainder are other branches of the State.
LEVEL1_BRANCHES: dict[str, str] = {
    "A": "Party bodies",
    "G": "Ministries and Government bodies",
    "H": "Provinces and centrally-run cities",
    "W": "Connected systems and integration platforms",
}


@total_ordering
@dataclass(frozen=True)
class AgencyCode:
    """A Decision-20 agency code split into its four groups."""

    level4: str  # NNN
    level3: str  # NN
    level2: str  # NN
    level1: str  # XNN

    @classmethod
    def parse(cls, text: str) -> AgencyCode:
        """Parse a well-formed code; raise ValueError with the reason otherwise."""
        m = _CODE_RE.match(text)
        if not m:
            raise ValueError(f"not a Decision-20 agency code (NNN.NN.NN.XNN): {text!r}")
        return cls(m.group(1), m.group(2), m.group(3), m.group(4) + m.group(5))

    @classmethod
    def try_parse(cls, text: str | None) -> AgencyCode | None:
        if text is None:
            return None
        try:
            return cls.parse(text.strip())
        except ValueError:
            return None

    def __str__(self) -> str:
        return f"{self.level4}.{self.level3}.{self.level2}.{self.level1}"

    @property
    def branch(self) -> str:
        return self.level1[0]

    @property
    def is_system(self) -> bool:
        """Codes of connected systems and hubs (W00…), hidden from recipient pickers."""
        return self.branch == "W"

    @property
    def level(self) -> int:
        """1 for a level-1 body (000.00.00.G22), up to 4 for a level-4 unit."""
        if self.level4 != "000":
            return 4
        if self.level3 != "00":
            return 3
        if self.level2 != "00":
            return 2
        return 1

    @property
    def parent(self) -> AgencyCode | None:
        """The default parent: the deepest non-zero group set to zero.

        The code alone does not reliably give the parent (a registration may say
        otherwise); a directory's explicit parent wins over this one.
        """
        if self.level == 1:
            return None
        if self.level4 != "000":
            return AgencyCode("000", self.level3, self.level2, self.level1)
        if self.level3 != "00":
            return AgencyCode("000", "00", self.level2, self.level1)
        return AgencyCode("000", "00", "00", self.level1)

    @property
    def root(self) -> AgencyCode:
        """The level-1 body this code belongs to."""
        return AgencyCode("000", "00", "00", self.level1)

    def ancestors(self) -> list[AgencyCode]:
        """Default ancestors, nearest first."""
        out: list[AgencyCode] = []
        node = self.parent
        while node is not None:
            out.append(node)
            node = node.parent
        return out

    def is_within(self, other: AgencyCode) -> bool:
        """True if this code is ``other`` or below it by the default hierarchy."""
        return self == other or other in self.ancestors()

    def _key(self) -> tuple[str, str, str, str]:
        return (self.level1, self.level2, self.level3, self.level4)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, AgencyCode):
            return NotImplemented
        return self._key() < other._key()


@dataclass(frozen=True)
class Classified:
    """The result of classifying a string found where an agency code belongs."""

    text: str
    kind: CodeKind
    code: AgencyCode | None = None

    @property
    def is_standard(self) -> bool:
        return self.kind is CodeKind.AGENCY


def classify(text: str | None) -> Classified:
    """Tell what kind of identifier ``text`` is, without raising."""
    if text is None or not text.strip():
        return Classified(text or "", CodeKind.EMPTY)
    value = text.strip()
    code = AgencyCode.try_parse(value)
    if code is not None:
        return Classified(value, CodeKind.SYSTEM if code.is_system else CodeKind.AGENCY, code)
    if value.lower() in _NULL_LIKE:
        return Classified(value, CodeKind.NULL)
    if _LEGACY_RE.match(value):
        return Classified(value, CodeKind.LEGACY)
    if _SYSTEM_ID_RE.match(value):
        return Classified(value, CodeKind.SYSTEM_ID)
    return Classified(value, CodeKind.INVALID)


def is_valid_agency_code(text: str | None) -> bool:
    return classify(text).kind is CodeKind.AGENCY


def level1_body(text: str | None) -> AgencyCode | None:
    """The level-1 body a Decision-20 code (or an older three-part one) belongs to; None otherwise."""
    code = AgencyCode.try_parse(text)
    if code is not None:
        return code.root
    m = _LEGACY_RE.match((text or "").strip())
    return AgencyCode("000", "00", "00", m.group(3) + m.group(4)) if m else None


def same_body(a: str | None, b: str | None) -> bool:
    """Whether two codes belong to the same level-1 body (a province, a ministry): traffic inside it."""
    body = level1_body(a)
    return body is not None and body == level1_body(b)
