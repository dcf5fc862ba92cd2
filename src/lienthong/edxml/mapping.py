"""The one generic mapper between element trees and the model classes, both ways.

Reading records each child's place (``Slot``) so writing a parsed message reproduces its order,
comments and unknown elements; writing a built message uses the standard's order.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterator
from typing import Any

from lxml import etree

from lienthong.edxml import problems as P
from lienthong.edxml.blob import AttachmentData, Base64Blob
from lienthong.edxml.model import (
    PATHLESS,
    ElementList,
    FieldSpec,
    Kind,
    Node,
    Slot,
    spec_of,
)
from lienthong.edxml.xmltools import NS, XmlFragment, local_name, namespace_of, qn
from lienthong.problems import Problem

_ITEMS = "#items"  # the pseudo-field of an ElementList
_EXTRA = "#extra"
_COMMENT = "#comment"
_PI = "#pi"


_SCHEMAS: dict[type[Node], tuple[tuple[str, FieldSpec], ...]] = {}
_BY_ELEMENT: dict[type[Node], dict[str, tuple[str, FieldSpec]]] = {}


def schema(cls: type[Node]) -> tuple[tuple[str, FieldSpec], ...]:
    """The mapped fields of a model class, in the standard's order."""
    found = _SCHEMAS.get(cls)
    if found is None:
        found = _SCHEMAS[cls] = tuple(
            (f.name, spec) for f in dataclasses.fields(cls) if (spec := spec_of(f)) is not None
        )
    return found


def _by_element(cls: type[Node]) -> dict[str, tuple[str, FieldSpec]]:
    found = _BY_ELEMENT.get(cls)
    if found is None:
        found = _BY_ELEMENT[cls] = {(spec.wrapper or spec.local): (name, spec) for name, spec in schema(cls)}
    return found


def attrs(element: etree._Element) -> dict[str, str]:
    return {str(k): str(v) for k, v in element.attrib.items()}


@functools.cache
def _known_places() -> dict[str, dict[str, str]]:
    """Every element name the model knows, with the containers it belongs in.

    A container is keyed by its model class (a wrapper list by the wrapper's name), not by its
    element name: a document's MessageHeader and a status message's share a name but not their
    children, so a Timestamp in a document's MessageHeader is misplaced, not unknown. The value
    is the container's element name as shown to users.
    """
    from lienthong.edxml import model

    places: dict[str, dict[str, str]] = {}
    for obj in vars(model).values():
        if isinstance(obj, type) and issubclass(obj, Node) and obj is not Node:
            parent = _element_name_of(obj)
            if obj is model.StatusMessageHeader:
                parent = "MessageHeader (status)"
            for _, spec in schema(obj):
                places.setdefault(spec.wrapper or spec.local, {})[obj.__name__] = parent
                if spec.wrapper:
                    places.setdefault(spec.local, {})[spec.wrapper] = spec.wrapper
    return places


def _element_name_of(cls: type[Node]) -> str:
    from lienthong.edxml import model

    if cls in (model.DocumentMessage, model.StatusMessage):
        return "edXML"
    for obj in vars(model).values():
        if isinstance(obj, type) and issubclass(obj, Node):
            for _, spec in schema(obj):
                if spec.node_type is cls:
                    return spec.local
    return cls.__name__


# --- reading ----------------------------------------------------------------------------------


