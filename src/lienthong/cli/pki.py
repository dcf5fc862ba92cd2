"""``lienthong pki``: make a demo/test PKI shaped like the Government CA's, and serve its demo TSA."""

from __future__ import annotations

from pathlib import Path

import typer

from lienthong.codes.agency import is_valid_agency_code
from lienthong.signing.pki import (
    DEFAULT_AGENCIES,
    DEFAULT_PEOPLE,
    AgencySpec,
    PersonSpec,
    create_demo_pki,
    load_credential,
)

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
    """Create the old (SHA-1) and G2 roots with sub-CAs, a TSA, agency seals, personal signers, CRLs."""
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


@app.command("tsa")
def tsa(
    directory: Path = typer.Argument(..., help="A demo PKI made by 'lienthong pki init'."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(3161, "--port", help="Port to listen on."),
) -> None:
    """Serve the demo PKI's time-stamping authority over HTTP (RFC 3161), for --tsa-url in demos."""
    import uvicorn

    from lienthong.signing.errors import SigningError
    from lienthong.signing.tsa_server import tsa_app

    try:
        credential = load_credential(directory / "tsa" / "tsa.key.pem", directory / "tsa" / "tsa.cert.pem")
    except SigningError as exc:
        typer.echo(f"error {exc.problem.code}: {exc.problem.message_en}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    typer.echo(f"demo TSA on http://{host}:{port}/ (lienthong sign pdf … --tsa-url http://{host}:{port}/)")
    uvicorn.run(tsa_app(credential), host=host, port=port, log_level="warning")


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
