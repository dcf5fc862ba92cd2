"""Before the country demo starts: its PKI, the hub's directory and systems, each gateway's configuration."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lienthong.accounts.store import AccountStore
from lienthong.demo.cast import Body
from lienthong.demo.cluster import Cluster, free_port
from lienthong.gateway.config import GatewayConfig
from lienthong.gateway.people import CLERK, LEADER, TOKEN_SCOPES, open_store
from lienthong.hub import directory, registration
from lienthong.hub.config import HubConfig
from lienthong.hub.people import hub_accounts
from lienthong.hub.service import Hub
from lienthong.signing.pki import AgencySpec, PersonSpec, create_demo_pki

OPERATOR_SYSTEM = "trucquocgia.console"
OPERATOR_EMAIL = "vanhanh@truc.gov.vn.test"


@dataclass
class Prepared:
    """What the operator set up: where the PKI is, and each system's credentials."""

    pki_dir: Path
    hub_dir: Path
    tokens: dict[str, str]  # body code -> JSON API token of its system
    secrets: dict[str, str]  # body code -> SDK secret (the SDK-protocol gateways)
    operator_token: str
    accounts: dict[str, tuple[str, str]]  # username -> (password, what the person may see)
    gateway_tokens: dict[str, str] = field(default_factory=dict)  # body code -> its gateway's API token
    gateway_people: dict[str, str] = field(default_factory=dict)  # "vanthu", "lanhdao" -> their password


def make_pki(workdir: Path, bodies: tuple[Body, ...]) -> Path:
    # Issued ten days ago, so that the late paper can carry a signature of several days back.
    issued = datetime.now(UTC) - timedelta(days=10)
    pki = create_demo_pki(
        workdir / "pki",
        agencies=[AgencySpec(b.code, b.name) for b in bodies],
        people=[PersonSpec(b.signer, b.position, b.code) for b in bodies],
        clock=lambda: issued,
    )
    return pki.directory


def prepare_hub(workdir: Path, bodies: tuple[Body, ...], database: str | None) -> Prepared:
    """The directory (bodies and their units) and one system per body, as an operator registers them."""
    hub_dir = workdir / "hub"
    hub = Hub(HubConfig.from_env(database, str(hub_dir)))
    now = datetime.now(UTC)
    sdk_secrets = {b.code: secrets.token_urlsafe(16) for b in bodies if b.sdk}
    tokens: dict[str, str] = {}
    try:
        with hub.write() as s:
            directory.add_agency(
                s, directory.AgencyInput(hub.config.hub_code, "Trục liên thông quốc gia"), now
            )
            for body in bodies:
                directory.add_agency(
                    s, directory.AgencyInput(body.code, body.name, None, (body.mailbox,)), now
                )
                for unit in body.units:
                    directory.add_agency(
                        s, directory.AgencyInput(unit.code, unit.name, body.code, (body.mailbox,)), now
                    )
            for body in bodies:
                # A body's document system serves its units too, as a provincial system does.
                directory.add_system(
                    s, hub.keys, body.system_id, body.codes, now, secret=sdk_secrets.get(body.code)
                )
            directory.add_system(s, hub.keys, OPERATOR_SYSTEM, [hub.config.hub_code], now)
            # The operator is a role the administrator grants, never read from the hub's code.
            registration.set_grants(s, OPERATOR_SYSTEM, now, operator=True)
        with hub.write() as s:
            for body in bodies:  # the SDK-protocol body's token only reads its reports
                tokens[body.code] = directory.issue_token(s, body.system_id, now, "demo")
            operator = directory.issue_token(s, OPERATOR_SYSTEM, now, "operator console")
        accounts = _console_accounts(hub, bodies)
    finally:
        hub.close()
    return Prepared(make_pki(workdir, bodies), hub_dir, tokens, sdk_secrets, operator, accounts)


def _console_accounts(hub: Hub, bodies: tuple[Body, ...]) -> dict[str, tuple[str, str]]:
    """The demo's people at the hub's console: the national operator and one province's operator."""
    store = AccountStore(hub_accounts(), hub.read, hub.write, hub.clock)
    province = next((b for b in bodies if b.code.endswith(".H41")), bodies[-1])
    people = {
        "vanhanh": ("operator", None, "Vận hành Trục quốc gia", "cả nước / the whole country"),
        "tinh": ("province-operator", province.code, f"Vận hành {province.name}", province.name),
    }
    made: dict[str, tuple[str, str]] = {}
    with store.write() as s:
        for username, (role, scope, name, sees) in people.items():
            password = secrets.token_urlsafe(12)
            store.accounts.add(s, username, password, role, store.clock(), scope=scope, display_name=name)
            made[username] = (password, sees)
    return made


def gateway_config(cluster: Cluster, workdir: Path, body: Body, prepared: Prepared, smtp_port: int) -> Path:
    """A gateway's TOML, as an agency's administrator writes it (see examples/)."""
    folder = workdir / "gateways" / body.code
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    pki = prepared.pki_dir
    if body.sdk:
        link = [
            'protocol = "sdk"',
            f'system_id = "{body.system_id}"',
            f'secret = "{prepared.secrets[body.code]}"',
        ]
    else:
        link = [f'token = "{prepared.tokens[body.code]}"']
    lines = [
        f'agency_code = "{body.code}"',
        f'agency_name = "{body.name}"',
        'data_dir = "data"',
        f"http_port = {port}",
        f'trust_dir = "{(pki / "trust").as_posix()}"',
        f'signing_key = "{(pki / "agencies" / f"{body.code}.key.pem").as_posix()}"',
        f'signing_cert = "{(pki / "agencies" / f"{body.code}.cert.pem").as_posix()}"',
        f'clerk_emails = ["{body.mailbox}"]',
        "outbox_interval = 0.2",
        "backoff_seconds = 1.0",
        "backoff_max_seconds = 4.0",
        "mail_backoff_seconds = 1.0",
        "warn_after_minutes = 0.05",  # three seconds: the hub's restart shows *chưa gửi được lên Trục*
        "wait_seconds = 3",
        "tracking_interval = 1",
        "warnings_interval = 1",
        "office_hours_only = false",
        "not_fetched_hours = 0.002",  # about seven seconds, so the demo shows the warning
        "",
        "[hub]",
        f'url = "{cluster.hub_url}"',
        *link,
        "",
        "[smtp]",
        'host = "127.0.0.1"',
        f"port = {smtp_port}",
        "",
    ]
    path = folder / "gateway.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    cluster.add_gateway(body, path, port)
    prepared.gateway_tokens[body.code] = _gateway_people(path, body, prepared)
    return path


def _gateway_people(config: Path, body: Body, prepared: Prepared) -> str:
    """A clerk and a leader for the agency console, and the API token of the agency's document system."""
    if not prepared.gateway_people:  # one password per role, the same at every gateway of the demo
        prepared.gateway_people.update(
            {"vanthu": secrets.token_urlsafe(9), "lanhdao": secrets.token_urlsafe(9)}
        )
    store = open_store(GatewayConfig.load(config).database_url)
    with store.write() as s:
        now = store.clock()
        store.accounts.add(s, "hethong", secrets.token_urlsafe(16), LEADER, now,
                           display_name=f"Văn thư {body.short}")  # fmt: skip
        for username, role, name in (("vanthu", CLERK, "Văn thư"), ("lanhdao", LEADER, "Lãnh đạo")):
            password = prepared.gateway_people[username]
            store.accounts.add(s, username, password, role, now, display_name=f"{name} {body.short}")
        _, token = store.accounts.issue_token(s, "hethong", list(TOKEN_SCOPES), now, "document system")
    return token
