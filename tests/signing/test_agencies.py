"""Identity without an agency code: certificate, mapping, name match or none, and how each is shown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from lienthong.edxml import to_bytes
from lienthong.problems import Problem
from lienthong.signing import problems as P
from lienthong.signing.agencies import (
    AgencyDirectory,
    AgencyEntry,
    MappingRule,
    MatchMethod,
    entry_of,
    load_directory,
)
from lienthong.signing.errors import SigningError
from lienthong.signing.identity import SignerIdentity
from lienthong.signing.report import FileReport
from lienthong.signing.verify import Verifier
from tests.signing.kit import RECIPIENT, SENDER, SigningKit, package


def codes(report: FileReport) -> list[tuple[str, str]]:
    return [(p.code, p.severity.value) for p in report.problems]


def problem(report: FileReport, code: str) -> Problem:
    return next(p for p in report.all_problems if p.code == code)


def test_registered_certificate_is_proof(kit: SigningKit) -> None:
    match = kit.directory.match(SignerIdentity.of(kit.agency().cert))
    assert (match.method, match.code, match.proven, match.kind) == (
        "certificate",
        SENDER.code,
        True,
        "agency",
    )


def test_names_and_e_mail_domain_are_a_hint_only(kit: SigningKit) -> None:
    seal = kit.names_only.match(SignerIdentity.of(kit.agency().cert))
    assert (seal.method, seal.code, seal.proven) == ("name", SENDER.code, False)
    assert seal.detail == "CN=VĂN PHÒNG CHÍNH PHỦ, e-mail domain"
    # An older ASCII certificate: OU/O without diacritics still resemble the directory's name.
    hai = kit.names_only.match(SignerIdentity.of(kit.pki.person("Phạm Thanh Hải").cert))
    assert (hai.method, hai.code) == ("name", "000.00.00.H29")
    assert "chỉ khớp tên" in seal.describe() and "name match only" in seal.describe()


def test_e_mail_domain_alone_and_no_match(kit: SigningKit) -> None:
    only_domain = AgencyDirectory((AgencyEntry("000.00.00.G22", "VPCP", ("chinhphu.vn",)),))
    match = only_domain.match(SignerIdentity.of(kit.person().cert))
    assert (match.method, match.code, match.detail) == ("name", SENDER.code, "e-mail nguyenvanan@chinhphu.vn")
    nobody = AgencyDirectory((AgencyEntry("000.00.00.H14", "Ủy ban nhân dân tỉnh Cao Bằng"),))
    assert nobody.match(SignerIdentity.of(kit.person().cert)).method is MatchMethod.NONE


def test_operator_mapping_by_subject_email_or_fingerprint(kit: SigningKit) -> None:
    who = SignerIdentity.of(kit.person().cert)
    for rule in (
        MappingRule("000.00.00.G22", subject=who.subject, kind="person"),
        MappingRule("000.00.00.G22", email="NguyenVanAn@chinhphu.vn", kind="person"),
        MappingRule("000.00.00.G22", sha256=":".join(who.sha256[i : i + 2] for i in range(0, 64, 2))),
    ):
        match = AgencyDirectory(kit.names_only.entries, (rule,)).match(who)
        assert (match.method, match.code, match.proven) == ("mapping", SENDER.code, True)
        assert match.name == SENDER.name
    stranger = MappingRule("000.00.00.G22", email="other@chinhphu.vn")
    assert AgencyDirectory((), (stranger,)).match(who).method is MatchMethod.NONE


def test_cross_checks_say_how_the_seal_was_matched(kit: SigningKit, signed_document: bytes) -> None:
    data = to_bytes(package([("qd.pdf", signed_document)]))
    proven = Verifier(kit.trust, directory=kit.directory).verify_package(data)
    assert proven.valid and codes(proven) == []
    by_name = Verifier(kit.trust, directory=kit.names_only).verify_package(data)
    assert by_name.valid and (P.AGENCY_NAME_MATCH.code, "warning") in codes(by_name)
    assert "not proof" in problem(by_name, P.AGENCY_NAME_MATCH.code).message_en
    unknown = Verifier(kit.trust).verify_package(data)
    assert unknown.valid and (P.SIGNER_UNIDENTIFIED.code, "warning") in codes(unknown)


def test_another_agencys_seal_proven_or_by_name(kit: SigningKit) -> None:
    data = to_bytes(package([("qd.pdf", kit.signed_document(agency=kit.agency(RECIPIENT.code)))]))
    proven = Verifier(kit.trust, directory=kit.directory).verify_package(data)
    assert not proven.valid and (P.AGENCY_MISMATCH.code, "error") in codes(proven)
    assert "000.00.00.H41 (certificate)" in problem(proven, P.AGENCY_MISMATCH.code).message_en
    hint = Verifier(kit.trust, directory=kit.names_only).verify_package(data)
    assert hint.valid and (P.AGENCY_MISMATCH.code, "warning") in codes(hint)


def test_directory_files_json_and_toml(kit: SigningKit, tmp_path: Path) -> None:
    (tmp_path / "d.toml").write_text(
        '[[agencies]]\ncode = "000.00.00.G22"\nname = "Văn phòng Chính phủ"\ndomains = ["chinhphu.vn"]\n'
        '[[mappings]]\nagency = "000.00.00.G22"\nemail = "nguyenvanan@chinhphu.vn"\nkind = "person"\n',
        encoding="utf-8",
    )
    loaded = load_directory(tmp_path / "d.toml")
    assert loaded.match(SignerIdentity.of(kit.person().cert)).method is MatchMethod.MAPPING
    (tmp_path / "bad.json").write_text(json.dumps({"agencies": [{"name": "no code"}]}))
    for broken in (tmp_path / "bad.json", tmp_path / "absent.json"):
        with pytest.raises(SigningError) as caught:
            load_directory(broken)
        assert caught.value.problem.code == P.DIRECTORY_UNREADABLE.code


def test_entries_from_directory_rows(kit: SigningKit) -> None:
    seal = kit.agency().cert.public_bytes(serialization.Encoding.PEM).decode()
    entry = entry_of(
        "000.00.00.G22", "Văn phòng Chính phủ", emails=["VanThu@ChinhPhu.vn "], certificates_pem=[seal]
    )
    assert entry.domains == ("chinhphu.vn",)
    match = AgencyDirectory((entry,)).match(SignerIdentity.of(kit.agency().cert))
    assert match.method is MatchMethod.CERTIFICATE
    with pytest.raises(SigningError) as caught:
        entry_of(
            "000.00.00.G22",
            "VPCP",
            certificates_pem=["-----BEGIN CERTIFICATE-----\nxx\n-----END CERTIFICATE-----"],
        )
    assert caught.value.problem.code == P.DIRECTORY_UNREADABLE.code
