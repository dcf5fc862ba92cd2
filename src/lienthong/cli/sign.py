"""``lienthong sign`` (PDF documents, edXML packages) and ``lienthong verify`` (either, with a report)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from lienthong.problems import Problem, Severity
from lienthong.signing import problems as P
from lienthong.signing.errors import SigningError
from lienthong.signing.token import TokenSession  # light: pkcs11 and pyHanko load on use

if TYPE_CHECKING:
    from pyhanko.sign.timestamps import TimeStamper

    from lienthong.signing.credentials import Credential
    from lienthong.signing.report import FileReport

# pyHanko and signxml take ~0.4 s to import: commands import them when they run, so other
# ``lienthong`` commands do not pay for them.

app = typer.Typer(
    help="Sign PDF documents (PAdES), edXML packages and other XML (XML-DSig).", no_args_is_help=True
)

EXIT_OK, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2
TRUST_ENV = "LIENTHONG_TRUST_DIR"
DIRECTORY_ENV = "LIENTHONG_AGENCY_DIRECTORY"
_STYLE = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def _password(variable: str | None) -> bytes | None:
    """The key's password, from the environment: never on the command line, where ``ps`` shows it."""
    if variable is None:
        return None
    value = os.environ.get(variable)
    if value is None:
        typer.echo(f"error: the environment variable {variable} is not set", err=True)
        raise typer.Exit(EXIT_UNREADABLE)
    return value.encode("utf-8")


def _write(target: Path, data: bytes) -> None:
    try:
        target.write_bytes(data)
    except OSError as exc:
        typer.echo(f"error: cannot write {target}: {exc.strerror or exc}", err=True)
        raise typer.Exit(EXIT_UNREADABLE) from None


def _fail(exc: SigningError) -> typer.Exit:
    typer.echo(f"error {exc.problem.code}: {exc.problem.message_en}", err=True)
    typer.echo(f"lỗi {exc.problem.code}: {exc.problem.message_vi}", err=True)
    return typer.Exit(EXIT_UNREADABLE)


# Where the key is: files (--key/--cert) or a PKCS#11 token; shared by both signing commands.
KEY = typer.Option(None, "--key", help="Private key (PEM or DER, RSA) or a .p12/.pfx file.")
CERT = typer.Option(None, "--cert", help="Certificate and chain (PEM or DER); not needed with .p12/.pfx.")
PASSWORD_ENV = typer.Option(None, "--password-env", help="Environment variable holding the key's password.")
MODULE = typer.Option(None, "--pkcs11-module", help="PKCS#11 module of the token (e.g. libsofthsm2.so).")
TOKEN_LABEL = typer.Option(None, "--token-label", help="Label of the token (default: the first token).")
SLOT = typer.Option(None, "--slot", help="Slot number of the token.")
KEY_LABEL = typer.Option(None, "--key-label", help="Label of the key and certificate on the token.")
PIN_FILE = typer.Option(None, "--pin-file", help="File whose first line is the token's PIN.")
PIN_ENV = typer.Option(None, "--pin-env", help="Environment variable holding the token's PIN.")


@dataclass(frozen=True)
class KeySource:
    key: Path | None
    cert: Path | None
    password_env: str | None
    module: Path | None
    token_label: str | None
    slot: int | None
    key_label: str | None
    pin_file: Path | None
    pin_env: str | None


@contextmanager
def _signing_key(src: KeySource) -> Iterator[Credential | TokenSession]:
    """A file credential, or an open token session (closed afterwards); never both, never neither."""
    from lienthong.signing.pki import load_credential
    from lienthong.signing.token import TokenConfig, open_token

    if (src.key is None) == (src.module is None):
        typer.echo("error: give either --key (files) or --pkcs11-module (a token)", err=True)
        raise typer.Exit(EXIT_UNREADABLE)
    if src.key is not None:
        yield load_credential(src.key, src.cert, _password(src.password_env))
        return
    assert src.module is not None
    if not src.key_label:
        typer.echo("error: --key-label is needed with --pkcs11-module", err=True)
        raise typer.Exit(EXIT_UNREADABLE)
    config = TokenConfig(
        src.module, src.key_label, src.token_label, src.slot, pin_file=src.pin_file, pin_env=src.pin_env
    )
    with open_token(config) as session:
        yield session


