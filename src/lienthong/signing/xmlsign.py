"""Enveloped XML-DSig over elements referenced by ``Id``, with a signed ``SigningTime`` property.

This is the shape of the tax and customs notices that travel as attachments: the data element
(``<DLieu Id="data">``) is signed, the signature sits elsewhere in the document (``<DSCKS>``),
a ``ds:Object`` holds ``SignatureProperties/SignatureProperty/SigningTime`` and is itself
referenced, and several parties sign one after the other. signxml verifies it; its signer
cannot reference a property object inside an enveloped signature, so the signature is built
here with signxml's own canonicalisation (the verifier recomputes exactly what is signed).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from lxml import etree
from signxml.algorithms import CanonicalizationMethod
from signxml.verifier import XMLVerifier

from lienthong.edxml import XMLDSIG_NS
from lienthong.signing import problems as P
from lienthong.signing.credentials import Credential
from lienthong.signing.errors import SigningError

DS = f"{{{XMLDSIG_NS}}}"
C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
METHODS = {
    "rsa-sha256": (
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        "http://www.w3.org/2001/04/xmlenc#sha256",
    ),
    "rsa-sha1": ("http://www.w3.org/2000/09/xmldsig#rsa-sha1", "http://www.w3.org/2000/09/xmldsig#sha1"),
}
_HASHES = {"rsa-sha256": (hashes.SHA256(), "sha256"), "rsa-sha1": (hashes.SHA1(), "sha1")}


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)


def sign_xml(
    data: bytes,
    credential: Credential,
    *,
    references: Iterable[str],
    signature_id: str,
    signing_time: datetime,
    into: str | None = None,
    algorithm: str = "rsa-sha256",
) -> bytes:
    """``data`` with one more enveloped signature over the elements with these ``Id`` values.

    ``into``: the ``Id`` of the element that receives the signature (default: the root).
    """
    if algorithm not in METHODS:
        raise SigningError(P.SIGNING_FAILED("", detail=f"unknown algorithm {algorithm}"))
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise SigningError(P.SIGNING_FAILED("", detail=f"not well-formed XML: {exc}")) from None
    parent = root if into is None else _by_id(root, into)
    method, digest_uri = METHODS[algorithm]
    signature = etree.SubElement(parent, f"{DS}Signature", {"Id": signature_id}, nsmap={"ds": XMLDSIG_NS})
    signed_info = etree.SubElement(signature, f"{DS}SignedInfo")
    etree.SubElement(signed_info, f"{DS}CanonicalizationMethod", Algorithm=C14N)
    etree.SubElement(signed_info, f"{DS}SignatureMethod", Algorithm=method)
    value = etree.SubElement(signature, f"{DS}SignatureValue")
    x509_data = etree.SubElement(etree.SubElement(signature, f"{DS}KeyInfo"), f"{DS}X509Data")
    for cert in (credential.cert, *credential.chain):
        der = cert.public_bytes(serialization.Encoding.DER)
        etree.SubElement(x509_data, f"{DS}X509Certificate").text = base64.b64encode(der).decode()
    time_id = f"{signature_id}-SigningTime"
    obj = etree.SubElement(signature, f"{DS}Object", Id=time_id)
    prop = etree.SubElement(
        etree.SubElement(obj, f"{DS}SignatureProperties"), f"{DS}SignatureProperty", Target=f"#{signature_id}"
    )
    etree.SubElement(prop, "SigningTime").text = signing_time.isoformat(timespec="seconds")
    hasher = _HASHES[algorithm][1]
    for ref_id in [*references, time_id]:
        target = _by_id(root, ref_id)
        enveloped = signature in target.iterdescendants()
        reference = etree.SubElement(signed_info, f"{DS}Reference", URI=f"#{ref_id}")
        transforms = etree.SubElement(reference, f"{DS}Transforms")
        if enveloped:
            etree.SubElement(transforms, f"{DS}Transform", Algorithm=ENVELOPED)
        etree.SubElement(transforms, f"{DS}Transform", Algorithm=C14N)
        etree.SubElement(reference, f"{DS}DigestMethod", Algorithm=digest_uri)
        payload = _without(target, signature) if enveloped else target
        canonical = _canonical(payload)
        digest = hashlib.new(hasher, canonical).digest()
        etree.SubElement(reference, f"{DS}DigestValue").text = base64.b64encode(digest).decode()
    # What the verifier canonicalises: SignedInfo inside the Signature serialised on its own.
    canonical = _canonical(signature, part=f"{DS}SignedInfo")
    raw = credential.key.sign(canonical, padding.PKCS1v15(), _HASHES[algorithm][0])
    value.text = base64.b64encode(raw).decode()
    return etree.tostring(root.getroottree(), encoding="UTF-8", xml_declaration=True)


def _canonical(element: etree._Element, part: str | None = None) -> bytes:
    """``element`` (or its child ``part``) canonicalised as signxml's verifier does: serialised
    on its own, parsed again, then inclusive c14n 1.0."""
    tools: Any = XMLVerifier()  # signxml's helpers are untyped
    copy = tools._fromstring(tools._tostring(element))
    node = copy.find(part) if part is not None else copy
    return bytes(tools._c14n(node, algorithm=CanonicalizationMethod(C14N)))


def _by_id(root: etree._Element, ref_id: str) -> etree._Element:
    found = root.xpath("//*[@*[local-name() = 'Id']=$v]", v=ref_id)
    if not isinstance(found, list) or len(found) != 1 or not isinstance(found[0], etree._Element):
        raise SigningError(P.SIGNING_FAILED("", detail=f"no single element has Id={ref_id}"))
    return found[0]


def _without(target: etree._Element, signature: etree._Element) -> etree._Element:
    """A copy of ``target`` without the signature being made (the enveloped transform)."""
    copy = etree.fromstring(etree.tostring(target), _parser())
    for element in copy.iter(f"{DS}Signature"):
        if element.get("Id") == signature.get("Id"):
            parent = element.getparent()
            if parent is not None:
                parent.remove(element)
    return copy
