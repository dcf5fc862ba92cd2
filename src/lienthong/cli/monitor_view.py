"""The Rich status screen of ``lienthong hub status`` (and ``gateway health``) from a status report."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from lienthong.display import vietnam_time

_STYLE = {"ok": "green", "warn": "yellow", "fail": "bold red"}
_HEAD = {"ok": ("HEALTHY", "green"), "degraded": ("DEGRADED", "yellow"), "fail": ("NOT READY", "bold red")}


def _when(iso: str | None) -> str:
    return vietnam_time(iso) if iso else ""


def render_status(
    console: Console, report: dict[str, Any], title: str = "Lienthong hub status", peer: str = "agency"
) -> None:
    """``report``: ``readiness`` (Readiness.to_dict()), and optionally ``certificates``, ``agencies``
    (peers: code, up, last_contact, lost_since), ``uptime`` rows, ``error`` (see HubMonitor.status)."""
    readiness = report["readiness"]
    word, style = _HEAD.get(readiness["status"], ("?", "white"))
    if readiness["status"] == "ok" and not report.get("healthy", True):
        word, style = "READY, WITH WARNINGS", "yellow"
    parts: list[Any] = [
        Text(f"{word}  lúc / at {_when(report['at'])} (giờ Việt Nam / Vietnam time)", style=style)
    ]

    checks = Table(title="Health checks", expand=True)
    for column in ("check", "status", "reason", "since"):
        checks.add_column(column, no_wrap=True)
    checks.add_column("detail", ratio=1)
    for name, c in readiness["checks"].items():
        checks.add_row(
            name,
            Text(c["status"], style=_STYLE.get(c["status"], "")),
            c["reason"],
            _when(c["since"]),
            c["detail"],
        )
    parts.append(checks)

    certificates = report.get("certificates", [])
    if certificates:
        table = Table("kind", "subject", "source", "expires", "days left", title="Certificates", expand=True)
        for cert in certificates:
            level = cert["level"]
            style = "bold red" if level == "expired" else "yellow" if level != "ok" else "green"
            table.add_row(
                cert["kind"],
                cert["subject"],
                cert["source"],
                _when(cert["not_after"])[:10],
                Text(str(cert["days_left"]), style=style),
            )
        parts.append(table)

    agencies = report.get("agencies", [])
    if agencies:
        lost = [a for a in agencies if not a["up"]]
        table = Table(peer, "contact", "last contact", "lost since", title="Connectivity", expand=True)
        for a in lost:
            table.add_row(
                a["code"], Text("lost", style="bold red"), _when(a["last_contact"]), _when(a["lost_since"])
            )
        table.caption = f"{len(agencies) - len(lost)} of {len(agencies)} in contact"
        if lost:
            parts.append(table)
        else:
            parts.append(Text(table.caption, style="green"))

    uptime = report.get("uptime", [])
    if uptime:
        days = sorted({row["day"] for row in uptime}, reverse=True)
        by_peer: dict[str, dict[str, float | None]] = defaultdict(dict)
        for row in uptime:
            by_peer[row["peer"]][row["day"]] = row["ratio"]
        table = Table(peer, *days, title="Uptime per day (Vietnam time)", expand=True)
        for peer in sorted(by_peer):
            cells = []
            for day in days:
                ratio = by_peer[peer].get(day)
                if ratio is None:
                    cells.append(Text("-"))
                else:
                    cells.append(Text(f"{ratio:.1%}", style="green" if ratio >= 0.99 else "yellow"))
            table.add_row(peer, *cells)
        parts.append(table)

    if report.get("error"):
        parts.append(Text(f"not checked: {report['error']}", style="red"))
    console.print(Panel(Group(*parts), title=title))
