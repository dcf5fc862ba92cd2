"""The MONITOR.* problems: why a process is not ready, which certificate expires, which peer is silent."""

from __future__ import annotations

from lienthong.problems import Severity, define

E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
D807 = "Công văn 807/VPCP-KSTT (2020), item 3"

DATABASE_UNREACHABLE = define(
    "MONITOR.DATABASE_UNREACHABLE",
    E,
    "Không kết nối được cơ sở dữ liệu: {detail}",
    "The database cannot be reached: {detail}",
    D807,
)
DATABASE_READONLY = define(
    "MONITOR.DATABASE_READONLY",
    E,
    "Cơ sở dữ liệu không ghi được: {detail}",
    "The database cannot be written: {detail}",
    D807,
)
DATABASE_BUSY = define(
    "MONITOR.DATABASE_BUSY",
    W,
    "Cơ sở dữ liệu bận, không ghi được trong thời hạn chờ: {detail}",
    "The database is busy: a write waited past the time limit: {detail}",
    D807,
)
STORAGE_NOT_WRITABLE = define(
    "MONITOR.STORAGE_NOT_WRITABLE",
    E,
    "Thư mục lưu trữ {folder} không ghi được: {detail}",
    "The storage folder {folder} cannot be written: {detail}",
    D807,
)
STORAGE_LOW_SPACE = define(
    "MONITOR.STORAGE_LOW_SPACE",
    E,
    "Thư mục lưu trữ {folder} chỉ còn {free} trống, dưới ngưỡng {minimum}",
    "The storage folder {folder} has {free} free, below the minimum of {minimum}",
    D807,
)
TRUST_STORE_MISSING = define(
    "MONITOR.TRUST_STORE_MISSING",
    E,
    "Không tìm thấy kho chứng thư tin cậy {folder}",
    "The trust store {folder} does not exist",
)
TRUST_STORE_EMPTY = define(
    "MONITOR.TRUST_STORE_EMPTY",
    E,
    "Kho chứng thư tin cậy {folder} không có chứng thư đọc được ({unreadable} tệp lỗi)",
    "The trust store {folder} holds no readable certificate ({unreadable} unreadable files)",
)
SCHEDULER_STALLED = define(
    "MONITOR.SCHEDULER_STALLED",
    E,
    "Bộ lập lịch {name} không hoạt động từ {since}",
    "The scheduler {name} has not run since {since}",
    D807,
)
SCHEDULER_NOT_STARTED = define(
    "MONITOR.SCHEDULER_NOT_STARTED",
    E,
    "Bộ lập lịch {name} chưa chạy lần nào",
    "The scheduler {name} has not run yet",
)
CHECK_CRASHED = define(
    "MONITOR.CHECK_CRASHED",
    E,
    "Phép kiểm tra {name} gặp lỗi: {detail}",
    "The check {name} failed to run: {detail}",
)
CERT_EXPIRING = define(
    "MONITOR.CERT_EXPIRING",
    W,
    "Chứng thư {subject} ({source}) hết hạn sau {days} ngày, vào {not_after}",
    "The certificate {subject} ({source}) expires in {days} days, on {not_after}",
    "Decree 130/2018/NĐ-CP",
)
CERT_EXPIRED = define(
    "MONITOR.CERT_EXPIRED",
    E,
    "Chứng thư {subject} ({source}) đã hết hạn từ {not_after}",
    "The certificate {subject} ({source}) expired on {not_after}",
    "Decree 130/2018/NĐ-CP",
)
CERT_UNREADABLE = define(
    "MONITOR.CERT_UNREADABLE",
    W,
    "Không đọc được chứng thư trong {source}: {detail}",
    "No certificate can be read from {source}: {detail}",
)
CONTACT_LOST = define(
    "MONITOR.CONTACT_LOST",
    W,
    "Mất liên lạc với {peer} từ {since} (quá {minutes} phút)",
    "No contact with {peer} since {since} (more than {minutes} minutes)",
    D807,
)
CONTACT_RESTORED = define(
    "MONITOR.CONTACT_RESTORED",
    INFO,
    "Đã liên lạc lại với {peer} lúc {at}",
    "Contact with {peer} is back at {at}",
    D807,
)
NOTIFY_FAILED = define(
    "MONITOR.NOTIFY_FAILED",
    W,
    "Không gửi được cảnh báo qua {channel}: {detail}",
    "The alert could not be sent through {channel}: {detail}",
)
CLIENT_CERT_MISSING = define(
    "MONITOR.CLIENT_CERT_MISSING",
    E,
    "Yêu cầu không kèm chứng thư máy khách từ máy chủ trung gian tin cậy",
    "The request carries no client certificate from a trusted proxy",
)
CLIENT_CERT_UNREADABLE = define(
    "MONITOR.CLIENT_CERT_UNREADABLE",
    E,
    "Không đọc được chứng thư máy khách được chuyển tiếp: {detail}",
    "The forwarded client certificate cannot be read: {detail}",
)
CLIENT_CERT_UNREGISTERED = define(
    "MONITOR.CLIENT_CERT_UNREGISTERED",
    E,
    "Chưa đăng ký chứng thư nào cho các đơn vị của hệ thống {system}",
    "No certificate is registered for the agencies of system {system}",
)
CLIENT_CERT_MISMATCH = define(
    "MONITOR.CLIENT_CERT_MISMATCH",
    E,
    "Chứng thư máy khách {fingerprint} không phải chứng thư đã đăng ký cho hệ thống {system}",
    "The client certificate {fingerprint} is not one registered for system {system}",
)
