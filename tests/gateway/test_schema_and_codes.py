"""The gateway's database matches its models on both engines; its codes are in the problem catalogue."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from lienthong.gateway import problems as GP
from lienthong.gateway.service import Gateway, GatewayError
from lienthong.gateway.tables import GatewayBase
from lienthong.problems import LienthongError, Problem, catalogue
from lienthong.registry import load_all

ROOT = Path(__file__).resolve().parents[2]


# --- observation 13: the migrations match the models (monitor_state and monitor_uptime included) -----------


def test_gateway_migrations_match_the_models(local_gateway: Callable[..., Gateway]) -> None:
    gateway = local_gateway("000.00.00.G22")
    with gateway.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"version_table": "gateway_alembic_version"})
        assert context.get_current_revision() == "g0004a"
        assert [d for d in compare_metadata(context, GatewayBase.metadata) if not _version_table(d)] == []
    assert {"monitor_state", "monitor_uptime", "mail_outbox"} <= set(GatewayBase.metadata.tables)


# --- observation 12: GATEWAY.* codes are Problems, in the catalogue and in docs/problems.md ---


def test_every_gateway_code_in_the_code_is_defined_once_and_documented() -> None:
    load_all()
    defined = {p.code for p in catalogue() if p.code.startswith("GATEWAY.")}
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "src/lienthong").rglob("*.py"))
    used = set(re.findall(r'"(GATEWAY\.[A-Z_]+)"', source))
    assert used <= defined, used - defined
    documented = (ROOT / "docs/problems.md").read_text(encoding="utf-8")
    assert all(code in documented for code in defined)
    for p in catalogue():
        if p.code.startswith("GATEWAY."):
            assert p.message_vi and p.message_en and p.message_vi != p.message_en


def test_a_gateway_error_carries_a_problem_not_a_glued_string() -> None:
    error = GatewayError(GP.NOT_RESENDABLE(state="sent", state_vi="Đã gửi"), 409)
    assert isinstance(error, LienthongError) and isinstance(error.problem, Problem)
    assert error.problem.code == "GATEWAY.NOT_RESENDABLE" and error.status == 409
    assert "Đã gửi" in error.problem.message_vi and "sent" in error.problem.message_en


def _version_table(diff: object) -> bool:
    """Alembic's own version table is not a model."""
    return "gateway_alembic_version" in repr(diff)
