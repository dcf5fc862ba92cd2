"""Per-system rate limits (``lienthong hub system limits``) and the grants, through the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from lienthong.cli.main import app
from lienthong.hub import problems as HP
from lienthong.hub.config import HubConfig
from lienthong.hub.intake import Refused
from lienthong.hub.service import Hub
from tests.hub.conftest import document, make_hub, send


def test_a_systems_own_limit_is_set_by_the_cli_and_applied(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.sqlite3'}"
    make_hub(tmp_path, url).close()
    runner = CliRunner()
    common = ["--db", url, "--data-dir", str(tmp_path / "data")]
    result = runner.invoke(
        app, ["hub", "system", "limits", "vpcp.sys", "--rate", "0.01", "--burst", "2", *common]
    )
    assert result.exit_code == 0, result.output
    for command in (["grant-operator", "nghean.sys"], ["allow-register", "caobang.sys"]):
        assert runner.invoke(app, ["hub", "system", *command, *common]).exit_code == 0
    listing = runner.invoke(app, ["hub", "system", "list", *common]).output
    assert "operator" in listing and "register" in listing
    bad = runner.invoke(app, ["hub", "system", "limits", "vpcp.sys", "--rate", "-1", *common])
    assert bad.exit_code == 1 and "HUB.BAD_REQUEST" in bad.output

    hub = Hub(HubConfig(data_dir=tmp_path / "data", db_url=url))
    try:
        send(hub, "vpcp.sys", document(number="1"))
        send(hub, "vpcp.sys", document(number="2"))
        with pytest.raises(Refused) as caught:
            send(hub, "vpcp.sys", document(number="3"))
        assert caught.value.problem.code == HP.RATE_LIMITED.code
        send(hub, "bxd.sys", document(sender="000.00.00.G17", number="4"))  # others keep the default
        nghean, caobang = hub.system("nghean.sys"), hub.system("caobang.sys")
        assert nghean is not None and nghean.operator and not nghean.can_register
        assert caobang is not None and caobang.can_register and not caobang.operator
    finally:
        hub.close()


def test_the_limit_is_shared_by_every_worker_on_the_data_folder(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.sqlite3'}"
    first = make_hub(tmp_path, url, rate_per_second=0.01, rate_burst=3)  # two workers, one data folder
    second = Hub(HubConfig(data_dir=tmp_path / "data", db_url=url, rate_per_second=0.01, rate_burst=3))
    try:
        send(first, "vpcp.sys", document(number="1"))
        send(second, "vpcp.sys", document(number="2"))
        send(first, "vpcp.sys", document(number="3"))
        for worker in (first, second):
            with pytest.raises(Refused) as caught:
                send(worker, "vpcp.sys", document(number="4"))
            assert caught.value.problem.code == HP.RATE_LIMITED.code
        send(
            second, "nghean.sys", document(sender="000.00.00.H41", recipients=("000.00.00.G22",), number="5")
        )
    finally:
        first.close()
        second.close()
