"""Draws the roads a document takes between provincial hubs and the national hub (docs/federation.md).

Run from the repository root: ``.venv/bin/python scripts/federation_picture.py`` writes
``docs/images/federation-roads.svg`` and ``.png``; ``--out DIR`` writes them elsewhere. Labels are in
Vietnamese with the English beside them; the SVG keeps its text as text (searchable, readable by a
screen reader) and carries no date, so the same script gives the same bytes.
"""

from __future__ import annotations

import argparse
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

OUT = Path(__file__).resolve().parents[1] / "docs" / "images"
STEM = "federation-roads"

NATIONAL = "Trục quốc gia (VDXP)\nNational hub"
NGHEAN = "Trục tỉnh Nghệ An (LGSP)\nNghệ An provincial hub"
CAOBANG = "Trục tỉnh Cao Bằng (LGSP)\nCao Bằng provincial hub"
MINISTRY = "Cổng Bộ Xây dựng\nMinistry of Construction gateway"
HUB_NAMES = (NATIONAL, NGHEAN, CAOBANG)

# One colour per road; statuses share the colour of the road they come back along, dashed.
LOCAL = "#1e8449"
CROSS = "#1f5fa8"
MINISTRY_ROAD = "#7d3c98"
OUTAGE = "#c0392b"
HUB_FILL = "#eaf1fb"
GATEWAY_FILL = "#fdf6e3"


@dataclass(frozen=True)
class Box:
    """A node of the picture: its centre, size and label."""

    x: float
    y: float
    w: float
    h: float
    label: str
    fill: str
    bold: bool = False

    def edge(self, side: str, shift: float = 0.0) -> tuple[float, float]:
        """A point on the box's border (``top``, ``bottom``, ``left``, ``right``), moved along it."""
        if side == "top":
            return self.x + shift, self.y + self.h / 2
        if side == "bottom":
            return self.x + shift, self.y - self.h / 2
        if side == "left":
            return self.x - self.w / 2, self.y + shift
        return self.x + self.w / 2, self.y + shift


NODES = {
    "national": Box(50, 84, 30, 9, NATIONAL, HUB_FILL, bold=True),
    "ministry": Box(88, 84, 20, 8, MINISTRY, GATEWAY_FILL),
    "nghean": Box(22, 52, 28, 9, NGHEAN, HUB_FILL, bold=True),
    "caobang": Box(78, 52, 28, 9, CAOBANG, HUB_FILL, bold=True),
    "syt": Box(9, 18, 16, 8, "Cổng Sở Y tế\nHealth Dept. gateway", GATEWAY_FILL),
    "vinh": Box(33, 18, 16, 8, "Cổng UBND TP Vinh\nVinh City gateway", GATEWAY_FILL),
    "sgd": Box(67, 18, 16, 8, "Cổng Sở Giáo dục\nEducation Dept. gateway", GATEWAY_FILL),
    "hoaan": Box(91, 18, 16, 8, "Cổng UBND huyện\nDistrict gateway", GATEWAY_FILL),
    "queue": Box(13, 72, 17, 5.5, "Hàng đợi chuyển tiếp\nRelay queue", "#fdecea"),
}

