"""The country demo's scenes: sends, answers, recalls, business changes and injected faults.

Each scene drives real gateways over HTTP and records what it expected beside what it saw; the
run passes only when every expectation held.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import Any

from lienthong.demo.cast import Body
from lienthong.demo.cluster import Cluster, Mailroom, waited
from lienthong.demo.driver import GatewayDriver, Submitted
from lienthong.demo.papers import Paper, PaperMill

RETURN_REASON = "Văn bản không thuộc thẩm quyền giải quyết của cơ quan, đề nghị gửi đúng nơi nhận"


@dataclass
class Outcome:
    """One expectation of the demo and what happened."""

    scene: str
    expected: str
    observed: str
    ok: bool

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


@dataclass
class Stage:
    """Everything the scenes share: the players, their gateways and the record of what happened."""

    bodies: tuple[Body, ...]
    cluster: Cluster
    drivers: dict[str, GatewayDriver]
    mill: PaperMill
    mailroom: Mailroom
    today: date
    say: Callable[[str], None]
    outcomes: list[Outcome] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    sent: dict[str, tuple[Paper, Submitted]] = field(default_factory=dict)

    def pick(self, index: int) -> Body:
        """The body at ``index``, counted round the cast (so any size of cast plays every scene)."""
        return self.bodies[index % len(self.bodies)]

    def expect(self, scene: str, expected: str, observed: str, ok: bool) -> None:
        self.outcomes.append(Outcome(scene, expected, observed, ok))

    def send(self, name: str, paper: Paper) -> Submitted:
        submitted = self.drivers[paper.sender.code].send(paper.package)
        self.sent[name] = (paper, submitted)
        self.counts["documents"] += 1
        self.counts["copies"] += len(paper.recipients)
        return submitted

    def statuses_of(self, name: str) -> dict[str, str | None]:
        paper, submitted = self.sent[name]
        return self.drivers[paper.sender.code].last_status(submitted.local_id)

    def wait_statuses(
        self, name: str, wanted: dict[str, str], timeout: float = 90.0
    ) -> dict[str, str | None]:
        """Wait until the sender's tracking shows each recipient's wanted status; what it shows at the end."""
        waited(
            f"{name}: {wanted}",
            lambda: all(self.statuses_of(name).get(c) == s for c, s in wanted.items()),
            timeout,
        )
        return self.statuses_of(name)

    def together(self, jobs: list[Callable[[], None]]) -> None:
        """Run clerks' work at several agencies at once, as it happens in a country (errors surface)."""
        with ThreadPoolExecutor(max_workers=6) as pool:
            for future in [pool.submit(job) for job in jobs]:
                future.result()

    def answer(self, name: str, recipient: Body, *actions: str, reason: str = "") -> None:
        paper, _ = self.sent[name]
        driver = self.drivers[recipient.code]
        kind = int(paper.business.get("bussiness_doc_type", 0))
        item = driver.find_incoming(paper.sender.code, paper.notation, kind)
        driver.answer(int(item["id"]), *actions, reason=reason)
        self.counts["answers"] += len(actions)


def _history(stage: Stage, name: str) -> dict[str, str]:
    paper, submitted = stage.sent[name]
    track = stage.drivers[paper.sender.code].track(submitted.local_id)
    return {r["recipient"]: "→".join(h.split("@")[0] for h in r["history"]) for r in track["recipients"]}


def one_to_many(stage: Stage) -> None:
    """The Government Office writes to every body; one returns it, the others take it to 06."""
    office, *others = stage.bodies
    paper = stage.mill.write(office, tuple(others), stage.today, subject_index=0)
    stage.say(f"{office.short} gửi {paper.notation} tới {len(others)} cơ quan / to {len(others)} bodies")
    stage.send("main", paper)
    arrived = stage.wait_statuses("main", {b.code: "01" for b in others})
    stage.expect(
        "one-to-many",
        f"01 (đã đến) from all {len(others)} recipients, by itself",
        f"{sum(1 for b in others if arrived.get(b.code) == '01')} of {len(others)}",
        all(arrived.get(b.code) == "01" for b in others),
    )
    returner, *takers = others
    stage.answer("main", returner, "return", reason=RETURN_REASON)
    stage.together(
        [partial(stage.answer, "main", b, "accept", "assign", "process", "complete") for b in takers]
    )
    wanted = {returner.code: "02", **{b.code: "06" for b in takers}}
    final = stage.wait_statuses("main", wanted)
    history = _history(stage, "main")
    stage.expect(
        "statuses 01→06",
        "01→03→04→05→06 from each taker, 01→02 with the reason from one",
        f"{takers[0].code}: {history.get(takers[0].code)}; {returner.code}: {history.get(returner.code)}",
        all(final.get(c) == s for c, s in wanted.items()),
    )
    returned = [w for w in stage.drivers[office.code].warnings() if w["kind"] == "rejected"]
    stage.expect(
        "return (02)", "a *Bị trả lại* warning at the sender", f"{len(returned)} warning(s)", bool(returned)
    )


