"""The country demo's hands on each gateway: its HTTP API, as an agency's document system uses it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from lienthong.demo.cluster import DemoFailed, wait_until


@dataclass
class Submitted:
    local_id: str
    checklist: list[dict[str, Any]]

    @property
    def blocking(self) -> list[dict[str, Any]]:
        return [c for c in self.checklist if not c.get("ok", True) and c.get("severity") == "error"]

    def codes(self) -> set[str]:
        """Every finding's code, warnings included."""
        return {str(c.get("code")) for c in self.checklist}


class GatewayDriver:
    """One agency's document system talking to its gateway."""

    def __init__(self, code: str, url: str, token: str) -> None:
        self.code = code
        self.url = url
        # The gateway knows who acts from the token (its owner's name goes into the status replies).
        self.http = httpx.Client(base_url=url, timeout=60, headers={"Authorization": f"Bearer {token}"})

    def close(self) -> None:
        self.http.close()

    def _ok(self, response: httpx.Response, what: str) -> Any:
        if response.status_code >= 400:
            raise DemoFailed(f"{self.code}: {what} answered {response.status_code}: {response.text[:300]}")
        return response.json()

    def submit(self, package: bytes) -> Submitted:
        body = self._ok(self.http.post("/outgoing", content=package), "submit")
        return Submitted(body["local_id"], list(body.get("checklist", [])))

    def approve(self, local_id: str, *, override: bool = False) -> httpx.Response:
        return self.http.post(f"/outgoing/{local_id}/approve", json={"override": override})

    def send(self, package: bytes) -> Submitted:
        """Submit and approve: the clerk's review passed."""
        submitted = self.submit(package)
        self._ok(self.approve(submitted.local_id), "approve")
        return submitted

    def recall(self, local_id: str, reason: str) -> None:
        self._ok(
            self.http.post(f"/outgoing/{local_id}/recall", json={"reason": reason}),
            "recall",
        )

    def track(self, local_id: str) -> dict[str, Any]:
        data: dict[str, Any] = self._ok(self.http.get(f"/outgoing/{local_id}/track"), "track")
        return data

    def last_status(self, local_id: str) -> dict[str, str | None]:
        return {r["recipient"]: r["last_status"] for r in self.track(local_id)["recipients"]}

    def outbox(self, search: str = "") -> list[dict[str, Any]]:
        page = self._ok(self.http.get("/outgoing", params={"search": search, "size": 500}), "outbox")
        return list(page["items"])

    def incoming(self, search: str = "") -> list[dict[str, Any]]:
        page = self._ok(self.http.get("/incoming", params={"search": search, "size": 500}), "inbox")
        return list(page["items"])

    def find_incoming(
        self, sender: str, notation: str, business_type: int = 0, timeout: float = 60.0
    ) -> dict[str, Any]:
        """The register entry of a document once it has arrived (an update repeats its original's number)."""
        found: dict[str, Any] = {}

        def arrived() -> bool:
            for item in reversed(self.incoming(notation)):
                if (
                    item["kind"] == "edoc"
                    and item["sender"] == sender
                    and item["notation"] == notation
                    and int(item.get("business_type") or 0) == business_type
                ):
                    found.update(item)
                    return True
            return False

        wait_until(f"{notation} to arrive at {self.code}", arrived, timeout)
        return found

    def act(self, incoming_id: int, action: str, reason: str = "") -> httpx.Response:
        return self.http.post(f"/incoming/{incoming_id}/act", json={"action": action, "reason": reason})

    def answer(self, incoming_id: int, *actions: str, reason: str = "") -> None:
        for action in actions:
            self._ok(self.act(incoming_id, action, reason), action)

    def warnings(self, *, include_resolved: bool = False) -> list[dict[str, Any]]:
        params = {"include_resolved": "true"} if include_resolved else {}
        data: list[dict[str, Any]] = self._ok(self.http.get("/warnings", params=params), "warnings")
        return data
