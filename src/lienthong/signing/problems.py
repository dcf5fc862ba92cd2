"""The SIG.* problems: what verifying (or making) a digital signature can find."""

from __future__ import annotations

from lienthong.problems import Severity, define

E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
D28 = "Decision 28/2018/QĐ-TTg"
D30 = "Decree 30/2020/NĐ-CP, Art. 13 and Appendix I"
QCVN = "QCVN 102:2016/BTTTT"
PADES = "ETSI EN 319 142 (PAdES)"
XMLDSIG = "W3C XML Signature Syntax and Processing"

# --- the verdict of one signature -----------------------------------------------------------
VALID = define(
    "SIG.VALID",
    INFO,
    "Chữ ký số hợp lệ: toàn vẹn, tin cậy, chứng thư còn hiệu lực khi ký",
    "The signature is valid: intact, trusted, the certificate valid at signing time",
    D28,
)
INVALID = define(
    "SIG.INVALID",
    E,
    "Chữ ký số không hợp lệ: {detail}",
    "The signature is invalid: {detail}",
    D28,
)
MODIFIED = define(
    "SIG.MODIFIED",
    E,
    "Nội dung đã bị thay đổi sau khi ký: {detail}",
    "The content was modified after signing: {detail}",
    D28,
)
LATER_CHANGES = define(
    "SIG.LATER_CHANGES",
    W,
    "Tệp có thay đổi được phép sau khi ký ({detail})",
    "The file has permitted changes after signing ({detail})",
    PADES,
)
UNTRUSTED = define(
    "SIG.UNTRUSTED",
    E,
    "Chứng thư số không chuỗi được tới một chứng thư gốc tin cậy: {detail}",
    "The certificate does not chain to a trust anchor: {detail}",
    D28,
)
EXPIRED = define(
    "SIG.EXPIRED",
    E,
    "Chứng thư số không còn hiệu lực tại thời điểm ký ({detail})",
    "The certificate was not valid at signing time ({detail})",
    D28,
)
REVOKED = define(
    "SIG.REVOKED",
    E,
    "Chứng thư số đã bị thu hồi ({detail})",
    "The certificate has been revoked ({detail})",
    D28,
)
REVOCATION_UNKNOWN = define(
    "SIG.REVOCATION_UNKNOWN",
    E,
    "Không xác định được tình trạng thu hồi của chứng thư số ({detail}); cần cập nhật CRL trong kho tin cậy",
    "The certificate's revocation status cannot be established ({detail}); update the trust store's CRLs",
    D28,
)
KEY_USAGE = define(
    "SIG.KEY_USAGE",
    E,
    "Chứng thư số không được phép dùng để ký văn bản (thiếu {detail})",
    "The certificate may not sign documents (it lacks {detail})",
    PADES,
)
TIMESTAMP_INVALID = define(
    "SIG.TIMESTAMP_INVALID",
    E,
    "Dấu thời gian của chữ ký không hợp lệ: {detail}",
    "The signature's timestamp is invalid: {detail}",
    PADES,
)
WEAK_ALGORITHM = define(
    "SIG.WEAK_ALGORITHM",
    W,
    "Chữ ký dùng thuật toán yếu {algorithm}; nên dùng rsa-sha256",
    "The signature uses the weak algorithm {algorithm}; rsa-sha256 is recommended",
    XMLDSIG,
)
MISSING = define(
    "SIG.MISSING",
    E,
    "Không có chữ ký số ({detail})",
    "There is no digital signature ({detail})",
    D28,
)
PLACEHOLDER = define(
    "SIG.PLACEHOLDER",
    W,
    "Phần tử Signature chỉ là phần giữ chỗ với giá trị giả ({detail}), không phải chữ ký số",
    "The Signature element is a placeholder with fake values ({detail}), not a digital signature",
    QCVN,
)
SIGNER_UNIDENTIFIED = define(
    "SIG.SIGNER_UNIDENTIFIED",
    W,
    "Không xác định được cơ quan của chứng thư ký ({detail}); không đối chiếu được với cơ quan gửi",
    "The signing certificate cannot be matched to an agency ({detail}); "
    "it cannot be checked against the sender",
    QCVN,
)
AGENCY_NAME_MATCH = define(
    "SIG.AGENCY_NAME_MATCH",
    W,
    "Chữ ký được gán cho cơ quan {code} chỉ vì khớp tên ({detail}); đây không phải bằng chứng — "
    "hãy đăng ký chứng thư hoặc khai báo ánh xạ",
    "The signature is attributed to {code} by a name match only ({detail}), which is not proof; "
    "register the certificate or add a mapping",
    D30,
)
EXPIRED_SINCE = define(
    "SIG.EXPIRED_SINCE",
    W,
    "Chứng thư còn hiệu lực khi ký (theo thời gian người ký khai {claimed}), đã hết hạn từ {expired}, "
    "không có dấu thời gian",
    "Certificate valid when signed (claimed time {claimed}), expired since {expired}, no timestamp",
    D28,
)

