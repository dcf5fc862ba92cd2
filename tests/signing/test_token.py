"""Signing through PKCS#11 with a real software token (SoftHSM2): PDF, edXML package and any XML."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from asn1crypto import core as asn1_core
from cryptography.hazmat.primitives import serialization
from typer.testing import CliRunner

from lienthong.cli.main import app
from lienthong.edxml import parse, to_bytes
from lienthong.signing import problems as P
from lienthong.signing.errors import SigningError
from lienthong.signing.pdf import DocumentSigner, PdfSignSpec, Role
from lienthong.signing.samples import sample_pdf
from lienthong.signing.token import TokenConfig, open_token
from lienthong.signing.xmldsig import PackageSigner
from lienthong.signing.xmlsign import sign_xml
from tests.signing.kit import SigningKit, package

# Where Debian's softhsm2 package puts the module (LIENTHONG_PKCS11_MODULE overrides).
MODULES = ("/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so")
PIN, SO_PIN, TOKEN, LABEL = "246810", "13579111", "lienthong-test", "nguyen-van-an"


def softhsm_module() -> Path | None:
    chosen = os.environ.get("LIENTHONG_PKCS11_MODULE")
    candidates = [chosen] if chosen else list(MODULES)
    return next((Path(c) for c in candidates if Path(c).is_file()), None)


@pytest.fixture(scope="module")
def token(kit: SigningKit, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenConfig]:
    """A SoftHSM2 token holding Nguyễn Văn An's key and certificate, and a PIN file."""
    module = softhsm_module()
    if module is None or shutil.which("softhsm2-util") is None:
        pytest.skip("SoftHSM2 is not installed (.ci/run installs it: apt-get install softhsm2)")
    base = tmp_path_factory.mktemp("softhsm")
    (base / "tokens").mkdir()
    conf = base / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {base / 'tokens'}\nobjectstore.backend = file\n")
    previous = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(conf)  # read when the module initialises, in this process too
    util = ["softhsm2-util"]
    subprocess.run(
        [*util, "--init-token", "--free", "--label", TOKEN, "--pin", PIN, "--so-pin", SO_PIN],
        check=True,
        capture_output=True,
    )
    key = kit.person().key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (base / "key.pem").write_bytes(key)
    subprocess.run(
        [
            *util,
            "--import",
            str(base / "key.pem"),
            "--token",
            TOKEN,
            "--label",
            LABEL,
            "--id",
            "01",
            "--pin",
            PIN,
        ],
        check=True,
        capture_output=True,
    )
    (base / "key.pem").unlink()
    _store_certificate(module, kit)
    pin_file = base / "pin"
    pin_file.write_text(PIN + "\n")
    yield TokenConfig(module, LABEL, token_label=TOKEN, pin_file=pin_file)
    if previous is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = previous


def _store_certificate(module: Path, kit: SigningKit) -> None:
    """softhsm2-util imports keys only: the certificate goes on the token through PKCS#11."""
    import pkcs11

    token = pkcs11.lib(str(module)).get_token(token_label=TOKEN)
    cert = kit.person().cert
    der = cert.public_bytes(serialization.Encoding.DER)
    serial = asn1_core.Integer(cert.serial_number).dump()
    with token.open(rw=True, user_pin=PIN) as session:
        session.create_object(
            {
                pkcs11.Attribute.CLASS: pkcs11.ObjectClass.CERTIFICATE,
                pkcs11.Attribute.CERTIFICATE_TYPE: pkcs11.CertificateType.X_509,
                pkcs11.Attribute.TOKEN: True,
                pkcs11.Attribute.LABEL: LABEL,
                pkcs11.Attribute.ID: b"\x01",
                pkcs11.Attribute.VALUE: der,
                pkcs11.Attribute.SUBJECT: cert.subject.public_bytes(),
                pkcs11.Attribute.ISSUER: cert.issuer.public_bytes(),
                pkcs11.Attribute.SERIAL_NUMBER: serial,
            }
        )


def test_pdf_signed_on_the_token_verifies(kit: SigningKit, token: TokenConfig) -> None:
    with open_token(token) as session:
        signed = DocumentSigner(session.pdf_signer()).sign(sample_pdf(), PdfSignSpec(role=Role.PERSON))
    (sig,) = kit.verifier.pdf.verify(signed).signatures
    assert sig.valid and sig.signer is not None and sig.signer.name == "Nguyễn Văn An"


