"""The trust store loader and the demo PKI it is usually pointed at."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from lienthong.signing import problems as P
from lienthong.signing.errors import SigningError
from lienthong.signing.identity import SignerIdentity
from lienthong.signing.pdf import DocumentSigner, PdfVerifier
from lienthong.signing.pki import (
    Credential,
    PersonSpec,
    issue_ca,
    issue_holder,
    issue_person,
    load_credential,
    new_root,
    pem,
    resigned_with_sha1,
    slugify,
    utc_now,
)
from lienthong.signing.profiles import HolderName
from lienthong.signing.samples import sample_pdf
from lienthong.signing.trust import load_trust_store
from tests.signing.kit import AN, SigningKit


def error_code(directory: Path) -> str:
    with pytest.raises(SigningError) as caught:
        load_trust_store(directory)
    return caught.value.problem.code


def test_demo_trust_store_loads_roots_intermediates_and_crls(kit: SigningKit) -> None:
    store = load_trust_store(kit.pki.trust_dir)
    # Both roots (G2 in PEM, the old SHA-1 one in DER) and three sub-CAs, mixed in one folder.
    assert (len(store.roots), len(store.intermediates), len(store.crls)) == (2, 3, 5)
    assert kit.pki.legacy_root is not None and store.is_anchor(kit.pki.legacy_root.cert)
    assert store.is_anchor(kit.pki.root.cert) and not store.is_anchor(kit.pki.issuing_ca.cert)
    assert not store.allow_fetching  # offline unless the operator says otherwise


def test_the_old_root_is_self_signed_with_sha1_and_still_anchors(kit: SigningKit) -> None:
    assert kit.pki.legacy_root is not None
    old = kit.pki.legacy_root.cert
    assert old.signature_hash_algorithm is not None and old.signature_hash_algorithm.name == "sha1"
    assert old.subject.rfc4514_string().startswith("CN=Cơ quan chứng thực số chuyên dùng Chính phủ,")
    # A signer under its sector sub-CA verifies: an anchor's own signature is never checked.
    hai = kit.pki.person("Phạm Thanh Hải")
    assert hai.chain == (kit.pki.legacy_cas[-1].cert,)
    report = kit.verifier.pdf.verify(kit.signer(hai).sign(sample_pdf()))
    assert report.valid, report.all_problems


def test_one_pem_bundle_with_roots_and_sub_cas_mixed(kit: SigningKit, tmp_path: Path) -> None:
    bundle = b"".join(pem(c) for c in (kit.pki.issuing_ca.cert, kit.pki.root.cert))
    (tmp_path / "gov-ca-bundle.crt").write_bytes(bundle)
    store = load_trust_store(tmp_path)
    assert store.roots == (kit.pki.root.cert,) and store.intermediates == (kit.pki.issuing_ca.cert,)


def test_der_files_and_notes_in_the_store(kit: SigningKit, tmp_path: Path) -> None:
    (tmp_path / "root.cer").write_bytes(kit.pki.root.cert.public_bytes(serialization.Encoding.DER))
    (tmp_path / "README.txt").write_text("government CA roots go here")
    (tmp_path / ".hidden.pem").write_text("ignored")
    store = load_trust_store(tmp_path)
    assert store.roots == (kit.pki.root.cert,)


def test_missing_unreadable_and_empty_stores_are_clear_errors(kit: SigningKit, tmp_path: Path) -> None:
    assert error_code(tmp_path / "absent") == P.TRUST_STORE_MISSING.code
    assert error_code(tmp_path) == P.TRUST_STORE_EMPTY.code
    (tmp_path / "intermediate.pem").write_bytes(
        kit.pki.issuing_ca.cert.public_bytes(serialization.Encoding.PEM)
    )
    assert error_code(tmp_path) == P.TRUST_STORE_EMPTY.code  # intermediates alone anchor nothing
    (tmp_path / "broken.pem").write_text(
        "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n"
    )
    with pytest.raises(SigningError) as caught:
        load_trust_store(tmp_path)
    assert caught.value.problem.code == P.TRUST_STORE_UNREADABLE.code
    assert "broken.pem" in caught.value.problem.message_en


def test_anchor_under_roots_even_if_not_self_signed(kit: SigningKit, tmp_path: Path) -> None:
    shutil.copytree(kit.pki.trust_dir / "crls", tmp_path / "crls")
    (tmp_path / "roots").mkdir()
    pem = kit.pki.issuing_ca.cert.public_bytes(serialization.Encoding.PEM)
    (tmp_path / "roots" / "issuing.pem").write_bytes(pem)
    assert load_trust_store(tmp_path).roots == (kit.pki.issuing_ca.cert,)


def test_signer_certificates_have_the_government_ca_profile(kit: SigningKit) -> None:
    for cred in [*kit.pki.people.values(), *kit.pki.agencies.values()]:
        usage = cred.cert.extensions.get_extension_for_class(x509.KeyUsage).value
        assert usage.digital_signature and usage.content_commitment and usage.key_encipherment
        eku = cred.cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        assert set(eku) == {
            ExtendedKeyUsageOID.CLIENT_AUTH,
            ExtendedKeyUsageOID.EMAIL_PROTECTION,
            ExtendedKeyUsageOID.SMARTCARD_LOGON,
        }  # no document-signing EKU: the verifier must not ask for one
        names = {a.oid for a in cred.cert.subject}
        assert NameOID.ORGANIZATION_IDENTIFIER not in names and NameOID.USER_ID not in names
        urls = str(cred.cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value)
        assert "ca.gov.vn" in urls
    assert kit.person().chain == (kit.pki.issuing_ca.cert,)
    ca = kit.pki.issuing_ca.cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert ca.ca and ca.path_length == 0
    eku = kit.pki.tsa.cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.TIME_STAMPING]


def test_identities_of_person_and_agency_certificates(kit: SigningKit) -> None:
    person = SignerIdentity.of(kit.person().cert)
    assert (person.kind, person.name, person.organisation) == ("person", AN, "Văn phòng Chính phủ")
    assert person.same_person("nguyen van  AN") and not person.same_person("Nguyễn Văn Anh")
    assert person.emails == ("nguyenvanan@chinhphu.vn",) and person.domains == ("chinhphu.vn",)
    agency = SignerIdentity.of(kit.agency("000.00.00.H29").cert)
    assert (agency.kind, agency.name) == ("agency", "ỦY BAN NHÂN DÂN THÀNH PHỐ HỒ CHÍ MINH")
    assert agency.policies == ("2.16.704.1.1.1.1.1",)


def test_older_ascii_certificates_with_the_position_in_cn(kit: SigningKit) -> None:
    hai = SignerIdentity.of(kit.pki.person("Phạm Thanh Hải").cert)
    assert hai.name == "Pho Chanh Van phong Pham Thanh Hai" and hai.kind == "person"
    assert hai.organisation == "Uy ban nhan dan Thanh pho Ho Chi Minh" and hai.policies == ()
    assert hai.same_person("Phạm Thanh Hải") and not hai.same_person("Thanh Hải")


@pytest.mark.parametrize(
    ("cn", "organisation", "units", "kind"),
    [
        ("TỔNG CỤC THUẾ", "BỘ TÀI CHÍNH", (), "agency"),
        ("Phó Chi cục Trưởng Phạm Thanh Hải", "Bộ Tài chính", ("Cục Thuế thành phố Hải Phòng",), "person"),
        ("Chi cục Trưởng Phạm Thanh Hải", "Bộ Tài chính", (), "person"),
        ("Sở Tài chính", "Ủy ban nhân dân tỉnh Nghệ An", (), "agency"),
        ("Cục Thuế thành phố Hải Phòng", "Bộ Tài chính", ("Cục Thuế thành phố Hải Phòng",), "agency"),
        ("Nguyễn Thị Hoa", "Bộ Tài chính", (), "person"),
    ],
)
def test_person_or_agency_from_the_names(
    cn: str, organisation: str, units: tuple[str, ...], kind: str
) -> None:
    holder = HolderName(cn, organisation, units, "Hải Phòng", "x@gdt.gov.vn")
    cred = issue_holder(kit_ca(), holder, utc_now())
    assert SignerIdentity.of(cred.cert).kind == kind


_CA: list[Credential] = []


def kit_ca() -> Credential:
    if not _CA:
        _CA.append(new_root("Test Root", utc_now()))
    return _CA[0]


def test_crl_lists_the_revoked_signer_only(kit: SigningKit) -> None:
    crl = kit.pki.crls[0]
    assert crl.get_revoked_certificate_by_serial_number(kit.pki.revoked.cert.serial_number) is not None
    assert crl.get_revoked_certificate_by_serial_number(kit.person().cert.serial_number) is None


def test_written_credentials_load_back(kit: SigningKit) -> None:
    base = kit.pki.directory
    slug = slugify(AN)
    cred = load_credential(base / "people" / f"{slug}.key.pem", base / "people" / f"{slug}.cert.pem")
    assert cred.cert == kit.person().cert and cred.chain == (kit.pki.issuing_ca.cert,)
    assert (base / "people" / f"{slug}.key.pem").stat().st_mode & 0o077 == 0


def test_key_and_certificate_that_do_not_match_are_refused(kit: SigningKit) -> None:
    base = kit.pki.directory
    with pytest.raises(SigningError) as caught:
        load_credential(base / "people" / f"{slugify(AN)}.key.pem", base / "tsa" / "tsa.cert.pem")
    assert caught.value.problem.code == P.KEY_UNREADABLE.code
    with pytest.raises(SigningError):
        load_credential(base / "absent.key.pem", base / "tsa" / "tsa.cert.pem")


def test_slugify_vietnamese_names() -> None:
    assert slugify("Đỗ Thị Hường") == "do-thi-huong"


def test_pkcs12_credential_with_password(kit: SigningKit, tmp_path: Path) -> None:
    cred = kit.person()
    encryption = serialization.BestAvailableEncryption(b"mat-khau")
    blob = pkcs12.serialize_key_and_certificates(b"an", cred.key, cred.cert, list(cred.chain), encryption)
    (tmp_path / "an.p12").write_bytes(blob)
    loaded = load_credential(tmp_path / "an.p12", password=b"mat-khau")
    assert loaded.cert == cred.cert and loaded.chain == cred.chain
    with pytest.raises(SigningError) as caught:
        load_credential(tmp_path / "an.p12", password=b"sai")
    assert caught.value.problem.code == P.KEY_UNREADABLE.code


def _ocsp_response(kit: SigningKit, cert: x509.Certificate, status: ocsp.OCSPCertStatus) -> bytes:
    now = utc_now()
    ca = kit.pki.issuing_ca
    revoked_at = now - timedelta(minutes=5) if status is ocsp.OCSPCertStatus.REVOKED else None
    builder = (
        ocsp.OCSPResponseBuilder()
        .add_response(
            cert=cert,
            issuer=ca.cert,
            algorithm=hashes.SHA256(),
            cert_status=status,
            this_update=now - timedelta(minutes=10),
            next_update=now + timedelta(days=7),
            revocation_time=revoked_at,
            revocation_reason=x509.ReasonFlags.key_compromise if revoked_at else None,
        )
        .responder_id(ocsp.OCSPResponderEncoding.HASH, ca.cert)
    )
    return builder.sign(ca.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def test_revocation_from_an_operator_ocsp_folder(kit: SigningKit, tmp_path: Path) -> None:
    # A signer the CRL does not list; the OCSP response the operator's scheduled fetch saved does.
    lost = issue_person(
        kit.pki.issuing_ca, PersonSpec("Vũ Thị Lan", "Chuyên viên", "000.00.00.G22"), None, utc_now()
    )
    signed = DocumentSigner(lost).sign(sample_pdf())
    assert PdfVerifier(kit.trust).verify(signed).valid
    folder = tmp_path / "revocation"
    folder.mkdir()
    (folder / "lan.ocsp").write_bytes(_ocsp_response(kit, lost.cert, ocsp.OCSPCertStatus.REVOKED))
    store = load_trust_store(kit.pki.trust_dir, revocation=folder)
    assert len(store.ocsps) == 1 and "1 OCSP responses" in store.summary
    assert PdfVerifier(store).verify(signed).reason == P.REVOKED.code
    (folder / "broken.ocsp").write_bytes(b"not der")
    with pytest.raises(SigningError) as caught:
        load_trust_store(kit.pki.trust_dir, revocation=folder)
    assert caught.value.problem.code == P.TRUST_STORE_UNREADABLE.code
    with pytest.raises(SigningError) as caught:
        load_trust_store(kit.pki.trust_dir, revocation=tmp_path / "absent")
    assert caught.value.problem.code == P.TRUST_STORE_MISSING.code


def test_a_sub_ca_signed_with_sha1_is_refused_only_the_anchor_is_exempt(kit: SigningKit) -> None:
    old = kit.pki.legacy_root
    assert old is not None
    made = issue_ca(old, "Co quan chung thuc so Bo Cong an", utc_now())
    weak_ca = Credential(made.key, resigned_with_sha1(made.cert, old.key), made.chain)
    signer = issue_person(
        weak_ca, PersonSpec("Đinh Văn Sơn", "Chuyên viên", "000.00.00.G22"), None, utc_now()
    )
    (sig,) = PdfVerifier(kit.trust).verify(DocumentSigner(signer).sign(sample_pdf())).signatures
    assert sig.reason == P.UNTRUSTED.code and "SHA-1" in sig.problems[0].message_en
