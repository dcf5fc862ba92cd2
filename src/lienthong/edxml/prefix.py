"""The `edXML:` prefix on every header element: finding the elements of a package that lack it.

The Government Office's own parser is reported to refuse a package whose header elements are in
the QCVN namespace through a default namespace declaration (``xmlns="…QCVN_102_2016"``) instead of
the ``edXML:`` prefix, so whatever the hub or a gateway writes carries the prefix explicitly. The
writer always does; this module tells whether bytes from elsewhere need rewriting.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from xml.sax.saxutils import unescape

from lxml import etree

from lienthong.edxml.xmltools import NS, PREFIX, local_name, namespace_of

_HEADER_END = frozenset({"edXMLBody", "AttachmentEncoded"})  # what follows the header


def unprefixed_header_elements(data: bytes) -> list[str]:
    """Paths of the elements before the body (root, envelope, header and all below it) that are in
    the QCVN namespace without the ``edXML`` prefix; empty when every one has it.

    Only the start of the package is read: the header comes before the attachments.
    """
    found: list[str] = []
    path: list[str] = []
    events = etree.iterparse(
        io.BytesIO(data),
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=True,
        remove_comments=True,
    )
    try:
        for event, element in events:
            if not isinstance(element.tag, str):
                continue
            tag = str(element.tag)
            if event == "end":
                path.pop()
                continue
            local = local_name(tag)
            if local in _HEADER_END:
                break
            path.append(local)
            if namespace_of(tag) == NS and element.prefix != PREFIX:
                found.append("/".join(path))
    except etree.XMLSyntaxError:
        pass  # a broken package is the parser's to refuse: report what was seen
    return found


def default_namespace_declared(data: bytes) -> bool:
    """Whether the header declares the QCVN namespace as the default one (``xmlns="…"``)."""
    head, _, _ = data.partition(b"edXMLBody")
    return f'xmlns="{NS}"'.encode() in head or f"xmlns='{NS}'".encode() in head


# --- rewriting the header's bytes in place (a hub relaying a package it does not parse whole) -----

_XML_NS = "http://www.w3.org/XML/1998/namespace"
_TOKEN = re.compile(
    rb"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<![A-Za-z][^>]*>"
    rb"|<(?P<end>/)?(?P<name>[^\s/>!?]+)"
    rb"(?P<attrs>(?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)(?P<tail>\s*/?>)",
    re.DOTALL,
)
_ATTR = re.compile(rb"\s+([^\s=/>]+)\s*=\s*(\"[^\"]*\"|'[^']*')")
_DECLARE = f' xmlns:{PREFIX}="{NS}"'.encode()


@dataclass
class _Frame:
    name: bytes  # as written in the input (its end tag)
    written: bytes  # as written in the output
    scope: dict[str | None, str]  # the input's namespace bindings here (None: the default)
    out_scope: dict[str | None, str]  # the output's
    in_header: bool


def prefix_header(head: bytes) -> bytes:
    """``head`` (a package's bytes up to and including ``</edXMLHeader>``) with every element of
    the header in the QCVN namespace written ``edXML:Name``; a default namespace declaration of the
    QCVN namespace inside the header is dropped, ``xmlns:edXML`` declared where needed.

    Only the header's own tags change: text, attributes, comments and everything before the header
    stay byte for byte, so the rest of the package (body, attachments) can be copied after it
    unchanged. The head is returned unchanged when the prefix ``edXML`` is bound to another
    namespace somewhere (rewriting could not be trusted) or when it does not end inside the header.
    """
    if re.search(rb"xmlns:" + PREFIX.encode() + rb"\s*=\s*[\"'](?!" + re.escape(NS.encode()) + rb")", head):
        return head
    out: list[bytes] = []
    stack: list[_Frame] = []
    base: dict[str | None, str] = {"xml": _XML_NS}
    done = 0
    for m in _TOKEN.finditer(head):
        name = m.group("name")
        if name is None:
            continue
        parent = stack[-1] if stack else None
        if m.group("end"):
            if parent is None or parent.name != name:
                return head  # not well-formed here: leave it to the parser to refuse
            stack.pop()
            if parent.written != name:
                out.append(head[done : m.start()] + b"</" + parent.written + m.group("tail"))
                done = m.end()
            continue
        scope = dict(parent.scope if parent else base)
        out_scope = dict(parent.out_scope if parent else base)
        declared = _declarations(m.group("attrs"))
        scope.update(declared)
        prefix, _, local = name.rpartition(b":")
        namespace = scope.get(prefix.decode() if prefix else None)
        in_header = (parent is not None and parent.in_header) or (local == b"edXMLHeader" and namespace == NS)
        written, attrs = name, m.group("attrs")
        if in_header:
            # The default namespace, when it is QCVN's, is no longer needed below: every element of
            # the QCVN namespace gets the prefix; one in no namespace keeps its own xmlns="".
            attrs = _ATTR.sub(lambda a: b"" if _is_default_qcvn(a) else a.group(0), attrs)
            if namespace == NS:
                written = PREFIX.encode() + b":" + local
        for key, value in declared.items():
            if not (in_header and key is None and value == NS):
                out_scope[key] = value
        if written.startswith(PREFIX.encode() + b":") and out_scope.get(PREFIX) != NS:
            attrs = _DECLARE + attrs
            out_scope[PREFIX] = NS
        if written != name or attrs != m.group("attrs"):
            out.append(head[done : m.start()] + b"<" + written + attrs + m.group("tail"))
            done = m.end()
        if not m.group("tail").endswith(b"/>"):
            stack.append(_Frame(name, written, scope, out_scope, in_header))
    out.append(head[done:])
    return b"".join(out)


def _is_default_qcvn(attribute: re.Match[bytes]) -> bool:
    return attribute.group(1) == b"xmlns" and unescape(attribute.group(2)[1:-1].decode()) == NS


def _declarations(attrs: bytes) -> dict[str | None, str]:
    found: dict[str | None, str] = {}
    for a in _ATTR.finditer(attrs):
        name = a.group(1)
        if name == b"xmlns" or name.startswith(b"xmlns:"):
            found[name[6:].decode() or None] = unescape(a.group(2)[1:-1].decode())
    return found
