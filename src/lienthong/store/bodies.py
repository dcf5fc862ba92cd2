"""Agency codes in SQL: whether two code columns name the same level-1 body (traffic inside it).

The SQL twin of ``lienthong.codes.same_body`` for grouped queries over many rows: the level-1 group
is the code's last three characters, for a Decision-20 code (``NNN.NN.NN.XNN``) as for an older
three-part one (``NN.NN.XNN``), recognised by their length and the places of their dots.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_


def _shaped(code: Any) -> ColumnElement[bool]:
    def dot(position: int) -> ColumnElement[bool]:
        return func.substr(code, position, 1) == "."

    length = func.length(code)
    return or_(
        and_(length == 13, dot(4), dot(7), dot(10)),
        and_(length == 9, dot(3), dot(6)),
    )


def level1_group(code: Any) -> ColumnElement[str]:
    """The level-1 group (``H41``) of a code column (meaningful only where the code is shaped)."""
    return func.substr(code, func.length(code) - 2)


def same_body(a: Any, b: Any) -> ColumnElement[bool]:
    """True where both codes are agency codes of the same level-1 body."""
    return and_(_shaped(a), _shaped(b), level1_group(a) == level1_group(b))
