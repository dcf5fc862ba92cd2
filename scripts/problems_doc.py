"""Writes docs/problems.md from ``lienthong problems --json``; ``--check`` fails if it is out of date."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

DOC = Path(__file__).resolve().parents[1] / "docs" / "problems.md"


def catalogue_json() -> list[dict[str, Any]]:
    """The catalogue exactly as ``lienthong problems --json`` prints it."""
    out = subprocess.run(
        [sys.executable, "-m", "lienthong.cli.main", "problems", "--json"],
        check=True,
        capture_output=True,
    ).stdout
    data = json.loads(out)
    assert isinstance(data, list)
    return data


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(entries: list[dict[str, Any]]) -> str:
    lines = [
        "# Problem codes",
        "",
        "Every problem Lienthong can report: a stable code, a default severity, and the message in",
        "Vietnamese and English (`{…}` are filled in per finding). Generated from",
        "`lienthong problems --json` by `python scripts/problems_doc.py`; a test keeps it up to date.",
        "`--strict` turns the warnings about system ids, legacy codes, hub codes and namespaces into errors.",
        "",
        "| code | severity | message (vi) | message (en) | basis |",
        "|---|---|---|---|---|",
    ]
    for e in entries:
        lines.append(
            f"| `{e['code']}` | {e['severity']} | {_cell(e['message_vi'])} | {_cell(e['message_en'])} "
            f"| {_cell(e['basis'])} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    text = render(catalogue_json())
    if "--check" in argv:
        if not DOC.exists() or DOC.read_text("utf-8") != text:
            print(f"{DOC} is out of date: run python scripts/problems_doc.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(text, "utf-8")
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
