"""The GATEWAY.* codes: what a clerk, the document system or the operator can meet at a gateway."""

from __future__ import annotations

from lienthong.problems import LienthongError, Problem, Severity, define

E, W = Severity.ERROR, Severity.WARNING
D30 = "Decree 30/2020/NĐ-CP"
L807 = "Letter 807/VPCP-KSTT item 4"
Q102 = "QCVN 102:2016/BTTTT"

NOT_FOUND = define("GATEWAY.NOT_FOUND", E, "Không có {what} {ident}", "No {what_en} {ident}", "")
BAD_PACKAGE = define(
    "GATEWAY.BAD_PACKAGE", E, "Gói tin không đọc được: {detail}", "The package cannot be read: {detail}", Q102
)
TOO_LARGE = define(
    "GATEWAY.TOO_LARGE",
    E,
    "Gói tin lớn hơn giới hạn {limit} byte",
    "The package is larger than the limit of {limit} bytes",
    Q102,
)
NOT_A_DOCUMENT = define(
    "GATEWAY.NOT_A_DOCUMENT",
    E,
    "Chỉ gửi được gói tin văn bản",
    "Only document packages can be submitted",
    Q102,
)
WRONG_SENDER = define(
    "GATEWAY.WRONG_SENDER",
    E,
    "Đơn vị gửi {sender} không phải {agency}",
    "The package's sender {sender} is not this gateway's agency {agency}",
    Q102,
)
NOT_APPROVABLE = define(
    "GATEWAY.NOT_APPROVABLE",
    E,
    "Gói tin đang ở trạng thái {state_vi}, không duyệt gửi được",
    "The package is {state}: it cannot be approved",
    D30,
)
STATE_SECRET = define(
    "GATEWAY.STATE_SECRET",
    E,
    "Văn bản mật không được gửi qua hệ thống",
    "State secrets are never sent through this system",
    "Decision 28/2018/QĐ-TTg",
)
CHECKS_FAILED = define(
    "GATEWAY.CHECKS_FAILED",
    E,
    "Còn lỗi cần sửa: {codes}; gói tin không được gửi",
    "Errors remain: {codes}; the package is not sent",
    D30,
)
NOT_RESENDABLE = define(
    "GATEWAY.NOT_RESENDABLE",
    E,
    "Gói tin đang ở trạng thái {state_vi}; chỉ gửi lại được gói tin Gửi lỗi",
    "The package is {state}: only a package in send error can be sent again",
    L807,
)
UNKNOWN_ACTION = define(
    "GATEWAY.UNKNOWN_ACTION",
    E,
    "Thao tác không hợp lệ: {action}",
    "Unknown action {action} (accept, return, assign, process, complete, agree, refuse)",
    Q102,
)
REASON_REQUIRED = define(
    "GATEWAY.REASON_REQUIRED", E, "Trả lại văn bản phải có lý do", "A return needs a reason", D30
)
REASON_TOO_LONG = define(
    "GATEWAY.REASON_TOO_LONG",
    E,
    "Lý do dài quá 1000 ký tự",
    "The reason is longer than 1000 characters",
    Q102,
)
INVALID_TRANSITION = define(
    "GATEWAY.INVALID_TRANSITION",
    E,
    "Văn bản đang ở trạng thái «{state_vi}»: không thể {action_vi}",
    "The document is {state}: it cannot be {action_en}",
    D30,
)
NO_ATTACHMENT = define(
    "GATEWAY.NO_ATTACHMENT",
    E,
    "Văn bản {ident} không có tệp đính kèm số {number}",
    "Document {ident} has no attachment number {number}",
    Q102,
)
DUPLICATE_DOCUMENT_ID = define(
    "GATEWAY.DUPLICATE_DOCUMENT_ID",
    E,
    "Mã văn bản {document_id} đã có trong sổ văn bản đi ({other})",
    "DocumentId {document_id} is already in the outgoing register ({other})",
    D30 + " Appendix VI",
)
DUPLICATE_NUMBER = define(
    "GATEWAY.DUPLICATE_NUMBER",
    E,
    "Số {number} năm {year} đã được dùng trong sổ văn bản đi ({other})",
    "Number {number} of {year} is already used in the outgoing register ({other})",
    D30 + " Appendix VI",
)
NO_RECIPIENT = define("GATEWAY.NO_RECIPIENT", E, "Không có nơi nhận", "No recipient", Q102)
HUB_UNAVAILABLE = define(
    "GATEWAY.HUB_UNAVAILABLE",
    W,
    "Không kết nối được Trục: {detail}",
    "The hub cannot be reached: {detail}",
    L807,
)
HUB_CREDENTIALS_REFUSED = define(
    "GATEWAY.HUB_CREDENTIALS_REFUSED",
    E,
    "Trục từ chối thông tin xác thực của cổng: {detail}",
    "The hub refuses this gateway's credentials: {detail}",
    L807,
)
NO_CREDENTIALS = define(
    "GATEWAY.NO_CREDENTIALS",
    E,
    "Chưa cấu hình mã truy cập Trục ([hub] token, hoặc system_id và secret)",
    "No hub credentials configured ([hub] token, or system_id and secret)",
    "",
)
REPORTS_UNAVAILABLE = define(
    "GATEWAY.REPORTS_UNAVAILABLE",
    W,
    "Trục không cung cấp báo cáo hằng ngày qua giao thức {protocol}: xem báo cáo trong thư điện tử hằng ngày",
    "The hub offers no daily report over the {protocol} protocol: see the daily e-mail",
    L807,
)
REPORT_REFUSED = define(
    "GATEWAY.REPORT_REFUSED",
    E,
    "Trục không trả báo cáo: {detail}",
    "The hub did not return the report: {detail}",
    L807,
)
NOT_YET_SENT = define(
    "GATEWAY.NOT_YET_SENT",
    W,
    "Văn bản chưa gửi được lên Trục sau {minutes} phút; hệ thống vẫn đang thử lại ({detail})",
    "The document has not reached the hub after {minutes} minutes; still retrying ({detail})",
    L807,
)
DEADLINE_PASSED = define(
    "GATEWAY.DEADLINE_PASSED",
    E,
    "Không gửi được lên Trục trong {hours} giờ: {detail}",
    "Could not reach the hub within {hours} hours: {detail}",
    L807,
)
PORT_IN_USE = define(
    "GATEWAY.PORT_IN_USE",
    E,
    "Cổng {host}:{port} đang được chương trình khác dùng",
    "Port {host}:{port} is already in use by another program",
    "",
)


