"""The EDXML.* problems: what reading and validating an edXML package can find wrong."""

from __future__ import annotations

from lienthong.problems import Severity, define

E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
QCVN = "QCVN 102:2016/BTTTT"
D30 = "Decree 30/2020/NĐ-CP"
D20 = "Decision 20/2020/QĐ-TTg"

# --- reading: each of these stops the parse -------------------------------------------------
EMPTY_INPUT = define("EDXML.EMPTY_INPUT", E, "Tệp rỗng", "The input is empty")
UNREADABLE = define(
    "EDXML.UNREADABLE", E, "Không đọc được tệp: {reason}", "The input cannot be read: {reason}"
)
NOT_WELL_FORMED = define(
    "EDXML.NOT_WELL_FORMED",
    E,
    "XML không hợp lệ: {detail}",
    "The XML is not well-formed: {detail}",
)
TRUNCATED = define(
    "EDXML.TRUNCATED",
    E,
    "Tệp XML bị cắt cụt (kết thúc giữa chừng): {detail}",
    "The XML is truncated (it ends too early): {detail}",
)
WRONG_FILE_TYPE = define(
    "EDXML.WRONG_FILE_TYPE",
    E,
    "Tệp này là {kind_vi}, không phải gói tin edXML",
    "This file is {kind_en}, not an edXML package",
)
STRAY_PROLOG = define(
    "EDXML.STRAY_PROLOG",
    E,
    "Có {count} byte lạ trước khai báo XML ({preview}); dùng --repair để bỏ",
    "{count} stray bytes before the XML declaration ({preview}); --repair removes them",
)
UNDECLARED_PREFIX = define(
    "EDXML.UNDECLARED_PREFIX",
    E,
    "Tiền tố không gian tên '{prefix}' chưa được khai báo",
    "The namespace prefix '{prefix}' is used but never declared",
)
BAD_ENCODING = define(
    "EDXML.BAD_ENCODING",
    E,
    "Mã hóa ký tự không hợp lệ: {detail}",
    "Invalid character encoding: {detail}",
)
DTD_FORBIDDEN = define(
    "EDXML.DTD_FORBIDDEN",
    E,
    "Không chấp nhận khai báo DOCTYPE/thực thể (nguy cơ XXE, bom thực thể)",
    "DOCTYPE and entity declarations are refused (XXE, entity-expansion attacks)",
)
TOO_LARGE = define(
    "EDXML.TOO_LARGE",
    E,
    "Gói tin vượt quá giới hạn {limit} byte",
    "The package exceeds the limit of {limit} bytes",
)
TOO_DEEP = define(
    "EDXML.TOO_DEEP",
    E,
    "Cấu trúc XML lồng quá sâu (quá {limit} mức)",
    "The XML nests deeper than {limit} levels",
)
TOO_MANY_ELEMENTS = define(
    "EDXML.TOO_MANY_ELEMENTS",
    E,
    "Gói tin có quá {limit} phần tử",
    "The package has more than {limit} elements",
)
TEXT_TOO_LARGE = define(
    "EDXML.TEXT_TOO_LARGE",
    E,
    "Nội dung văn bản của một phần tử vượt quá {limit} ký tự",
    "The text of one element exceeds {limit} characters",
)
NOT_EDXML = define(
    "EDXML.NOT_EDXML",
    E,
    "Không phải gói tin edXML: {detail_vi}",
    "Not an edXML package: {detail_en}",
    QCVN,
)
REPAIRED = define(
    "EDXML.REPAIRED",
    INFO,
    "Đã sửa lỗi: {what_vi}",
    "Repaired: {what_en}",
)

# --- mapping the tree onto the model --------------------------------------------------------
UNKNOWN_ELEMENT = define(
    "EDXML.UNKNOWN_ELEMENT",
    W,
    "Phần tử không có trong chuẩn: {element} (được giữ nguyên)",
    "Element not in the standard: {element} (kept as it is)",
    QCVN,
)
MISPLACED = define(
    "EDXML.MISPLACED",
    W,
    "Phần tử {element} đặt sai vị trí, phải nằm trong {expected} (được giữ nguyên)",
    "Element {element} is in the wrong place; it belongs in {expected} (kept as it is)",
    QCVN,
)
DUPLICATE_ELEMENT = define(
    "EDXML.DUPLICATE_ELEMENT",
    E,
    "Phần tử {element} chỉ được xuất hiện một lần",
    "Element {element} may appear only once",
    QCVN,
)
WRONG_NAMESPACE = define(
    "EDXML.WRONG_NAMESPACE",
    W,
    "Phần tử {element} không thuộc không gian tên QCVN 102 ({namespace})",
    "Element {element} is not in the QCVN 102 namespace ({namespace})",
    QCVN,
)
UNEXPECTED_CONTENT = define(
    "EDXML.UNEXPECTED_CONTENT",
    E,
    "Phần tử {element} có nội dung sai dạng: {detail}",
    "Element {element} has content of the wrong shape: {detail}",
    QCVN,
)

