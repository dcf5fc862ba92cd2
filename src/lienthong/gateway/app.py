"""The gateway's HTTP interface for the document system and its clerks (thin: every action is in Gateway)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from lienthong.api import ops
from lienthong.api.ops import LatencyMiddleware
from lienthong.gateway.monitoring import GatewayMonitor
from lienthong.gateway.service import Gateway, GatewayError


class ApproveIn(BaseModel):
    clerk: str
    override: bool = False


class ActIn(BaseModel):
    action: str = Field(description="accept, return, assign, process, complete, agree or refuse")
    clerk: str
    reason: str = ""


class RecallIn(BaseModel):
    clerk: str
    reason: str


def create_app(gateway: Gateway, run_loops: bool = True) -> FastAPI:
    stop = asyncio.Event()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(gateway.run(stop)) if run_loops else None
        yield
        stop.set()
        if task is not None:
            await task

    app = FastAPI(title=f"Lienthong gateway {gateway.config.agency_code}", lifespan=lifespan)
    monitor = GatewayMonitor(gateway)
    app.state.monitor = monitor
    app.add_middleware(LatencyMiddleware, metrics=monitor.metrics)
    app.include_router(ops.router(monitor.readiness, monitor.metrics, gateway.clock()))

    @app.exception_handler(GatewayError)
    async def refused(_request: Request, exc: GatewayError) -> JSONResponse:
        return JSONResponse({"code": "GATEWAY.REFUSED", "detail": str(exc)}, status_code=422)

    @app.post("/outgoing", status_code=201, summary="Submit a package for review (draft → checked)")
    async def submit(request: Request) -> Any:
        data = await request.body()
        row = await anyio.to_thread.run_sync(gateway.submit, data)
        return {"local_id": row.local_id, "state": row.state, "checklist": _checklist(gateway, row.local_id)}

    @app.get("/outgoing", summary="The outbox with each package's state")
    def outbox() -> Any:
        return gateway.outbox()

    @app.get("/outgoing/{local_id}/checklist", summary="The review checklist")
    def checklist(local_id: str) -> Any:
        return _checklist(gateway, local_id)

    @app.post("/outgoing/{local_id}/approve", summary="A clerk approves: the package joins the outbox")
    def approve(local_id: str, body: ApproveIn) -> Any:
        row = gateway.approve(local_id, body.clerk, override=body.override)
        return {"local_id": row.local_id, "state": row.state}

    @app.post("/outgoing/{local_id}/recall", summary="Ask the recipients to give the document back (13)")
    def recall(local_id: str, body: RecallIn) -> Any:
        row = gateway.recall(local_id, body.reason, body.clerk)
        return {"local_id": row.local_id, "state": row.state}

    @app.get("/outgoing/{local_id}/track", summary="Per-recipient timeline")
    def track(local_id: str) -> Any:
        return gateway.track(local_id)

    @app.get("/incoming", summary="The incoming register")
    def inbox() -> Any:
        return gateway.inbox()

    @app.post("/incoming/{incoming_id}/act", summary="A clerk's action; sends the matching status")
    def act(incoming_id: int, body: ActIn) -> Any:
        return {"state": gateway.act(incoming_id, body.action, body.clerk, body.reason)}

    @app.get("/warnings", summary="Open warnings for the sender")
    def warnings(include_resolved: bool = False) -> Any:
        return gateway.warnings(include_resolved)

    @app.post("/warnings/{warning_id}/acknowledge")
    def acknowledge(warning_id: int) -> Any:
        gateway.acknowledge_warning(warning_id)
        return {"id": warning_id, "state": "acknowledged"}

    @app.get("/dashboard", summary="Not sent, send errors, returned, late")
    def dashboard() -> Any:
        return gateway.counts()

    return app


def _checklist(gateway: Gateway, local_id: str) -> list[dict[str, Any]]:
    return [c.to_dict() for c in gateway.checklist(local_id)]
