"""Vietnamese by default, English available: one catalogue of (vi, en) pairs per key, and Vietnam time."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from lienthong.codes.calendar import VIETNAM

LANGUAGES = ("vi", "en")

COMMON: dict[str, tuple[str, str]] = {
    "skip": ("Bỏ qua, tới nội dung chính", "Skip to main content"),
    "sign_in": ("Đăng nhập", "Sign in"),
    "sign_out": ("Đăng xuất", "Sign out"),
    "username": ("Tên đăng nhập", "User name"),
    "password": ("Mật khẩu", "Password"),
    "signed_in_as": ("Đang đăng nhập", "Signed in as"),
    "language": ("Ngôn ngữ", "Language"),
    "other_language": ("English", "Tiếng Việt"),
    "menu": ("Danh mục chính", "Main menu"),
    "not_found": ("Không tìm thấy trang", "Page not found"),
    "not_found_text": (
        "Trang này không có, hoặc bạn không có quyền xem.",
        "This page does not exist, or you may not see it.",
    ),
    "session_expired": (
        "Phiên đăng nhập đã hết; hãy đăng nhập lại.",
        "Your session has ended; sign in again.",
    ),
    "csrf": ("Biểu mẫu không hợp lệ", "The form is not valid"),
    "unavailable": ("Hệ thống tạm thời không sẵn sàng", "The system is unavailable for a moment"),
    "unavailable_text": (
        "Không kết nối được cơ sở dữ liệu; hãy thử lại sau ít phút.",
        "The database cannot be reached; try again in a few minutes.",
    ),
    "signed_out": ("Bạn đã đăng xuất.", "You have signed out."),
    "home": ("Trang chủ", "Home"),
    "api_docs": ("Tài liệu API", "API documentation"),
    "times_note": ("Giờ Việt Nam (UTC+7)", "Vietnam time (UTC+7)"),
}


class Catalogue:
    def __init__(self, *parts: Mapping[str, tuple[str, str]]) -> None:
        self.messages: dict[str, tuple[str, str]] = {}
        for part in (COMMON, *parts):
            self.messages.update(part)

    def text(self, key: str, lang: str) -> str:
        pair = self.messages.get(key)
        if pair is None:
            return key  # a missing key shows itself, so a test or a reviewer sees it
        return pair[1] if lang == "en" else pair[0]


def local_time(moment: datetime | None, with_seconds: bool = False) -> str:
    """A moment as dd/mm/yyyy HH:MM in Vietnam time (naive values from SQLite are UTC)."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M:%S" if with_seconds else "%d/%m/%Y %H:%M")


def pick_language(query: str | None, cookie: str | None) -> str:
    for value in (query, cookie):
        if value in LANGUAGES:
            return value
    return "vi"
