"""Verifying any signed XML document (not an edXML package): every enveloped XML-DSig in it.

Tax and customs notices travel as attachments with one or more signatures referencing elements
by ``Id`` and the signing time in a signed ``SignatureProperty``. Each signature is reported on
its own: signer, organisation, agency match, claimed time, verdict. A changed byte in signed
content is SIG.MODIFIED; the certificate is judged at the claimed signing time when it has
expired since (``certcheck``). A signing time in an unsigned property is ignored.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from cryptography import x509
from lxml import etree
from signxml.algorithms import DigestAlgorithm
from signxml.verifier import SignatureConfiguration, XMLVerifier

from lienthong.problems import Problem
from lienthong.signing import problems as P
from lienthong.signing.agencies import AgencyDirectory
from lienthong.signing.certcheck import judge
from lienthong.signing.identity import SignerIdentity
from lienthong.signing.pki import Clock, utc_now
from lienthong.signing.report import FileReport, SignatureReport, verdict
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

Source = bytes | str | os.PathLike[str] | IO[bytes]
MAX_BYTES = 64 << 20


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)


class _NthSignature(XMLVerifier):
    """signxml's verifier aimed at the ``index``-th Signature of the document (it takes the first)."""

    def __init__(self, index: int) -> None:
        super().__init__()
        self._index = index

    def _get_signature(self, root: Any) -> Any:
        if root.tag == f"{DS}Signature":
            return root
        return list(root.iter(f"{DS}Signature"))[self._index]


class XmlDocumentVerifier:
    """Verifies every XML-DSig of an XML document against a trust store, offline."""

    def __init__(
        self, trust: TrustSource, *, clock: Clock = utc_now, directory: AgencyDirectory | None = None
    ) -> None:
        self.trust = trust
        self.clock = clock
        self.directory = directory

    def verify(self, source: Source, *, name: str = "") -> FileReport:
        label = name or (str(source) if isinstance(source, (str, os.PathLike)) else "")
        try:
            data = _read(source)
            root = etree.fromstring(data, _parser())
        except (OSError, ValueError, etree.XMLSyntaxError) as exc:
            return FileReport(label, "xml", problems=(P.UNREADABLE(label, detail=str(exc)),))
        signatures = list(root.iter(f"{DS}Signature"))
        if not signatures:
            problem = P.MISSING(label, detail="the XML carries no XML-DSig")
            return FileReport(label, "xml", problems=(problem,))
        reports = tuple(self._verify_one(data, index, sig, label) for index, sig in enumerate(signatures))
        return FileReport(label, "xml", signatures=reports)

    def _verify_one(self, data: bytes, index: int, signature: etree._Element, label: str) -> SignatureReport:
        location = signature.get("Id") or signature.getroottree().getpath(signature)
        where = f"{label}#{location}" if label else location
        method = _algorithm(signature, "SignedInfo/SignatureMethod")
        references = list(signature.iterfind(f"{DS}SignedInfo/{DS}Reference"))
        digests = [d.get("Algorithm") or "?" for r in references for d in r.iterfind(f"{DS}DigestMethod")]
        algorithm = " / ".join(a.rsplit("#", 1)[-1] for a in [method or "?", *dict.fromkeys(digests)])
        uris = [r.get("URI", "") for r in references]
        coverage = "references " + ", ".join(u or '"" (whole document)' for u in uris)
        try:
            certs = certificates_of(signature)
        except ValueError as exc:
            problem = P.INVALID(where, detail=f"unreadable X509Certificate: {exc}")
            return SignatureReport("xmldsig", location, None, problem.code, (problem,), file=label)
        if not certs:
            problem = P.INVALID(where, detail="KeyInfo carries no X509Certificate")
            return SignatureReport("xmldsig", location, None, problem.code, (problem,), file=label)
        leaf = leaf_of(certs)
        identity = SignerIdentity.of(leaf)
        claimed = signed_signing_time(signature, uris)
        found: list[Problem] = []
        integrity = _integrity(data, index, leaf, where)
        if integrity is not None:
            found.append(integrity)
        weak = [a for a in (method, *digests) if a and is_weak(a)]
        if weak:
            names = ", ".join(dict.fromkeys(w.rsplit("#", 1)[-1] for w in weak))
            found.append(P.WEAK_ALGORITHM(where, algorithm=names))
        others = [c for c in certs if c is not leaf]
        judgement = judge(self.trust, leaf, others, now=self.clock(), claimed=claimed, where=where)
        found.extend(judgement.problems)
        return SignatureReport(
            "xmldsig",
            location,
            identity,
            verdict(found),
            tuple(found),
            claimed_time=claimed,
            level="XML-DSig enveloped",
            algorithm=algorithm,
            coverage=coverage,
            file=label,
            agency=self.directory.match(identity) if self.directory is not None else None,
            signing_time_source=judgement.judged_at,
        )


def _integrity(data: bytes, index: int, leaf: x509.Certificate, where: str) -> Problem | None:
    # Certificate time is judged by ``certcheck``, which knows the reason codes; signxml is
    # given a time inside the validity so that it checks the cryptography only.
    inside = leaf.not_valid_before_utc + timedelta(seconds=1)
    config = SignatureConfiguration(
        signature_methods=ACCEPTED_METHODS,  # SHA-1 included: accepted, then reported weak
        digest_algorithms=frozenset(DigestAlgorithm),
        expect_references=True,
        verification_time=inside,
    )
    # Schema validation off: real notices put an unqualified SigningTime in SignatureProperty,
    # which the XML-DSig schema's ##other excludes.
    verifier = _NthSignature(index)
    _, problem = run_signxml(
        lambda: verifier.verify(
            data, x509_cert=leaf, parser=_parser(), expect_config=config, validate_schema=False
        ),
        where,
        "signed content changed after signing (digest mismatch)",
    )
    return problem


def _algorithm(signature: etree._Element, path: str) -> str | None:
    element = signature.find("/".join(f"{DS}{part}" for part in path.split("/")))
    return element.get("Algorithm") if element is not None else None


def _read(source: Source) -> bytes:
    if isinstance(source, bytes):
        data = source
    elif isinstance(source, (str, os.PathLike)):
        data = Path(source).read_bytes()
    else:
        data = source.read()
    if len(data) > MAX_BYTES:
        raise ValueError(f"the document exceeds {MAX_BYTES} bytes")
    return data
