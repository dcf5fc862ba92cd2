"""One package's trace as a picture: a lane per recipient, each moment on a time axis in Vietnam time.

Drawn with matplotlib (its object API, no pyplot: safe in a server's threads) from the timeline that
``watch.timeline`` reads, so the picture and the JSON never disagree.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from lienthong.codes.calendar import VIETNAM

Format = Literal["svg", "png"]

STATUS_LABELS = {
    "01": "01 đã đến",
    "02": "02 trả lại",
    "03": "03 tiếp nhận",
    "04": "04 phân công",
    "05": "05 đang xử lý",
    "06": "06 hoàn thành",
    "13": "13 thu hồi",
    "15": "15 đồng ý",
    "16": "16 từ chối",
}

WARNINGS = {"undeliverable": "chưa đến nơi nhận", "refused": "Trục từ chối", "receive_error": "nhận lỗi"}
# Label heights (points) taken in turn along a lane, so moments close in time stay readable.
OFFSETS = (9, -15, 21, -27)


@dataclass(frozen=True)
class Mark:
    """One moment on one lane."""

    lane: str
    at: datetime
    label: str
    style: str  # hub | fetch | status | warning | final


def _style(event: str) -> tuple[str, str] | None:
    """(label, style) of a timeline event; None for events the picture leaves out."""
    if event == "accepted":
        return "Trục tiếp nhận", "hub"
    if event == "delivery.created":
        return "chờ nhận", "hub"
    if event == "delivery.undeliverable":
        return "không chuyển được", "warning"
    if event == "fetched":
        return "đã lấy về", "fetch"
    if event.startswith("ack."):
        state = event.removeprefix("ack.")
        return ("xác nhận", "fetch") if state != "refused" else ("từ chối nhận", "warning")
    if event.startswith("status."):
        code = event.removeprefix("status.")
        style = "warning" if code in {"02", "16"} else "final" if code in {"06", "15"} else "status"
        return STATUS_LABELS.get(code, code), style
    if event.startswith("warning."):
        kind = event.removeprefix("warning.")
        return "cảnh báo: " + WARNINGS.get(kind, kind), "warning"
    return None


def marks(timeline: Mapping[str, Any]) -> tuple[list[str], list[Mark]]:
    """The lanes (the sender's hub lane first, then each recipient) and the marks to draw."""
    sender = str(timeline.get("sender") or "")
    hub_lane = f"{sender} → Trục"
    recipients = sorted(timeline.get("recipients") or {})
    lanes = [hub_lane, *recipients]
    out: list[Mark] = []
    for event in timeline.get("events") or []:
        styled = _style(str(event.get("event", "")))
        if styled is None:
            continue
        label, style = styled
        at = datetime.fromisoformat(str(event["at"])).astimezone(VIETNAM)
        agency = str(event.get("agency") or "")
        lane = agency if agency in recipients else hub_lane
        if event.get("error"):
            label = f"{label} ({event['error']})"
        out.append(Mark(lane, at, label, style))
    return lanes, out


COLOURS = {
    "hub": "#5b6b7f",
    "fetch": "#2f6fb0",
    "status": "#2e8540",
    "final": "#14532d",
    "warning": "#c0392b",
}
SHAPES = {"hub": "s", "fetch": "o", "status": "D", "final": "*", "warning": "X"}


def render_trace(timeline: Mapping[str, Any], fmt: Format = "svg") -> bytes:
    """The picture as SVG or PNG bytes."""
    from matplotlib import dates as mdates
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    lanes, points = marks(timeline)
    figure = Figure(figsize=(11, 1.6 + 0.95 * len(lanes)), layout="constrained")
    ax = figure.add_subplot()
    rows = {lane: i for i, lane in enumerate(lanes)}
    for style in COLOURS:
        chosen = [p for p in points if p.style == style]
        if chosen:
            ax.scatter(
                [_num(p.at) for p in chosen],
                [rows[p.lane] for p in chosen],
                marker=SHAPES[style],
                s=70,
                color=COLOURS[style],
                zorder=3,
            )
    _annotate(ax, points, rows)
    for lane, row in rows.items():
        times = [_num(p.at) for p in points if p.lane == lane]
        if len(times) > 1:
            ax.plot([min(times), max(times)], [row, row], color="#c8d1dc", linewidth=2, zorder=1)
    ax.set_yticks(range(len(lanes)), labels=lanes)
    ax.set_ylim(len(lanes) - 0.4, -0.6)
    formatter: Any = mdates.DateFormatter  # untyped in matplotlib's stubs
    ax.xaxis.set_major_formatter(formatter("%d/%m %H:%M:%S", tz=VIETNAM))
    ax.tick_params(axis="x", labelrotation=20)
    ax.set_xlabel("Giờ Việt Nam (UTC+7)")
    ax.grid(axis="x", color="#eeeeee")
    notation = timeline.get("notation") or timeline.get("doc_id") or ""
    ax.set_title(f"Hành trình văn bản {notation} — {timeline.get('subject') or ''}"[:120], loc="left")
    if not points:
        ax.text(0.5, 0.5, "Chưa có sự kiện", transform=ax.transAxes, ha="center")
    buffer = io.BytesIO()
    # Text stays text in the SVG: searchable, readable by a screen reader, and far smaller.
    with rc_context({"svg.fonttype": "none"}):
        figure.savefig(buffer, format=fmt, dpi=110, metadata=_metadata(fmt))
    return buffer.getvalue()


def _annotate(ax: Any, points: Sequence[Mark], rows: Mapping[str, int]) -> None:
    """Each mark's label beside it, at heights taken in turn so neighbours on a lane do not overlap."""
    seen: dict[str, int] = {}
    for p in sorted(points, key=lambda m: m.at):
        n = seen.get(p.lane, 0)
        seen[p.lane] = n + 1
        ax.annotate(
            p.label,
            (_num(p.at), rows[p.lane]),
            xytext=(0, OFFSETS[n % len(OFFSETS)]),
            textcoords="offset points",
            ha="center",
            fontsize=7.5,
            color=COLOURS[p.style],
        )


def _num(at: datetime) -> float:
    from matplotlib import dates as mdates

    convert: Any = mdates.date2num  # untyped in matplotlib's stubs
    return float(convert(at))


def _metadata(fmt: Format) -> dict[str, Any]:
    # No creation date in the file: the same timeline gives the same bytes.
    return {"Date": None} if fmt == "svg" else {"Software": "Lienthong"}
