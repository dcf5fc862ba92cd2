"""The sending stage: the outbox runner on lienthong.delivery (leases, deadline, temporary vs permanent).

A temporary failure (hub unreachable, 5xx, timeout, rate limit, credentials refused) is retried with
the same bytes until ``deliver_until_hours`` after the document was queued; past
``warn_after_minutes`` the sender already sees "chưa gửi được lên Trục", resolved by itself once
the hub takes it. A coded refusal from the hub is permanent: *Gửi lỗi* at once with the hub's code
and text. Only the hub's exact-repeat answer (same bytes) counts as "already accepted".
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from lienthong.client.models import HubRefused, HubUnavailable, SendResult
from lienthong.delivery import LeaseQueue, RetryPolicy
from lienthong.gateway import problems as GP
from lienthong.gateway.core import Core, as_utc
from lienthong.gateway.problems import GatewayError
from lienthong.gateway.tables import Outgoing
from lienthong.gateway.warnings import Warnings

log = logging.getLogger("lienthong.gateway")
QUEUE = LeaseQueue(Outgoing, ready="queued", done="sent", dead="send_error", lease=timedelta(seconds=60))
# Refusals about the gateway rather than the document: the operator fixes them, the document waits.
NOT_ABOUT_THE_DOCUMENT = frozenset({"HUB.AUTH_FAILED", "HUB.FORBIDDEN", GP.NO_CREDENTIALS.code})


class Outbox:
    """Claims due entries, sends their exact bytes, records the outcome."""

    def __init__(self, core: Core, warnings: Warnings) -> None:
        self.core = core
        self.warnings = warnings
        cfg = core.config
        self.policy = RetryPolicy(
            base_seconds=cfg.backoff_seconds,
            cap_seconds=cfg.backoff_max_seconds,
            deadline=timedelta(hours=cfg.deliver_until_hours),
            max_attempts=cfg.max_attempts,
        )
        self.on_retry: Callable[[str], None] = lambda _code: None  # monitoring: retries by reason

    def release_leases(self) -> None:
        """A restart means the previous process is gone: what it had claimed is due again now.

        Were another worker still sending one of these, the second send is harmless: the hub
        answers the same bytes as an exact repeat, with the same id.
        """
        with self.core.tx() as s:
            QUEUE.release_all(s)

    def process(self) -> int:
        """Send what is due; return how many entries were handled."""
        now = self.core.clock()
        with self.core.tx() as s:
            claimed = [(row.id, row.blob_path) for row in QUEUE.claim(s, now, limit=20)]
        for row_id, path in claimed:
            self._send_one(row_id, path)
        return len(claimed)

    def _send_one(self, row_id: int, path: str) -> None:
        try:
            result = self.core.port.send_file(Path(path))  # streamed from the kept file
            _fault_point("after-send")
        except HubUnavailable as exc:
            self._temporary(row_id, GP.HUB_UNAVAILABLE.code, str(exc))
            return
        except HubRefused as exc:
            _fault_point("after-refusal")
            if exc.code in NOT_ABOUT_THE_DOCUMENT:
                self._temporary(row_id, exc.code, exc.message)
            else:
                self._send_error(row_id, exc.code, exc.message)
            return
        self._mark_sent(row_id, result)

    def _mark_sent(self, row_id: int, result: SendResult) -> None:
        now = self.core.clock()
        with self.core.tx() as s:
            row = s.get_one(Outgoing, row_id)
            QUEUE.succeeded(row, now)
            row.hub_doc_id, row.sent_at = result.doc_id, now
            row.last_error_code = row.last_error_text = None
            states = {d.recipient: (d.state, d.error_code) for d in result.deliveries}
            for r in row.recipients:
                state, error = states.get(r.recipient_code, ("pending", None))
                r.hub_state, r.error_code, r.updated_at = state, error, now
                if state == "undeliverable":  # the hub says so at once: so does the gateway
                    self.warnings.open(s, "recipient_unknown", row, r.recipient_code, error or "", now)
            for kind in ("send_failed", "not_yet_sent"):
                self.warnings.resolve(s, row.id, kind, now)
            repeat = " (exact repeat)" if result.repeat else ""
            log.info("sent %s %s → hub %s%s", row.kind, row.notation or row.local_id, result.doc_id, repeat)

    def _temporary(self, row_id: int, code: str, text: str) -> None:
        self.on_retry(code)
        now = self.core.clock()
        cfg = self.core.config
        with self.core.tx() as s:
            row = s.get_one(Outgoing, row_id)
            row.last_error_code, row.last_error_text = code, text
            started = as_utc(row.queued_at or row.created_at)
            if not QUEUE.failed(row, now, self.policy, started=started, permanent=False):
                hours = (now - started).total_seconds() / 3600
                detail = GP.DEADLINE_PASSED(hours=f"{hours:.1f}", detail=f"{code}: {text}")
                self._failed(s, row, detail.code, detail.message_vi + " / " + detail.message_en, now)
                return
            waited = (now - started).total_seconds() / 60
            if row.kind == "edoc" and waited >= cfg.warn_after_minutes:
                self.not_yet_sent(s, row, now)

    def not_yet_sent(self, s: Session, row: Outgoing, now: datetime) -> None:
        """The "chưa gửi được lên Trục" warning for a document still being retried."""
        started = as_utc(row.queued_at or row.created_at)
        problem = GP.NOT_YET_SENT(
            minutes=int((now - started).total_seconds() // 60), detail=row.last_error_code or "-"
        )
        self.warnings.open(s, "not_yet_sent", row, None, problem.message_vi, now)

    def _send_error(self, row_id: int, code: str, text: str) -> None:
        now = self.core.clock()
        with self.core.tx() as s:
            row = s.get_one(Outgoing, row_id)
            QUEUE.failed(row, now, self.policy, started=now, permanent=True)
            self._failed(s, row, code, text, now)

    def _failed(self, s: Session, row: Outgoing, code: str, text: str, now: datetime) -> None:
        row.last_error_code, row.last_error_text = code, text
        self.warnings.resolve(s, row.id, "not_yet_sent", now)
        self.warnings.open(s, "send_failed", row, None, f"{code}: {text}", now)
        log.error("send failed %s %s: %s %s", row.kind, row.notation or row.local_id, code, text)

    def resend(self, local_id: str, clerk: str) -> Outgoing:
        """A *Gửi lỗi* package back into the queue, the same bytes, with a fresh deadline."""
        now = self.core.clock()
        with self.core.tx() as s:
            row = self.core.outgoing(s, local_id)
            if row.state != "send_error":
                label = OUTGOING_LABELS.get(row.state, row.state)
                raise GatewayError(GP.NOT_RESENDABLE(state=row.state, state_vi=label), 409)
            QUEUE.requeue(row, now)
            row.queued_at = now
            self.warnings.resolve(s, row.id, "send_failed", now)
            log.info("resend %s by %s", row.notation or row.local_id, clerk)
            return row


OUTGOING_LABELS = {
    "draft": "Chưa gửi",
    "checked": "Chưa gửi",
    "queued": "Chưa gửi",
    "refused": "Không được duyệt gửi",
    "send_error": "Gửi lỗi",
    "sent": "Đã gửi",
}


def _fault_point(name: str) -> None:
    """Crash tests: ``LIENTHONG_GATEWAY_FAULT=<name>`` kills the process here (SIGKILL), like a power cut."""
    if os.environ.get("LIENTHONG_GATEWAY_FAULT") == name:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)
