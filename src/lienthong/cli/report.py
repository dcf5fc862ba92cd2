"""``lienthong hub report`` and ``lienthong hub watch``: the daily reports on demand, contacts, the outbox."""

from __future__ import annotations

import json
import sys
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from lienthong.cli.opening import open_hub
from lienthong.codes.calendar import CalendarFileError
from lienthong.hub.config import HubConfig
from lienthong.watch import render
from lienthong.watch.config import WatchConfig
from lienthong.watch.model import AgencyReport
from lienthong.watch.service import Watch, set_contact

watch_app = typer.Typer(help="The warning system: contacts, the outbox, the scheduler.", no_args_is_help=True)

DbOpt = Annotated[str | None, typer.Option("--db", help="Database URL (env LIENTHONG_HUB_DB).")]
DirOpt = Annotated[str | None, typer.Option("--data-dir", help="Data folder (env LIENTHONG_DATA_DIR).")]
CalOpt = Annotated[
    Path | None,
    typer.Option(
        "--calendar", help="Operator file of extra days off / working days (env LIENTHONG_CALENDAR)."
    ),
]


class Format(StrEnum):
    json = "json"
    html = "html"
    pdf = "pdf"


class Language(StrEnum):
    vi = "vi"
    en = "en"


def _watch(db: str | None, data_dir: str | None, calendar: Path | None) -> Watch:
    try:
        config = WatchConfig.from_env(calendar)
    except (CalendarFileError, OSError) as exc:
        typer.echo(f"calendar: {exc}", err=True)
        raise typer.Exit(2) from None
    return Watch(open_hub(HubConfig.from_env(db, data_dir)), config)


def _render(report: AgencyReport, fmt: Format, language: str, font_dir: Path) -> bytes:
    if fmt is Format.json:
        return render.to_json(report).encode("utf-8")
    if fmt is Format.html:
        return render.to_html(report, language).encode("utf-8")
    return render.to_pdf(report, language, font_dir)


def report(
    day: Annotated[
        str | None, typer.Option("--date", help="Report date YYYY-MM-DD (default: today, Vietnam).")
    ] = None,
    agency: Annotated[
        list[str] | None, typer.Option("--agency", help="Only this agency (repeatable).")
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", help="json, html or pdf.")] = Format.json,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write one file per agency into this folder.")
    ] = None,
    send: Annotated[
        bool, typer.Option("--send", help="E-mail the reports to the agencies' addresses now.")
    ] = False,
    national: Annotated[
        bool, typer.Option("--national", help="The operator's national summary instead.")
    ] = False,
    lang: Annotated[Language, typer.Option("--lang", help="Language of HTML and PDF.")] = Language.vi,
    db: DbOpt = None,
    data_dir: DirOpt = None,
    calendar: CalOpt = None,
) -> None:
    """Build the daily reports for a date; JSON on standard output when no --out is given."""
    watch = _watch(db, data_dir, calendar)
    try:
        when = date.fromisoformat(day) if day else watch.report_date(watch.hub.clock())
    except ValueError:
        typer.echo(f"--date: not a date (YYYY-MM-DD): {day}", err=True)
        raise typer.Exit(2) from None
    if fmt is Format.pdf and out is None:
        typer.echo("--format pdf needs --out DIR", err=True)
        raise typer.Exit(2)
    reports = watch.build(when, agency or None)
    missing = [code for code in agency or [] if code not in reports.agencies]
    if missing:
        typer.echo(f"no such active agency: {', '.join(missing)}", err=True)
        raise typer.Exit(1)
    font_dir = watch.config.font_dir
    if national:
        s = reports.national
        data = {
            Format.json: lambda: render.to_json(s).encode("utf-8"),
            Format.html: lambda: render.national_html(s, lang.value).encode("utf-8"),
            Format.pdf: lambda: render.national_pdf(s, lang.value, font_dir),
        }[fmt]()
        if out is None:
            sys.stdout.buffer.write(data + b"\n")
        else:
            out.mkdir(parents=True, exist_ok=True)
            target = out / f"national-{when.isoformat()}.{fmt.value}"
            target.write_bytes(data)
            typer.echo(f"wrote {target}")
        return
    if out is None and fmt is Format.json:
        chosen = list(reports.agencies.values())
        payload = chosen[0].to_dict() if agency and len(chosen) == 1 else [r.to_dict() for r in chosen]
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    elif out is None:
        for r in reports.agencies.values():
            sys.stdout.write(render.to_html(r, lang.value))
    else:
        out.mkdir(parents=True, exist_ok=True)
        for code, r in reports.agencies.items():
            target = out / f"report-{code}-{when.isoformat()}.{fmt.value}"
            target.write_bytes(_render(r, fmt, lang.value, font_dir))
        n = len(reports.agencies)
        typer.echo(f"đã ghi {n} báo cáo vào {out} / wrote {n} report{'' if n == 1 else 's'} to {out}")
    if send:
        queued = watch.send_reports(reports, national=not agency)
        stats = watch.deliver_due()
        typer.echo(
            f"queued {queued} e-mails; sent {stats.sent}, to retry {stats.retried}, dead {stats.dead}",
            err=True,
        )


