"""The `edXML:` prefix on every header element: finding the elements of a package that lack it.

The Government Office's own parser is reported to refuse a package whose header elements are in
the QCVN namespace through a default namespace declaration (``xmlns="…QCVN_102_2016"``) instead of
the ``edXML:`` prefix, so whatever the hub or a gateway writes carries the prefix explicitly. The
writer always does; this module tells whether bytes from elsewhere need rewriting.
"""

from __future__ import annotations

import io

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
