"""The one table of incoming states and the clerk's moves between them (QCVN 102 status codes, Decree 30).

arrived (01 sent) → returned (02) | accepted (03); accepted → assigned (04) → processing (05) →
completed (06), with the shortcuts the standard allows (a document may be processed or completed
without a separate assignment). Returned and completed are final. A recall (13) waits for the clerk:
15 cancels the copy, 16 keeps it as it was. An update or a replacement waits for 15 (it supersedes
the original) or 16 (declined). A revocation makes the original revoked (Decree 30 Art. 18.4b):
from then on it can only be viewed.
"""

from __future__ import annotations

from lienthong.gateway.problems import INVALID_TRANSITION, UNKNOWN_ACTION, GatewayError

PRIOR = "<prior>"  # back to the state before the recall request

# action → (status code sent back, Vietnamese verb, English participle)
ACTIONS: dict[str, tuple[str, str, str]] = {
    "accept": ("03", "tiếp nhận", "accepted"),
    "return": ("02", "trả lại", "returned"),
    "assign": ("04", "phân công xử lý", "assigned"),
    "process": ("05", "chuyển sang đang xử lý", "processed"),
    "complete": ("06", "hoàn thành", "completed"),
    "agree": ("15", "đồng ý thu hồi/cập nhật", "agreed to"),
    "refuse": ("16", "từ chối thu hồi/cập nhật", "refused"),
}

# state → {action: next state}; a move not listed here is refused with GATEWAY.INVALID_TRANSITION.
TRANSITIONS: dict[str, dict[str, str]] = {
    "arrived": {"accept": "accepted", "return": "returned", "assign": "assigned"},
    "change_arrived": {"agree": "accepted", "refuse": "declined"},
    "accepted": {"assign": "assigned", "process": "processing", "complete": "completed"},
    "assigned": {"process": "processing", "complete": "completed"},
    "processing": {"complete": "completed"},
    "recall_requested": {"agree": "cancelled", "refuse": PRIOR},
    "returned": {},
    "completed": {},
    "declined": {},
    "cancelled": {},
    "superseded": {},
    "revoked": {},
}
FINAL = frozenset(state for state, moves in TRANSITIONS.items() if not moves)
# A recall can reach a copy the recipient still holds; a returned or ended copy has nothing to give back.
RECALLABLE = frozenset({"arrived", "change_arrived", "accepted", "assigned", "processing", "completed"})

STATE_LABELS: dict[str, str] = {
    "arrived": "Đã đến - chờ tiếp nhận",
    "change_arrived": "Đã đến - chờ đồng ý cập nhật/thay thế",
    "accepted": "Đã tiếp nhận",
    "assigned": "Đã phân công",
    "processing": "Đang xử lý",
    "completed": "Đã hoàn thành",
    "returned": "Đã trả lại",
    "declined": "Từ chối cập nhật/thay thế",
    "recall_requested": "Bên gửi đề nghị thu hồi",
    "cancelled": "Đã hủy (thu hồi)",
    "superseded": "Đã được cập nhật/thay thế",
    "revoked": "Đã bị thu hồi (văn bản thu hồi)",
    "recorded": "Đã ghi nhận",
}
STATUS_TEXT = {
    "01": "Đã đến - hệ thống quản lý văn bản đã nhận, văn thư chưa xử lý",
    "02": "Từ chối tiếp nhận",
    "03": "Tiếp nhận, vào sổ văn bản đến",
    "04": "Phân công xử lý",
    "05": "Đang xử lý",
    "06": "Hoàn thành xử lý",
    "13": "Đề nghị lấy lại văn bản",
    "15": "Đồng ý cập nhật/lấy lại",
    "16": "Từ chối cập nhật/lấy lại",
}
# The sender's view of one recipient only moves forward: a late or repeated lower status is history only.
STATUS_RANK = {"01": 1, "03": 2, "04": 3, "05": 4, "02": 9, "06": 9, "13": 1, "15": 9, "16": 9}


def next_state(state: str, action: str, prior: str | None = None) -> str:
    """The state after ``action``, or GatewayError(GATEWAY.INVALID_TRANSITION, 409) naming the current one."""
    if action not in ACTIONS:
        raise GatewayError(UNKNOWN_ACTION(action=action))
    target = TRANSITIONS.get(state, {}).get(action)
    if target is None:
        _, verb, participle = ACTIONS[action]
        problem = INVALID_TRANSITION(
            state=state, state_vi=STATE_LABELS.get(state, state), action_vi=verb, action_en=participle
        )
        raise GatewayError(problem, 409)
    return (prior or "accepted") if target == PRIOR else target


def moves_forward(current: str | None, new: str) -> bool:
    """Whether a status reply may replace the one the sender shows for a recipient."""
    return current is None or STATUS_RANK.get(new, 0) >= STATUS_RANK.get(current, 0)
