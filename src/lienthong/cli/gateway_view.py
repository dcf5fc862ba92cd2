"""How ``lienthong gateway`` shows registers and documents: Vietnamese first, local time, human sizes."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from lienthong.display import human_size, vietnam_time

__all__ = ["human_size", "inbox_table", "local", "outbox_table", "show_document"]


def local(iso: str | None) -> str:
    """An ISO time as Hà Nội local time, to the second (empty when there is none)."""
    return vietnam_time(iso) if iso else ""


def agency(code: str | None, name: str | None) -> str:
    return f"{name} ({code})" if name else code or ""


def inbox_table(page: dict[str, Any]) -> Table:
    table = Table(title=f"Sổ văn bản đến — {page['total']} văn bản, trang {page['page']}")
    for column in ("Mã", "Số đến", "Thời gian đến", "Nơi gửi", "Số, ký hiệu", "Trích yếu", "Trạng thái"):
        table.add_column(column)
    for i in page["items"]:
        what = i["notation"] or (f"trạng thái {i['status_code']}" if i["kind"] == "status" else "")
        table.add_row(
            str(i["id"]),
            str(i["arrival_number"] or ""),
            local(i["arrival_at"]),
            agency(i["sender"], i["sender_name"]),
            what,
            (i["subject"] or "")[:60],
            i["label_vi"],
        )
    return table


def outbox_table(page: dict[str, Any]) -> Table:
    table = Table(title=f"Sổ văn bản đi — {page['total']} gói tin, trang {page['page']}")
    for column in ("Mã gói tin", "Loại", "Số, ký hiệu", "Nơi nhận", "Trạng thái", "Lần gửi", "Lỗi"):
        table.add_column(column)
    for o in page["items"]:
        table.add_row(
            o["local_id"],
            "văn bản" if o["kind"] == "edoc" else f"trạng thái {o['status_code']}",
            o["notation"] or "",
            ", ".join(agency(r["code"], r["name"]) for r in o["recipients"]),
            o["label_vi"],
            str(o["attempts"]),
            " ".join(x for x in (o["error"], o["error_text"]) if x)[:80],
        )
    return table


def show_document(console: Console, d: dict[str, Any]) -> None:
    console.print(f"[bold]{d['notation'] or '(không số)'}[/] — {d['subject'] or ''}", highlight=False)
    console.print(f"Trạng thái: [bold]{d['label_vi']}[/] ({d['state']})", highlight=False)
    console.print(f"Nơi gửi: {agency(d['sender'], d['sender_name'])}", highlight=False)
    console.print(
        f"Số đến: {d['arrival_number'] or ''}   Thời gian đến: {local(d['arrival_at'])}", highlight=False
    )
    console.print(f"Mã văn bản: {d['document_id'] or ''}", highlight=False)
    verdicts = d["verification"]
    if not verdicts:
        console.print("Chữ ký số và tính toàn vẹn: [green]không phát hiện vấn đề[/]")
    for p in verdicts:
        console.print(f"  [red]✗[/] {p['code']}: {p['message_vi']}", highlight=False)
    files = Table(title="Tệp đính kèm")
    for column in ("Số", "Tên tệp", "Kiểu", "Mô tả"):
        files.add_column(column)
    for a in d["attachments"]:
        files.add_row(str(a["number"]), a["file_name"], a["content_type"] or "", a["description"] or "")
    console.print(files)
    history = Table(title="Lịch sử xử lý")
    for column in ("Thời gian", "Trạng thái", "Người thực hiện", "Đã gửi lên Trục"):
        history.add_column(column)
    for h in d["history"]:
        history.add_row(
            local(h["at"]), f"{h['status']} {h['label_vi']}", h["by"] or "", "có" if h["sent"] else "chưa"
        )
    console.print(history)
    actions = ", ".join(d["actions"]) or "chỉ xem (không còn thao tác nào)"
    console.print(f"Thao tác được phép: {actions}", highlight=False)