@watch_app.command("contact")
def contact(
    code: str,
    webhook: Annotated[
        str | None, typer.Option("--webhook", help="URL for JSON alerts ('' removes it).")
    ] = None,
    secret: Annotated[
        str | None, typer.Option("--secret", help="HMAC-SHA256 key for the webhook signature.")
    ] = None,
    lang: Annotated[
        Language | None, typer.Option("--lang", help="Language of this agency's e-mails.")
    ] = None,
    db: DbOpt = None,
    data_dir: DirOpt = None,
) -> None:
    """Set an agency's webhook and language (its e-mail addresses are in the directory)."""
    hub = open_hub(HubConfig.from_env(db, data_dir))
    set_contact(hub, code, webhook_url=webhook, secret=secret, language=lang.value if lang else None)
    typer.echo(f"{code}: contact updated")


@watch_app.command("outbox")
def outbox_status(db: DbOpt = None, data_dir: DirOpt = None) -> None:
    """How many warning messages are pending, sent or dead."""
    from lienthong.watch import outbox

    hub = open_hub(HubConfig.from_env(db, data_dir))
    with hub.read() as s:
        typer.echo(json.dumps(outbox.counts(s), indent=2))


@watch_app.command("run")
def run(
    poll: Annotated[float, typer.Option("--poll", help="Seconds between checks.")] = 30.0,
    db: DbOpt = None,
    data_dir: DirOpt = None,
    calendar: CalOpt = None,
) -> None:
    """Run the scheduler and the outbox alone (beside hub workers); several may run at once."""
    watch = _watch(db, data_dir, calendar)
    typer.echo(f"warning system running: reports at {watch.config.report_time:%H:%M} Asia/Ho_Chi_Minh")
    watch.start(poll)
    try:
        while watch._thread is not None and watch._thread.is_alive():
            watch._thread.join(3600)
    except KeyboardInterrupt:
        watch.stop()


def trace(
    doc_id: Annotated[
        str, typer.Argument(help="The hub's id of the package (the one the sender was given).")
    ],
    out: Annotated[
        Path | None, typer.Option("--out", help="FILE.svg or FILE.png (default: trace-ID.svg here).")
    ] = None,
    db: DbOpt = None,
    data_dir: DirOpt = None,
) -> None:
    """One document's trace as a picture: a lane per recipient, each moment in Vietnam time."""
    from lienthong.watch.timeline import timeline
    from lienthong.watch.trace import render_trace

    target = out or Path(f"trace-{doc_id}.svg")
    suffix = target.suffix.lower()
    if suffix not in {".svg", ".png"}:
        typer.echo(f"--out: dùng tệp .svg hoặc .png / use a .svg or .png file (got {target.name})", err=True)
        raise typer.Exit(2)
    hub = open_hub(HubConfig.from_env(db, data_dir))
    with hub.read() as s:
        data = timeline(s, doc_id)
    if data is None:
        typer.echo(f"HUB.NOT_FOUND: không có văn bản {doc_id} / no package {doc_id}", err=True)
        raise typer.Exit(1)
    target.write_bytes(render_trace(data, "png" if suffix == ".png" else "svg"))
    events = sum(1 for _ in data["events"])
    typer.echo(f"{target}: {len(data['recipients'])} nơi nhận / recipients, {events} sự kiện / events")
