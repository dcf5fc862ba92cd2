"""The WATCH.* codes: what the warning system finds, named once in Vietnamese and English."""

from __future__ import annotations

from lienthong.problems import Severity, define

E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
D28 = "Decision 28/2018/QĐ-TTg"
D30 = "Decree 30/2020/NĐ-CP"
L807 = "Letter 807/VPCP-KSTT item 6"

SEND_REFUSED = define(
    "WATCH.SEND_REFUSED",
    E,
    "Trục từ chối gói tin gửi lúc {at} ({reason}): {detail}",
    "The hub refused a package sent at {at} ({reason}): {detail}",
    L807,
)
UNDELIVERABLE = define(
    "WATCH.UNDELIVERABLE",
    E,
    "Văn bản {notation} không chuyển được tới {recipient} ({reason})",
    "Document {notation} could not be delivered to {recipient} ({reason})",
    L807,
)
RECEIVE_FAILED = define(
    "WATCH.RECEIVE_FAILED",
    E,
    "Nhận lỗi văn bản {notation} từ {sender}: {detail}",
    "Receiving document {notation} from {sender} failed: {detail}",
    L807,
)
BACKLOG = define(
    "WATCH.BACKLOG",
    W,
    "Văn bản {notation} từ {sender} chờ trong hộp thư {hours} giờ làm việc, chưa được lấy về",
    "Document {notation} from {sender} has waited {hours} working hours in the inbox, not fetched",
    L807,
)
NO_STATUS_REPLY = define(
    "WATCH.NO_STATUS_REPLY",
    W,
    "Văn bản {notation} từ {sender} đã lấy về {hours} giờ làm việc nhưng chưa phản hồi trạng thái {missing}",
    "Document {notation} from {sender} was fetched {hours} working hours ago without status reply {missing}",
    f"{D30} Art. 21.2; {L807}",
)
AWAITING_REPLY = define(
    "WATCH.AWAITING_REPLY",
    INFO,
    "Văn bản {notation} gửi {recipient} đã {hours} giờ làm việc chưa có phản hồi tiếp nhận ({state})",
    "Document {notation} sent to {recipient}: no acceptance reply after {hours} working hours ({state})",
    f"{D28} Art. 6",
)
SILENT_AGENCY = define(
    "WATCH.SILENT_AGENCY",
    W,
    "Đơn vị không kết nối tới Trục từ {since} ({hours} giờ làm việc)",
    "The agency has not connected to the hub since {since} ({hours} working hours)",
)
QUALITY = define(
    "WATCH.QUALITY",
    INFO,
    "Văn bản {notation} được chuyển nhưng có lỗi cần sửa: {codes}",
    "Document {notation} was delivered but has problems to fix: {codes}",
    "QCVN 102:2016/BTTTT; " + D30,
)
REPEAT_SEND = define(
    "WATCH.REPEAT_SEND",
    INFO,
    "Văn bản {notation} được gửi lặp lại {count} lần với cùng nội dung",
    "Document {notation} was sent again {count} times with the same bytes",
)
LATE_SENDING = define(
    "WATCH.LATE_SENDING",
    W,
    "Văn bản {notation} ký ngày {signed} nhưng gửi ngày {sent}, sau hạn ngày làm việc tiếp theo",
    "Document {notation} signed on {signed} was sent on {sent}, after the next working day",
    f"{D28} Art. 6; {D30} Art. 18.1",
)
ALERT_UNDELIVERED = define(
    "WATCH.ALERT_UNDELIVERED",
    E,
    "Không gửi được cảnh báo tới {target} sau {attempts} lần: {detail}",
    "A warning could not be delivered to {target} after {attempts} attempts: {detail}",
)
UNKNOWN_AGENCY = define(
    "WATCH.UNKNOWN_AGENCY",
    E,
    "Không có báo cáo cho đơn vị {code}",
    "No report for agency {code}",
)