def test_package_and_other_xml_signed_on_the_token_verify(kit: SigningKit, token: TokenConfig) -> None:
    unsigned = to_bytes(package([("qd.pdf", kit.signed_document())]))
    with open_token(token) as session:
        credential = session.credential()
        signed = PackageSigner(credential).sign(unsigned)
        notice = sign_xml(
            b'<TB><D Id="d">1</D></TB>',
            credential,
            references=["d"],
            signature_id="s",
            signing_time=datetime.now(UTC),
        )
    assert credential.cert == kit.person().cert
    assert kit.verifier.package_signature.verify(signed, parse(signed)).valid
    assert kit.verifier.xml.verify(notice).valid
    with pytest.raises(SigningError) as caught:
        credential.key.private_numbers()  # the key never leaves the token
    assert caught.value.problem.code == P.TOKEN_FAILED.code


def test_pin_from_the_environment_and_wrong_pins(
    kit: SigningKit, token: TokenConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOKEN_PIN", PIN)
    with open_token(replace(token, pin_file=None, pin_env="TOKEN_PIN")) as session:
        assert session.certificate() == kit.person().cert
    monkeypatch.setenv("TOKEN_PIN", "000000")
    for config in (
        replace(token, pin_file=None, pin_env="TOKEN_PIN"),  # wrong PIN
        replace(token, pin_file=None, pin_env="ABSENT_PIN"),  # no PIN
        replace(token, token_label="no-such-token"),
        replace(token, module=Path("absent-module.so")),
    ):
        with pytest.raises(SigningError) as caught, open_token(config):
            pass
        assert caught.value.problem.code == P.TOKEN_FAILED.code
        assert "000000" not in caught.value.problem.message_en  # a PIN is never echoed
    with open_token(replace(token, key_label="nobody")) as session, pytest.raises(SigningError):
        session.credential()


def test_lienthong_sign_pdf_with_the_token(kit: SigningKit, token: TokenConfig, tmp_path: Path) -> None:
    source = tmp_path / "qd.pdf"
    source.write_bytes(sample_pdf())
    args = ["--pkcs11-module", str(token.module), "--token-label", TOKEN, "--key-label", LABEL]
    assert token.pin_file is not None
    result = CliRunner().invoke(
        app, ["sign", "pdf", str(source), str(tmp_path / "s.pdf"), *args, "--pin-file", str(token.pin_file)]
    )
    assert result.exit_code == 0, result.output
    assert PIN not in result.output
    assert kit.verifier.verify_file(tmp_path / "s.pdf").valid


def test_a_gateway_configured_with_a_token_signs_what_it_sends_there(
    kit: SigningKit, token: TokenConfig, tmp_path: Path
) -> None:
    """``[signing_token]`` in a gateway's TOML: its outgoing packages are signed by the token's key."""
    from lienthong.gateway.config import ConfigError, GatewayConfig
    from lienthong.gateway.core import Core
    from tests.gateway.fakehub import FakeHub

    section = {"module": str(token.module), "key_label": token.key_label, "pin_file": str(token.pin_file)}
    if token.token_label:
        section["token_label"] = token.token_label
    data = {"agency_code": "000.00.00.G22", "agency_name": "Văn phòng Chính phủ", "data_dir": "gw"}
    config = GatewayConfig.from_dict({**data, "signing_token": dict(section)}, base=tmp_path)
    core = Core(config, FakeHub().port(config.agency_code), lambda: datetime.now(UTC))
    try:
        signed = core.sign(to_bytes(package([("qd.pdf", kit.signed_document())])))
    finally:
        core.close()
    report = kit.verifier.package_signature.verify(signed, parse(signed))
    assert report.valid and report.signer is not None
    assert report.signer.serial == f"{kit.person().cert.serial_number:X}"
    # A PIN is never written in the configuration, and one key source only.
    with pytest.raises(ConfigError, match="pin_file or pin_env"):
        GatewayConfig.from_dict({**data, "signing_token": {**section, "pin": PIN}}, base=tmp_path)
    with pytest.raises(ConfigError, match="not both"):
        GatewayConfig.from_dict(
            {**data, "signing_token": dict(section), "signing_key": "k.pem"}, base=tmp_path
        )
