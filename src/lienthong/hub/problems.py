"""The HUB.* problems: why the hub refuses a request or fails a delivery, with SDK error codes."""

from __future__ import annotations

from lienthong.problems import Severity, define

E, W = Severity.ERROR, Severity.WARNING
D28 = "Decision 28/2018/QĐ-TTg"

AUTH_FAILED = define(
    "HUB.AUTH_FAILED",
    E,
    "Xác thực thất bại: {detail}",
    "Authentication failed: {detail}",
)
FORBIDDEN = define(
    "HUB.FORBIDDEN",
    E,
    "Không có quyền: {detail}",
    "Not allowed: {detail}",
)
SENDER_NOT_ALLOWED = define(
    "HUB.SENDER_NOT_ALLOWED",
    E,
    "Mã đơn vị gửi {sender} không khớp với mã đã đăng ký cho hệ thống {system}",
    "The sender {sender} does not match the codes registered for system {system}",
)
SENDER_SUSPENDED = define(
    "HUB.SENDER_SUSPENDED",
    E,
    "Đơn vị gửi {sender} đang bị tạm dừng hoặc đã bị xóa khỏi danh bạ",
    "The sender {sender} is suspended or removed from the directory",
)
MALFORMED = define(
    "HUB.MALFORMED",
    E,
    "Gói tin không đọc được ({code}): {detail}",
    "The package cannot be read ({code}): {detail}",
    "QCVN 102:2016/BTTTT",
)
NOT_ROUTABLE = define(
    "HUB.NOT_ROUTABLE",
    E,
    "Không thể chuyển gói tin: {detail}",
    "The package cannot be routed: {detail}",
)
INTEGRITY = define(
    "HUB.INTEGRITY",
    E,
    "Gói tin không toàn vẹn: {detail}",
    "The package failed an integrity check: {detail}",
)
POLICY_REFUSED = define(
    "HUB.POLICY_REFUSED",
    E,
    "Gói tin bị từ chối theo chính sách nghiêm ngặt: {detail}",
    "The package is refused under the strict policy: {detail}",
)
DUPLICATE_DOCUMENT_ID = define(
    "HUB.DUPLICATE_DOCUMENT_ID",
    E,
    "DocumentId {document_id} đã được dùng cho gói tin khác ({original})",
    "DocumentId {document_id} is already used by another package ({original})",
    D28,
)
DUPLICATE_NOTATION = define(
    "HUB.DUPLICATE_NOTATION",
    E,
    "Văn bản số {notation} của {issuer} năm {year} đã được gửi ({original})",
    "Document {notation} of {issuer} for {year} was already sent ({original})",
    "Decree 30/2020/NĐ-CP Art. 15",
)
TOO_LARGE = define(
    "HUB.TOO_LARGE",
    E,
    "Gói tin vượt quá giới hạn {limit} byte",
    "The package exceeds the limit of {limit} bytes",
)
TOO_MANY_RECIPIENTS = define(
    "HUB.TOO_MANY_RECIPIENTS",
    E,
    "Gói tin có {count} nơi nhận, vượt quá giới hạn {limit}",
    "The package has {count} recipients, more than the limit of {limit}",
)
RATE_LIMITED = define(
    "HUB.RATE_LIMITED",
    E,
    "Gửi quá nhanh: tối đa {limit} yêu cầu mỗi giây",
    "Too many requests: at most {limit} per second",
)
UNKNOWN_RECIPIENT = define(
    "HUB.UNKNOWN_RECIPIENT",
    E,
    "Nơi nhận {code} không có trong danh bạ",
    "Recipient {code} is not in the directory",
)
RECIPIENT_SUSPENDED = define(
    "HUB.RECIPIENT_SUSPENDED",
    E,
    "Nơi nhận {code} đang bị tạm dừng hoặc đã bị xóa",
    "Recipient {code} is suspended or removed",
)
NOT_FOUND = define(
    "HUB.NOT_FOUND",
    E,
    "Không tìm thấy {what} {id}",
    "No {what} {id}",
)
STATUS_NOT_DELIVERED = define(
    "HUB.STATUS_NOT_DELIVERED",
    E,
    "Trạng thái cho văn bản {document_id} nhưng văn bản chưa từng được gửi tới {agency}",
    "A status about document {document_id}, which was never delivered to {agency}",
)
BAD_ACK = define(
    "HUB.BAD_ACK",
    E,
    "Trạng thái xác nhận '{value}' không hợp lệ (done, fail, processing)",
    "Acknowledgement '{value}' is invalid (done, fail, processing)",
)
BAD_REQUEST = define(
    "HUB.BAD_REQUEST",
    E,
    "Yêu cầu không hợp lệ: {detail}",
    "Bad request: {detail}",
)
DIRECTORY = define(
    "HUB.DIRECTORY",
    E,
    "Lỗi danh bạ: {detail_vi}",
    "Directory error: {detail_en}",
)
UNAVAILABLE = define(
    "HUB.UNAVAILABLE",
    E,
    "Trục tạm thời không xử lý được: {detail}",
    "The hub cannot process this now: {detail}",
)
DATABASE_UNREACHABLE = define(
    "HUB.DATABASE_UNREACHABLE",
    E,
    "Không kết nối được cơ sở dữ liệu của Trục ({target}): {detail}",
    "Cannot reach the hub's database ({target}): {detail}",
)
# --- issue 5 (preflight checks): the one check finding the hub refuses under every policy ---
OPERATION = define(
    "HUB.OPERATION",
    E,
    "Không thực hiện được thao tác vận hành: {detail}",
    "The operation cannot be done: {detail}",
)
STATE_SECRET = define(
    "HUB.STATE_SECRET",
    E,
    "Gói tin bị từ chối: văn bản mật ({level}) không được gửi qua Trục liên thông ({detail})",
    "The package is refused: a state-secret document ({level}) must never travel on the hub ({detail})",
    "Decision 28/2018/QĐ-TTg (state-secret documents are out of scope)",
)
# --- issue 12 (hardening): refusals with codes of their own, so clients and tests can tell them apart ---
REGISTER_NOT_ALLOWED = define(
    "HUB.REGISTER_NOT_ALLOWED",
    E,
    "Hệ thống {system} không được cấp quyền đăng ký đơn vị",
    "System {system} has not been granted the right to register units",
)
CODE_RESERVED = define(
    "HUB.CODE_RESERVED",
    E,
    "Mã {code} dành riêng cho Trục và các hệ thống kết nối, không được đăng ký",
    "The code {code} is reserved for hubs and connected systems and cannot be registered",
    "Decision 20/2020/QĐ-TTg",
)
CODE_OUTSIDE_BODY = define(
    "HUB.CODE_OUTSIDE_BODY",
    E,
    "Mã {code} không thuộc cơ quan cấp 1 mà hệ thống {system} phục vụ",
    "The code {code} is not under a level-1 body that system {system} serves",
    "Decision 20/2020/QĐ-TTg",
)
NOT_ORIGINAL_SENDER = define(
    "HUB.NOT_ORIGINAL_SENDER",
    E,
    "Chỉ đơn vị đã gửi văn bản {document_id} mới được thu hồi, cập nhật hoặc thay thế văn bản đó",
    "Only the agency that sent document {document_id} may revoke, update or replace it",
    D28,
)
HEADERS_TOO_LARGE = define(
    "HUB.HEADERS_TOO_LARGE",
    E,
    "Phần đầu yêu cầu HTTP quá lớn hoặc không hợp lệ: {detail}",
    "The request headers are too large or malformed: {detail}",
)
STORAGE_FULL = define(
    "HUB.STORAGE_FULL",
    E,
    "Trục tạm thời không nhận gói tin mới: ổ lưu trữ đầy ({detail})",
    "The hub cannot take new packages now: its storage is full ({detail})",
)
RECORDED = define(
    "HUB.RECORDED",
    W,
    "Gói tin được chấp nhận nhưng có {count} lỗi cần sửa",
    "The package was accepted but has {count} problems to fix",
)

