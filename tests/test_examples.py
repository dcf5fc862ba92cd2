"""Every file in examples/ is loaded or run, so what a newcomer copies works."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lienthong.cli.main import app
from lienthong.edxml import DocumentMessage, parse
from lienthong.edxml.validate import validate
from lienthong.gateway.config import GatewayConfig
from lienthong.hub.config import HubConfig
from lienthong.signing.samples import sample_pdf
from lienthong.watch.config import WatchConfig

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _env_file(path: Path) -> dict[str, str]:
    pairs = {}
    for line in path.read_text("utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


def test_the_metadata_example_packs_into_a_valid_package(tmp_path: Path) -> None:
    pdf = tmp_path / "cong-van-807.pdf"
    pdf.write_bytes(sample_pdf("Cong van so 807/VPCP-KSTT"))
    out = tmp_path / "807.edxml"
    result = CliRunner().invoke(
        app, ["edxml", "pack", str(EXAMPLES / "document.toml"), str(pdf), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    message = parse(out)
    assert [p for p in validate(message) if p.is_error] == []
    assert isinstance(message, DocumentMessage) and message.header is not None
    assert message.header.document_id == "000.00.00.G22,2026/11/30,807/VPCP-KSTT"


def test_the_hub_environment_file_configures_the_hub_and_its_warnings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    values = _env_file(EXAMPLES / "hub.env")
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    hub = HubConfig.from_env()
    assert hub.data_dir == Path("/var/lib/lienthong/hub") and hub.database_url.startswith("postgresql://")
    watch = WatchConfig.from_env()
    assert watch.smtp.host == "mail.truc.gov.vn" and watch.smtp.starttls
    assert watch.operator_emails == ("vanhanh@truc.gov.vn",)
    assert set(values) <= {k for k in values if k.startswith("LIENTHONG_")}


@pytest.mark.parametrize("name", ["gateway-ministry.toml", "gateway-province-sdk.toml"])
def test_the_gateway_examples_load(name: str) -> None:
    config = GatewayConfig.load(EXAMPLES / name)
    assert config.data_dir == (EXAMPLES / "data").resolve()
    assert config.clerk_emails and config.smtp is not None and config.smtp.host.startswith("mail.")
    if name.endswith("sdk.toml"):
        assert config.hub.protocol == "sdk" and config.hub.system_id and config.hub.secret
    else:
        assert config.hub.protocol == "lienthong" and config.hub.token.startswith("lt_")


@pytest.mark.parametrize("name", ["lienthong-hub.service", "lienthong-gateway@.service"])
def test_the_systemd_units_run_a_command_the_cli_accepts(name: str) -> None:
    unit = configparser.ConfigParser(interpolation=None, strict=True)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(EXAMPLES / "systemd" / name, encoding="utf-8")
    assert {"Unit", "Service", "Install"} <= set(unit.sections())
    service = unit["Service"]
    assert service["User"] == "lienthong" and service["UMask"] == "0077"
    words = shlex.split(service["ExecStart"].replace("%i", "bttt"))
    assert words[0].endswith("/lienthong")
    # The real command line parses every option before an eager --help stops it: an unknown option
    # or sub-command fails with exit 2, so exit 0 means the unit's command line is one the CLI takes.
    result = CliRunner().invoke(app, [*words[1:], "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage: lienthong " + " ".join(words[1:3]) in " ".join(result.output.split())
