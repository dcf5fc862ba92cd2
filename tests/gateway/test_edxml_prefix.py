"""What gateways send through a live hub carries `edXML:` on every header element; signed packages
travel byte for byte (issue 16)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from cryptography import x509
from lxml import etree
from signxml.signer import XMLSigner
from signxml.verifier import XMLVerifier
from sqlalchemy import select

from lienthong.edxml import parse
from lienthong.edxml.prefix import unprefixed_header_elements
from lienthong.gateway.service import Gateway
from lienthong.hub.service import Hub
from lienthong.signing.pki import new_root
from lienthong.signing.xmldsig import PackageSigner, PackageSignSpec
from lienthong.store.tables import Package
from tests.edxml.test_prefix import assert_prefixed
from tests.gateway.conftest import exchange
from tests.hub.conftest import Server, document

DOCID = "000.00.00.G22,2026/11/20,807/VPCP-KSTT"
NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"


def unprefixed(data: bytes) -> bytes:
    """The same package as a document system may write it: the QCVN namespace as the default one."""
    out = data.replace(b"edXML:", b"").replace(b"xmlns:edXML=", b"xmlns=")
    assert unprefixed_header_elements(out)
    return out


def hub_packages(hub: Hub) -> list[tuple[str, bytes]]:
    with hub.read() as s:
        rows = s.execute(select(Package.kind, Package.status_code, Package.blob_key).order_by(Package.id))
        return [(f"{kind}:{code or ''}", hub.blobs.read(key)) for kind, code, key in rows]


@pytest.fixture
def three(make_gateway: Callable[..., Gateway]) -> tuple[Gateway, Gateway, Gateway]:
    return (
        make_gateway("000.00.00.G22", "vpcp.sys"),
        make_gateway("000.00.00.H41", "nghean.sys"),
        make_gateway("000.00.00.H14", "caobang.sys", protocol="sdk"),
    )


def test_every_package_gateways_send_reaches_the_hub_prefixed(
    live_hub: tuple[Hub, Server], three: tuple[Gateway, Gateway, Gateway]
) -> None:
    hub, _ = live_hub
    vpcp, nghean, caobang = three
    # The document system wrote the package with a default namespace: the gateway writes it with edXML:.
    out = vpcp.submit(unprefixed(document(document_id=DOCID)), approve_as="Văn thư A")
    exchange(three)
    incoming = nghean.inbox()[0]["id"]
    for action in ("accept", "assign", "process", "complete"):
        nghean.act(incoming, action, "Văn thư B")
    caobang.act(caobang.inbox()[0]["id"], "return", "Văn thư C", reason="Gửi nhầm đơn vị")
    exchange(three)
    vpcp.recall(out.local_id, "Ban hành nhầm", "Văn thư A")
    exchange(three)
    nghean.act(nghean.inbox()[0]["id"], "refuse", "Văn thư B")
    exchange(three)
    sent = hub_packages(hub)
    kinds = sorted({kind for kind, _ in sent})
    # 01 from both recipients (one over the SDK protocol), 02, 03–06, the recall 13 and 16.
    for code in ("01", "02", "03", "04", "05", "06", "13", "16"):
        assert f"status:{code}" in kinds, kinds
    assert "edoc:" in kinds
    for _, data in sent:
        assert_prefixed(data)
    # What the recipients took from the hub is what was sent, and it reads as the same document.
    arrived = parse(nghean.package(incoming).data)
    assert arrived.header is not None and arrived.header.document_id == DOCID  # type: ignore[union-attr]


def _signed_unprefixed() -> tuple[bytes, x509.Certificate]:
    """A package signed (XML-DSig in edXMLHeader) as written by another system, default namespace
    and all; returns the bytes and the certificate."""
    credential = new_root("Hệ thống quản lý văn bản", datetime.now(UTC))
    data = unprefixed(document(document_id=DOCID))
    root = etree.fromstring(data)
    header = root.find(f"{{{NS}}}edXMLEnvelope/{{{NS}}}edXMLHeader")
    assert header is not None
    ds = "http://www.w3.org/2000/09/xmldsig#"
    etree.SubElement(header, f"{{{ds}}}Signature", Id="placeholder", nsmap={"ds": ds})
    signed = etree.tostring(XMLSigner().sign(root, key=credential.key, cert=[credential.cert]))
    pem = credential.cert
    XMLVerifier().verify(signed, x509_cert=pem)
    assert unprefixed_header_elements(signed)
    return signed, pem


def test_a_signed_package_is_forwarded_byte_for_byte(
    live_hub: tuple[Hub, Server], three: tuple[Gateway, Gateway, Gateway]
) -> None:
    hub, _ = live_hub
    vpcp, nghean, _ = three
    signed, pem = _signed_unprefixed()
    vpcp.submit(signed, approve_as="Văn thư A")
    exchange(three)
    [(_, at_hub)] = [(k, d) for k, d in hub_packages(hub) if k == "edoc:"]
    assert at_hub == signed  # not rewritten: the prefix would break what was signed
    [received] = [i for i in nghean.inbox() if i["kind"] == "edoc"]
    assert nghean.package(received["id"]).data == signed
    XMLVerifier().verify(nghean.package(received["id"]).data, x509_cert=pem)


def test_the_gateway_signer_writes_the_prefix_before_signing() -> None:
    credential = new_root("Văn phòng Chính phủ", datetime.now(UTC))
    signer = PackageSigner(credential, PackageSignSpec(require_sender_match=False))
    signed = signer.sign(unprefixed(document(document_id=DOCID)))
    assert_prefixed(signed)
    XMLVerifier().verify(signed, x509_cert=credential.cert)
