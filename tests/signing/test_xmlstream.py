"""XML-DSig with the attachment text streamed into the digest: exactly the whole document's digest.

Signed one way, verified the other: signxml over the whole document (inclusive c14n 1.0 and 1.1,
exclusive c14n, with and without comments) against the streamed verifier, and the streamed signer
against signxml's whole-document verifier. A changed byte anywhere fails both.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
import tracemalloc
from pathlib import Path

import pytest
from lxml import etree
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm
from signxml.exceptions import InvalidDigest, InvalidSignature
from signxml.signer import XMLSigner
from signxml.verifier import SignatureConfiguration, XMLVerifier

from lienthong.edxml import DEFAULT_LIMITS, parse, to_bytes
from lienthong.signing import problems as P
from lienthong.signing.samples import sample_pdf
from lienthong.signing.xmldsig import PackageSignatureVerifier, PackageSigner
from lienthong.signing.xmlstream import split_package
from tests.conftest import SAMPLES, needs_samples
from tests.signing.kit import SigningKit, package

DS = "{http://www.w3.org/2000/09/xmldsig#}"
METHODS = [
    CanonicalizationMethod.CANONICAL_XML_1_0,
    CanonicalizationMethod.CANONICAL_XML_1_0_WITH_COMMENTS,
    CanonicalizationMethod.CANONICAL_XML_1_1,
    CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
]
# Whatever prefix the writer gives the edXML namespace.
_TEXT = re.compile(rb"(<(?:\w+:)?ContentTransferEncoded>)([^<]*)(</(?:\w+:)?ContentTransferEncoded>)")
_HEADER = re.compile(rb"<(?:\w+:)?edXMLHeader>")


def text_start(data: bytes) -> int:
    """Where the first attachment's base64 text starts."""
    m = _TEXT.search(data)
    assert m is not None
    return m.start(2)


def wrapped(data: bytes, line_end: bytes) -> bytes:
    """The package with its attachments' base64 wrapped at 76 characters with ``line_end``."""

    def wrap(m: re.Match[bytes]) -> bytes:
        text = m.group(2)
        lines = [text[i : i + 76] for i in range(0, len(text), 76)]
        return m.group(1) + line_end + line_end.join(lines) + line_end + m.group(3)

    return _TEXT.sub(wrap, data)


@pytest.fixture(scope="module")
def packages(kit: SigningKit) -> dict[str, bytes]:
    plain = to_bytes(package([("qd.pdf", kit.signed_document()), ("pl.pdf", sample_pdf("Phu luc"))]))
    assert len(_TEXT.findall(plain)) == 2
    header = _HEADER.search(plain)
    assert header is not None
    commented = plain[: header.end()] + b"<!-- a comment -->" + plain[header.end() :]
    return {
        "plain": plain,
        "lf": wrapped(plain, b"\n"),
        "crlf": wrapped(plain, b"\r\n"),
        "comment": commented,
    }


def whole_signed(kit: SigningKit, data: bytes, method: CanonicalizationMethod) -> bytes:
    """Signed by signxml over the whole document, the signature in edXMLHeader."""
    root = etree.fromstring(data, etree.XMLParser(huge_tree=True))
    header = root.find(".//{*}edXMLHeader")
    assert header is not None
    slot = etree.SubElement(header, f"{DS}Signature", nsmap={"ds": DS[1:-1]})
    slot.set("Id", "placeholder")
    credential = kit.agency()
    signer = XMLSigner(c14n_algorithm=method, digest_algorithm=DigestAlgorithm.SHA256)
    signed = signer.sign(root, key=credential.key, cert=[credential.cert, *credential.chain])
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(signed, encoding="UTF-8")


def whole_verify(kit: SigningKit, data: bytes) -> None:
    """signxml over the whole document (raises on any mismatch)."""
    credential = kit.agency()
    config = SignatureConfiguration(expect_references=1)
    parser = etree.XMLParser(huge_tree=True)
    XMLVerifier().verify(data, x509_cert=credential.cert, parser=parser, expect_config=config)


def streamed_verdict(kit: SigningKit, data: bytes) -> tuple[bool, tuple[str, ...]]:
    report = kit.verifier.package_signature.verify(data, parse(data, repair=True))
    integrity = tuple(p.code for p in report.problems if p.code in (P.MODIFIED.code, P.INVALID.code))
    return report.valid, integrity


def tampered(data: bytes, where: str) -> bytes:
    """One byte changed: in an attachment's base64 (another base64 letter) or in the header."""
    if where == "attachment":
        start = text_start(data) + 200
        while data[start : start + 1] in b"\r\n":
            start += 1
        swapped = b"B" if data[start : start + 1] != b"B" else b"C"
        return data[:start] + swapped + data[start + 1 :]
    return data.replace("thử nghiệm".encode(), b"thu nghiem", 1)


