"""One demo PKI for the whole test session (made once: key generation is the slow part)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from lienthong.signing.pki import (
    PersonSpec,
    create_demo_pki,
    issue,
    issue_ca,
    issue_person,
    new_root,
    utc_now,
)
from lienthong.signing.trust import load_trust_store
from tests.signing.kit import SENDER, SigningKit


@pytest.fixture(scope="session")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SigningKit]:
    directory: Path = tmp_path_factory.mktemp("pki")
    pki = create_demo_pki(directory)
    now = utc_now()
    stranger_root = new_root("Stranger Root CA", now)
    stranger_ca = issue_ca(stranger_root, "Stranger Issuing CA", now)
    outsider = issue_person(stranger_ca, PersonSpec("Người Lạ", "Không rõ", SENDER.code), SENDER, now)
    tsa_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Stranger TSA")])
    start, end = now - timedelta(days=1), now + timedelta(days=365)
    outsider_tsa = issue(stranger_ca, tsa_name, not_before=start, not_after=end, timestamping=True)
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=True,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    weak = issue_person(
        pki.issuing_ca,
        PersonSpec("Đỗ Thị Giang", "Chuyên viên", SENDER.code),
        SENDER,
        now,
        key_usage=usage,
    )
    yield SigningKit(pki, load_trust_store(pki.trust_dir), outsider, outsider_tsa, weak)


@pytest.fixture(scope="session")
def signed_document(kit: SigningKit) -> bytes:
    return kit.signed_document()