# --- federation (issue 16): this hub relaying to an upstream hub -----------------------------------
UPSTREAM_NOT_CONFIGURED = define(
    "HUB.UPSTREAM_NOT_CONFIGURED",
    E,
    "Trục chưa được cấu hình kết nối lên trục cấp trên (lienthong hub upstream set)",
    "No upstream hub is configured for this hub (lienthong hub upstream set)",
)
UPSTREAM_UNREACHABLE = define(
    "HUB.UPSTREAM_UNREACHABLE",
    W,
    "Chưa kết nối được trục cấp trên, sẽ thử lại: {detail}",
    "The upstream hub cannot be reached for now; it will be tried again: {detail}",
)
UPSTREAM_REFUSED = define(
    "HUB.UPSTREAM_REFUSED",
    E,
    "Trục cấp trên từ chối gói tin ({code}): {detail}",
    "The upstream hub refused the package ({code}): {detail}",
)
UPSTREAM_LATE = define(
    "HUB.UPSTREAM_LATE",
    W,
    "Gói tin gửi {recipient} đã chờ chuyển lên trục cấp trên {minutes} phút: {detail}",
    "The package to {recipient} has waited {minutes} minutes to be relayed upstream: {detail}",
)
UPSTREAM_BAD_LINK = define(
    "HUB.UPSTREAM_BAD_LINK",
    E,
    "Cấu hình kết nối trục cấp trên không hợp lệ: {detail}",
    "The upstream link settings are not valid: {detail}",
)
UPSTREAM_ONLY = define(
    "HUB.UPSTREAM_ONLY",
    E,
    "Mã {code} thuộc trục cấp trên, không thể gán cho hệ thống tại trục này",
    "The code {code} is reached through the upstream hub; no local system may act for it",
)
NOT_RELAYED = define(
    "HUB.NOT_RELAYED",
    E,
    "Chuyển tiếp {id} đang ở trạng thái {state}, không gửi lại được",
    "The relay {id} is {state}; only a failed relay can be sent again",
)