@pytest.mark.parametrize("method", METHODS, ids=lambda m: m.name)
@pytest.mark.parametrize("shape", ["plain", "lf", "crlf", "comment"])
def test_whole_document_signature_verifies_streamed(
    kit: SigningKit, packages: dict[str, bytes], shape: str, method: CanonicalizationMethod
) -> None:
    signed = whole_signed(kit, packages[shape], method)
    assert split_package(io.BytesIO(signed), DEFAULT_LIMITS) is not None  # the streamed path is taken
    assert streamed_verdict(kit, signed) == (True, ())
    for where in ("attachment", "header"):
        bad = tampered(signed, where)
        valid, integrity = streamed_verdict(kit, bad)
        assert not valid and integrity == (P.MODIFIED.code,), (where, integrity)
        with pytest.raises((InvalidDigest, InvalidSignature)):
            whole_verify(kit, bad)


@pytest.mark.parametrize("shape", ["plain", "lf", "crlf", "comment"])
def test_streamed_signature_verifies_with_signxml_over_the_whole_document(
    kit: SigningKit, packages: dict[str, bytes], shape: str
) -> None:
    signed = PackageSigner(kit.agency()).sign(packages[shape])
    whole_verify(kit, signed)
    assert streamed_verdict(kit, signed) == (True, ())
    for where in ("attachment", "header"):
        with pytest.raises((InvalidDigest, InvalidSignature)):
            whole_verify(kit, tampered(signed, where))
        assert not streamed_verdict(kit, tampered(signed, where))[0]


@pytest.mark.parametrize("method", METHODS, ids=lambda m: m.name)
def test_streamed_digest_equals_the_canonical_whole_document(
    kit: SigningKit, packages: dict[str, bytes], method: CanonicalizationMethod
) -> None:
    for shape, data in packages.items():
        root = etree.fromstring(data, etree.XMLParser(huge_tree=True))
        exclusive = "exc-c14n" in method.value
        comments = method.value.endswith("WithComments")
        # lxml (and so signxml) writes c14n 1.1 as 1.0: they differ only on xml:id and xml:base.
        whole = etree.tostring(root, method="c14n", exclusive=exclusive, with_comments=comments)
        split = split_package(io.BytesIO(data), DEFAULT_LIMITS)
        assert split is not None
        small = etree.tostring(split.root, method="c14n", exclusive=exclusive, with_comments=comments)
        assert len(small) < 4096  # the header tree: the attachments are markers in it
        assert split.digest(small, DigestAlgorithm.SHA256) == hashlib.sha256(whole).digest(), shape
        assert b"".join(split.expand(small)) == whole


def test_what_cannot_be_split_exactly_takes_the_whole_document_path(
    kit: SigningKit, packages: dict[str, bytes]
) -> None:
    plain = packages["plain"]
    start = text_start(plain)
    shapes = {
        "character reference": plain[:start] + b"&#65;" + plain[start + 1 :],
        "cdata": plain[:start] + b"<![CDATA[QUFB]]>" + plain[start:],
        "not base64": plain[:start] + b"*" + plain[start + 1 :],
    }
    for name, data in shapes.items():
        assert split_package(io.BytesIO(data), DEFAULT_LIMITS) is None, name
    # A character reference is still base64: signed whole, verified whole, both ways.
    signed = PackageSigner(kit.agency()).sign(shapes["character reference"])
    whole_verify(kit, signed)
    signed = whole_signed(kit, shapes["character reference"], CanonicalizationMethod.CANONICAL_XML_1_0)
    assert streamed_verdict(kit, signed) == (True, ())


@needs_samples
def test_a_sample_package_signed_streamed_verifies_whole(kit: SigningKit) -> None:
    sample = (SAMPLES / "edoc_new.edxml").read_bytes()
    signed = PackageSigner(kit.pki.agencies["002.00.20.H13"]).sign(sample)
    whole_verify_as(kit, signed, "002.00.20.H13")


def whole_verify_as(kit: SigningKit, data: bytes, code: str) -> None:
    config = SignatureConfiguration(expect_references=1)
    cert = kit.pki.agencies[code].cert
    XMLVerifier().verify(data, x509_cert=cert, parser=etree.XMLParser(huge_tree=True), expect_config=config)


def test_signing_and_verifying_never_hold_the_package(kit: SigningKit, tmp_path: Path) -> None:
    """Python's allocations while signing and verifying a 12 MB package stay far below its size
    (signxml's whole-document path makes several copies of it)."""
    data = to_bytes(package([("qd.pdf", kit.signed_document()), ("scan.pdf", sample_pdf(padding=9 << 20))]))
    unsigned, signed = tmp_path / "unsigned.edxml", tmp_path / "signed.edxml"
    unsigned.write_bytes(data)
    size = len(data)
    del data
    signer = PackageSigner(kit.agency())
    limits = dataclasses.replace(DEFAULT_LIMITS, spool_in_memory=1 << 20)  # attachment text past 1 MB spills
    verifier = PackageSignatureVerifier(kit.trust, limits=limits)
    tracemalloc.start()
    try:
        with unsigned.open("rb") as source, signed.open("wb") as out:
            signer.sign_stream(source, out, limits=limits)
        _, peak_sign = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    message = parse(signed, repair=True)
    tracemalloc.start()
    try:
        report = verifier.verify(signed, message)
        _, peak_verify = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.valid, report.problems
    assert size > 12 << 20
    # A few 1 MB chunks in flight (read, decoded, hashed), whatever the package's size.
    assert peak_sign < size // 3, peak_sign
    assert peak_verify < size // 3, peak_verify
