"""Enveloped XML-DSig signatures on edXML packages (signxml): sign, verify, recognise placeholders.

Today's packages carry a ``Signature`` that only looks like XML-DSig: it sits in the QCVN
namespace, or carries static values copied from example code (standards.md §4). Both are reported
as SIG.PLACEHOLDER, never as valid. A real signature (XML-DSig namespace) is verified for
integrity with signxml and for trust, validity and revocation with the trust store, and its
signer is compared with the sending agency.

Attachments make packages large, and signxml copies and canonicalises whole documents (≈ 7 × a
package): both the signer and the verifier give signxml only the header tree and stream the
attachment text into the reference digest (``xmlstream``), so a package is never held in memory.
A package that cannot be split exactly falls back to signxml's whole-document path, with a
huge-tree parser (entities, DTDs and network access off) behind the parse size limit.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from cryptography import x509
from lxml import etree
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod
from signxml.exceptions import SignXMLException
from signxml.signer import XMLSigner
from signxml.verifier import SignatureConfiguration, XMLVerifier

from lienthong.edxml import (
    DEFAULT_LIMITS,
    XMLDSIG_NS,
    Message,
    ParseError,
    ParseLimits,
    XmlFragment,
    parse,
    to_bytes,
)
from lienthong.edxml.prefix import unprefixed_header_elements
from lienthong.edxml.writer import DECLARATION
from lienthong.edxml.xmltools import NS, local_name
from lienthong.problems import Problem
from lienthong.signing import problems as P
from lienthong.signing.agencies import AgencyDirectory, sender_problems
from lienthong.signing.certcheck import judge
from lienthong.signing.errors import SigningError
from lienthong.signing.identity import SignerIdentity
from lienthong.signing.pki import Clock, Credential, utc_now
from lienthong.signing.report import SignatureReport, verdict
from lienthong.signing.trust import TrustSource
from lienthong.signing.xmlparts import (
    ACCEPTED_METHODS,
    DS,
    certificates_of,
    is_weak,
    leaf_of,
    run_signxml,
    signed_signing_time,
)
from lienthong.signing.xmlstream import SplitPackage, Writer, split_package

SIGNATURE_PATH = "edXMLEnvelope/edXMLHeader/Signature"
# SHA-256 of SignatureValue texts known to be static fakes from the public client library's
# example code (found in every public sample package, standards.md §4).
KNOWN_FAKE_VALUES = frozenset({"8c88b59e6ceda796cd17b7d3cf98fd8fd9b84e07bbc16529c92c23c62fc4feaa"})
ALGORITHMS = {"rsa-sha256": (SignatureMethod.RSA_SHA256, DigestAlgorithm.SHA256)}
LEGACY_ALGORITHMS = {"rsa-sha1": (SignatureMethod.RSA_SHA1, DigestAlgorithm.SHA1)}

Source = bytes | bytearray | memoryview | str | os.PathLike[str] | IO[bytes]


def _huge_parser() -> etree.XMLParser:
    # Safe settings plus huge_tree: callers cap the input size first (ParseLimits.max_bytes).
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True, collect_ids=False
    )


def fingerprint(text: str) -> str:
    """SHA-256 of a base64 value with its whitespace removed, to recognise known values."""
    return hashlib.sha256("".join(text.split()).encode("ascii", "replace")).hexdigest()


class _Signer(XMLSigner):
    """signxml's signer with a huge-tree parser; SHA-1 only when the caller asked for it by name.

    Given a split package, it signs the header tree and streams the attachment text into the digest.
    """

    def __init__(
        self, method: SignatureMethod, digest: DigestAlgorithm, legacy: bool, split: SplitPackage | None
    ) -> None:
        self._legacy = legacy
        self._split = split
        # Inclusive c14n 1.0: what .NET and Java XML-DSig stacks of agency systems all support.
        super().__init__(
            signature_algorithm=method,
            digest_algorithm=digest,
            c14n_algorithm=CanonicalizationMethod.CANONICAL_XML_1_0,
        )
        self._huge = _huge_parser()

    @property
    def parser(self) -> Any:
        return self._huge

    def check_deprecated_methods(self) -> None:
        if not self._legacy:
            super().check_deprecated_methods()  # type: ignore[no-untyped-call]  # untyped in signxml

    def _get_digest(self, data: bytes, algorithm: DigestAlgorithm) -> bytes:
        if self._split is None:
            return super()._get_digest(data, algorithm)  # type: ignore[no-any-return]
        return self._split.digest(data, algorithm)


class _Verifier(XMLVerifier):
    """signxml's verifier over a split package: every check its own, the digest streamed."""

    def __init__(self, split: SplitPackage) -> None:
        super().__init__()
        self._split = split

    def _get_digest(self, data: bytes, algorithm: DigestAlgorithm) -> bytes:
        return self._split.digest(data, algorithm)


