"""Reports as JSON, HTML (e-mail body) and PDF (WeasyPrint, a font with Vietnamese glyphs), vi or en."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from lienthong.codes.calendar import VIETNAM
from lienthong.watch.charts import bars
from lienthong.watch.model import (
    CONDITIONS,
    DIRECTIVE_CONDITIONS,
    TRAFFIC_SPLIT,
    AgencyReport,
    NationalSummary,
)

LANGUAGES = ("vi", "en")

LABELS: dict[str, dict[str, str]] = {
    "vi": {
        "hub": "TRỤC LIÊN THÔNG VĂN BẢN QUỐC GIA",
        "title": "Báo cáo tình hình gửi, nhận văn bản điện tử",
        "national_title": "Tổng hợp toàn quốc tình hình gửi, nhận văn bản điện tử",
        "date": "Ngày báo cáo",
        "period": "Kỳ báo cáo",
        "to": "đến",
        "agency": "Đơn vị",
        "summary": "Tóm tắt",
        "send_errors": "Văn bản gửi lỗi",
        "receive_errors": "Văn bản nhận lỗi",
        "backlog": "Văn bản tồn đọng",
        "no_reply": "Chưa phản hồi trạng thái",
        "awaiting_reply": "Đã gửi, chờ đơn vị nhận phản hồi",
        "quality": "Lỗi chất lượng cần khắc phục",
        "silent": "Không kết nối",
        "sent": "Văn bản đã gửi",
        "received": "Văn bản đã nhận",
        "inside_outside": "Trong và ngoài bộ, tỉnh (theo mã cấp 1 của Quyết định 20)",
        "inside_outside_units": "Đơn vị và các đơn vị trực thuộc: trong và ngoài bộ, tỉnh",
        "sent_inside": "Bản gửi trong bộ, tỉnh",
        "sent_outside": "Bản gửi ra ngoài bộ, tỉnh",
        "received_inside": "Bản nhận từ trong bộ, tỉnh",
        "received_outside": "Bản nhận từ ngoài bộ, tỉnh",
        "all_clear": "Không có vấn đề cần xử lý",
        "all_clear_text": (
            "Không có văn bản gửi lỗi, không có văn bản nhận lỗi, không có văn bản tồn đọng và không có "
            "văn bản chưa phản hồi trạng thái."
        ),
        "directive": "Yêu cầu của Công văn 807/VPCP-KSTT (mục 6)",
        "directive_ok": "Đạt: cả bốn chỉ tiêu bằng 0",
        "directive_bad": "Chưa đạt",
        "when": "Thời điểm",
        "notation": "Số, ký hiệu",
        "subject": "Trích yếu",
        "counterpart": "Đơn vị liên quan",
        "waited": "Giờ làm việc",
        "detail": "Nội dung",
        "timeline": "Lịch sử",
        "more": "và {n} mục khác (xem bản JSON hoặc API)",
        "trends": "Xu hướng",
        "trend7": "7 ngày",
        "trend30": "30 ngày",
        "rollup": "Tổng hợp các đơn vị trực thuộc",
        "units": "Số đơn vị",
        "units_clear": "Đơn vị không có vấn đề",
        "unit": "Đơn vị",
        "total": "Tổng",
        "quality_codes": "Lỗi chất lượng theo mã",
        "code": "Mã",
        "count": "Số lượng",
        "ranking_errors": "Xếp hạng theo số văn bản lỗi",
        "ranking_backlog": "Xếp hạng theo số văn bản tồn đọng",
        "ranking_no_reply": "Xếp hạng theo số văn bản chưa phản hồi",
        "ranking_awaiting_reply": "Xếp hạng theo số văn bản chờ phản hồi",
        "traffic": "Lưu lượng theo giờ (ngày hôm trước)",
        "edoc": "Văn bản",
        "status": "Trạng thái",
        "agencies": "Số đơn vị",
        "agencies_clear": "Đơn vị không có vấn đề",
        "silent_list": "Đơn vị không kết nối",
        "none": "Không có",
        "footer": (
            "Báo cáo tự động của hệ thống cảnh báo Trục liên thông văn bản quốc gia. "
            "Thời gian theo giờ Việt Nam; giờ làm việc 08:00–17:00 các ngày làm việc."
        ),
        "subject_line": "[Trục liên thông] Báo cáo ngày {date}: {agency}",
        "subject_clear": "không có vấn đề",
        "subject_issues": "{n} vấn đề cần xử lý",
        "alert_subject": "[Trục liên thông] Cảnh báo: {what}",
        "alert_refused": "gói tin bị từ chối",
        "alert_undeliverable": "văn bản không chuyển được",
        "alert_relay_late": "văn bản chưa chuyển được lên trục cấp trên",
        "alert_relay_resumed": "văn bản đã chuyển lên trục cấp trên",
    },
    "en": {
        "hub": "NATIONAL DOCUMENT EXCHANGE HUB",
        "title": "Daily report on electronic document exchange",
        "national_title": "National summary of electronic document exchange",
        "date": "Report date",
        "period": "Period",
        "to": "to",
        "agency": "Agency",
        "summary": "Summary",
        "send_errors": "Send errors",
        "receive_errors": "Receive errors",
        "backlog": "Backlog (not fetched)",
        "no_reply": "No status reply",
        "awaiting_reply": "Sent, awaiting replies",
        "quality": "Quality problems to fix",
        "silent": "Not connected",
        "sent": "Documents sent",
        "received": "Documents received",
        "inside_outside": "Inside and outside the ministry or province (by the Decision-20 level-1 code)",
        "inside_outside_units": "The agency and its units: inside and outside the ministry or province",
        "sent_inside": "Copies sent inside the ministry or province",
        "sent_outside": "Copies sent outside the ministry or province",
        "received_inside": "Copies received from inside the ministry or province",
        "received_outside": "Copies received from outside the ministry or province",
        "all_clear": "All clear",
        "all_clear_text": "No send errors, no receive errors, no backlog and no missing status replies.",
        "directive": "Letter 807/VPCP-KSTT item 6",
        "directive_ok": "Met: all four figures are zero",
        "directive_bad": "Not met",
        "when": "When",
        "notation": "Number/notation",
        "subject": "Summary",
        "counterpart": "Other agency",
        "waited": "Working hours",
        "detail": "Detail",
        "timeline": "Timeline",
        "more": "and {n} more (see the JSON form or the API)",
        "trends": "Trends",
        "trend7": "7 days",
        "trend30": "30 days",
        "rollup": "Units below this agency",
        "units": "Units",
        "units_clear": "Units with nothing to report",
        "unit": "Unit",
        "total": "Total",
        "quality_codes": "Quality problems by code",
        "code": "Code",
        "count": "Count",
        "ranking_errors": "Ranking by errors",
        "ranking_backlog": "Ranking by backlog",
        "ranking_no_reply": "Ranking by missing replies",
        "ranking_awaiting_reply": "Ranking by documents awaiting replies",
        "traffic": "Traffic by hour (previous day)",
        "edoc": "Documents",
        "status": "Statuses",
        "agencies": "Agencies",
        "agencies_clear": "Agencies with nothing to report",
        "silent_list": "Agencies not connected",
        "none": "None",
        "footer": (
            "Automatic report of the national hub's warning system. Times are Vietnam time; working hours "
            "08:00–17:00 on working days."
        ),
        "subject_line": "[Lienthong hub] Daily report {date}: {agency}",
        "subject_clear": "all clear",
        "subject_issues": "{n} issues to handle",
        "alert_subject": "[Lienthong hub] Warning: {what}",
        "alert_refused": "package refused",
        "alert_undeliverable": "document could not be delivered",
        "alert_relay_late": "document not yet relayed to the upstream hub",
        "alert_relay_resumed": "document relayed to the upstream hub",
    },
}
COLORS = {"sent": "#2f6fb0", "received": "#3a8a4f", "send_errors": "#c0392b", "receive_errors": "#d35400"}


def labels(language: str) -> dict[str, str]:
    return LABELS["en" if language == "en" else "vi"]


def local_time(moment: datetime | None) -> str:
    return moment.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M") if moment else ""


def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("lienthong.watch", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["local"] = local_time
    env.filters["ddmm"] = lambda d: d.strftime("%d/%m")
    env.filters["dmy"] = lambda d: d.strftime("%d/%m/%Y")
    return env


_ENV = _env()


def to_json(report: AgencyReport | NationalSummary) -> str:
    return json.dumps(report.to_dict(), ensure_ascii=False, indent=2)


def to_html(report: AgencyReport, language: str = "vi", *, for_pdf: bool = False) -> str:
    t = labels(language)
    trend7, trend30 = report.trend.last(7), report.trend
    charts = {
        name: {
            "7": bars(
                trend7.series[name],
                width=150,
                color=COLORS[name],
                title=f"{t[name]} – {t['trend7']}",
                labels=[d.strftime("%d/%m") for d in trend7.days],
            ),
            "30": bars(
                trend30.series[name],
                width=260,
                color=COLORS[name],
                title=f"{t[name]} – {t['trend30']}",
                labels=[d.strftime("%d/%m") for d in trend30.days],
            ),
            "sum7": sum(trend7.series[name]),
            "sum30": sum(trend30.series[name]),
        }
        for name in ("sent", "received", "send_errors", "receive_errors")
    }
    return _ENV.get_template("report.html").render(
        r=report,
        t=t,
        lang=language,
        for_pdf=for_pdf,
        conditions=CONDITIONS,
        directive_conditions=DIRECTIVE_CONDITIONS,
        split=TRAFFIC_SPLIT,
        charts=charts,
    )


def national_html(summary: NationalSummary, language: str = "vi", *, for_pdf: bool = False) -> str:
    t = labels(language)
    hours = [f"{h:02d}h" for h in range(24)]
    charts = {
        kind: bars(
            values,
            width=480,
            height=70,
            color=COLORS["sent"] if kind == "edoc" else COLORS["received"],
            title=t[kind],
            labels=hours,
            ticks=(0, 6, 12, 18, 23),
        )
        for kind, values in summary.traffic_by_hour.items()
    }
    return _ENV.get_template("national.html").render(
        s=summary,
        t=t,
        lang=language,
        for_pdf=for_pdf,
        conditions=CONDITIONS,
        split=TRAFFIC_SPLIT,
        charts=charts,
    )


def _font_css(font_dir: Path) -> str:
    """Embed DejaVu (full Vietnamese coverage) when present; otherwise trust the system's fonts."""
    regular, bold = font_dir / "DejaVuSans.ttf", font_dir / "DejaVuSans-Bold.ttf"
    if not regular.exists():
        return ""
    css = f'@font-face {{ font-family: "LT Sans"; src: url("{regular.as_uri()}"); }}\n'
    if bold.exists():
        css += f'@font-face {{ font-family: "LT Sans"; font-weight: bold; src: url("{bold.as_uri()}"); }}\n'
    return css


def html_to_pdf(html: str, font_dir: Path = Path("/usr/share/fonts/truetype/dejavu")) -> bytes:
    from weasyprint import CSS, HTML  # imported here: only PDF output needs Pango

    stylesheet = CSS(
        string=_font_css(font_dir) + 'body { font-family: "LT Sans", "DejaVu Sans", sans-serif; }'
    )
    pdf: Any = HTML(string=html).write_pdf(stylesheets=[stylesheet])
    assert isinstance(pdf, bytes)
    return pdf


def to_pdf(
    report: AgencyReport, language: str = "vi", font_dir: Path = Path("/usr/share/fonts/truetype/dejavu")
) -> bytes:
    return html_to_pdf(to_html(report, language, for_pdf=True), font_dir)


def national_pdf(
    summary: NationalSummary, language: str = "vi", font_dir: Path = Path("/usr/share/fonts/truetype/dejavu")
) -> bytes:
    return html_to_pdf(national_html(summary, language, for_pdf=True), font_dir)