# ErrorCode values of the SDK protocol, as a provincial platform numbers them (standards.md §5).
SDK_ERROR_CODES: dict[str, str] = {
    MALFORMED.code: "22",
    NOT_ROUTABLE.code: "22",
    INTEGRITY.code: "10",
    POLICY_REFUSED.code: "22",
    AUTH_FAILED.code: "15",
    FORBIDDEN.code: "15",
    SENDER_NOT_ALLOWED.code: "19",
    SENDER_SUSPENDED.code: "19",
    UNKNOWN_RECIPIENT.code: "18",
    RECIPIENT_SUSPENDED.code: "23",
    DUPLICATE_DOCUMENT_ID.code: "24",
    DUPLICATE_NOTATION.code: "25",
    TOO_LARGE.code: "10",
    TOO_MANY_RECIPIENTS.code: "22",
    RATE_LIMITED.code: "26",
    NOT_FOUND.code: "27",
    STATUS_NOT_DELIVERED.code: "28",
    BAD_ACK.code: "29",
    BAD_REQUEST.code: "29",
    DIRECTORY.code: "30",
    UNAVAILABLE.code: "20",
    STATE_SECRET.code: "31",  # issue 5: a number of its own, after the project's 24–30
    REGISTER_NOT_ALLOWED.code: "15",
    CODE_RESERVED.code: "15",
    CODE_OUTSIDE_BODY.code: "15",
    NOT_ORIGINAL_SENDER.code: "19",
    HEADERS_TOO_LARGE.code: "29",
    STORAGE_FULL.code: "20",
    UPSTREAM_NOT_CONFIGURED.code: "20",
    UPSTREAM_UNREACHABLE.code: "20",
    UPSTREAM_REFUSED.code: "22",
    UPSTREAM_ONLY.code: "30",
}


def sdk_error_code(ptype_code: str) -> str:
    return SDK_ERROR_CODES.get(ptype_code, "20")
