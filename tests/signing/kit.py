"""What the signing tests share: the session kit (PKI, trust store, signers) and a package builder."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from cryptography.hazmat.primitives import hashes

from lienthong.edxml import DocumentMessage
from lienthong.edxml.builder import attachment_from_bytes, build_document
from lienthong.signing.agencies import AgencyDirectory, load_directory
from lienthong.signing.pdf import DocumentSigner, PdfSignSpec, Role, local_timestamper
from lienthong.signing.pki import AgencySpec, Credential, DemoPki
from lienthong.signing.samples import sample_pdf
from lienthong.signing.trust import TrustStore
from lienthong.signing.verify import Verifier

SENDER = AgencySpec("000.00.00.G22", "Văn phòng Chính phủ", domain="chinhphu.vn")
RECIPIENT = AgencySpec(
    "000.00.00.H41", "Ủy ban nhân dân tỉnh Nghệ An", locality="Nghệ An", domain="nghean.gov.vn"
)
AN = "Nguyễn Văn An"
BINH = "Trần Thị Bình"
_SHA256 = hashes.SHA256()


@dataclass
class SigningKit:
    """The session's PKI and what tests build from it."""

    pki: DemoPki
    trust: TrustStore
    outsider: Credential  # chains to a root the trust store does not hold
    outsider_tsa: Credential  # a time-stamping authority under that same unknown root
    no_nonrepudiation: Credential  # a personal certificate without nonRepudiation
    _signers: dict[tuple[str, bool], DocumentSigner] = field(default_factory=dict)

    @property
    def directory(self) -> AgencyDirectory:
        """The demo PKI's directory: every agency with its seal certificate registered."""
        return load_directory(self.pki.directory / "directory.json")

    @property
    def names_only(self) -> AgencyDirectory:
        """The same agencies with no certificate registered: matches by name only."""
        return AgencyDirectory(tuple(replace(e, certificates=frozenset()) for e in self.directory.entries))

    @property
    def verifier(self) -> Verifier:
        return Verifier(self.trust, directory=self.directory)

    def signer(self, credential: Credential, *, timestamp: bool = False) -> DocumentSigner:
        key = (credential.cert.fingerprint(_SHA256).hex(), timestamp)
        if key not in self._signers:
            tsa = local_timestamper(self.pki.tsa) if timestamp else None
            self._signers[key] = DocumentSigner(credential, timestamper=tsa)
        return self._signers[key]

    def person(self, name: str = AN) -> Credential:
        return self.pki.person(name)

    def agency(self, code: str = SENDER.code) -> Credential:
        return self.pki.agencies[code]

    def signed_document(
        self, *, person: Credential | None = None, agency: Credential | None = None, pdf: bytes | None = None
    ) -> bytes:
        """A PDF signed as Decree 30 wants a main document: the signer, then the agency."""
        data = pdf or sample_pdf()
        data = self.signer(person or self.person()).sign(data, PdfSignSpec(role=Role.PERSON))
        spec = PdfSignSpec(role=Role.AGENCY, number_notation="12/QĐ-VPCP")
        return self.signer(agency or self.agency()).sign(data, spec)

    def signed_attachment(self, *, agency: Credential | None = None, pdf: bytes | None = None) -> bytes:
        spec = PdfSignSpec(role=Role.AGENCY, number_notation="12/QĐ-VPCP")
        return self.signer(agency or self.agency()).sign(pdf or sample_pdf("Phu luc"), spec)


def package(
    documents: list[tuple[str, bytes]],
    *,
    signer_name: str | None = "Nguyen Van An",
    sender: AgencySpec = SENDER,
    **extra: Any,
) -> DocumentMessage:
    """A document package from ``sender`` to Nghệ An with these PDF attachments."""
    meta: dict[str, Any] = {
        "from": {"organ_id": sender.code, "organ_name": sender.name},
        "to": [{"organ_id": RECIPIENT.code, "organ_name": RECIPIENT.name}],
        "code": {"code_number": "12", "code_notation": "QĐ-VPCP"},
        "promulgation_info": {"place": "Hà Nội", "promulgation_date": "2026/11/25"},
        "document_type": {"type": "1", "type_name": "Quyết định"},
        "subject": "Về việc thử nghiệm chữ ký số",
        **extra,
    }
    if signer_name is not None:
        meta["signer_info"] = {"position": "Chủ nhiệm", "full_name": signer_name}
    kinds = {True: "application/xml", False: "application/pdf"}
    files = [attachment_from_bytes(name, data, kinds[name.endswith(".xml")]) for name, data in documents]
    return build_document(meta, files)
