"""The agency console's daily reports: the hub's report of a day, summarised, and its PDF/HTML/JSON."""

from __future__ import annotations

from datetime import date

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from lienthong.api.gateway_access import Access
from lienthong.gateway import reports
from lienthong.gateway.people import READ
from lienthong.gateway.service import Gateway, GatewayError
from lienthong.web.pages import PageRoute, language

CONDITIONS = ("send_errors", "receive_errors", "backlog", "no_reply")


def router(gateway: Gateway, access: Access) -> APIRouter:
    api = APIRouter(include_in_schema=False, route_class=PageRoute)
    pages = access.auth.pages

    @api.get("/reports")
    async def reports_page(request: Request, day: date | None = None) -> HTMLResponse:
        access.allowed(request, READ)
        days = reports.report_days(gateway.clock())
        chosen = day or days[0]
        data, problem = None, None
        try:
            data = await anyio.to_thread.run_sync(gateway.report_summary, chosen)  # asks the hub
        except GatewayError as exc:
            problem = exc.problem  # shown on the page: the clerk can still pick another day
        return pages.render(request, "gateway/reports.html", days=days, day=chosen, data=data,
                            problem=problem, conditions=CONDITIONS)  # fmt: skip

    @api.get("/reports/{day}/{fmt}")
    async def report_file(request: Request, day: date, fmt: str) -> Response:
        who = access.allowed(request, READ)
        lang = language(request)
        data = await anyio.to_thread.run_sync(gateway.daily_report, day, fmt, lang)
        name = f"bao-cao-{gateway.config.agency_code}-{day.isoformat()}.{fmt}"
        gateway.record(who.actor, "report.download", f"report:{day.isoformat()}", who.ip, format=fmt)
        disposition = "attachment" if fmt == "pdf" else "inline"
        return Response(data, media_type=reports.FORMATS[fmt],
                        headers={"Content-Disposition": f'{disposition}; filename="{name}"'})  # fmt: skip

    return api
