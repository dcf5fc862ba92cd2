"""The ACCOUNTS.* problems: sign-in, sessions, tokens and account administration."""

from __future__ import annotations

from lienthong.problems import Severity, define

E = Severity.ERROR

BAD_CREDENTIALS = define(
    "ACCOUNTS.BAD_CREDENTIALS",
    E,
    "Tên đăng nhập hoặc mật khẩu không đúng",
    "Wrong user name or password",
)
THROTTLED = define(
    "ACCOUNTS.THROTTLED",
    E,
    "Đăng nhập sai quá nhiều lần; hãy thử lại sau {minutes} phút",
    "Too many failed sign-ins; try again in {minutes} minutes",
)
UNKNOWN_USER = define(
    "ACCOUNTS.UNKNOWN_USER",
    E,
    "Không có tài khoản {username}",
    "There is no account {username}",
)
USER_EXISTS = define(
    "ACCOUNTS.USER_EXISTS",
    E,
    "Tài khoản {username} đã tồn tại",
    "The account {username} already exists",
)
BAD_USERNAME = define(
    "ACCOUNTS.BAD_USERNAME",
    E,
    "Tên đăng nhập {username} không hợp lệ (chữ thường, số, dấu chấm, gạch; 3–64 ký tự)",
    "The user name {username} is not valid (lower-case letters, digits, dot, dash; 3–64 characters)",
)
BAD_ROLE = define(
    "ACCOUNTS.BAD_ROLE",
    E,
    "Vai trò {role} không có; các vai trò: {roles}",
    "There is no role {role}; the roles are: {roles}",
)
BAD_SCOPE = define(
    "ACCOUNTS.BAD_SCOPE",
    E,
    "Phạm vi của vai trò {role} không hợp lệ: {detail}",
    "The scope of role {role} is not valid: {detail}",
)
WEAK_PASSWORD = define(
    "ACCOUNTS.WEAK_PASSWORD",
    E,
    "Mật khẩu phải có từ {length} đến {longest} ký tự",
    "The password must have from {length} to {longest} characters",
)
UNKNOWN_TOKEN = define(
    "ACCOUNTS.UNKNOWN_TOKEN",
    E,
    "Không có mã truy cập số {token_id}",
    "There is no API token number {token_id}",
)
CSRF = define(
    "ACCOUNTS.CSRF",
    E,
    "Biểu mẫu đã hết hạn hoặc không hợp lệ; hãy tải lại trang",
    "The form has expired or is not valid; reload the page",
)
