"""Operations endpoints: liveness, readiness, Prometheus metrics, request latency, the mTLS identity check."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lienthong import __version__
from lienthong.hub.directory import SystemRef
from lienthong.monitor.health import Readiness
from lienthong.monitor.hub import HubMonitor
from lienthong.monitor.metrics import CONTENT_TYPE, Metrics
from lienthong.problems import Problem


def router(readiness: Callable[[], Readiness], metrics: Metrics, started_at: datetime) -> APIRouter:
    """The operations routes of any Lienthong app (hub or gateway), from its readiness and its metrics."""
    api = APIRouter(tags=["Operations"])

    @api.get("/health/live", summary="Liveness: the process answers")
    def live() -> Any:
        return {"status": "ok", "version": __version__, "started_at": started_at.isoformat()}

    @api.get("/health/ready", summary="Readiness: database, storage, trust store, certificates, schedulers")
    def ready() -> Response:
        now = readiness()
        return JSONResponse(now.to_dict(), status_code=200 if now.ready else 503)

    @api.get("/metrics", summary="Prometheus metrics")
    def scrape() -> Response:
        metrics.observe_readiness(readiness())  # database and storage health are part of every scrape
        return Response(metrics.exposition(), media_type=CONTENT_TYPE)

    return api


class LatencyMiddleware:
    """Observes each HTTP request's duration under its route template (the raw path has ids: too many)."""

    def __init__(
        self, app: ASGIApp, metrics: Metrics, timer: Callable[[], float] = time.perf_counter
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.timer = timer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = self.timer()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "(unmatched)"
            self.metrics.observe_request(scope["method"], template, status, self.timer() - start)


def client_identity_problem(request: Request, system: SystemRef) -> Problem | None:
    """The mutual-TLS check for an authenticated caller; None when it passes or monitoring is not wired."""
    monitor: HubMonitor | None = getattr(request.app.state, "monitor", None)
    if monitor is None:
        return None
    policy = monitor.config.client_cert
    peer = request.client.host if request.client else None
    return monitor.verify_client(system, peer, request.headers.get(policy.header))