# Each road: (from, from side, shift, to, to side, shift, colour, dashed, curvature, number).
ROADS: tuple[tuple[str, str, float, str, str, float, str, bool, float, str], ...] = (
    # ① local only: Health Dept → Nghệ An hub → Vinh City
    ("syt", "top", 0, "nghean", "bottom", -8, LOCAL, False, 0.0, "①"),
    ("nghean", "bottom", 3, "vinh", "top", -3, LOCAL, False, 0.0, ""),
    # ② cross-province: Health Dept → Nghệ An hub → national → Cao Bằng hub → two of its units
    ("syt", "top", -4, "nghean", "bottom", -12, CROSS, False, 0.0, "②"),
    ("nghean", "top", 7, "national", "left", -1, CROSS, False, -0.25, ""),
    ("national", "right", -1, "caobang", "top", -7, CROSS, False, -0.25, ""),
    ("caobang", "bottom", -9, "sgd", "top", 2, CROSS, False, 0.0, ""),
    ("caobang", "bottom", 9, "hoaan", "top", -2, CROSS, False, 0.0, ""),
    # ③ a status back along the same road (dashed), to the sender
    ("sgd", "top", -3, "caobang", "bottom", -13, CROSS, True, 0.0, "③"),
    ("caobang", "top", -3, "national", "right", -3.5, CROSS, True, 0.25, ""),
    ("national", "left", -3.5, "nghean", "top", 3, CROSS, True, 0.25, ""),
    ("nghean", "bottom", -4, "syt", "top", 4, CROSS, True, 0.0, ""),
    # ④ the ministry's gateway is on the national hub directly
    ("ministry", "left", 0, "national", "right", 2, MINISTRY_ROAD, False, 0.0, "④"),
)

LEGEND = (
    (
        LOCAL,
        "-",
        "① Trong tỉnh: chỉ qua trục tỉnh, không lên trục quốc gia\n"
        "    Inside the province: delivered locally, never sent upstream",
    ),
    (
        CROSS,
        "-",
        "② Ra ngoài tỉnh: chuyển tiếp lên một lần, danh sách To cắt còn người nhận ngoài tỉnh,\n"
        "    mỗi chặng thêm một TraceHeader / Cross-province: relayed upstream once, To cut to the\n"
        "    recipients outside, one TraceHeader appended per hop",
    ),
    (
        CROSS,
        "--",
        "③ Trạng thái (01–06, 13, 15, 16) về theo đúng đường đã đi\n"
        "    Statuses come back along the same road",
    ),
    (MINISTRY_ROAD, "-", "④ Cổng của bộ nối thẳng trục quốc gia / A ministry's gateway on the national hub"),
    (
        OUTAGE,
        "-",
        "⑤ Trục trên mất kết nối: gói chờ trong hàng đợi, báo người vận hành và người gửi,\n"
        "    gửi lại khi có kết nối, không mất, không trùng / Upstream outage: packages wait in the\n"
        "    relay queue, operator and senders warned, resent on recovery: nothing lost or doubled",
    ),
)


def draw() -> Figure:
    """The whole picture on one figure (matplotlib's object API: no global state)."""
    figure = Figure(figsize=(13, 10.5), layout="constrained")
    ax = figure.add_subplot()
    ax.set_xlim(-2, 102)
    ax.set_ylim(-34, 96)
    ax.axis("off")
    ax.set_title(
        "Đường đi của văn bản giữa trục tỉnh và trục quốc gia\nThe roads a document takes between "
        "provincial hubs and the national hub",
        fontsize=14,
        loc="left",
    )
    _province(ax, 3, 40, "Tỉnh Nghệ An\nNghệ An province")
    _province(ax, 59, 40, "Tỉnh Cao Bằng\nCao Bằng province")
    for name, box in NODES.items():
        _box(ax, box, dashed=name == "queue")
    for start, s_side, s_shift, end, e_side, e_shift, colour, dashed, rad, number in ROADS:
        a, b = NODES[start].edge(s_side, s_shift), NODES[end].edge(e_side, e_shift)
        _arrow(ax, a, b, colour, dashed=dashed, rad=rad)
        if number:
            ax.text(a[0] - 1.2, a[1] + 2.5, number, color=colour, fontsize=13, ha="center")
    _outage(ax)
    _trace_notes(ax)
    _legend(ax)
    return figure


def _province(ax: Any, x: float, w: float, label: str) -> None:
    ax.add_patch(
        FancyBboxPatch(
            (x, 11), w, 54, boxstyle="round,pad=0.4,rounding_size=2", fc="#f8f9f9", ec="#aab7b8", ls=":"
        )
    )
    ax.text(x + w - 1, 63.6, label, fontsize=9, color="#566573", va="top", ha="right")


