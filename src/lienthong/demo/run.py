"""``lienthong demo``: the whole country on one machine, its faults, its reports, and a verdict.

Stages: set up (PKI, directory, systems, configurations), start (hub, gateways, SMTP), the scenes,
the faults, the reports and the trace picture, then a summary and ``results.json``. It exits 0
only when every expected outcome happened.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from lienthong.codes.calendar import WorkingCalendar
from lienthong.codes.dates import VIETNAM
from lienthong.demo import faults, scenes
from lienthong.demo.cast import Body, cast
from lienthong.demo.cluster import Cluster, DemoFailed, Mailroom
from lienthong.demo.driver import GatewayDriver
from lienthong.demo.papers import PaperMill
from lienthong.demo.setup import OPERATOR_EMAIL, Prepared, gateway_config, prepare_hub

OWN = (
    "pki",
    "hub",
    "gateways",
    "logs",
    "emails",
    "reports",
    "trace.svg",
    "trace.png",
    "results.json",
    "terminal.svg",
)


@dataclass(frozen=True)
class Options:
    agencies: int = 12
    documents: int = 6
    database: str | None = None
    out: Path = Path("demo-output")
    keep_running: bool = False


def report_day(now: datetime, calendar: WorkingCalendar) -> date:
    """The first daily report whose period (until 07:00 of its day) covers ``now``."""
    local = now.astimezone(VIETNAM)
    day = local.date()
    if not calendar.is_working_day(day) or local.hour >= 7:
        day = calendar.next_working_day(day)
    return day


class Run:
    """One run of the demo: its options, its console and what it has started."""

    def __init__(self, options: Options, console: Console) -> None:
        self.options = options
        self.console = console
        self.out = options.out.resolve()
        self.bodies: tuple[Body, ...] = cast(options.agencies)
        self.started = time.monotonic()

    def run(self) -> int:
        self.out.mkdir(parents=True, exist_ok=True)
        for name in OWN:  # what an earlier run left; anything else in the folder is not ours to remove
            target = self.out / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
        cluster = Cluster(self.out, self.options.database)
        mailroom = Mailroom(self.out / "emails")
        try:
            with Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TextColumn("[dim]{task.fields[counts]}"),
                TimeElapsedColumn(),
                console=self.console,
                transient=False,
            ) as progress:
                stage = self._play(cluster, mailroom, progress)
            return self._finish(stage, cluster)
        finally:
            if not self.options.keep_running:
                cluster.stop_all()
                mailroom.down()

    def _play(self, cluster: Cluster, mailroom: Mailroom, progress: Progress) -> scenes.Stage:
        task = progress.add_task("Chuẩn bị / setting up", total=None, counts="")
        prepared = prepare_hub(self.out, self.bodies, self.options.database)
        mailroom.up()
        env = {
            "LIENTHONG_SMTP_HOST": "127.0.0.1",
            "LIENTHONG_SMTP_PORT": str(mailroom.port),
            "LIENTHONG_OPERATOR_EMAILS": OPERATOR_EMAIL,
        }
        cluster.add_hub(prepared.hub_dir, env)
        for body in self.bodies:
            gateway_config(cluster, self.out, body, prepared, mailroom.port)
        progress.update(
            task, description=f"Khởi động Trục và {len(self.bodies)} cổng / starting the hub and gateways"
        )
        cluster.start(["hub"])
        cluster.start([b.code for b in self.bodies])
        drivers = {
            b.code: GatewayDriver(b.code, cluster.gateway_urls[b.code], prepared.gateway_tokens[b.code])
            for b in self.bodies
        }

        def say(text: str) -> None:
            counts = " · ".join(f"{k} {v}" for k, v in sorted(stage.counts.items()))
            progress.update(task, description=text, counts=counts)
            progress.console.log(text)

        today = datetime.now(VIETNAM).date()
        stage = scenes.Stage(self.bodies, cluster, drivers, PaperMill(prepared.pki_dir), mailroom, today, say)
        self.prepared = prepared
        for name, scene in self._scenes():
            try:
                scene(stage)
            except (DemoFailed, httpx.HTTPError) as exc:  # one failing scene leaves the others to show theirs
                stage.expect(name, "the scene runs to its end", str(exc)[:300], False)
                say(f"[red]{name}: {exc}[/]")
        say("Báo cáo và hành trình / reports and the trace picture")
        self._reports(stage, prepared)
        say("Xong / done")
        return stage

    def _scenes(self) -> list[tuple[str, Callable[[scenes.Stage], None]]]:
        return [
            ("one-to-many", scenes.one_to_many),
            ("routine", lambda s: scenes.routine(s, self.options.documents)),
            ("recall", scenes.recall),
            ("changes", scenes.changes),
            ("tampered signature", faults.tampered_signature),
            ("duplicate", faults.duplicate),
            ("late send", faults.late_send),
            ("agency offline", faults.offline_agency),
            ("hub restarted", faults.hub_restart),
            ("SMTP down", faults.smtp_outage),
        ]

    def _reports(self, stage: scenes.Stage, prepared: Prepared) -> None:
        """Each body's daily report (PDF, HTML, JSON), the national summary, the trace picture."""
        from lienthong.watch.config import WatchConfig

        day = report_day(datetime.now(UTC), WatchConfig().calendar)
        folder = self.out / "reports"
        folder.mkdir()
        base = stage.cluster.hub_url + "/api/v1"
        with httpx.Client(timeout=120) as http:
            for body in self.bodies:
                auth = {"Authorization": f"Bearer {prepared.tokens[body.code]}"}
                for fmt in ("json", "html", "pdf"):
                    got = http.get(
                        f"{base}/reports/daily", params={"date": day.isoformat(), "format": fmt}, headers=auth
                    )
                    if got.status_code != 200:
                        raise DemoFailed(
                            f"daily report of {body.code} ({fmt}): {got.status_code} {got.text[:200]}"
                        )
                    (folder / f"{body.code}-{day}.{fmt}").write_bytes(got.content)
            operator = {"Authorization": f"Bearer {prepared.operator_token}"}
            for fmt in ("json", "html", "pdf"):
                got = http.get(
                    f"{base}/reports/national",
                    params={"date": day.isoformat(), "format": fmt},
                    headers=operator,
                )
                if got.status_code != 200:
                    raise DemoFailed(f"national summary ({fmt}): {got.status_code} {got.text[:200]}")
                (folder / f"national-{day}.{fmt}").write_bytes(got.content)
            self._trace(stage, http, base)
        self.report_date = day

    def _trace(self, stage: scenes.Stage, http: httpx.Client, base: str) -> None:
        paper, submitted = stage.sent["main"]
        entry = next(
            o
            for o in stage.drivers[paper.sender.code].outbox(paper.notation)
            if o["local_id"] == submitted.local_id
        )
        doc_id = str(entry["hub_doc_id"])
        auth = {"Authorization": f"Bearer {self.prepared.tokens[paper.sender.code]}"}
        got = http.get(f"{base}/packages/{doc_id}/trace.svg", headers=auth)
        if got.status_code != 200:
            raise DemoFailed(f"trace picture: {got.status_code} {got.text[:200]}")
        (self.out / "trace.svg").write_bytes(got.content)
        command = [*stage.cluster.python, "hub", "trace", doc_id, "--out", str(self.out / "trace.png")]
        command += ["--data-dir", str(self.prepared.hub_dir)]
        if self.options.database:
            command += ["--db", self.options.database]
        subprocess.run(command, check=True, capture_output=True)
        self.trace_doc = doc_id

    def _finish(self, stage: scenes.Stage, cluster: Cluster) -> int:
        elapsed = time.monotonic() - self.started
        ok = all(o.ok for o in stage.outcomes)
        results: dict[str, Any] = {
            "ok": ok,
            "elapsed_seconds": round(elapsed, 1),
            "agencies": [
                {"code": b.code, "name": b.name, "sdk": b.sdk, "units": len(b.units)} for b in self.bodies
            ],
            "counts": dict(stage.counts) | {"emails": len(stage.mailroom.messages())},
            "outcomes": [o.to_dict() for o in stage.outcomes],
            "report_date": self.report_date.isoformat(),
            "trace_document": self.trace_doc,
        }
        (self.out / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=2), "utf-8")
        self._summary(stage, elapsed, ok)
        if self.options.keep_running:
            self._show_running(cluster)
        return 0 if ok else 1

    def _summary(self, stage: scenes.Stage, elapsed: float, ok: bool) -> None:
        table = Table(title="Kết quả / outcomes", expand=True)
        table.add_column("", width=2)
        table.add_column("cảnh / scene", no_wrap=True)
        table.add_column("mong đợi / expected", ratio=2)
        table.add_column("thấy / observed", ratio=2)
        for o in stage.outcomes:
            table.add_row("[green]✓[/]" if o.ok else "[red]✗[/]", o.scene, o.expected, o.observed)
        self.console.print(table)
        counts = ", ".join(f"{v} {k}" for k, v in sorted(stage.counts.items()))
        self.console.print(
            f"{len(self.bodies)} cơ quan có cổng / bodies with a gateway; {counts}; {elapsed:.0f} s"
        )
        where = Table(title=f"Xem ở đâu / where to look ({self.out})", show_header=False, expand=True)
        where.add_row("results.json", "every expected outcome and what happened")
        where.add_row(
            "reports/",
            f"each body's daily report of {self.report_date} (PDF, HTML, JSON), the national summary",
        )
        where.add_row("emails/", "the e-mails the warning system and the gateways sent (.eml)")
        where.add_row(
            "trace.svg, trace.png", "the Government Office's document, lane by lane, in Vietnam time"
        )
        where.add_row("logs/", "the hub's and every gateway's log")
        where.add_row("terminal.svg", "this screen, as a picture")
        self.console.print(where)
        verdict = "[green]Mọi kết quả như mong đợi / every outcome as expected[/]"
        failed = ", ".join(o.scene for o in stage.outcomes if not o.ok)
        self.console.print(verdict if ok else f"[red]Không đạt / failed: {failed}[/]")

    def _show_running(self, cluster: Cluster) -> None:
        table = Table(title="Đang chạy / still running (Ctrl-C to stop)", expand=True)
        table.add_column("what")
        table.add_column("address")
        table.add_row("Trục / hub console", f"{cluster.hub_url}/  (sign in at /login)")
        for username, (password, sees) in self.prepared.accounts.items():
            table.add_row(f"  {username} / {password}", sees)
        for body in self.bodies:
            table.add_row(f"gateway {body.code}", f"{cluster.gateway_urls[body.code]}/  {body.name}")
        for username, password in self.prepared.gateway_people.items():  # the agency consoles' people
            table.add_row(f"  {username} / {password}", "mọi cổng / every gateway (văn thư, lãnh đạo)")
        self.console.print(table)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            cluster.stop_all()


def run(options: Options, console: Console | None = None) -> int:
    """Run the demo; the exit status (0: every outcome as expected)."""
    console = console or Console()
    try:
        return Run(options, console).run()
    except DemoFailed as exc:
        console.print(f"[red]Lienthong demo: {exc}[/] (logs in {options.out / 'logs'})")
        return 1