@app.command("pdf")
def sign_pdf(
    source: Path = typer.Argument(..., help="The PDF to sign."),
    target: Path = typer.Argument(..., help="Where to write the signed PDF."),
    key: Path | None = KEY,
    cert: Path | None = CERT,
    password_env: str | None = PASSWORD_ENV,
    module: Path | None = MODULE,
    token_label: str | None = TOKEN_LABEL,
    slot: int | None = SLOT,
    key_label: str | None = KEY_LABEL,
    pin_file: Path | None = PIN_FILE,
    pin_env: str | None = PIN_ENV,
    agency: bool = typer.Option(False, "--agency", help="Sign as the agency (seal) rather than as a person."),
    number: str | None = typer.Option(
        None, "--number", help="Number/notation for the agency stamp, e.g. 12/QĐ-UBND."
    ),
    reason: str | None = typer.Option(None, "--reason", help="Reason recorded in the signature."),
    location: str | None = typer.Option(None, "--location", help="Place recorded in the signature."),
    page: int | None = typer.Option(None, "--page", help="Page for the stamp (1-based; -1 the last)."),
    invisible: bool = typer.Option(False, "--invisible", help="No visible stamp."),
    tsa_key: Path | None = typer.Option(None, "--tsa-key", help="Time-stamp with this local TSA key (demo)."),
    tsa_cert: Path | None = typer.Option(None, "--tsa-cert", help="Certificate of the local TSA."),
    tsa_url: str | None = typer.Option(
        None, "--tsa-url", help="RFC 3161 time-stamping service, e.g. the Government CA's (PAdES-B-T)."
    ),
    long_term: Path | None = typer.Option(
        None, "--long-term", help="Embed chain and CRLs from this trust store (PAdES-B-LT; needs a TSA)."
    ),
    archival: bool = typer.Option(False, "--archival", help="Add a document time-stamp (PAdES-B-LTA)."),
) -> None:
    """Sign a PDF with a visible Decree-30 stamp (person: name, position, time; agency: number, time)."""
    from lienthong.signing.pdf import DocumentSigner, PdfSignSpec, Role, StampSpec
    from lienthong.signing.trust import load_trust_store

    keys = KeySource(key, cert, password_env, module, token_label, slot, key_label, pin_file, pin_env)
    try:
        timestamper = _timestamper(tsa_key, tsa_cert, tsa_url)
        data = _read_source(source)
        stamp_page = page - 1 if page is not None and page > 0 else page
        spec = PdfSignSpec(
            role=Role.AGENCY if agency else Role.PERSON,
            number_notation=number,
            reason=reason,
            location=location,
            stamp=StampSpec(visible=not invisible, page=stamp_page),
        )
        store = load_trust_store(long_term) if long_term is not None else None
        with _signing_key(keys) as held:
            own = held.pdf_signer() if isinstance(held, TokenSession) else held
            signer = DocumentSigner(own, timestamper=timestamper, long_term=store, archival=archival)
            signed = signer.sign(data, spec)
    except SigningError as exc:
        raise _fail(exc) from None
    _write(target, signed)
    typer.echo(f"signed {source} -> {target} as {'agency' if agency else 'person'} {signer.identity.name}")


def _timestamper(key: Path | None, cert: Path | None, url: str | None) -> TimeStamper | None:
    """A remote RFC 3161 service (--tsa-url) or, for demos, a local TSA key (--tsa-key)."""
    from lienthong.signing.pdf import http_timestamper, local_timestamper
    from lienthong.signing.pki import load_credential

    if url:
        return http_timestamper(url)
    return local_timestamper(load_credential(key, cert)) if key else None


