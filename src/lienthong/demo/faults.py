"""The country demo's injected faults, each with the outcome a user must see.

An agency offline for a while, a tampered signature, a duplicate, a late send, the hub restarted
mid-run and the SMTP server down for a while.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from datetime import time as time_of_day

from lienthong.codes.dates import VIETNAM
from lienthong.demo.cluster import waited
from lienthong.demo.papers import tamper
from lienthong.demo.scenes import Stage

MAIL_MARKER = "Đề nghị bổ sung hồ sơ kèm theo (gửi khi máy chủ thư ngừng)"


def offline_agency(stage: Stage) -> None:
    """A province's system is down when a document is sent to it: the sender is warned, then it arrives."""
    sender, target = stage.pick(3), stage.pick(5)
    gateway = stage.cluster.services[target.code]
    gateway.stop()
    stage.say(f"{target.code} ngừng hoạt động / goes offline")
    paper = stage.mill.write(sender, (target,), stage.today, subject_index=6)
    stage.send("offline", paper)
    driver = stage.drivers[sender.code]
    warned: list[str] = []

    def warning_open() -> bool:
        warned[:] = [w["kind"] for w in driver.warnings() if w["notation"] == paper.notation]
        return "not_fetched" in warned

    waited("the *chưa đến nơi nhận* warning", warning_open, 60)
    stage.expect(
        "agency offline",
        "the sender warned *Chưa đến nơi nhận* while the recipient is down",
        ", ".join(warned) or "no warning",
        "not_fetched" in warned,
    )
    stage.counts["warnings"] += len(warned)
    gateway.start()
    gateway.wait_ready()
    stage.say(f"{target.code} hoạt động trở lại / back online")
    final = stage.wait_statuses("offline", {target.code: "01"})

    def resolved() -> bool:
        return any(
            w["notation"] == paper.notation and w["state"] == "resolved"
            for w in driver.warnings(include_resolved=True)
        )

    settled = waited("the warning to resolve", resolved, 30)
    stage.expect(
        "agency back",
        "the document arrives (01) once it is back, and the warning resolves by itself",
        f"status {final.get(target.code)}, warning resolved: {settled}",
        final.get(target.code) == "01" and settled,
    )


def tampered_signature(stage: Stage) -> None:
    """A package whose signed PDF was changed: the checklist shows it red and approval is refused."""
    sender, target = stage.pick(1), stage.pick(2)
    paper = stage.mill.write(sender, (target,), stage.today, subject_index=2)
    driver = stage.drivers[sender.code]
    submitted = driver.submit(tamper(paper))
    refused = driver.approve(submitted.local_id)
    codes = sorted(submitted.codes())
    stage.expect(
        "tampered signature",
        "the checklist flags the signature and the clerk cannot approve it",
        f"{', '.join(codes) or 'no finding'}; approve answered {refused.status_code}",
        refused.status_code >= 400 and any("SIGNATURE" in c or "SIG." in c for c in codes),
    )


def duplicate(stage: Stage) -> None:
    """The same document submitted a second time is caught before it leaves."""
    paper, _ = stage.sent["main"]
    driver = stage.drivers[paper.sender.code]
    response = driver.http.post("/outgoing", content=paper.package)
    body = response.json()
    codes = sorted(
        {str(c.get("code")) for c in body.get("checklist", [])} if isinstance(body, dict) else set()
    )
    caught = response.status_code >= 400 or "CHECK.DUPLICATE" in codes
    observed = f"HTTP {response.status_code}: " + (", ".join(codes) or str(body.get("code", body))[:120])
    stage.expect("duplicate", "caught before sending (CHECK.DUPLICATE or a refusal)", observed, caught)


def late_send(stage: Stage) -> None:
    """A document dated weeks ago: flagged late in the checklist, sent anyway, reported by the hub."""
    sender, target = stage.pick(2), stage.pick(3)
    day = stage.today - timedelta(days=6)
    signed = datetime.combine(day, time_of_day(9, 0), VIETNAM)  # signed that morning, sent only today
    paper = stage.mill.write(sender, (target,), day, subject_index=7, signed_at=signed)
    submitted = stage.send("late", paper)
    codes = submitted.codes()
    final = stage.wait_statuses("late", {target.code: "01"})
    stage.expect(
        "late send",
        "flagged CHECK.SENT_LATE in the checklist, still delivered (01)",
        f"{', '.join(sorted(codes)) or 'no finding'}; status {final.get(target.code)}",
        "CHECK.SENT_LATE" in codes and final.get(target.code) == "01",
    )


def hub_restart(stage: Stage) -> None:
    """The hub is killed while a document is on its way; after the restart it is delivered exactly once."""
    sender, target = stage.pick(4), stage.pick(1)
    hub = stage.cluster.services["hub"]
    hub.stop(kill=True)
    stage.say("Trục bị dừng đột ngột / the hub is killed (SIGKILL)")
    paper = stage.mill.write(sender, (target,), stage.today, subject_index=1)
    stage.send("during-restart", paper)
    driver = stage.drivers[sender.code]

    def kinds(state: str | None = None) -> list[str]:
        return [
            w["kind"]
            for w in driver.warnings(include_resolved=True)
            if w["notation"] == paper.notation and (state is None or w["state"] == state)
        ]

    warned = waited("the *chưa gửi được lên Trục* warning", lambda: "not_yet_sent" in kinds(), 30)
    hub.start()
    hub.wait_ready()
    stage.say("Trục khởi động lại / the hub is back")
    final = stage.wait_statuses("during-restart", {target.code: "01"}, timeout=120)
    copies = [
        i
        for i in stage.drivers[target.code].incoming(paper.notation)
        if i["sender"] == sender.code and i["notation"] == paper.notation
    ]
    stage.expect(
        "hub down",
        "the sender sees *Chưa gửi được lên Trục* while the hub is down, never *Gửi lỗi*",
        ", ".join(kinds()) or "no warning",
        warned and "send_failed" not in kinds(),
    )
    resolved = waited("the warning to resolve", lambda: "not_yet_sent" in kinds("resolved"), 30)
    stage.expect(
        "hub restarted",
        "after the restart it arrives exactly once and the warning resolves by itself",
        f"status {final.get(target.code)}, {len(copies)} copy(ies), warning resolved: {resolved}",
        final.get(target.code) == "01" and len(copies) == 1 and resolved,
    )


def smtp_outage(stage: Stage) -> None:
    """Mail is down while a warning fires; once it is back, the e-mail still arrives."""
    sender = stage.pick(5)
    stage.mailroom.down()
    stage.say("máy chủ thư ngừng / the SMTP server goes down")
    returner = stage.pick(6)
    paper = stage.mill.write(sender, (returner,), stage.today, subject_index=3)
    stage.send("while-mail-down", paper)
    stage.answer("while-mail-down", returner, "return", reason=MAIL_MARKER)
    stage.wait_statuses("while-mail-down", {returner.code: "02"})
    before = len(stage.mailroom.messages())
    time.sleep(2)
    stage.mailroom.up()
    stage.say("máy chủ thư hoạt động lại / the SMTP server is back")

    def mailed() -> bool:
        return any(MAIL_MARKER in text for text in stage.mailroom.texts())

    waited("the warning e-mail after the outage", mailed, 60)
    stage.expect(
        "SMTP down",
        "the *Bị trả lại* warning e-mail still reaches the clerk after the outage",
        f"{len(stage.mailroom.messages()) - before} e-mail(s) after the outage",
        mailed(),
    )