def _box(ax: Any, box: Box, *, dashed: bool = False) -> None:
    ax.add_patch(
        FancyBboxPatch(
            (box.x - box.w / 2, box.y - box.h / 2),
            box.w,
            box.h,
            boxstyle="round,pad=0.3,rounding_size=1.2",
            fc=box.fill,
            ec=OUTAGE if dashed else "#34495e",
            ls="--" if dashed else "-",
            lw=1.6 if box.bold else 1.1,
            zorder=2,
        )
    )
    ax.text(
        box.x,
        box.y,
        box.label,
        ha="center",
        va="center",
        fontsize=9.5 if box.bold else 8.5,
        fontweight="bold" if box.bold else "normal",
        zorder=3,
    )


def _arrow(
    ax: Any, a: tuple[float, float], b: tuple[float, float], colour: str, *, dashed: bool, rad: float
) -> None:
    ax.add_patch(
        FancyArrowPatch(
            a,
            b,
            arrowstyle="-|>",
            mutation_scale=14,
            color=colour,
            lw=1.8,
            ls=(0, (5, 3)) if dashed else "-",
            connectionstyle=f"arc3,rad={rad}",
            zorder=1.5,
        )
    )


def _outage(ax: Any) -> None:
    """⑤: the link Nghệ An → national cut; what leaves for upstream waits in the relay queue."""
    queue = NODES["queue"]
    _arrow(ax, NODES["nghean"].edge("top", -8), queue.edge("bottom", 2), OUTAGE, dashed=False, rad=0.0)
    ax.text(queue.x - 10, queue.y + 2, "⑤", color=OUTAGE, fontsize=13, ha="center")
    cut = queue.edge("right", 1)
    _arrow(ax, cut, (cut[0] + 6, cut[1] + 5), OUTAGE, dashed=True, rad=0.0)
    ax.text(cut[0] + 6.8, cut[1] + 5.6, "✕", color=OUTAGE, fontsize=16, ha="center", va="center")
    ax.text(
        queue.x,
        queue.y + 3.6,
        "chờ, cảnh báo, gửi lại / waits, warns, resends",
        color=OUTAGE,
        fontsize=7.5,
        ha="center",
        va="bottom",
    )


def _trace_notes(ax: Any) -> None:
    """Where each TraceHeader of the cross-province road is appended."""
    notes = (
        (4, 33, "TraceHeader 1\n(Sở Y tế gửi\n/ sent)"),
        (41, 74, "TraceHeader 2 (trục tỉnh\nchuyển tiếp / relayed)"),
        (43, 67.5, "To: chỉ người nhận ngoài tỉnh\nTo cut: only the recipients outside"),
        (57, 72, "TraceHeader 3\n(trục quốc gia / national)"),
    )
    for x, y, text in notes:
        ax.text(x, y, text, fontsize=7.2, color=CROSS, ha="center", va="center", style="italic", zorder=3)


def _legend(ax: Any) -> None:
    y = 6.0
    for colour, style, text in LEGEND:
        ax.plot([1, 6], [y - 1.3, y - 1.3], color=colour, lw=2.2, ls="--" if style == "--" else "-")
        ax.text(7.5, y, text, fontsize=8.6, va="top", linespacing=1.3)
        y -= 4.2 + 3.0 * text.count("\n")


def render(fmt: str) -> bytes:
    """The picture as SVG or PNG bytes, with no date inside."""
    figure = draw()
    buffer = io.BytesIO()
    metadata: dict[str, Any] = {"Date": None} if fmt == "svg" else {"Software": "Lienthong"}
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": "lienthong"}):
        figure.savefig(buffer, format=fmt, dpi=110, metadata=metadata)
    return buffer.getvalue()


def write(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in ("svg", "png"):
        path = out / f"{STEM}.{fmt}"
        path.write_bytes(render(fmt))
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=OUT, help="the folder to write into (docs/images)")
    args = parser.parse_args(argv)
    for path in write(args.out):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
