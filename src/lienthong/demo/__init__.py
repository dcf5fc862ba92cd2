"""``make demo`` / ``lienthong demo``: the whole country on one machine, built from nothing but the clone.

First the public sample packages are validated and shown when they lie beside the repository
(optional), and one package is built; then the country: a hub, the Government Office, ministries and
provinces each with its own gateway, documents, answers, recalls, changes, injected faults, reports,
e-mails and a trace picture, with a verdict (``lienthong.demo.run``).
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from rich.console import Console
from rich.panel import Panel

from lienthong.demo.samples import SamplesMissing, build_demo, find_samples, show_samples


def main(
    argv: list[str] | None = None,
    *,
    agencies: int = 12,
    documents: int = 6,
    database: str | None = None,
    out: Path = Path("demo-output"),
    keep_running: bool = False,
) -> int:
    """Samples (when present), a built package, then the country run; the exit status."""
    args = sys.argv[1:] if argv is None else argv
    console = Console(record=True)  # recorded: the run's own picture of its terminal, terminal.svg
    if not console.is_terminal:  # a log or a pipe: wide enough that tables are not cut at 80 columns
        console = Console(record=True, width=max(console.width, 140))
    try:
        samples = find_samples(args[0] if args else None)
    except SamplesMissing as exc:
        Console(stderr=True).print(f"[red]Lienthong demo: {exc}[/]")
        return 2
    console.print(
        Panel(
            "Lienthong — liên thông văn bản điện tử: edXML packages (QCVN 102:2016) checked, signed, "
            "exchanged through a hub, answered and watched.",
            title="Lienthong demo",
        )
    )
    if samples is None:
        console.print(
            "[dim]No public sample packages beside the repository (optional: ../shared/samples or "
            "LIENTHONG_SAMPLES); the demo builds its own.[/]"
        )
    else:
        show_samples(console, samples)
    build_demo(console, out)
    if os.environ.get("LIENTHONG_DEMO_EXCHANGE", "1") == "0":
        return 0
    from lienthong.demo.run import Options, run

    options = Options(agencies, documents, database, out, keep_running)
    status = run(options, console)
    console.save_svg(str(out / "terminal.svg"), title="lienthong demo", code_format=_svg_format())
    return status


def _svg_format() -> str:
    """Rich's SVG template without its web fonts: nothing is fetched from outside (a local monospace)."""
    from rich._export_format import CONSOLE_SVG_FORMAT

    return re.sub(r"@font-face \{\{.*?\}\}\n", "", CONSOLE_SVG_FORMAT, flags=re.S)