def _read_source(source: Path) -> bytes:
    try:
        return source.read_bytes()
    except OSError as exc:
        detail = f"cannot read {source}: {exc.strerror}"
        raise SigningError(P.SIGNING_FAILED(str(source), detail=detail)) from None


@app.command("package")
def sign_package(
    source: Path = typer.Argument(..., help="The edXML package to sign."),
    target: Path = typer.Argument(..., help="Where to write the signed package."),
    key: Path | None = KEY,
    cert: Path | None = CERT,
    password_env: str | None = PASSWORD_ENV,
    module: Path | None = MODULE,
    token_label: str | None = TOKEN_LABEL,
    slot: int | None = SLOT,
    key_label: str | None = KEY_LABEL,
    pin_file: Path | None = PIN_FILE,
    pin_env: str | None = PIN_ENV,
    algorithm: str = typer.Option("rsa-sha256", "--algorithm", help="rsa-sha256, or rsa-sha1 for old peers."),
    other_agency: bool = typer.Option(
        False, "--allow-other-agency", help="Sign even if the certificate's agency is not the From agency."
    ),
) -> None:
    """Sign an edXML package with an enveloped XML-DSig (replacing a placeholder Signature)."""
    from lienthong.signing.xmldsig import PackageSigner, PackageSignSpec

    keys = KeySource(key, cert, password_env, module, token_label, slot, key_label, pin_file, pin_env)
    try:
        data = _read_source(source)
        with _signing_key(keys) as held:
            credential = held.credential() if isinstance(held, TokenSession) else held
            spec = PackageSignSpec(algorithm, require_sender_match=not other_agency)
            signed = PackageSigner(credential, spec).sign(data)
    except SigningError as exc:
        raise _fail(exc) from None
    _write(target, signed)
    typer.echo(f"signed {source} -> {target} ({algorithm}) by {credential.name}")


@app.command("xml")
def sign_xml_file(
    source: Path = typer.Argument(..., help="The XML document to sign (a notice, not an edXML package)."),
    target: Path = typer.Argument(..., help="Where to write the signed document."),
    reference: list[str] = typer.Option(..., "--ref", help="Id of an element to sign (repeatable)."),
    signature_id: str = typer.Option(..., "--id", help="Id of the new Signature element."),
    into: str | None = typer.Option(None, "--into", help="Id of the element that receives the signature."),
    key: Path | None = KEY,
    cert: Path | None = CERT,
    password_env: str | None = PASSWORD_ENV,
    module: Path | None = MODULE,
    token_label: str | None = TOKEN_LABEL,
    slot: int | None = SLOT,
    key_label: str | None = KEY_LABEL,
    pin_file: Path | None = PIN_FILE,
    pin_env: str | None = PIN_ENV,
) -> None:
    """Add an enveloped XML-DSig over elements referenced by Id, with a signed SigningTime."""
    from lienthong.signing.pki import utc_now
    from lienthong.signing.xmlsign import sign_xml

    keys = KeySource(key, cert, password_env, module, token_label, slot, key_label, pin_file, pin_env)
    try:
        data = _read_source(source)
        with _signing_key(keys) as held:
            credential = held.credential() if isinstance(held, TokenSession) else held
            signed = sign_xml(
                data,
                credential,
                references=reference,
                signature_id=signature_id,
                signing_time=utc_now(),
                into=into,
            )
    except SigningError as exc:
        raise _fail(exc) from None
    _write(target, signed)
    typer.echo(f"signed {source} -> {target} ({', '.join('#' + r for r in reference)}) by {credential.name}")