@dataclass(frozen=True)
class PackageSignSpec:
    """How to sign a package: the XML-DSig signature algorithm (digest to match), and whether an
    agency certificate must belong to the ``From`` agency (receivers reject it otherwise)."""

    algorithm: str = "rsa-sha256"  # "rsa-sha1" only for peers that cannot verify anything else
    require_sender_match: bool = True


class PackageSigner:
    """Signs edXML packages with an enveloped XML-DSig in ``edXMLHeader`` (where the standard puts it)."""

    def __init__(
        self,
        credential: Credential,
        spec: PackageSignSpec = PackageSignSpec(),
        *,
        directory: AgencyDirectory | None = None,
    ) -> None:
        """``directory`` lets the signer refuse a certificate proven to be another agency's."""
        if spec.algorithm in ALGORITHMS:
            method, digest = ALGORITHMS[spec.algorithm]
        elif spec.algorithm in LEGACY_ALGORITHMS:
            method, digest = LEGACY_ALGORITHMS[spec.algorithm]
        else:
            known = ", ".join([*ALGORITHMS, *LEGACY_ALGORITHMS])
            raise SigningError(P.SIGNING_FAILED("", detail=f"unknown algorithm {spec.algorithm} ({known})"))
        self.credential = credential
        self.spec = spec
        self.directory = directory
        self._method, self._digest = method, digest

    def sign(self, package: bytes | Message) -> bytes:
        """The package's bytes with the signature; any earlier Signature (a placeholder) is replaced.

        The output must not be re-indented: whitespace is signed content.
        """
        data = package if isinstance(package, bytes) else to_bytes(package)
        if unprefixed_header_elements(data):
            # What the agency signs it writes: with edXML: on every header element (issue 16).
            data = etree.tostring(_repaired(data), encoding="UTF-8")
        out = io.BytesIO()
        self.sign_stream(io.BytesIO(data), out)
        return out.getvalue()

    def sign_stream(self, source: IO[bytes], out: Writer, *, limits: ParseLimits = DEFAULT_LIMITS) -> None:
        """``sign`` from a stream to a stream: the package is never held whole (see ``xmlstream``)."""
        start = source.tell() if source.seekable() else 0
        unprefixed = bool(unprefixed_header_elements(source.read(1 << 20)))
        source.seek(start)
        split = None if unprefixed else split_package(source, limits)
        if split is None:  # a shape only the whole document gives exactly: read it, as signxml needs
            source.seek(start)
            data = source.read(limits.max_bytes + 1)
            if len(data) > limits.max_bytes:
                raise SigningError(P.SIGNING_FAILED("", detail=f"larger than {limits.max_bytes} bytes"))
            try:
                root = _repaired(data) if unprefixed else etree.fromstring(data, _huge_parser())
            except etree.XMLSyntaxError:
                root = _repaired(data)
            out.write(DECLARATION + etree.tostring(self._sign_tree(root, None), encoding="UTF-8"))
            return
        signed = self._sign_tree(split.root, split)
        split.write(DECLARATION + etree.tostring(signed, encoding="UTF-8"), out)

    def _sign_tree(self, root: etree._Element, split: SplitPackage | None) -> etree._Element:
        header = _header(root)
        if header is None:
            raise SigningError(P.SIGNING_FAILED("", detail="the package has no edXMLEnvelope/edXMLHeader"))
        if self.spec.require_sender_match:
            self._check_sender(header)
        for old in [c for c in header if isinstance(c.tag, str) and local_name(c.tag) == "Signature"]:
            header.remove(old)
        # signxml fills a ds:Signature Id="placeholder" where it stands instead of appending to the root.
        slot = etree.SubElement(header, f"{DS}Signature", nsmap={"ds": XMLDSIG_NS})
        slot.set("Id", "placeholder")
        legacy = self.spec.algorithm in LEGACY_ALGORITHMS
        signer = _Signer(self._method, self._digest, legacy, split)
        try:
            signed: etree._Element = signer.sign(
                root, key=self.credential.key, cert=[self.credential.cert, *self.credential.chain]
            )
        except SignXMLException as exc:
            raise SigningError(P.SIGNING_FAILED("", detail=str(exc))) from None
        return signed

    def _check_sender(self, header: etree._Element) -> None:
        """Refuse to make a package every receiver would reject with SIG.AGENCY_MISMATCH."""
        if self.directory is None:
            return  # certificates carry no agency code: only the directory can tell
        match = self.directory.match(SignerIdentity.of(self.credential.cert))
        sender = (header.findtext(f"{{{NS}}}MessageHeader/{{{NS}}}From/{{{NS}}}OrganId") or "").strip()
        if match.proven and sender and match.code != sender:
            problem = P.AGENCY_MISMATCH(
                SIGNATURE_PATH, found=f"{match.code} ({match.method.value})", expected=sender
            )
            raise SigningError(problem)


