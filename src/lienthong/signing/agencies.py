"""Which agency a signing certificate belongs to, and how that was established.

Real certificates carry no agency code, so the agency is found in the directory, in this order:
a certificate registered for the agency (its SHA-256 fingerprint) or the operator's explicit
mapping (fingerprint, exact subject or e-mail address → code) — both proof; else the names in
CN / OU / O and the e-mail domain matched against the agencies' names and domains — a hint
shown as such, never proof; else no match.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from lienthong.codes.doctypes import fold
from lienthong.problems import Problem
from lienthong.signing import problems as P
from lienthong.signing.errors import SigningError
from lienthong.signing.identity import SignerIdentity


class MatchMethod(StrEnum):
    CERTIFICATE = "certificate"  # the certificate is registered for the agency
    MAPPING = "mapping"  # the operator's explicit mapping names the agency
    NAME = "name"  # names and e-mail domain resemble the agency's: a hint, not proof
    NONE = "none"


@dataclass(frozen=True)
class AgencyMatch:
    """The agency a certificate was matched to (if any) and how."""

    method: MatchMethod
    code: str | None = None
    name: str | None = None
    detail: str = ""
    kind: str | None = None  # "agency" or "person" when the directory says so

    @property
    def proven(self) -> bool:
        return self.method in (MatchMethod.CERTIFICATE, MatchMethod.MAPPING)

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method.value,
            "proven": self.proven,
            "code": self.code,
            "name": self.name,
            "detail": self.detail,
        }

    def describe(self) -> str:
        """One line for the clerk: ``000.00.00.G22 Văn phòng Chính phủ (registered certificate)``."""
        how = {
            MatchMethod.CERTIFICATE: "chứng thư đã đăng ký / registered certificate",
            MatchMethod.MAPPING: "ánh xạ của quản trị / operator's mapping",
            MatchMethod.NAME: "chỉ khớp tên, không phải bằng chứng / name match only, not proof",
            MatchMethod.NONE: "không xác định / no match",
        }[self.method]
        who = " ".join(x for x in (self.code, self.name) if x)
        return f"{who} ({how}{': ' + self.detail if self.detail else ''})" if who else f"({how})"


NO_MATCH = AgencyMatch(MatchMethod.NONE)


@dataclass(frozen=True)
class AgencyEntry:
    """An agency as the directory knows it: names, e-mail domains, registered certificates."""

    code: str
    name: str
    domains: tuple[str, ...] = ()
    certificates: frozenset[str] = frozenset()  # SHA-256 fingerprints, lower-case hex
    aliases: tuple[str, ...] = ()  # other spellings: "UBND tỉnh Nghệ An", the ASCII form, …


@dataclass(frozen=True)
class MappingRule:
    """The operator's word: certificates with this fingerprint, subject or e-mail are this agency's."""

    agency: str
    sha256: str | None = None
    subject: str | None = None  # RFC 4514, as ``lienthong verify`` prints it
    email: str | None = None
    kind: str | None = None  # "agency" (its seal) or "person"

    def applies(self, who: SignerIdentity) -> bool:
        if self.sha256 and self.sha256.lower().replace(":", "") != who.sha256:
            return False
        if self.subject and self.subject != who.subject:
            return False
        if self.email and self.email.lower() not in {e.lower() for e in who.emails}:
            return False
        return bool(self.sha256 or self.subject or self.email)


@dataclass(frozen=True)
class AgencyDirectory:
    """The agencies and mappings certificates are matched against."""

    entries: tuple[AgencyEntry, ...] = ()
    mappings: tuple[MappingRule, ...] = ()
    _by_code: dict[str, AgencyEntry] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_code", {e.code: e for e in self.entries})

    def entry(self, code: str) -> AgencyEntry | None:
        return self._by_code.get(code)

    def match(self, who: SignerIdentity) -> AgencyMatch:
        for entry in self.entries:
            if who.sha256 in entry.certificates:
                return AgencyMatch(MatchMethod.CERTIFICATE, entry.code, entry.name, kind="agency")
        for rule in self.mappings:
            if rule.applies(who):
                known = self.entry(rule.agency)
                name = known.name if known else None
                return AgencyMatch(MatchMethod.MAPPING, rule.agency, name, kind=rule.kind)
        return self._by_name(who)

    def _by_name(self, who: SignerIdentity) -> AgencyMatch:
        # The most specific name first: an agency's seal names it in CN, a person's unit is in OU.
        fields = [("CN", who.name), *(("OU", u) for u in who.units), ("O", who.organisation)]
        domains = set(who.domains)
        for label, value in fields:
            folded = fold(value or "")
            found = [e for e in self.entries if folded and folded in {fold(n) for n in (e.name, *e.aliases)}]
            if len(found) == 1:
                entry = found[0]
                same_domain = any(_within(d, entry.domains) for d in domains)
                detail = f"{label}={value}" + (", e-mail domain" if same_domain else "")
                return AgencyMatch(MatchMethod.NAME, entry.code, entry.name, detail)
        by_domain = [e for e in self.entries if any(_within(d, e.domains) for d in domains)]
        if len(by_domain) == 1:
            entry = by_domain[0]
            return AgencyMatch(MatchMethod.NAME, entry.code, entry.name, f"e-mail {', '.join(who.emails)}")
        return NO_MATCH


def entry_of(
    code: str,
    name: str,
    *,
    emails: Iterable[str] = (),
    certificates_pem: Iterable[str] = (),
    aliases: Iterable[str] = (),
) -> AgencyEntry:
    """An entry from what a directory row holds (the hub's agencies: contact e-mails, registered
    certificate PEM): domains from the addresses, SHA-256 fingerprints from the certificates."""
    domains = tuple(dict.fromkeys(e.strip().rsplit("@", 1)[-1].lower() for e in emails if "@" in e))
    fingerprints: set[str] = set()
    for text in certificates_pem:
        try:
            certs = x509.load_pem_x509_certificates(text.encode("ascii"))
        except (ValueError, UnicodeEncodeError) as exc:
            raise SigningError(
                P.DIRECTORY_UNREADABLE(code, file=code, reason=f"certificate: {exc}")
            ) from None
        fingerprints.update(c.fingerprint(hashes.SHA256()).hex() for c in certs)
    return AgencyEntry(code, name, domains, frozenset(fingerprints), tuple(aliases))


def _within(domain: str, agency_domains: Iterable[str]) -> bool:
    return any(domain == d.lower() or domain.endswith("." + d.lower()) for d in agency_domains)


def load_directory(path: str | Path) -> AgencyDirectory:
    """An agency directory from a JSON or TOML file: ``agencies`` (code, name, domains,
    certificates, aliases) and ``mappings`` (agency with sha256, subject or email; kind)."""
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
        data = tomllib.loads(text) if source.suffix.lower() == ".toml" else json.loads(text)
        agencies = [_entry(a) for a in data.get("agencies", [])]
        mappings = [
            MappingRule(**{k: v for k, v in m.items() if k in _RULE_KEYS}) for m in data.get("mappings", [])
        ]
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise SigningError(P.DIRECTORY_UNREADABLE(str(source), file=str(source), reason=str(exc))) from None
    return AgencyDirectory(tuple(agencies), tuple(mappings))


_RULE_KEYS = frozenset({"agency", "sha256", "subject", "email", "kind"})


def _entry(data: dict[str, Any]) -> AgencyEntry:
    return AgencyEntry(
        code=str(data["code"]),
        name=str(data["name"]),
        domains=tuple(str(d).lower() for d in data.get("domains", [])),
        certificates=frozenset(str(c).lower().replace(":", "") for c in data.get("certificates", [])),
        aliases=tuple(str(a) for a in data.get("aliases", [])),
    )


def sender_problems(match: AgencyMatch | None, sender: str | None, where: str) -> list[Problem]:
    """Whether an agency signature is the sending agency's, saying how sure that is."""
    if not sender:
        return []
    if match is None:
        return [P.SIGNER_UNIDENTIFIED(where, detail="no agency directory is configured")]
    if match.method is MatchMethod.NONE or match.code is None:
        return [P.SIGNER_UNIDENTIFIED(where, detail="no registered certificate, mapping or name matches")]
    if match.code != sender:
        found = f"{match.code} ({match.method.value})"
        severity = P.E if match.proven else P.W  # a name resembling another agency is a hint too
        return [P.AGENCY_MISMATCH(where, found=found, expected=sender, severity=severity)]
    if not match.proven:
        return [P.AGENCY_NAME_MATCH(where, code=sender, detail=match.detail)]
    return []