def verify(
    files: list[Path] = typer.Argument(..., help="PDF documents or edXML packages."),
    trust: Path | None = typer.Option(
        None, "--trust", help=f"Trust store folder (roots, intermediates, CRLs); default ${TRUST_ENV}."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list of reports."),
    allow_fetching: bool = typer.Option(
        False, "--allow-fetching", help="Let validation fetch CRLs/OCSP/certificates from the network."
    ),
    revocation: Path | None = typer.Option(
        None, "--revocation", help="A folder of CRLs (*.crl) and OCSP responses (*.ocsp) kept current."
    ),
    directory: Path | None = typer.Option(
        None,
        "--directory",
        help=f"Agency directory (JSON/TOML) to match certificates to agencies; default ${DIRECTORY_ENV}.",
    ),
) -> None:
    """Verify signatures. Exit 0 if all are valid, 1 if some are invalid, 2 if something is unreadable."""
    from lienthong.signing.agencies import load_directory
    from lienthong.signing.trust import load_trust_store
    from lienthong.signing.verify import Verifier

    folder = trust or (Path(os.environ[TRUST_ENV]) if os.environ.get(TRUST_ENV) else None)
    if folder is None:
        typer.echo(f"error: give --trust DIR or set {TRUST_ENV}", err=True)
        raise typer.Exit(EXIT_UNREADABLE)
    agencies_file = directory or (Path(os.environ[DIRECTORY_ENV]) if os.environ.get(DIRECTORY_ENV) else None)
    try:
        store = load_trust_store(folder, allow_fetching=allow_fetching, revocation=revocation)
        agencies = load_directory(agencies_file) if agencies_file is not None else None
    except SigningError as exc:
        raise _fail(exc) from None
    verifier = Verifier(store, directory=agencies)
    reports = [verifier.verify_file(path) for path in files]
    if as_json:
        typer.echo(json.dumps([r.to_dict() for r in reports], ensure_ascii=False, indent=2))
    else:
        console = Console()
        for report in reports:
            _print(console, report)
    if any(_unreadable(r) for r in reports):
        raise typer.Exit(EXIT_UNREADABLE)
    raise typer.Exit(EXIT_OK if all(r.valid for r in reports) else EXIT_INVALID)


def _unreadable(report: FileReport) -> bool:
    return not report.signatures and any(p.code == P.UNREADABLE.code for p in report.problems)


def _print(console: Console, report: FileReport, indent: str = "") -> None:
    mark = "[green]hợp lệ / valid[/]" if report.valid else "[red]không hợp lệ / invalid[/]"
    console.print(f"{indent}[bold]{report.file}[/] ({report.kind}): {mark} [dim]{report.reason}[/]")
    for sig in report.signatures:
        style = "green" if sig.valid else ("yellow" if sig.reason == P.PLACEHOLDER.code else "red")
        level = sig.level or sig.algorithm or ""
        console.print(f"{indent}  [{style}]{sig.reason}[/] {sig.kind} {sig.location} [dim]{level}[/]")
        who = sig.signer
        if who is not None:
            names = " — ".join(x for x in (who.name, who.title, *who.units, who.organisation) if x)
            console.print(f"{indent}    {sig.signer_kind}: {names}")
            if who.emails or who.policies:
                console.print(
                    f"{indent}    [dim]{', '.join(who.emails)} · policies {', '.join(who.policies) or '-'}[/]"
                )
            console.print(f"{indent}    [dim]serial {who.serial} · issuer {who.issuer}[/]")
        if sig.agency is not None:
            console.print(f"{indent}    cơ quan / agency: {sig.agency.describe()}")
        if sig.claimed_time or sig.timestamp_time:
            claimed = _when(sig.claimed_time)
            stamped = _when(sig.timestamp_time)
            console.print(f"{indent}    signed at {claimed} (claimed), {stamped} (time-stamp)")
    for problem in _own_problems(report):
        style = _STYLE[problem.severity]
        where = problem.path or "-"
        console.print(f"{indent}  [{style}]{problem.severity.value:7}[/] {problem.code} [dim]{where}[/]")
        console.print(f"{indent}    {problem.message_vi}")
        console.print(f"{indent}    {problem.message_en}")
    for attachment in report.attachments:
        _print(console, attachment, indent + "  ")


def _own_problems(report: FileReport) -> list[Problem]:
    found = list(report.problems)
    for sig in report.signatures:
        found.extend(sig.problems)
    return found


def _when(value: datetime | None) -> str:
    from lienthong.signing.pdf import vietnam_time

    return vietnam_time(value) if value is not None else "-"