def _repaired(data: bytes) -> etree._Element:
    """The package read through the codec (its repairs: stray bytes, undeclared prefixes) and written
    again: with edXML: on every header element."""
    try:
        message = parse(data, repair=True)
        return etree.fromstring(to_bytes(message), _huge_parser())
    except (ParseError, etree.XMLSyntaxError) as exc:
        detail = f"the package cannot be read: {exc}"
        raise SigningError(P.SIGNING_FAILED("", detail=detail)) from None


def _header(root: etree._Element) -> etree._Element | None:
    envelope = root.find(f"{{{NS}}}edXMLEnvelope")
    return envelope.find(f"{{{NS}}}edXMLHeader") if envelope is not None else None


class PackageSignatureVerifier:
    """Verifies the XML-DSig of one package against a trust store, at the clock's time."""

    def __init__(
        self,
        trust: TrustSource,
        *,
        clock: Clock = utc_now,
        limits: ParseLimits = DEFAULT_LIMITS,
        directory: AgencyDirectory | None = None,
    ) -> None:
        self.trust = trust
        self.clock = clock
        self.limits = limits
        self.directory = directory

    def verify(self, source: Source, message: Message) -> SignatureReport:
        """The report on ``message``'s Signature; ``source`` is the package it was parsed from."""
        fragment = message.signature
        if fragment is None:
            # Packages need not carry one today: the binding signatures are in the PDFs (Decree 30).
            problem = P.MISSING(SIGNATURE_PATH, detail="the package carries no XML signature", severity=P.W)
            return SignatureReport("xmldsig", SIGNATURE_PATH, None, problem.code, (problem,))
        placeholder = placeholder_reason(fragment)
        if placeholder is not None:
            problem = P.PLACEHOLDER(SIGNATURE_PATH, detail=placeholder)
            return SignatureReport("placeholder", SIGNATURE_PATH, None, problem.code, (problem,))
        return self._verify_real(source, message, fragment)

    def _verify_real(self, source: Source, message: Message, fragment: XmlFragment) -> SignatureReport:
        where = SIGNATURE_PATH
        found: list[Problem] = []
        method = _algorithm(fragment, "SignedInfo/SignatureMethod")
        digest = _algorithm(fragment, "SignedInfo/Reference/DigestMethod")
        algorithm = (method or "?").rsplit("#", 1)[-1] + (f" / {(digest or '?').rsplit('#', 1)[-1]}")
        try:
            certs = certificates_of(fragment.element)
        except ValueError as exc:
            found.append(P.INVALID(where, detail=f"unreadable X509Certificate: {exc}"))
            return SignatureReport("xmldsig", where, None, verdict(found), tuple(found), algorithm=algorithm)
        if not certs:
            found.append(P.INVALID(where, detail="KeyInfo carries no X509Certificate"))
            return SignatureReport("xmldsig", where, None, verdict(found), tuple(found), algorithm=algorithm)
        leaf = leaf_of(certs)
        identity = SignerIdentity.of(leaf)
        moment = self.clock()

        integrity = self._check_integrity(source, leaf, moment)
        if integrity is not None:
            found.append(integrity)
        weak = [a for a in (method, digest) if a and is_weak(a)]
        if weak:
            found.append(P.WEAK_ALGORITHM(where, algorithm=", ".join(w.rsplit("#", 1)[-1] for w in weak)))
        uris = [r.get("URI", "") for r in fragment.element.iterfind(f"{DS}SignedInfo/{DS}Reference")]
        claimed = signed_signing_time(fragment.element, uris)
        others = [c for c in certs if c is not leaf]
        judgement = judge(self.trust, leaf, others, now=moment, claimed=claimed, where=where)
        found.extend(judgement.problems)
        match = self.directory.match(identity) if self.directory is not None else None
        found.extend(sender_problems(match, _sender(message), where))
        return SignatureReport(
            "xmldsig",
            where,
            identity,
            verdict(found),
            tuple(found),
            level="XML-DSig enveloped",
            algorithm=algorithm,
            agency=match,
            claimed_time=claimed,
            signing_time_source=judgement.judged_at,
        )

    def _check_integrity(self, source: Source, leaf: x509.Certificate, moment: datetime) -> Problem | None:
        where = SIGNATURE_PATH
        # Certificate time is judged by the trust check, which knows the reason codes; signxml
        # checks the same and would hide them, so it is given a time inside the validity.
        inside = min(max(moment, leaf.not_valid_before_utc), leaf.not_valid_after_utc - timedelta(seconds=1))
        config = SignatureConfiguration(
            signature_methods=ACCEPTED_METHODS,  # SHA-1 included: accepted, then reported weak
            digest_algorithms=frozenset(DigestAlgorithm),
            expect_references=1,
            verification_time=inside,
        )
        try:
            with _opened(source) as stream:
                split = split_package(stream, self.limits)
                data = _read(stream, self.limits) if split is None else b""
        except OSError as exc:
            return P.UNREADABLE(where, detail=str(exc))
        if split is not None:
            verifier: XMLVerifier = _Verifier(split)
            document: Any = split.root
        else:  # a shape only the whole document gives exactly: signxml reads it whole
            verifier, document = XMLVerifier(), data
        result, problem = run_signxml(
            lambda: verifier.verify(document, x509_cert=leaf, parser=_huge_parser(), expect_config=config),
            where,
            "the package changed after it was signed (digest mismatch)",
        )
        if problem is not None:
            return problem
        signed = result.signed_xml  # type: ignore[union-attr]
        # Only a signature over the whole package (Reference URI="") vouches for its header.
        if signed is None or signed.tag != f"{{{NS}}}edXML":
            return P.INVALID(where, detail="the signature does not cover the whole package")
        return None


