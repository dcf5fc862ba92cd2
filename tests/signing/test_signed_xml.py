"""Any signed XML (a tax notice): several enveloped signatures by Id, SigningTime, per-signature verdicts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lienthong.cli.main import app
from lienthong.edxml import to_bytes
from lienthong.signing import problems as P
from lienthong.signing.credentials import Credential
from lienthong.signing.errors import SigningError
from lienthong.signing.report import FileReport
from lienthong.signing.xmlsign import sign_xml
from lienthong.signing.xmlverify import XmlDocumentVerifier
from tests.signing.kit import SigningKit, package

NOTICE = """<?xml version="1.0" encoding="UTF-8"?>
<TBao xmlns:x="urn:example:tax">
  <DLieu Id="data">
    <MST>0100231226</MST>
    <TBTen>Thông báo về việc nộp thuế</TBTen>
    <SoTien>1250000</SoTien>
  </DLieu>
  <DSCKS><NNT Id="nnt"/><CQT Id="cqt"/></DSCKS>
</TBao>
""".encode()
SIGNED_AT = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)  # within the demo validity


def two_signatures(kit: SigningKit, first: Credential | None = None, algorithm: str = "rsa-sha256") -> bytes:
    """The taxpayer signs the data; the tax office signs the data and the taxpayer's signature."""
    data = sign_xml(
        NOTICE,
        first or kit.person(),
        references=["data"],
        signature_id="taxpayer",
        signing_time=SIGNED_AT,
        into="nnt",
        algorithm=algorithm,
    )
    return sign_xml(
        data,
        kit.agency(),
        references=["data", "taxpayer"],
        signature_id="tax-office",
        signing_time=SIGNED_AT + timedelta(hours=1),
        into="cqt",
    )


def verify(kit: SigningKit, data: bytes, *, at: datetime | None = None) -> FileReport:
    clock = (lambda: at) if at is not None else (lambda: datetime.now(UTC))
    return XmlDocumentVerifier(kit.trust, clock=clock, directory=kit.directory).verify(data, name="tb.xml")


def reasons(report: FileReport) -> list[str]:
    return [s.reason for s in report.signatures]


def test_every_signature_is_reported_with_signer_organisation_and_time(kit: SigningKit) -> None:
    report = verify(kit, two_signatures(kit))
    assert report.valid and reasons(report) == [P.VALID.code, P.VALID.code]
    taxpayer, office = report.signatures
    assert (taxpayer.location, office.location) == ("taxpayer", "tax-office")
    assert taxpayer.signer is not None and taxpayer.signer.name == "Nguyễn Văn An"
    assert taxpayer.signer.organisation == "Văn phòng Chính phủ" and taxpayer.claimed_time == SIGNED_AT
    assert office.agency is not None and office.agency.proven and office.agency.code == "000.00.00.G22"
    assert office.coverage == "references #data, #taxpayer, #tax-office-SigningTime"


def test_a_changed_byte_is_modified(kit: SigningKit) -> None:
    signed = two_signatures(kit)
    forged = signed.replace(b"1250000", b"1250001")
    assert reasons(verify(kit, forged)) == [P.MODIFIED.code, P.MODIFIED.code]
    # The taxpayer's signing time is signed too: moving it breaks that signature (and the office's,
    # which covers the taxpayer's whole signature).
    stamp = SIGNED_AT.isoformat(timespec="seconds").encode()
    earlier = (SIGNED_AT - timedelta(days=1)).isoformat(timespec="seconds").encode()
    moved = signed.replace(stamp, earlier, 1)
    assert moved != signed
    assert reasons(verify(kit, moved)) == [P.MODIFIED.code, P.MODIFIED.code]


def test_untrusted_revoked_and_sha1_signers(kit: SigningKit) -> None:
    assert reasons(verify(kit, two_signatures(kit, kit.outsider)))[0] == P.UNTRUSTED.code
    assert reasons(verify(kit, two_signatures(kit, kit.pki.revoked)))[0] == P.REVOKED.code
    weak = verify(kit, two_signatures(kit, algorithm="rsa-sha1"))
    first = weak.signatures[0]
    assert first.valid and [p.code for p in first.problems] == [P.WEAK_ALGORITHM.code]