class GatewayError(LienthongError):
    """A request the gateway cannot do; ``problem`` says why (vi + en) and ``status`` maps it to HTTP."""

    def __init__(self, problem: Problem, status: int = 422) -> None:
        super().__init__(problem)
        self.status = status

    def __str__(self) -> str:
        return f"{self.problem.code}: {self.problem.message_vi} / {self.problem.message_en}"


def not_found(what_vi: str, what_en: str, ident: object) -> GatewayError:
    return GatewayError(NOT_FOUND(what=what_vi, what_en=what_en, ident=ident), 404)


BAD_REQUEST = define(
    "GATEWAY.BAD_REQUEST",
    E,
    "Yêu cầu không hợp lệ: {detail}",
    "Invalid request: {detail}",
    "",
)
UNAUTHENTICATED = define(
    "GATEWAY.UNAUTHENTICATED",
    E,
    "Cần đăng nhập hoặc gửi mã truy cập API hợp lệ (Authorization: Bearer …)",
    "Sign in, or send a valid API token (Authorization: Bearer …)",
    "",
)
FORBIDDEN = define(
    "GATEWAY.FORBIDDEN",
    E,
    "Tài khoản {who} không được {right_vi}",
    "The account {who} may not {right}",
    "",
)
CSRF_HEADER = define(
    "GATEWAY.CSRF_HEADER",
    E,
    "Yêu cầu dùng phiên đăng nhập phải có tiêu đề X-CSRF-Token đúng",
    "A request made with a signed-in session needs the right X-CSRF-Token header",
    "",
)