class TreeReader:
    """Reads an element tree into model objects, collecting problems instead of failing."""

    def __init__(self, blobs: dict[etree._Element, Base64Blob] | None = None) -> None:
        self.blobs = blobs or {}
        self.problems: list[Problem] = []

    def read(self, cls: type[Node], element: etree._Element) -> Any:
        return self._node(cls, element, "")

    def _node(self, cls: type[Node], element: etree._Element, path: str) -> Node:
        node = cls()
        if len(element.attrib):
            node.attrib = attrs(element)
        if cls in PATHLESS:  # paths start below the envelope blocks: MessageHeader/To[1]/OrganId
            path = path.rpartition("/")[0]
        self._children(node, element, _by_element(cls), path)
        return node

    def _children(
        self,
        container: Node | ElementList[Any],
        element: etree._Element,
        fields: dict[str, tuple[str, FieldSpec]],
        path: str,
    ) -> None:
        layout = container.layout
        singles: set[str] = set()
        for child in element:
            tag = child.tag
            if not isinstance(tag, str):
                layout.append(_raw_slot(child))
                continue
            split = _SPLIT.get(tag)
            if split is None:
                split = (local_name(tag), namespace_of(tag))
                if len(_SPLIT) < 4096:  # bounded: a package of made-up names cannot grow it
                    _SPLIT[tag] = split
            local, namespace = split
            entry = fields.get(local)
            child_path = f"{path}/{local}" if path else local
            if entry is None:
                self._extra(container, child, child_path, parent=local_name(str(element.tag)))
                continue
            name, spec = entry
            if namespace != NS and not spec.any_ns:
                self.problems.append(P.WRONG_NAMESPACE(child_path, element=local, namespace=namespace or "-"))
            if (spec.many and not spec.wrapper) or name == _ITEMS:
                items = _get(container, name)
                item_path = f"{child_path}[{len(items) + 1}]"
                value = self._value(spec, child, item_path, local)
                if value is _BAD:
                    self._keep(container, child)
                    continue
                layout.append(Slot(name, len(items), tag, _leaf_attrib(spec, child)))
                items.append(value)
                continue
            if name in singles:
                self.problems.append(P.DUPLICATE_ELEMENT(child_path, element=local))
                self._keep(container, child)
                continue
            value = (
                self._wrapped(spec, child, child_path)
                if spec.wrapper
                else self._value(spec, child, child_path, local)
            )
            if value is _BAD:
                self._keep(container, child)
                continue
            singles.add(name)
            setattr(container, name, value)
            layout.append(Slot(name, 0, tag, _leaf_attrib(spec, child)))

    def _wrapped(self, spec: FieldSpec, element: etree._Element, path: str) -> Any:
        if _has_text(element):
            self.problems.append(
                P.UNEXPECTED_CONTENT(path, element=spec.wrapper, detail="text instead of elements")
            )
            return _BAD
        items: ElementList[Any] = ElementList()
        items.attrib = attrs(element)
        item_spec = dataclasses.replace(spec, many=True, wrapper=None)
        self._children(items, element, {spec.local: (_ITEMS, item_spec)}, path)
        return items

    def _value(self, spec: FieldSpec, element: etree._Element, path: str, local: str) -> Any:
        if spec.kind is Kind.TEXT and not len(element):  # a plain leaf: most elements
            return element.text or ""
        if spec.kind is Kind.FRAGMENT:
            return XmlFragment.detach(element)
        if spec.kind is Kind.NODE:
            if _has_text(element):
                self.problems.append(
                    P.UNEXPECTED_CONTENT(path, element=local, detail="text instead of elements")
                )
                return _BAD
            return self._node(spec.node_type, element, path)
        if any(isinstance(c.tag, str) for c in element):
            self.problems.append(P.UNEXPECTED_CONTENT(path, element=local, detail="elements instead of text"))
            return _BAD
        text = "".join([element.text or ""] + [c.tail or "" for c in element])
        if spec.kind is Kind.BLOB:
            blob = self.blobs.get(element)
            return blob if blob is not None else Base64Blob.from_text(text)
        return text

    def _extra(
        self, container: Node | ElementList[Any], child: etree._Element, path: str, parent: str
    ) -> None:
        local = local_name(str(child.tag))
        homes = _known_places().get(local)
        here = type(container).__name__ if isinstance(container, Node) else parent
        if homes and here not in homes:
            expected = " / ".join(sorted(set(homes.values())))
            self.problems.append(P.MISPLACED(path, element=local, expected=expected))
        else:
            self.problems.append(P.UNKNOWN_ELEMENT(path, element=local))
        self._keep(container, child)

    def _keep(self, container: Node | ElementList[Any], child: etree._Element) -> None:
        container.layout.append(Slot(_EXTRA, len(container.extras), str(child.tag)))
        container.extras.append(XmlFragment.detach(child))


_LEAVES = (Kind.TEXT, Kind.BLOB)
_SPLIT: dict[str, tuple[str, str]] = {}  # Clark name -> (local name, namespace), for the tags met


class _Bad:
    pass


_BAD = _Bad()


def _join(path: str, local: str) -> str:
    return f"{path}/{local}" if path else local


