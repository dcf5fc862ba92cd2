"""PAdES-B-T and B-LT against a real RFC 3161 time-stamping server on loopback (uvicorn)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from lienthong.cli.main import app
from lienthong.signing import problems as P
from lienthong.signing.errors import SigningError
from lienthong.signing.pdf import DocumentSigner, PdfVerifier, http_timestamper
from lienthong.signing.pki import utc_now
from lienthong.signing.samples import sample_pdf
from lienthong.signing.tsa_server import QUERY, tsa_app
from tests.hub.conftest import Server
from tests.signing.kit import SigningKit
from tests.watch.servers import free_port


@pytest.fixture(scope="module")
def tsa_url(kit: SigningKit) -> Iterator[str]:
    with Server(tsa_app(kit.pki.tsa)) as server:
        yield server.url + "/"


def test_pades_b_t_with_the_loopback_tsa_uses_the_proven_time(kit: SigningKit, tsa_url: str) -> None:
    signed = DocumentSigner(kit.person(), timestamper=http_timestamper(tsa_url)).sign(sample_pdf())
    (sig,) = kit.verifier.pdf.verify(signed).signatures
    assert sig.valid and sig.level == "PAdES-B-T" and sig.timestamp_time is not None
    # Long after the certificate expired, the time-stamp still proves it was valid then.
    later = PdfVerifier(kit.trust, clock=lambda: utc_now() + timedelta(days=3 * 365))
    (old,) = later.verify(signed).signatures
    assert old.valid and old.problems == () and old.signing_time_source == "timestamp"


def test_pades_b_lt_embeds_the_validation_data(kit: SigningKit, tsa_url: str) -> None:
    signer = DocumentSigner(kit.agency(), timestamper=http_timestamper(tsa_url), long_term=kit.trust)
    (sig,) = kit.verifier.pdf.verify(signer.sign(sample_pdf())).signatures
    assert sig.valid and sig.level == "PAdES-B-LT"


def test_expired_since_signing_with_and_without_timestamp(kit: SigningKit, tsa_url: str) -> None:
    plain = DocumentSigner(kit.person()).sign(sample_pdf())
    stamped = DocumentSigner(kit.person(), timestamper=http_timestamper(tsa_url)).sign(sample_pdf())
    later = PdfVerifier(kit.trust, clock=lambda: kit.person().cert.not_valid_after_utc + timedelta(days=1))
    (without,) = later.verify(plain).signatures
    (with_ts,) = later.verify(stamped).signatures
    assert [p.code for p in without.problems] == [P.EXPIRED_SINCE.code] and without.valid
    assert with_ts.problems == () and with_ts.signing_time_source == "timestamp"


def test_a_tsa_that_is_down_or_is_not_one_fails_signing_clearly(kit: SigningKit, tsa_url: str) -> None:
    for url in ("http://127.0.0.1:9/", tsa_url + "absent"):
        with pytest.raises(SigningError) as caught:
            DocumentSigner(kit.person(), timestamper=http_timestamper(url, timeout=2)).sign(sample_pdf())
        assert caught.value.problem.code == P.SIGNING_FAILED.code
        assert "time-stamping service" in caught.value.problem.message_en


def test_the_server_refuses_what_is_not_a_query(tsa_url: str) -> None:
    assert httpx.post(tsa_url, content=b"x", headers={"content-type": "text/plain"}).status_code == 415
    assert httpx.post(tsa_url, content=b"\x30\x03garbage", headers={"content-type": QUERY}).status_code == 400


def test_lienthong_sign_pdf_with_a_tsa_url(kit: SigningKit, tsa_url: str, tmp_path: Path) -> None:
    source = tmp_path / "qd.pdf"
    source.write_bytes(sample_pdf())
    base = kit.pki.directory / "people" / "nguyen-van-an"
    args = ["--key", f"{base}.key.pem", "--cert", f"{base}.cert.pem", "--tsa-url", tsa_url]
    result = CliRunner().invoke(app, ["sign", "pdf", str(source), str(tmp_path / "s.pdf"), *args])
    assert result.exit_code == 0, result.output
    (sig,) = kit.verifier.verify_file(tmp_path / "s.pdf").signatures
    assert sig.level == "PAdES-B-T"


def test_lienthong_pki_tsa_serves_the_demo_authority(kit: SigningKit) -> None:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "lienthong.cli.main",
        "pki",
        "tsa",
        str(kit.pki.directory),
        "--port",
        str(port),
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.post(url, content=b"", headers={"content-type": QUERY})
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, "the TSA did not start"
                time.sleep(0.1)
        signed = DocumentSigner(kit.person(), timestamper=http_timestamper(url)).sign(sample_pdf())
        (sig,) = kit.verifier.pdf.verify(signed).signatures
        assert sig.valid and sig.level == "PAdES-B-T"
    finally:
        process.terminate()
        process.wait(timeout=10)
