"""The CHECK.* problems: one code per preflight rule, with the legal text each rule implements."""

from __future__ import annotations

from lienthong.problems import Severity, define

E, W = Severity.ERROR, Severity.WARNING
D28 = "Decision 28/2018/QĐ-TTg"
D30 = "Decree 30/2020/NĐ-CP"
L775 = "Letter 775/VPCP-KSTT (2020-02-04)"
D20 = "Decision 20/2020/QĐ-TTg"
QCVN = "QCVN 102:2016/BTTTT"
SECRETS = (
    "Decision 28/2018/QĐ-TTg (state-secret documents are out of scope); Law 29/2018/QH14 on state secrets"
)

# Every message carries the rule's own finding in both languages: {detail_vi} / {detail_en}.
SENT_LATE = define(
    "CHECK.SENT_LATE",
    W,
    "Gửi muộn: {detail_vi}",
    "Sent late: {detail_en}",
    f"{D28} Art. 6; {D30} Art. 18.1 (same day, at the latest 12:00 of the next working day)",
)
URGENT_LATE = define(
    "CHECK.URGENT_LATE",
    W,
    "Văn bản khẩn gửi không kịp thời: {detail_vi}",
    "Urgent document not sent immediately: {detail_en}",
    f"{D28} Art. 6 (urgent documents immediately after signing)",
)
METADATA_INCOMPLETE = define(
    "CHECK.METADATA_INCOMPLETE",
    E,
    "Thiếu hoặc sai thông tin đầu vào: {detail_vi}",
    "Metadata incomplete or out of range: {detail_en}",
    f"{D30} Appendix VI (metadata of outgoing electronic documents); {QCVN}",
)
NOTATION = define(
    "CHECK.NOTATION",
    E,
    "Số, ký hiệu không đúng thể thức: {detail_vi}",
    "Number/notation not as prescribed: {detail_en}",
    f"{D30} Art. 8 (format components) and Appendix III (abbreviations); Art. 15 (numbering)",
)
PROMULGATION_DATE = define(
    "CHECK.PROMULGATION_DATE",
    E,
    "Ngày ban hành không hợp lệ: {detail_vi}",
    "Promulgation date not acceptable: {detail_en}",
    f"{D30} Art. 8 (place and date of issue); Art. 18.1 (issued on the day of signing)",
)
DOCUMENT_TYPE = define(
    "CHECK.DOCUMENT_TYPE",
    E,
    "Tên loại văn bản không thuộc danh mục: {detail_vi}",
    "Document type not in the catalogue: {detail_en}",
    f"{D30} Art. 7 (the 29 types of administrative documents) and Appendix III",
)
COMPETENCE_MARKER = define(
    "CHECK.COMPETENCE_MARKER",
    W,
    "Quyền hạn người ký ghi không đúng thể thức: {detail_vi}",
    "Signer competence marker malformed: {detail_en}",
    f"{D30} Art. 13 (competence to sign: TM., KT., TL., TUQ., Q.) and Appendix I",
)
MAIN_PDF = define(
    "CHECK.MAIN_PDF",
    E,
    "Văn bản chính không đúng định dạng hoặc thiếu chữ ký số: {detail_vi}",
    "Main document format or signatures wrong: {detail_en}",
    f"{D30} Art. 13 and Appendix I (PDF ≥ 1.4; the signer's and the agency's digital signatures)",
)
SENDER_AUTHORITY = define(
    "CHECK.SENDER_AUTHORITY",
    E,
    "Đơn vị gửi không có thẩm quyền gửi: {detail_vi}",
    "Sender not entitled to send: {detail_en}",
    f"{D20} (registered identifier codes); {D28} (sending between connected agencies)",
)
LEVEL_PERMISSION = define(
    "CHECK.LEVEL_PERMISSION",
    E,
    "Đơn vị cấp {level} không được gửi loại văn bản này: {detail_vi}",
    "A level-{level} unit may not send this type: {detail_en}",
    f"{D30} Art. 13 (competence to sign); operator policy per agency level ({D20})",
)
COMPETENCE_POLICY = define(
    "CHECK.COMPETENCE_POLICY",
    W,
    "Thẩm quyền ký không phù hợp: {detail_vi}",
    "Signing competence does not fit the document: {detail_en}",
    f"{D30} Art. 13 (who signs: the head, a deputy KT., TL./TUQ. by delegation)",
)
STATE_SECRET = define(
    "CHECK.STATE_SECRET",
    E,
    "Văn bản mật ({level}) không được gửi qua hệ thống: {detail_vi}",
    "State-secret document ({level}) must not travel on this system: {detail_en}",
    SECRETS,
)
SIGNATURES = define(
    "CHECK.SIGNATURES",
    E,
    "Tệp {name} không có chữ ký số hợp lệ như quy định: {detail_vi}",
    "File {name} is not validly signed as required: {detail_en}",
    f"{D30} Art. 13 and Appendix I; {D28} Art. 6 (unsigned documents are for information only)",
)
MANIFEST = define(
    "CHECK.MANIFEST",
    E,
    "Danh mục tệp đính kèm không khớp với tệp đính kèm: {detail_vi}",
    "Manifest and attachments do not match: {detail_en}",
    f"{QCVN} (edXMLManifest references every attachment)",
)
ATTACHMENT_TYPE = define(
    "CHECK.ATTACHMENT_TYPE",
    E,
    "Tệp {name}: định dạng không được phép ({detail_vi})",
    "File {name}: format not allowed ({detail_en})",
    f"{QCVN}; operator policy (allowed content types and extensions)",
)
ATTACHMENT_SIZE = define(
    "CHECK.ATTACHMENT_SIZE",
    E,
    "Dung lượng vượt giới hạn: {detail_vi}",
    "Size over the limit: {detail_en}",
    "Operator policy (package limits observed in the field: 50 MB gateway, 500 MB provincial hub)",
)
ATTACHMENT_NAME = define(
    "CHECK.ATTACHMENT_NAME",
    E,
    "Tên tệp đính kèm không an toàn: {detail_vi}",
    "Unsafe attachment name: {detail_en}",
    f"{QCVN} (AttachmentName ≤ 200); operator policy (no paths, no control characters)",
)
DUPLICATE = define(
    "CHECK.DUPLICATE",
    E,
    "Văn bản đã được gửi tới {recipient} ({original}): {detail_vi}",
    "Already sent to {recipient} ({original}): {detail_en}",
    f"{D30} Appendix VI (warn of duplicate document id or number + notation + issuer); "
    "Directive 807/VPCP-KSTT item 5",
)
PAPER = define(
    "CHECK.PAPER",
    W,
    "Gửi kèm bản giấy không đúng danh mục: {detail_vi}",
    "Paper flag does not match the electronic-only catalogue: {detail_en}",
    f"{L775}; {D28} Art. 6 (paper only to the Government/Prime Minister and on an agency's own list); "
    "Directive 807/VPCP-KSTT item 2",
)
