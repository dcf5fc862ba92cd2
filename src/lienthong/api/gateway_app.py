"""The gateway's HTTP edge for the document system and its clerks: thin, every action is in ``Gateway``.

Every error is ``application/problem+json`` with its stable GATEWAY.* code: 404 for an unknown id,
409 for a refused state change, 422 for a request that cannot be done; never a 500.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from fastapi import Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field

from lienthong.api import gateway_console, ops
from lienthong.api.gateway_access import Access, Principal
from lienthong.api.ops import LatencyMiddleware
from lienthong.api.v1 import ApiProblem, problem_response
from lienthong.gateway import problems as GP
from lienthong.gateway.monitoring import GatewayMonitor
from lienthong.gateway.people import ANSWER, APPROVE, ASSIGN, READ, SEND
from lienthong.gateway.service import FileOut, Gateway, GatewayError

STOP_WITHIN = 0.8  # seconds the loops get at shutdown (uvicorn gives open requests 1 s): gone within 2 s


IGNORED = "Ignored: the person acting is the signed-in person or the API token's owner."


class ApproveIn(BaseModel):
    clerk: str | None = Field(None, description=IGNORED)
    override: bool = False


class ActIn(BaseModel):
    action: str = Field(description="accept, return, assign, process, complete, agree or refuse")
    clerk: str | None = Field(None, description=IGNORED)
    reason: str = ""


class RecallIn(BaseModel):
    clerk: str | None = Field(None, description=IGNORED)
    reason: str


class ResendIn(BaseModel):
    clerk: str | None = Field(None, description=IGNORED)


def _file(f: FileOut) -> Response:
    disposition = f"attachment; filename*=UTF-8''{_quote(f.name)}"
    return Response(f.data, media_type=f.content_type, headers={"Content-Disposition": disposition})


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


def create_app(gateway: Gateway, run_loops: bool = True) -> FastAPI:
    stop = asyncio.Event()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(gateway.run(stop)) if run_loops else None
        yield
        stop.set()
        if task is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(task, STOP_WITHIN)

    auth = gateway_console.web_auth(gateway)
    access = Access(auth)
    app = FastAPI(
        title=f"Lienthong gateway {gateway.config.agency_code}",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(access.guard)],
    )
    monitor = GatewayMonitor(gateway)
    app.state.monitor = monitor
    app.add_middleware(LatencyMiddleware, metrics=monitor.metrics)
    app.include_router(ops.router(monitor.readiness, monitor.metrics, gateway.clock()))

    @app.exception_handler(GatewayError)
    async def refused(request: Request, exc: GatewayError) -> Response:
        if gateway_console.is_page(request):
            return gateway_console.problem_page(auth.pages, request, exc)
        response = problem_response(ApiProblem(exc.problem, exc.status))
        if exc.status == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        where = "; ".join(".".join(str(p) for p in e.get("loc", ())) for e in exc.errors())
        error = GatewayError(GP.BAD_REQUEST(detail=where or "?"), 422)
        if gateway_console.is_page(request):
            return gateway_console.problem_page(auth.pages, request, error)
        return problem_response(ApiProblem(error.problem, error.status))

    auth.install(app)  # /login, /logout, assets, Swagger UI served by the app itself
    _outgoing_routes(app, gateway, access)
    _incoming_routes(app, gateway, access)
    gateway_console.install(app, gateway, access)
    reader: Any = Depends(access.api(READ))

    @app.get("/warnings", summary="Open warnings for the sender")
    def warnings(include_resolved: bool = False, who: Principal = reader) -> Any:
        return gateway.warnings(include_resolved)

    @app.post("/warnings/{warning_id}/acknowledge")
    def acknowledge(warning_id: int, who: Principal = Depends(access.api(SEND))) -> Any:
        gateway.acknowledge_warning(warning_id)
        gateway.record(who.actor, "warning.acknowledge", f"warning:{warning_id}", who.ip)
        return {"id": warning_id, "state": "acknowledged"}

    @app.get("/dashboard", summary="Not sent, send errors, refused at review, returned, late")
    def dashboard(who: Principal = reader) -> Any:
        return gateway.counts()

    return app


def _outgoing_routes(app: FastAPI, gateway: Gateway, access: Access) -> None:
    reader: Any = Depends(access.api(READ))
    sender: Any = Depends(access.api(SEND))

    @app.post("/outgoing", status_code=201, summary="Submit a package for review (draft → checked)")
    async def submit(request: Request, who: Principal = sender) -> Any:
        stager = gateway.stager()  # streamed to a staging file as it arrives: never held whole
        try:
            async for chunk in request.stream():
                stager.write(chunk)
            staged = stager.finish()
        except BaseException:
            stager.abort()
            raise
        row = await anyio.to_thread.run_sync(gateway.submit, staged)
        gateway.record(who.actor, "outgoing.submit", f"outgoing:{row.local_id}", who.ip)
        checklist = [c.to_dict() for c in gateway.checklist(row.local_id)]
        return {"local_id": row.local_id, "state": row.state, "checklist": checklist}

    @app.get("/outgoing", summary="The outgoing register: search, state, page")
    def outbox(
        search: str = "", state: str = "", page: int = 1, size: int = 50, who: Principal = reader
    ) -> Any:
        return gateway.outbox_page(search, state, page, min(max(size, 1), 500)).to_dict()

    @app.get("/outgoing/{local_id}/checklist", summary="The review checklist")
    def checklist(local_id: str, who: Principal = reader) -> Any:
        return [c.to_dict() for c in gateway.checklist(local_id)]

    @app.post("/outgoing/{local_id}/approve", summary="A leader approves: the package joins the outbox")
    def approve(local_id: str, body: ApproveIn, who: Principal = Depends(access.api(APPROVE))) -> Any:
        row = gateway.approve(local_id, who.name, override=body.override)
        gateway.record(who.actor, "outgoing.approve", f"outgoing:{local_id}", who.ip, override=body.override)
        return {"local_id": row.local_id, "state": row.state}

    @app.post("/outgoing/{local_id}/resend", summary="A Gửi lỗi package back into the outbox")
    def resend(local_id: str, body: ResendIn, who: Principal = sender) -> Any:
        row = gateway.resend(local_id, who.name)
        gateway.record(who.actor, "outgoing.resend", f"outgoing:{local_id}", who.ip)
        return {"local_id": row.local_id, "state": row.state}

    @app.post("/outgoing/{local_id}/recall", summary="Ask the recipients to give the document back (13)")
    def recall(local_id: str, body: RecallIn, who: Principal = sender) -> Any:
        row = gateway.recall(local_id, body.reason, who.name)
        gateway.record(who.actor, "outgoing.recall", f"outgoing:{local_id}", who.ip, reason=body.reason)
        return {"local_id": row.local_id, "state": row.state}

    @app.get("/outgoing/{local_id}/track", summary="Per-recipient timeline")
    def track(local_id: str, who: Principal = reader) -> Any:
        return gateway.track(local_id)


def _incoming_routes(app: FastAPI, gateway: Gateway, access: Access) -> None:
    reader: Any = Depends(access.api(READ))

    @app.get("/incoming", summary="The incoming register: search, state, page")
    def inbox(
        search: str = "", state: str = "", page: int = 1, size: int = 50, who: Principal = reader
    ) -> Any:
        return gateway.inbox_page(search, state, page, min(max(size, 1), 500)).to_dict()

    @app.get("/incoming/{incoming_id}", summary="One document: metadata, signatures, attachments, history")
    def show(incoming_id: int, who: Principal = reader) -> Any:
        return gateway.show(incoming_id)

    @app.get("/incoming/{incoming_id}/package", summary="The package as received (edXML)")
    def package(incoming_id: int, who: Principal = reader) -> Response:
        return _file(gateway.package(incoming_id))

    @app.get("/incoming/{incoming_id}/attachments/{number}", summary="One attachment, decoded (from 1)")
    def attachment(incoming_id: int, number: int, who: Principal = reader) -> Response:
        return _file(gateway.attachment(incoming_id, number))

    @app.post("/incoming/{incoming_id}/act", summary="A clerk's action; sends the matching status")
    def act(incoming_id: int, body: ActIn, request: Request) -> Any:
        who = access.allowed(request, ASSIGN if body.action == "assign" else ANSWER)
        access.api(READ)(request)  # a session's post needs its X-CSRF-Token too
        state = gateway.act(incoming_id, body.action, who.name, body.reason)
        gateway.record(who.actor, f"incoming.{body.action}", f"incoming:{incoming_id}", who.ip,
                       reason=body.reason)  # fmt: skip
        return {"id": incoming_id, "state": state}