# --- validation -----------------------------------------------------------------------------
MISSING = define(
    "EDXML.MISSING",
    E,
    "Thiếu thông tin bắt buộc: {element}",
    "Required element is missing or empty: {element}",
    QCVN,
)
TOO_LONG = define(
    "EDXML.TOO_LONG",
    E,
    "{element} dài {length} ký tự, vượt quá {limit}",
    "{element} is {length} characters long, more than {limit}",
    f"{D30} Appendix VI; {QCVN}",
)
BAD_DATE = define(
    "EDXML.BAD_DATE",
    E,
    "Ngày '{value}' không đúng định dạng yyyy/MM/dd",
    "Date '{value}' is not in the format yyyy/MM/dd",
    QCVN,
)
IMPOSSIBLE_DATE = define(
    "EDXML.IMPOSSIBLE_DATE",
    E,
    "Ngày '{value}' không tồn tại",
    "Date '{value}' does not exist",
    QCVN,
)
BAD_TIMESTAMP = define(
    "EDXML.BAD_TIMESTAMP",
    E,
    "Thời điểm '{value}' không đúng định dạng yyyy/MM/dd HH:mm:ss",
    "Timestamp '{value}' is not in the format yyyy/MM/dd HH:mm:ss",
    QCVN,
)
BAD_AGENCY_CODE = define(
    "EDXML.BAD_AGENCY_CODE",
    E,
    "Mã định danh '{value}' không đúng dạng NNN.NN.NN.XNN",
    "Agency code '{value}' is not of the form NNN.NN.NN.XNN",
    D20,
)
LEGACY_AGENCY_CODE = define(
    "EDXML.LEGACY_AGENCY_CODE",
    W,
    "Mã '{value}' là mã cũ, không theo Quyết định 20/2020",
    "Code '{value}' is a legacy code, not a Decision 20/2020 code",
    D20,
)
SYSTEM_ID_AS_AGENCY = define(
    "EDXML.SYSTEM_ID_AS_AGENCY",
    W,
    "'{value}' là mã hệ thống kết nối, không phải mã định danh cơ quan",
    "'{value}' is a connected-system id, not an agency code",
    D20,
)
SYSTEM_CODE_AS_AGENCY = define(
    "EDXML.SYSTEM_CODE_AS_AGENCY",
    W,
    "'{value}' là mã của hệ thống/trục (W..), không phải của cơ quan",
    "'{value}' is the code of a connected system or hub (W..), not of an agency",
    D20,
)
NULL_VALUE = define(
    "EDXML.NULL_VALUE",
    E,
    "{element} chứa giá trị '{value}' thay cho dữ liệu thật",
    "{element} holds the literal '{value}' instead of a value",
)
BAD_VALUE = define(
    "EDXML.BAD_VALUE",
    E,
    "{element} có giá trị '{value}' không hợp lệ (cho phép: {allowed})",
    "{element} has the invalid value '{value}' (allowed: {allowed})",
    QCVN,
)
UNKNOWN_STATUS = define(
    "EDXML.UNKNOWN_STATUS",
    E,
    "Mã trạng thái '{value}' không có trong chuẩn (01-06, 13, 15, 16)",
    "Status code '{value}' is not in the standard (01-06, 13, 15, 16)",
    QCVN,
)
NO_RECIPIENT = define(
    "EDXML.NO_RECIPIENT",
    E,
    "Văn bản không có nơi nhận (To)",
    "The document has no recipient (To)",
    QCVN,
)
DUPLICATE_RECIPIENT = define(
    "EDXML.DUPLICATE_RECIPIENT",
    E,
    "Nơi nhận {value} bị lặp",
    "Recipient {value} appears more than once",
    QCVN,
)
SELF_RECIPIENT = define(
    "EDXML.SELF_RECIPIENT",
    W,
    "Đơn vị gửi {value} cũng là nơi nhận",
    "The sender {value} is also a recipient",
)
ATTACHMENT_MISMATCH = define(
    "EDXML.ATTACHMENT_MISMATCH",
    E,
    "Danh mục tệp đính kèm không khớp: {detail}",
    "The manifest and the attachments do not match: {detail}",
    QCVN,
)
DUPLICATE_CONTENT_ID = define(
    "EDXML.DUPLICATE_CONTENT_ID",
    E,
    "ContentId '{value}' bị lặp",
    "ContentId '{value}' is used more than once",
    QCVN,
)
ATTACHMENT_INFO_MISMATCH = define(
    "EDXML.ATTACHMENT_INFO_MISMATCH",
    W,
    "{element} của tệp '{value}' khác giữa danh mục và tệp đính kèm ('{other}')",
    "{element} of '{value}' differs between the manifest and the attachment ('{other}')",
    QCVN,
)
BAD_BASE64 = define(
    "EDXML.BAD_BASE64",
    E,
    "Nội dung tệp đính kèm không phải base64 hợp lệ (ký tự {offset}: {reason})",
    "The attachment content is not valid base64 (character {offset}: {reason})",
    QCVN,
)
EMPTY_ATTACHMENT = define(
    "EDXML.EMPTY_ATTACHMENT",
    E,
    "Tệp đính kèm '{value}' rỗng",
    "Attachment '{value}' is empty",
)
BAD_CONTENT_TYPE = define(
    "EDXML.BAD_CONTENT_TYPE",
    W,
    "Kiểu nội dung '{value}' không khớp với tệp: {detail}",
    "Content type '{value}' does not fit the file: {detail}",
    QCVN,
)
NO_ATTACHMENT = define(
    "EDXML.NO_ATTACHMENT",
    W,
    "Văn bản không có tệp đính kèm",
    "The document carries no attachment",
    D30,
)
BAD_BUSINESS_DOC_TYPE = define(
    "EDXML.BAD_BUSINESS_DOC_TYPE",
    E,
    "BussinessDocType '{value}' không hợp lệ (0 mới, 1 thu hồi, 2 cập nhật, 3 thay thế)",
    "BussinessDocType '{value}' is invalid (0 new, 1 revocation, 2 update, 3 replacement)",
    QCVN,
)
MISSING_TARGET = define(
    "EDXML.MISSING_TARGET",
    E,
    "Gói tin {action} phải chỉ rõ văn bản bị tác động ({where})",
    "A {action} package must name the document it acts on ({where})",
    QCVN,
)
BAD_DOCUMENT_ID = define(
    "EDXML.BAD_DOCUMENT_ID",
    E,
    "DocumentId '{value}' không đúng dạng mã cơ quan,yyyy/MM/dd,số/ký hiệu: {detail}",
    "DocumentId '{value}' is not issuer,yyyy/MM/dd,number/notation: {detail}",
    QCVN,
)
DOCUMENT_ID_MISMATCH = define(
    "EDXML.DOCUMENT_ID_MISMATCH",
    W,
    "DocumentId '{value}' không khớp với {element} ('{other}')",
    "DocumentId '{value}' does not agree with {element} ('{other}')",
    QCVN,
)
BAD_CODE_NUMBER = define(
    "EDXML.BAD_CODE_NUMBER",
    E,
    "Số văn bản '{value}' phải là chữ số Ả Rập",
    "Document number '{value}' must be Arabic digits",
    D30,
)
BAD_NOTATION = define(
    "EDXML.BAD_NOTATION",
    E,
    "Ký hiệu '{value}' không đúng quy định: {detail}",
    "Notation '{value}' is malformed: {detail}",
    f"{D30} Appendix I",
)
NUMBER_NOT_PADDED = define(
    "EDXML.NUMBER_NOT_PADDED",
    W,
    "Số văn bản nhỏ hơn 10 phải ghi thêm số 0 phía trước ('{value}')",
    "Document numbers below 10 are written with a leading 0 ('{value}')",
    f"{D30} Appendix I",
)
NOTATION_TYPE_MISMATCH = define(
    "EDXML.NOTATION_TYPE_MISMATCH",
    W,
    "Ký hiệu '{value}' không khớp loại văn bản '{type_name}': {detail}",
    "Notation '{value}' does not fit the document type '{type_name}': {detail}",
    f"{D30} Appendix III",
)
UNKNOWN_DOCUMENT_TYPE = define(
    "EDXML.UNKNOWN_DOCUMENT_TYPE",
    W,
    "Tên loại văn bản '{value}' không có trong danh mục Nghị định 30",
    "Document type name '{value}' is not one of Decree 30's types",
    f"{D30} Art. 7",
)
LOOSE_DOCUMENT_TYPE = define(
    "EDXML.LOOSE_DOCUMENT_TYPE",
    W,
    "Tên loại văn bản '{value}' viết không chuẩn (đúng: '{expected}')",
    "Document type name '{value}' is misspelt (standard: '{expected}')",
    f"{D30} Art. 7",
)
EMPTY_RESPONSE_FOR = define(
    "EDXML.EMPTY_RESPONSE_FOR",
    W,
    "ResponseFor rỗng (chỉ là khung mẫu)",
    "ResponseFor is empty (a template left in)",
    QCVN,
)
