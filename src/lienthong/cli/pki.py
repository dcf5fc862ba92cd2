"""``lienthong pki``: make a demo/test PKI (root and issuing CA, TSA, agency and personal signers, CRL)."""

from __future__ import annotations

from pathlib import Path

import typer

from lienthong.codes.agency import is_valid_agency_code
from lienthong.signing.pki import DEFAULT_AGENCIES, DEFAULT_PEOPLE, AgencySpec, PersonSpec, create_demo_pki

app = typer.Typer(help="Demo and test PKI (never for real documents).", no_args_is_help=True)

EXIT_USAGE = 2


@app.command("init")
def init(
    directory: Path = typer.Argument(..., help="Folder to create the PKI in (must be empty or absent)."),
    agency: list[str] = typer.Option(
        [], "--agency", help="An agency to certify, as CODE=Name (repeatable; default: four samples)."
    ),
    person: list[str] = typer.Option(
        [], "--person", help="A personal signer, as 'Full name|Position|AGENCY-CODE' (repeatable)."
    ),
    force: bool = typer.Option(False, "--force", help="Write into a folder that is not empty."),
) -> None:
    """Create a root CA, an issuing CA, a TSA, one certificate per agency, personal signers and a CRL."""
    if directory.exists() and any(directory.iterdir()) and not force:
        typer.echo(f"error: {directory} is not empty (use --force to write into it)", err=True)
        raise typer.Exit(EXIT_USAGE)
    agencies = [_agency(a) for a in agency] or list(DEFAULT_AGENCIES)
    people = [_person(p) for p in person] or list(DEFAULT_PEOPLE)
    pki = create_demo_pki(directory, agencies=agencies, people=people)
    typer.echo(f"Demo PKI written to {pki.directory} (for tests and demos only: keys are not encrypted)")
    typer.echo(f"  trust store  {pki.trust_dir}   (lienthong verify FILE --trust {pki.trust_dir})")
    for code, cred in pki.agencies.items():
        typer.echo(f"  agency       {code}  {cred.name}   agencies/{code}.key.pem")
    for slug, cred in pki.people.items():
        typer.echo(f"  person       {cred.name}   people/{slug}.key.pem")
    typer.echo(f"  revoked      {pki.revoked.name}   (listed in the CRL)")
    typer.echo(f"  expired      {pki.expired.name}")


def _agency(text: str) -> AgencySpec:
    code, sep, name = text.partition("=")
    if not sep or not is_valid_agency_code(code.strip()) or not name.strip():
        raise typer.BadParameter(f"expected CODE=Name with a Decision-20 code (NNN.NN.NN.XNN), got {text!r}")
    return AgencySpec(code.strip(), name.strip())


def _person(text: str) -> PersonSpec:
    parts = [p.strip() for p in text.split("|")]
    if len(parts) != 3 or not all(parts):
        raise typer.BadParameter(f"expected 'Full name|Position|AGENCY-CODE', got {text!r}")
    return PersonSpec(parts[0], parts[1], parts[2])
