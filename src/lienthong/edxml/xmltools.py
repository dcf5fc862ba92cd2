"""Namespaces, preserved XML fragments and the semantic comparison of element trees."""

from __future__ import annotations

import copy
from typing import Any

from lxml import etree

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
XMLDSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
XLINK_NS = "http://www.w3.org/1999/xlink"
PREFIX = "edXML"

# Prefixes a careless producer uses without declaring them, and what they always mean.
WELL_KNOWN_PREFIXES: dict[str, str] = {
    "edXML": NS,
    "xlink": XLINK_NS,
    "ds": XMLDSIG_NS,
    "dsig": XMLDSIG_NS,
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
    "xs": "http://www.w3.org/2001/XMLSchema",
}


def qn(local: str) -> str:
    """The Clark name of an element of the QCVN 102 namespace."""
    return f"{{{NS}}}{local}"


def local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def namespace_of(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


Canonical = tuple[Any, ...]


def canonical(element: etree._Element) -> Canonical:
    """A comparable form of an element: names, attributes, trimmed text, children in order.

    Prefixes, comments, processing instructions and whitespace between elements do not count:
    two trees with the same canonical form carry the same information.
    """
    children = tuple(canonical(c) for c in element if isinstance(c.tag, str))
    text = "".join([element.text or ""] + [c.tail or "" for c in element])
    if children:
        text = text.strip()  # indentation between child elements is not data
    return (str(element.tag), tuple(sorted(element.attrib.items())), text, children)


class XmlFragment:
    """An element kept as it came (unknown, misplaced or opaque), written back unchanged."""

    __slots__ = ("_canonical", "element")

    def __init__(self, element: etree._Element) -> None:
        self.element = element
        self._canonical: Canonical | None = None

    @classmethod
    def detach(cls, element: etree._Element) -> XmlFragment:
        """Copy ``element`` out of its tree, dropping its tail text."""
        clone = copy.deepcopy(element)
        clone.tail = None
        return cls(clone)

    @classmethod
    def from_string(cls, text: str | bytes) -> XmlFragment:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        return cls(etree.fromstring(text, parser))

    @property
    def tag(self) -> str:
        return str(self.element.tag)

    @property
    def local_name(self) -> str:
        return local_name(self.tag)

    @property
    def namespace(self) -> str:
        return namespace_of(self.tag)

    def canonical(self) -> Canonical:
        if self._canonical is None:
            self._canonical = canonical(self.element)
        return self._canonical

    def copy_element(self) -> etree._Element:
        return copy.deepcopy(self.element)

    def to_string(self) -> str:
        return etree.tostring(self.element, encoding="unicode")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, XmlFragment):
            return NotImplemented
        return self.canonical() == other.canonical()

    def __hash__(self) -> int:
        return hash(self.canonical())

    def __repr__(self) -> str:
        text = self.to_string()
        return f"XmlFragment({text[:80]}{'…' if len(text) > 80 else ''})"
