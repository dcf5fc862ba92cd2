"""The commands: ``pki init``, ``sign pdf``, ``sign package``, ``verify`` and their exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from typer.testing import CliRunner

from lienthong.cli.main import app
from lienthong.edxml import to_bytes
from lienthong.signing.samples import sample_pdf
from tests.signing.kit import package

runner = CliRunner()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("cli") / "pki"
    result = runner.invoke(
        app, ["pki", "init", str(directory), "--agency", "000.00.00.G22=Văn phòng Chính phủ"]
    )
    assert result.exit_code == 0, result.output
    return directory


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def sign_pdf(demo: Path, source: Path, target: Path, *extra: str, who: str = "person") -> None:
    key = demo / "people" / "nguyen-van-an" if who == "person" else demo / "agencies" / "000.00.00.G22"
    credential = ["--key", f"{key}.key.pem", "--cert", f"{key}.cert.pem"]
    code, output = run("sign", "pdf", str(source), str(target), *credential, *extra)
    assert code == 0, output


def test_pki_init_writes_the_layout_and_refuses_a_full_folder(demo: Path) -> None:
    assert (demo / "trust" / "g2-root.pem").is_file() and (demo / "trust" / "legacy-root.cer").is_file()
    assert (demo / "directory.json").is_file()
    assert (demo / "agencies" / "000.00.00.G22.cert.pem").is_file()
    assert json.loads((demo / "pki.json").read_text(encoding="utf-8"))["agencies"]["000.00.00.G22"]
    code, output = run("pki", "init", str(demo))
    assert code == 2 and "not empty" in output


def test_pki_init_rejects_a_bad_agency_code(tmp_path: Path) -> None:
    code, _ = run("pki", "init", str(tmp_path / "x"), "--agency", "G22=Văn phòng")
    assert code == 2


def test_sign_as_person_then_agency_and_verify(demo: Path, tmp_path: Path) -> None:
    source = tmp_path / "qd.pdf"
    source.write_bytes(sample_pdf())
    tsa = demo / "tsa" / "tsa"
    stamping = ["--tsa-key", f"{tsa}.key.pem", "--tsa-cert", f"{tsa}.cert.pem"]
    sign_pdf(demo, source, tmp_path / "p1.pdf", *stamping, "--long-term", str(demo / "trust"))
    agency = ["--agency", "--number", "12/QĐ-VPCP"]
    sign_pdf(demo, tmp_path / "p1.pdf", tmp_path / "p2.pdf", *agency, who="agency")
    code, output = run("verify", str(tmp_path / "p2.pdf"), "--trust", str(demo / "trust"), "--json")
    assert code == 0, output
    (report,) = json.loads(output)
    assert report["valid"] and [s["level"] for s in report["signatures"]] == ["PAdES-B-LT", "PAdES-B-B"]
    assert [s["signer"]["kind"] for s in report["signatures"]] == ["person", "agency"]
    code, output = run("verify", str(tmp_path / "p2.pdf"), "--trust", str(demo / "trust"))
    assert code == 0 and "Nguyễn Văn An" in output and "SIG.VALID" in output
    assert "cơ quan / agency" not in output  # no directory: no agency is named
    directory = ["--directory", str(demo / "directory.json")]
    code, output = run("verify", str(tmp_path / "p2.pdf"), "--trust", str(demo / "trust"), *directory)
    assert code == 0 and "000.00.00.G22 Văn phòng Chính phủ (chứng thư đã đăng ký" in output


def test_verify_exit_codes(demo: Path, tmp_path: Path) -> None:
    trust = str(demo / "trust")
    unsigned = tmp_path / "unsigned.pdf"
    unsigned.write_bytes(sample_pdf())
    assert run("verify", str(unsigned), "--trust", trust)[0] == 1
    assert run("verify", str(tmp_path / "absent.pdf"), "--trust", trust)[0] == 2
    code, output = run("verify", str(unsigned), "--trust", str(tmp_path / "no-store"))
    assert code == 2 and "SIG.TRUST_STORE_MISSING" in output
    assert run("verify", str(unsigned))[0] == 2  # no store given at all


def test_sign_package_and_verify_it(demo: Path, tmp_path: Path) -> None:
    document = tmp_path / "qd.pdf"
    document.write_bytes(sample_pdf())
    sign_pdf(demo, document, tmp_path / "p1.pdf")
    sign_pdf(demo, tmp_path / "p1.pdf", tmp_path / "p2.pdf", "--agency", who="agency")
    source = tmp_path / "package.edxml"
    source.write_bytes(to_bytes(package([("qd.pdf", (tmp_path / "p2.pdf").read_bytes())])))
    key = demo / "agencies" / "000.00.00.G22"
    target = tmp_path / "signed.edxml"
    args = ["--key", f"{key}.key.pem", "--cert", f"{key}.cert.pem"]
    code, output = run("sign", "package", str(source), str(target), *args)
    assert code == 0, output
    code, output = run("verify", str(target), "--trust", str(demo / "trust"), "--json")
    assert code == 0, output
    (report,) = json.loads(output)
    assert report["signatures"][0]["kind"] == "xmldsig" and report["signatures"][0]["valid"]


def test_signing_with_an_unreadable_key_exits_2(demo: Path, tmp_path: Path) -> None:
    source = tmp_path / "qd.pdf"
    source.write_bytes(sample_pdf())
    bad = tmp_path / "bad.key.pem"
    bad.write_text("not a key")
    cert = demo / "people" / "nguyen-van-an.cert.pem"
    code, output = run(
        "sign", "pdf", str(source), str(tmp_path / "o.pdf"), "--key", str(bad), "--cert", str(cert)
    )
    assert code == 2 and "SIG.KEY_UNREADABLE" in output


def test_problem_catalogue_lists_the_signature_codes() -> None:
    code, output = run("problems", "--json")
    assert code == 0
    listed = {p["code"] for p in json.loads(output)}
    expected = {"SIG.INVALID", "SIG.UNTRUSTED", "SIG.EXPIRED", "SIG.REVOKED", "SIG.MODIFIED", "SIG.MISSING"}
    expected |= {"SIG.PLACEHOLDER", "SIG.WEAK_ALGORITHM", "SIG.SIGNER_MISMATCH", "SIG.AGENCY_MISMATCH"}
    expected |= {"SIG.NOT_SIGNED_AS_REQUIRED", "SIG.TRUST_STORE_MISSING", "SIG.TRUST_STORE_UNREADABLE"}
    assert expected <= listed


def test_sign_with_a_password_protected_pkcs12_file(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = serialization.load_pem_private_key((demo / "people" / "nguyen-van-an.key.pem").read_bytes(), None)
    certs = x509.load_pem_x509_certificates((demo / "people" / "nguyen-van-an.cert.pem").read_bytes())
    assert isinstance(key, rsa.RSAPrivateKey)
    encryption = serialization.BestAvailableEncryption(b"mat-khau")
    p12 = tmp_path / "an.pfx"
    p12.write_bytes(pkcs12.serialize_key_and_certificates(b"an", key, certs[0], certs[1:], encryption))
    source = tmp_path / "qd.pdf"
    source.write_bytes(sample_pdf())
    monkeypatch.setenv("AN_PASSWORD", "mat-khau")
    args = ["--key", str(p12), "--password-env", "AN_PASSWORD"]
    code, output = run("sign", "pdf", str(source), str(tmp_path / "signed.pdf"), *args)
    assert code == 0, output
    assert run("verify", str(tmp_path / "signed.pdf"), "--trust", str(demo / "trust"))[0] == 0
    monkeypatch.delenv("AN_PASSWORD")
    assert run("sign", "pdf", str(source), str(tmp_path / "x.pdf"), *args)[0] == 2