def test_expired_since_signing_without_a_timestamp(kit: SigningKit) -> None:
    later = kit.person().cert.not_valid_after_utc + timedelta(days=30)
    report = verify(kit, two_signatures(kit), at=later)
    taxpayer = report.signatures[0]
    assert taxpayer.valid and taxpayer.signing_time_source == "claimed"
    (problem,) = taxpayer.problems
    assert problem.code == P.EXPIRED_SINCE.code and problem.severity is P.W
    claimed = SIGNED_AT.isoformat(timespec="seconds")
    assert problem.message_en.startswith(f"Certificate valid when signed (claimed time {claimed})")
    assert problem.message_en.endswith("no timestamp")


def test_a_revoked_certificate_stays_revoked_whatever_time_is_claimed(kit: SigningKit) -> None:
    later = kit.pki.revoked.cert.not_valid_after_utc + timedelta(days=30)
    report = verify(kit, two_signatures(kit, kit.pki.revoked), at=later)
    assert report.signatures[0].reason == P.REVOKED.code


def test_a_signing_time_outside_the_validity_is_expired(kit: SigningKit) -> None:
    report = verify(kit, two_signatures(kit, kit.pki.expired))
    assert report.signatures[0].reason == P.EXPIRED.code


def test_unsigned_unreadable_and_damaged_documents(kit: SigningKit) -> None:
    assert verify(kit, NOTICE).reason == P.MISSING.code
    assert verify(kit, b"<TBao>").reason == P.UNREADABLE.code
    signed = two_signatures(kit)
    start = signed.index(b"<ds:X509Certificate>") + len(b"<ds:X509Certificate>")
    damaged = signed[:start] + b"!!!" + signed[start:]
    assert reasons(verify(kit, damaged))[0] == P.INVALID.code
    with pytest.raises(SigningError):
        sign_xml(NOTICE, kit.person(), references=["absent"], signature_id="x", signing_time=SIGNED_AT)


def test_lienthong_verify_reports_each_signature(kit: SigningKit, tmp_path: Path) -> None:
    path = tmp_path / "thong-bao.xml"
    path.write_bytes(two_signatures(kit))
    args = ["verify", str(path), "--trust", str(kit.pki.trust_dir)]
    result = CliRunner().invoke(app, [*args, "--directory", str(kit.pki.directory / "directory.json")])
    assert result.exit_code == 0, result.output
    assert "taxpayer" in result.output and "tax-office" in result.output and "Nguyễn Văn An" in result.output
    path.write_bytes(two_signatures(kit).replace(b"1250000", b"9250000"))
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1 and "SIG.MODIFIED" in result.output


def test_signed_xml_attachments_of_a_package_are_verified_too(kit: SigningKit) -> None:
    notice = two_signatures(kit)
    documents = [("qd.pdf", kit.signed_document()), ("thong-bao.xml", notice), ("ghi-chu.xml", NOTICE)]
    report = kit.verifier.verify_package(to_bytes(package(documents)))
    assert [(a.file, a.kind) for a in report.attachments] == [("qd.pdf", "pdf"), ("thong-bao.xml", "xml")]
    assert report.valid and all(s.valid for s in report.attachments[1].signatures)
    forged = [documents[0], ("thong-bao.xml", notice.replace(b"1250000", b"1250001"))]
    bad = kit.verifier.verify_package(to_bytes(package(forged)))
    assert not bad.valid and bad.reason == P.MODIFIED.code


def test_lienthong_sign_xml_then_verify(kit: SigningKit, tmp_path: Path) -> None:
    source, target = tmp_path / "tb.xml", tmp_path / "tb-signed.xml"
    source.write_bytes(NOTICE)
    base = kit.pki.directory / "people" / "nguyen-van-an"
    key = ["--key", f"{base}.key.pem", "--cert", f"{base}.cert.pem"]
    args = [
        "sign",
        "xml",
        str(source),
        str(target),
        "--ref",
        "data",
        "--id",
        "nnt-sig",
        "--into",
        "nnt",
        *key,
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    (sig,) = verify(kit, target.read_bytes()).signatures
    assert sig.valid and sig.location == "nnt-sig" and sig.claimed_time is not None
    result = CliRunner().invoke(app, [*args[:6], "--ref", "absent", "--id", "x", *key])
    assert result.exit_code == 2 and "SIG.SIGNING_FAILED" in result.output
