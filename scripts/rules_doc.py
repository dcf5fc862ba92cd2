"""Writes docs/rules.md from the rules in ``lienthong.checks``; ``--check`` fails if it is out of date."""

from __future__ import annotations

import sys
from pathlib import Path

from lienthong.checks import DEFAULT_POLICY, RULES, Rule

DOC = Path(__file__).resolve().parents[1] / "docs" / "rules.md"


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def _summary(rule: Rule) -> str:
    doc = rule.check.__doc__ or ""
    return _cell(doc.strip().split("\n\n", 1)[0])


def render() -> str:
    p = DEFAULT_POLICY
    lines = [
        "# Preflight rules (issue 5)",
        "",
        "What must be true of a document before it goes out (Directive 807/VPCP-KSTT items 2 and 5).",
        "Generated from `lienthong.checks` by `python scripts/rules_doc.py`; a test keeps it up to date.",
        "",
        "Where they run: the **gateway** runs every rule before sending (`lienthong.checks.gateway_checker`;",
        "an error stops the package until a clerk fixes it); the **hub** runs the rules marked *hub* on",
        "acceptance and records their findings without refusing, except `CHECK.STATE_SECRET`, refused",
        "outright as `HUB.STATE_SECRET` (under the strict policy every check error refuses);",
        "`lienthong check FILE [--json] [--policy FILE] [--trust DIR]` runs them all (exit 0 no error,",
        "1 errors, 2 unreadable). A rule whose input is missing (no trust store: no signatures; no registry;",
        "no history) is *skipped*, not failed.",
        "",
        "| code | rule (vi / en) | default | hub | needs | what it checks | legal basis |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in RULES:
        needs = ", ".join(sorted(n.value for n in r.needs)) or "–"
        lines.append(
            f"| `{r.code}` | {_cell(r.title_vi)} / {_cell(r.title_en)} | {r.ptype.severity.value} "
            f"| {'yes' if r.hub else 'no'} | {needs} | {_summary(r)} | {_cell(r.basis)} |"
        )
    electronic = ", ".join(sorted(p.catalogue.electronic_only))
    max_level = ", ".join(f"{k} → level {v}" for k, v in sorted(p.authority.max_level.items()))
    lines += [
        "",
        "## Policy",
        "",
        "A TOML file changes any of the defaults below; unknown sections, keys, rules and document types",
        "are refused with their place, and `CHECK.STATE_SECRET` cannot be set below `error`.",
        "",
        "| setting | default |",
        "|---|---|",
        '| `[rules]` `"CHECK.X" = "error" \\| "warning" \\| "info" \\| "off"` | each rule\'s default above |',
        f"| `[time] next_day_deadline` | {p.time.next_day_deadline:%H:%M} of the next working day |",
        f"| `[time] urgent_priority` | Priority ≥ {p.time.urgent_priority} is urgent |",
        f"| `[time] urgent_grace_minutes` | {p.time.urgent_grace_minutes} |",
        "| `[time] calendar_file` | none: Vietnam's public holidays (`holidays`), weekends |",
        f"| `[time] future_tolerance_minutes` | {p.time.future_tolerance_minutes} (clock skew) |",
        f"| `[format] allow_legal_types` | {str(p.format.allow_legal_types).lower()} |",
        "| `[format] issuer_abbreviations` | none (agency code → the issuer's group in the notation) |",
        f"| `[format] min_pdf_version` | {'.'.join(map(str, p.format.min_pdf_version))} |",
        f"| `[authority.max_level]` | {max_level} |",
        f"| `[authority] head_only_types` | {', '.join(sorted(p.authority.head_only_types))} |",
        f"| `[authority] delegated_markers` | {', '.join(sorted(p.authority.delegated_markers))} |",
        "| `[secrets] keywords` | none (phrases the operator treats as secret) |",
        f"| `[secrets] classification_elements` | {', '.join(sorted(p.secrets.classification_elements))} |",
        f"| `[attachments] extensions` | {', '.join(sorted(p.attachments.extensions))} |",
        f"| `[attachments] content_types` | {', '.join(sorted(p.attachments.content_types))} |",
        f"| `[attachments] max_file_mb`, `max_total_mb` | {p.attachments.max_file_bytes >> 20}, "
        f"{p.attachments.max_total_bytes >> 20} |",
        f"| `[attachments] max_name_length` | {p.attachments.max_name_length} |",
        f"| `[catalogue] electronic_only` | letter 775: {electronic} |",
        f"| `[catalogue] paper_recipients` | {', '.join(sorted(p.catalogue.paper_recipients))} "
        "(the Government and the Prime Minister, through the Government Office) |",
        "| `[catalogue.agency_paper]` | none (agency code → its own list of types followed by paper) |",
        "",
        "Time limits: the signing time is the latest valid PAdES signature on the main document (its",
        "time-stamp, else the signer's claimed time); without a verified signature, the PromulgationDate.",
        "Working days follow `lienthong.codes.calendar` (weekends, Tết and the other public holidays,",
        "compensatory working days, the operator's file).",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not DOC.exists() or DOC.read_text("utf-8") != text:
            print(f"{DOC} is out of date: run python scripts/rules_doc.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(text, "utf-8")
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
