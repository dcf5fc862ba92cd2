"""``lienthong sign`` (PDF documents, edXML packages) and ``lienthong verify`` (either, with a report)."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from lienthong.problems import Problem, Severity
from lienthong.signing import problems as P
from lienthong.signing.errors import SigningError

if TYPE_CHECKING:
    from lienthong.signing.report import FileReport

# pyHanko and signxml take ~0.4 s to import: commands import them when they run, so other
# ``lienthong`` commands do not pay for them.

app = typer.Typer(help="Sign PDF documents (PAdES) and edXML packages (XML-DSig).", no_args_is_help=True)

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


@app.command("pdf")
def sign_pdf(
    source: Path = typer.Argument(..., help="The PDF to sign."),
    target: Path = typer.Argument(..., help="Where to write the signed PDF."),
    key: Path = typer.Option(..., "--key", help="Private key (PEM or DER, RSA) or a .p12/.pfx file."),
    cert: Path | None = typer.Option(
        None, "--cert", help="Certificate and chain (PEM or DER); not needed with a .p12/.pfx key."
    ),
    password_env: str | None = typer.Option(
        None, "--password-env", help="Name of the environment variable holding the key's password."
    ),
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
    long_term: Path | None = typer.Option(
        None, "--long-term", help="Embed chain and CRLs from this trust store (PAdES-B-LT; needs a TSA)."
    ),
    archival: bool = typer.Option(False, "--archival", help="Add a document time-stamp (PAdES-B-LTA)."),
) -> None:
    """Sign a PDF with a visible Decree-30 stamp (person: name, position, time; agency: number, time)."""
    from lienthong.signing.pdf import DocumentSigner, PdfSignSpec, Role, StampSpec, local_timestamper
    from lienthong.signing.pki import load_credential
    from lienthong.signing.trust import load_trust_store

    try:
        credential = load_credential(key, cert, _password(password_env))
        timestamper = local_timestamper(load_credential(tsa_key, tsa_cert)) if tsa_key else None
        try:
            data = source.read_bytes()
        except OSError as exc:
            detail = f"cannot read {source}: {exc.strerror}"
            raise SigningError(P.SIGNING_FAILED(str(source), detail=detail)) from None
        stamp_page = page - 1 if page is not None and page > 0 else page
        spec = PdfSignSpec(
            role=Role.AGENCY if agency else Role.PERSON,
            number_notation=number,
            reason=reason,
            location=location,
            stamp=StampSpec(visible=not invisible, page=stamp_page),
        )
        store = load_trust_store(long_term) if long_term is not None else None
        signer = DocumentSigner(credential, timestamper=timestamper, long_term=store, archival=archival)
        signed = signer.sign(data, spec)
    except SigningError as exc:
        raise _fail(exc) from None
    _write(target, signed)
    typer.echo(f"signed {source} -> {target} as {'agency' if agency else 'person'} {credential.name}")


@app.command("package")
def sign_package(
    source: Path = typer.Argument(..., help="The edXML package to sign."),
    target: Path = typer.Argument(..., help="Where to write the signed package."),
    key: Path = typer.Option(
        ..., "--key", help="Private key of the sending agency or gateway, or .p12/.pfx."
    ),
    cert: Path | None = typer.Option(
        None, "--cert", help="Its certificate and chain (not needed with .p12)."
    ),
    password_env: str | None = typer.Option(
        None, "--password-env", help="Name of the environment variable holding the key's password."
    ),
    algorithm: str = typer.Option("rsa-sha256", "--algorithm", help="rsa-sha256, or rsa-sha1 for old peers."),
    other_agency: bool = typer.Option(
        False, "--allow-other-agency", help="Sign even if the certificate's agency is not the From agency."
    ),
) -> None:
    """Sign an edXML package with an enveloped XML-DSig (replacing a placeholder Signature)."""
    from lienthong.signing.pki import load_credential
    from lienthong.signing.xmldsig import PackageSigner, PackageSignSpec

    try:
        credential = load_credential(key, cert, _password(password_env))
        try:
            data = source.read_bytes()
        except OSError as exc:
            detail = f"cannot read {source}: {exc.strerror}"
            raise SigningError(P.SIGNING_FAILED(str(source), detail=detail)) from None
        signed = PackageSigner(
            credential, PackageSignSpec(algorithm, require_sender_match=not other_agency)
        ).sign(data)
    except SigningError as exc:
        raise _fail(exc) from None
    _write(target, signed)
    typer.echo(f"signed {source} -> {target} ({algorithm}) by {credential.name}")


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
