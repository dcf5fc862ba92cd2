"""The header splice: To cut, TraceHeader appended, the rest copied through; signed packages untouched."""

from __future__ import annotations

import io

from lienthong.edxml import DocumentMessage, parse
from lienthong.edxml.prefix import unprefixed_header_elements
from lienthong.edxml.splice import splice
from tests.hub.conftest import document, status

G22, H41, H14 = "000.00.00.G22", "000.00.00.H41", "000.00.00.H14"


def test_to_is_cut_a_trace_added_and_the_attachments_copied_byte_for_byte() -> None:
    content = bytes(range(256)) * 20_000  # a 5 MB attachment: its base64 passes through untouched
    data = document(sender=G22, recipients=(H41, H14), content=content)
    out = io.BytesIO()
    done = splice(
        io.BytesIO(data), out, recipients=[H14], organ_id="000.00.00.W00", timestamp="2026/12/01 08:00:00"
    )
    assert (done.signed, done.kept, done.removed) == (False, (H14,), (H41,))
    rewritten = out.getvalue()
    tail = data[data.index(b"</edXML:edXMLHeader>") :]
    assert rewritten.endswith(tail)
    message = parse(rewritten)
    assert isinstance(message, DocumentMessage) and message.header is not None and message.trace is not None
    assert [t.organ_id for t in message.header.to] == [H14]
    assert [(t.organ_id, t.timestamp) for t in message.trace.trace_headers][-1] == (
        "000.00.00.W00",
        "2026/12/01 08:00:00",
    )
    assert message.attachments is not None and len(message.attachments) == 1


def test_a_recipient_named_outside_the_package_is_added_to_the_header() -> None:
    out = io.BytesIO()
    done = splice(io.BytesIO(document(recipients=(H41,))), out, recipients=[H14], organ_id="W", timestamp="t")
    assert done.kept == (H14,)
    message = parse(out.getvalue())
    assert isinstance(message, DocumentMessage) and message.header is not None
    assert [t.organ_id for t in message.header.to] == [H14]


def test_a_status_without_a_trace_list_gets_one() -> None:
    out = io.BytesIO()
    splice(io.BytesIO(status(H41, G22, "D1")), out, recipients=None, organ_id="W", timestamp="t")
    # Written with edXML: on every header element, as everything the hub writes (issue 16).
    assert b"<edXML:TraceHeaderList><edXML:TraceHeader><edXML:OrganId>W</edXML:OrganId>" in out.getvalue()
    left = unprefixed_header_elements(out.getvalue())
    assert [p for p in left if "edXMLHeader" in p] == [], left  # the root and envelope keep their form
    parse(out.getvalue())


def test_a_signed_package_is_forwarded_byte_for_byte() -> None:
    data = document(recipients=(H41, H14)).replace(
        b"</edXML:TraceHeaderList>",
        b'</edXML:TraceHeaderList><Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo/></Signature>',
    )
    out = io.BytesIO()
    done = splice(io.BytesIO(data), out, recipients=[H14], organ_id="W", timestamp="t")
    assert done.signed and out.getvalue() == data
