"""``/api/v1/reports`` and package timelines: the daily reports to download, the operator's summary."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response

from lienthong.api.v1 import ApiProblem, Caller
from lienthong.hub import problems as HP
from lienthong.hub.directory import SystemRef
from lienthong.hub.service import Hub
from lienthong.watch import problems as WP
from lienthong.watch import render
from lienthong.watch.config import WatchConfig
from lienthong.watch.rules import build_daily, utc
from lienthong.watch.timeline import parties, timeline

Fmt = Annotated[str, Query(pattern="^(json|html|pdf)$")]
Lang = Annotated[str, Query(pattern="^(vi|en)$")]


def router(hub: Hub, config: WatchConfig) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["Reports"])

    def day_of(value: date | None) -> date:
        return value or utc(hub.clock()).astimezone(config.calendar.tz).date()

    def is_operator(system: SystemRef) -> bool:
        # A role the administrator grants (hub system grant-operator), never read from an agency code.
        return system.operator

    def respond(data: Any, fmt: str, name: str) -> Response:
        if fmt == "json":
            return JSONResponse(data)
        if fmt == "html":
            return HTMLResponse(data)
        return Response(
            data,
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'},
        )

    @api.get("/reports/daily", summary="My agency's daily report (JSON, HTML or PDF)")
    async def daily(
        system: Caller,
        day: Annotated[date | None, Query(alias="date")] = None,
        agency: str | None = None,
        format: Fmt = "json",
        lang: Lang = "vi",
    ) -> Response:
        code = agency or system.agency_codes[0]
        if code not in system.agency_codes and not is_operator(system):
            raise ApiProblem(HP.FORBIDDEN("", detail=f"agency {code} is not one of this system's agencies"))
        when = day_of(day)

        def build() -> Any:
            with hub.read() as s:
                report = build_daily(s, when, config, [code]).agencies.get(code)
            if report is None:
                return None
            if format == "json":
                return report.to_dict()
            if format == "html":
                return render.to_html(report, lang)
            return render.to_pdf(report, lang, config.font_dir)

        data = await anyio.to_thread.run_sync(build)
        if data is None:
            raise ApiProblem(WP.UNKNOWN_AGENCY("", code=code), status=404)
        return respond(data, format, f"bao-cao-{code}-{when.isoformat()}")

    @api.get("/reports/national", summary="The national summary (the hub operator only)")
    async def national(
        system: Caller,
        day: Annotated[date | None, Query(alias="date")] = None,
        format: Fmt = "json",
        lang: Lang = "vi",
    ) -> Response:
        if not is_operator(system):
            raise ApiProblem(HP.FORBIDDEN("", detail="the national summary is for the hub operator"))
        when = day_of(day)

        def build() -> Any:
            with hub.read() as s:
                summary = build_daily(s, when, config).national
            if format == "json":
                return summary.to_dict()
            if format == "html":
                return render.national_html(summary, lang)
            return render.national_pdf(summary, lang, config.font_dir)

        return respond(await anyio.to_thread.run_sync(build), format, f"national-{when.isoformat()}")

    @api.get("/packages/{doc_id}/timeline", summary="A package's timeline (its sender and recipients only)")
    def package_timeline(system: Caller, doc_id: str) -> Any:
        with hub.read() as s:
            allowed = parties(s, doc_id)
            # Someone else's package is reported exactly like a missing one.
            if not allowed or not (allowed & set(system.agency_codes) or is_operator(system)):
                raise ApiProblem(HP.NOT_FOUND("", what="package", id=doc_id))
            return timeline(s, doc_id)

    @api.get(
        "/packages/{doc_id}/trace.svg",
        summary="A package's trace as a picture: a lane per recipient (its sender and recipients only)",
        response_class=Response,
    )
    def package_trace(system: Caller, doc_id: str) -> Response:
        from lienthong.watch.trace import render_trace

        data = package_timeline(system, doc_id)
        return Response(render_trace(data, "svg"), media_type="image/svg+xml")

    return api