# --- cross-checks between the package and its signatures --------------------------------------
SIGNER_MISMATCH = define(
    "SIG.SIGNER_MISMATCH",
    E,
    "Người ký trong SignerInfo ({expected}) khác người ký số trên văn bản ({found})",
    "The signer in SignerInfo ({expected}) differs from the personal signature on the document ({found})",
    D30,
)
AGENCY_MISMATCH = define(
    "SIG.AGENCY_MISMATCH",
    E,
    "Chữ ký số của cơ quan {found} không thuộc cơ quan gửi {expected}",
    "The agency signature belongs to {found}, not to the sending agency {expected}",
    D30,
)
NOT_SIGNED_AS_REQUIRED = define(
    "SIG.NOT_SIGNED_AS_REQUIRED",
    E,
    "Tệp {name} chưa được ký số đúng quy định: {detail}",
    "The file {name} is not signed as required: {detail}",
    D30,
)

# --- inputs: trust store, files, keys ---------------------------------------------------------
TRUST_STORE_MISSING = define(
    "SIG.TRUST_STORE_MISSING",
    E,
    "Không tìm thấy kho chứng thư gốc tin cậy tại {file}",
    "The trust store {file} does not exist",
)
TRUST_STORE_UNREADABLE = define(
    "SIG.TRUST_STORE_UNREADABLE",
    E,
    "Không đọc được tệp {file} trong kho tin cậy: {reason}",
    "The trust store file {file} cannot be read: {reason}",
)
TRUST_STORE_EMPTY = define(
    "SIG.TRUST_STORE_EMPTY",
    E,
    "Kho tin cậy {file} không có chứng thư gốc nào",
    "The trust store {file} holds no trust anchor",
)
DIRECTORY_UNREADABLE = define(
    "SIG.DIRECTORY_UNREADABLE",
    E,
    "Không đọc được danh bạ cơ quan {file} để đối chiếu chứng thư: {reason}",
    "The agency directory {file} for matching certificates cannot be read: {reason}",
)
UNREADABLE = define(
    "SIG.UNREADABLE",
    E,
    "Không đọc được tệp để kiểm tra chữ ký: {detail}",
    "The file cannot be read to check its signatures: {detail}",
)
KEY_UNREADABLE = define(
    "SIG.KEY_UNREADABLE",
    E,
    "Không đọc được khóa hoặc chứng thư ký {file}: {reason}",
    "The signing key or certificate {file} cannot be read: {reason}",
)
TOKEN_FAILED = define(
    "SIG.TOKEN_FAILED",
    E,
    "Không dùng được thiết bị ký số (token/HSM qua PKCS#11): {detail}",
    "The signing token (PKCS#11) cannot be used: {detail}",
)
SIGNING_FAILED = define(
    "SIG.SIGNING_FAILED",
    E,
    "Không ký được: {detail}",
    "Signing failed: {detail}",
)