def _has_text(element: etree._Element) -> bool:
    """Text other than whitespace directly inside ``element`` (its own, or after a child)."""
    text = element.text
    if text and not text.isspace():
        return True
    for child in element:
        tail = child.tail
        if tail and not tail.isspace():
            return True
    return False


def _leaf_attrib(spec: FieldSpec, element: etree._Element) -> tuple[tuple[str, str], ...]:
    if spec.kind in _LEAVES and len(element.attrib):
        return tuple((str(k), str(v)) for k, v in element.attrib.items())
    return ()


def _raw_slot(child: etree._Element) -> Slot:
    if isinstance(child, etree._ProcessingInstruction):
        return Slot(_PI, 0, str(child.target), (("text", child.text or ""),))
    return Slot(_COMMENT, 0, child.text or "")


def _get(container: Node | ElementList[Any], name: str) -> list[Any]:
    if name == _ITEMS:
        assert isinstance(container, ElementList)
        return container
    value = getattr(container, name)
    assert isinstance(value, list)
    return value


# --- writing ----------------------------------------------------------------------------------


class TreeWriter:
    """Builds the element tree of a model object; attachment content is left to a streamer."""

    def __init__(self) -> None:
        self.pending: list[tuple[etree._Element, AttachmentData]] = []

    def build(self, node: Node, tag: str, nsmap: dict[str | None, str]) -> etree._Element:
        root = etree.Element(tag, dict(node.attrib), nsmap=nsmap)  # type: ignore[arg-type]
        self._fill(root, node, schema(type(node)))
        return root

    def _fill(
        self,
        element: etree._Element,
        container: Node | ElementList[Any],
        fields: tuple[tuple[str, FieldSpec], ...],
    ) -> None:
        done: set[tuple[str, int]] = set()
        by_name = dict(fields)
        for slot in container.layout:
            if slot.key == _COMMENT:
                element.append(etree.Comment(slot.tag))
            elif slot.key == _PI:
                element.append(etree.PI(slot.tag, dict(slot.attrib).get("text", "")))
            elif slot.key == _EXTRA:
                if slot.index < len(container.extras):
                    element.append(container.extras[slot.index].copy_element())
                    done.add((_EXTRA, slot.index))
            elif slot.key in by_name and (slot.key, slot.index) not in done:
                value = _value_at(container, slot.key, by_name[slot.key], slot.index)
                if value is not None:
                    self._emit(element, by_name[slot.key], value, slot.tag, dict(slot.attrib))
                    done.add((slot.key, slot.index))
        for name, spec in fields:
            for index, value in _values(container, name, spec):
                if (name, index) not in done:
                    self._emit(element, spec, value, qn(spec.wrapper or spec.local), {})
        for index, extra in enumerate(container.extras):
            if (_EXTRA, index) not in done:
                element.append(extra.copy_element())

    def _emit(
        self,
        parent: etree._Element,
        spec: FieldSpec,
        value: Any,
        tag: str,
        attrib: dict[str, str],
    ) -> None:
        if spec.wrapper:
            assert isinstance(value, ElementList)
            wrapper = etree.SubElement(parent, tag, dict(value.attrib))
            item_spec = dataclasses.replace(spec, wrapper=None)
            self._fill(wrapper, value, ((_ITEMS, item_spec),))
        elif spec.kind is Kind.FRAGMENT:
            assert isinstance(value, XmlFragment)
            parent.append(value.copy_element())
        elif spec.kind is Kind.NODE:
            child = etree.SubElement(parent, tag, dict(value.attrib))
            self._fill(child, value, schema(type(value)))
        elif spec.kind is Kind.BLOB:
            child = etree.SubElement(parent, tag, dict(attrib))
            self.pending.append((child, value))
        else:
            child = etree.SubElement(parent, tag, dict(attrib))
            child.text = value


def _value_at(container: Node | ElementList[Any], name: str, spec: FieldSpec, index: int) -> Any:
    if name == _ITEMS or (spec.many and not spec.wrapper):
        items = _get(container, name)
        return items[index] if index < len(items) else None
    return getattr(container, name)


def _values(container: Node | ElementList[Any], name: str, spec: FieldSpec) -> Iterator[tuple[int, Any]]:
    if name == _ITEMS or (spec.many and not spec.wrapper):
        yield from enumerate(_get(container, name))
        return
    value = getattr(container, name)
    if value is not None:
        yield 0, value