def _sender(message: Message) -> str | None:
    header = message.header
    sender = header.from_.organ_id if header is not None and header.from_ is not None else None
    return sender.strip() if sender else None


def placeholder_reason(fragment: XmlFragment) -> str | None:
    """Why ``fragment`` is a placeholder rather than a signature, or None if it may be real."""
    if fragment.namespace != XMLDSIG_NS:
        where = f"namespace '{fragment.namespace}'" if fragment.namespace else "no namespace"
        return f"the Signature element is in {where}, not XML-DSig"
    value = fragment.element.find(f"{DS}SignatureValue")
    if value is None or not (value.text or "").strip():
        return "it has no SignatureValue"
    if fingerprint(value.text or "") in KNOWN_FAKE_VALUES:
        return "its SignatureValue is the static example value of the public client library"
    return None


def _algorithm(fragment: XmlFragment, path: str) -> str | None:
    element = fragment.element.find("/".join(f"{DS}{part}" for part in path.split("/")))
    return element.get("Algorithm") if element is not None else None


@contextmanager
def _opened(source: Source) -> Iterator[IO[bytes]]:
    """A binary stream over ``source``, at its start (a caller's stream is rewound, not closed)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        yield io.BytesIO(source)
    elif isinstance(source, (str, os.PathLike)):
        with Path(source).open("rb") as fh:
            yield fh
    else:
        source.seek(0)
        yield source


def _read(stream: IO[bytes], limits: ParseLimits) -> bytes:
    """The whole package, for signxml's whole-document path (only for what cannot be split)."""
    stream.seek(0)
    data = stream.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        raise OSError(f"the package exceeds the limit of {limits.max_bytes} bytes")
    return data
