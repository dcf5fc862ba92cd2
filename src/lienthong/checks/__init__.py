"""Preflight checks (Directive 807 items 2 and 5): coded rules with a legal basis, run under a policy.

Used by the gateway before sending (``gateway_checker``), by the hub on acceptance
(``hub_check``: the subset that needs neither signatures nor registers) and by ``lienthong check``.
This package sits above ``edxml``, ``codes`` and ``signing`` and below the services: the registry
and the sending history come through the ports in ``context``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from lienthong.checks import problems
from lienthong.checks.context import (
    AgencyRecord,
    AgencyRegistry,
    Clock,
    Context,
    InMemoryHistory,
    InMemoryRegistry,
    SendingHistory,
    SentDocument,
    utc_now,
)
from lienthong.checks.engine import CheckReport, Facts, Need, Outcome, Rule, RuleResult, run_rules
from lienthong.checks.policy import DEFAULT_POLICY, Policy, PolicyError, load_policy, policy_from_dict
from lienthong.checks.rules import HUB_RULES, RULES, secrecy_level
from lienthong.edxml import DocumentMessage, Message
from lienthong.problems import Problem
from lienthong.signing.report import FileReport

if TYPE_CHECKING:
    from lienthong.signing.agencies import AgencyDirectory
    from lienthong.signing.trust import TrustSource

__all__ = [
    "DEFAULT_POLICY",
    "HUB_RULES",
    "RULES",
    "AgencyRecord",
    "AgencyRegistry",
    "CheckReport",
    "Context",
    "Facts",
    "InMemoryHistory",
    "InMemoryRegistry",
    "Need",
    "Outcome",
    "Policy",
    "PolicyError",
    "Rule",
    "RuleResult",
    "SendingHistory",
    "SentDocument",
    "check",
    "gateway_checker",
    "hub_check",
    "load_policy",
    "policy_from_dict",
    "problems",
    "run_rules",
    "secrecy_level",
]


def check(
    message: DocumentMessage,
    *,
    policy: Policy = DEFAULT_POLICY,
    context: Context | None = None,
    report: FileReport | None = None,
) -> CheckReport:
    """Every rule over one document package (rules whose needs are missing are skipped)."""
    if context is None:
        context = Context(calendar=policy.calendar())
    return run_rules(RULES, message, context=context, policy=policy, report=report)


def hub_check(message: Message, *, clock: Clock = utc_now, policy: Policy = DEFAULT_POLICY) -> CheckReport:
    """The hub's subset: what it can judge from the package alone, before storing it."""
    if not isinstance(message, DocumentMessage):
        return CheckReport()
    context = Context(clock=clock, calendar=policy.calendar())
    return run_rules(HUB_RULES, message, context=context, policy=policy)


def gateway_checker(
    policy: Policy | None = None,
    trust: TrustSource | None = None,
    registry: AgencyRegistry | None = None,
    history: SendingHistory | None = None,
    clock: Clock | None = None,
    directory: AgencyDirectory | None = None,
) -> Callable[[Message, bytes | Path], list[Problem]]:
    """The gateway's checker: every rule, signatures verified against ``trust`` when given, and
    signing certificates matched to agencies with ``directory`` when given.

    Its problems become the clerk's checklist; an error stops the package until a clerk fixes it.
    """
    chosen = policy or DEFAULT_POLICY
    now = clock or utc_now
    context = Context(clock=now, calendar=chosen.calendar(), registry=registry, history=history)
    verifier = None
    if trust is not None:
        from lienthong.signing.verify import Verifier  # pyHanko: loaded only where signatures are verified

        verifier = Verifier(trust, clock=now, directory=directory)

    def run(message: Message, data: bytes | Path) -> list[Problem]:
        if not isinstance(message, DocumentMessage):
            return []
        report = verifier.verify_package(data) if verifier is not None else None
        return run_rules(RULES, message, context=context, policy=chosen, report=report).problems

    return run