def routine(stage: Stage, documents: int) -> None:
    """Everyday traffic: each body writes to two others, who accept and complete."""
    n = len(stage.bodies)
    names = []
    for i in range(documents):
        sender = stage.bodies[i % n]
        recipients = (stage.bodies[(i + 1) % n], stage.bodies[(i + 3) % n])
        paper = stage.mill.write(sender, recipients, stage.today, subject_index=i + 1)
        name = f"routine-{i}"
        stage.send(name, paper)
        names.append(name)
    stage.say(f"{documents} văn bản thường ngày / routine documents sent")
    stage.together(
        [
            partial(stage.answer, name, body, "accept", "complete")
            for name in names
            for body in stage.sent[name][0].recipients
        ]
    )
    done = 0
    for name in names:
        paper, _ = stage.sent[name]
        final = stage.wait_statuses(name, {b.code: "06" for b in paper.recipients})
        done += all(final.get(b.code) == "06" for b in paper.recipients)
    stage.expect(
        "routine", f"{documents} documents completed (06) by every recipient", f"{done}", done == documents
    )


def recall(stage: Stage) -> None:
    """A ministry recalls a document (13): one province agrees (15), the other refuses (16)."""
    ministry, first, second = stage.pick(1), stage.pick(-1), stage.pick(-2)
    paper = stage.mill.write(ministry, (first, second), stage.today, subject_index=3)
    submitted = stage.send("recalled", paper)
    stage.wait_statuses("recalled", {first.code: "01", second.code: "01"})
    stage.drivers[ministry.code].recall(submitted.local_id, "Thu hồi để bổ sung phụ lục")
    stage.say(f"{ministry.short} thu hồi / recalls {paper.notation} (13)")
    time.sleep(1.0)
    stage.answer("recalled", first, "agree")
    stage.answer("recalled", second, "refuse", reason="Văn bản đã được triển khai thực hiện")
    final = stage.wait_statuses("recalled", {first.code: "15", second.code: "16"})
    stage.expect(
        "recall 13→15/16",
        "15 (đồng ý thu hồi) from one, 16 (từ chối) from the other",
        f"{first.code}: {final.get(first.code)}, {second.code}: {final.get(second.code)}",
        final.get(first.code) == "15" and final.get(second.code) == "16",
    )


def changes(stage: Stage) -> None:
    """An update and a replacement answered 15; a revocation that leaves the original revoked."""
    ministry, province = stage.pick(2), stage.pick(4)
    original = stage.mill.write(ministry, (province,), stage.today, subject_index=4)
    stage.send("original", original)
    stage.wait_statuses("original", {province.code: "01"})
    update = stage.mill.write(
        ministry,
        (province,),
        stage.today,
        subject_index=4,
        number=original.number,
        subject=original.subject + " (cập nhật)",
        business={"document_id": original.document_id, "bussiness_doc_type": "2",
                  "bussiness_doc_reason": "Cập nhật văn bản điện tử"},
    )  # fmt: skip
    stage.send("update", update)
    replacement = stage.mill.write(
        ministry,
        (province,),
        stage.today,
        subject_index=4,
        business={"bussiness_doc_type": "3", "bussiness_doc_reason": "Văn bản thay thế",
                  "replacement_info_list": [{"document_id": original.document_id,
                                             "organ_id_list": [province.code]}]},
    )  # fmt: skip
    stage.send("replacement", replacement)
    for name in ("update", "replacement"):
        stage.answer(name, province, "agree")
    finals = {
        n: stage.wait_statuses(n, {province.code: "15"}).get(province.code) for n in ("update", "replacement")
    }
    stage.expect(
        "update, replacement",
        "each answered 15 by the recipient",
        f"update: {finals['update']}, replacement: {finals['replacement']}",
        finals == {"update": "15", "replacement": "15"},
    )
    revoke_target = stage.mill.write(ministry, (province,), stage.today, subject_index=5)
    stage.send("to-revoke", revoke_target)
    stage.wait_statuses("to-revoke", {province.code: "01"})
    revocation = stage.mill.write(
        ministry,
        (province,),
        stage.today,
        subject_index=5,
        number=revoke_target.number,
        business={
            "document_id": revoke_target.document_id,
            "bussiness_doc_type": "1",
            "bussiness_doc_reason": "Thu hồi văn bản điện tử",
        },
    )
    stage.send("revocation", revocation)
    stage.say(f"{ministry.short}: cập nhật, thay thế, thu hồi / update, replacement, revocation")
    _expect_revoked(stage, province, revoke_target)


def _expect_revoked(stage: Stage, province: Body, target: Paper) -> None:
    driver = stage.drivers[province.code]
    states: list[str] = []

    def revoked() -> bool:
        states[:] = [
            str(i["state"])
            for i in driver.incoming(target.notation)
            if i["sender"] == target.sender.code and i["notation"] == target.notation
        ]
        return "revoked" in states

    waited("the original marked revoked", revoked, 60)
    stage.expect(
        "revocation",
        "the recipient's register marks the original revoked (Decree 30 Art. 18.4b)",
        ", ".join(states) or "nothing",
        "revoked" in states,
    )
