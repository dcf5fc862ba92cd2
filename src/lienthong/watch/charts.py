"""Small inline SVG bar charts for the reports (no JavaScript, no images: e-mail and PDF safe)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup


def bars(
    values: Sequence[int],
    *,
    width: int = 220,
    height: int = 44,
    color: str = "#2f6fb0",
    title: str = "",
    labels: Sequence[str] = (),
    ticks: Sequence[int] = (),
) -> Markup:
    """A bar per value, scaled to the largest; a zero day shows as a thin baseline tick.

    ``ticks`` are the positions whose label is written under the bars (an axis for long series).
    """
    axis_h = 11 if ticks else 0
    height += axis_h
    count = max(len(values), 1)
    top = max(values, default=0) or 1
    gap = 1 if count > 12 else 2
    bar_w = max((width - gap * (count - 1)) / count, 1.0)
    chart_h = height - 12 - axis_h  # room for the maximum written above and the axis below
    base = height - axis_h
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="9" font-size="9" fill="#555">max {max(values, default=0)}</text>',
    ]
    for n, value in enumerate(values):
        h = max(chart_h * value / top, 0.8 if value == 0 else 2.0)
        x = n * (bar_w + gap)
        if n in ticks and n < len(labels):
            parts.append(
                f'<text x="{x:.1f}" y="{height - 1}" font-size="8" fill="#555">{escape(labels[n])}</text>'
            )
        fill = color if value else "#c8ccd2"
        tip = f"{labels[n]}: {value}" if n < len(labels) else str(value)
        parts.append(
            f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{fill}">'
            f"<title>{escape(tip)}</title></rect>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
