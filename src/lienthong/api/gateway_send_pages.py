"""The agency console's compose-and-send pages, warnings and health: every action through ``Gateway``."""

from __future__ import annotations

from datetime import datetime

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from lienthong.api.gateway_access import Access, Principal
from lienthong.gateway import compose
from lienthong.gateway.people import READ, SEND
from lienthong.gateway.service import Gateway
from lienthong.web.pages import PageRoute


async def _files(form: FormData, *names: str) -> list[compose.FileIn]:
    out = []
    for name in names:
        for item in form.getlist(name):
            if isinstance(item, UploadFile) and item.filename:
                data = await item.read()
                out.append(compose.FileIn(item.filename, item.content_type or "", data))
    return out


def router(gateway: Gateway, access: Access) -> APIRouter:
    api = APIRouter(include_in_schema=False, route_class=PageRoute)
    pages = access.auth.pages

    @api.get("/compose")
    async def compose_page(request: Request) -> HTMLResponse:
        access.allowed(request, SEND)
        found = await anyio.to_thread.run_sync(gateway.directory.bodies)  # may ask the hub
        bodies = [b for b in found if b[0] != gateway.config.agency_code]
        return pages.render(request, "gateway/compose.html", types=compose.TYPES,
                            priorities=compose.PRIORITIES, bodies=bodies)  # fmt: skip

    @api.post("/compose")
    async def compose_post(request: Request) -> Response:
        form = await access.auth.form(request)
        who = access.allowed(request, SEND)
        draft = compose.Draft(
            type_code=str(form.get("type", "1")),
            number=str(form.get("number", "")).strip(),
            notation=str(form.get("notation", "")).strip(),
            subject=str(form.get("subject", ""))[:2000],
            signer_name=str(form.get("signer", "")).strip(),
            signer_position=str(form.get("position", "")).strip(),
            recipients=compose.recipient_codes(
                str(form.get("recipients", "")), [str(v) for v in form.getlist("picked")]
            ),
            priority=str(form.get("priority", "0")),
            files=await _files(form, "pdf", "files"),
        )
        if not draft.number:
            draft.number = compose.padded(gateway.reserve_number())
        cfg = gateway.config
        data = compose.build(
            draft, cfg.agency_code, cfg.agency_name, gateway.clock, gateway.directory.names()
        )
        return await _submit(gateway, who, data, "outgoing.compose")

    @api.post("/compose/upload")
    async def upload(request: Request) -> Response:
        form = await access.auth.form(request)
        who = access.allowed(request, SEND)
        files = await _files(form, "package")
        data = files[0].data if files else b""
        return await _submit(gateway, who, data, "outgoing.submit")

    @api.get("/alerts")
    def alerts(request: Request) -> HTMLResponse:
        access.allowed(request, READ)
        return pages.render(request, "gateway/alerts.html", rows=gateway.warnings(True))

    @api.post("/alerts/{warning_id}/acknowledge")
    async def acknowledge(request: Request, warning_id: int) -> Response:
        await access.auth.form(request)
        who = access.allowed(request, SEND)
        gateway.acknowledge_warning(warning_id)
        gateway.record(who.actor, "warning.acknowledge", f"warning:{warning_id}", who.ip)
        return RedirectResponse("/alerts", status_code=303)

    @api.get("/system")
    def system(request: Request) -> HTMLResponse:
        access.allowed(request, READ)
        monitor = getattr(request.app.state, "monitor", None)
        report = monitor.status(7) if monitor is not None else None
        return pages.render(request, "gateway/system.html", report=report, parse=datetime.fromisoformat,
                            last_contact=gateway.last_hub_contact, counts=gateway.counts())  # fmt: skip

    return api


async def _submit(gateway: Gateway, who: Principal, data: bytes, action: str) -> Response:
    row = await anyio.to_thread.run_sync(gateway.submit, data)
    gateway.record(who.actor, action, f"outgoing:{row.local_id}", who.ip)
    return RedirectResponse(f"/outbox/{row.local_id}", status_code=303)
