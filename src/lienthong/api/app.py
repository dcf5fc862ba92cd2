"""The hub's web application: the SDK protocol at the root (or a prefix) and ``/api/v1``."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from lienthong import __version__
from lienthong.api import console, errors, ops, reports, v1, vdxp
from lienthong.hub.service import Hub
from lienthong.monitor.config import MonitorConfig
from lienthong.monitor.hub import HubMonitor
from lienthong.watch.config import WatchConfig


class Lifecycle(Protocol):
    """Work that starts and stops with the server (``lienthong.api.factory.Background``)."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


def create_app(
    hub: Hub,
    sdk_prefix: str = "",
    monitor: HubMonitor | None = None,
    watch_config: WatchConfig | None = None,
    lifecycle: Lifecycle | None = None,
) -> FastAPI:
    """The app; ``monitor`` (health, metrics, mTLS identity) is created from the environment when absent.

    ``lifecycle`` replaces the default background work (the monitor's sweeps) when given.
    """
    monitor = monitor or HubMonitor(hub, MonitorConfig.from_env())  # monitor
    background: Lifecycle = lifecycle or monitor

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        background.start()  # monitor: sweeps and certificate scans run while the server does
        try:
            yield
        finally:
            background.stop()

    app = FastAPI(
        lifespan=lifespan,
        docs_url=None,  # Swagger UI is served from the app's own assets (lienthong.web.assets)
        redoc_url=None,
        title="Lienthong hub",
        version=__version__,
        description=(
            "Trục liên thông văn bản: the national document-exchange hub. "
            "The SDK protocol of existing clients is served at the root; new integrations use /api/v1."
        ),
    )
    app.state.hub = hub
    errors.install(app)
    app.add_middleware(OpsGate, token=hub.config.ops_token, public=hub.config.public_ops)
    # --- monitor: /health, /metrics, request latency, the client-certificate check (ops.py)
    app.state.monitor = monitor
    app.add_middleware(ops.LatencyMiddleware, metrics=monitor.metrics)
    app.include_router(ops.router(monitor.readiness, monitor.metrics, hub.clock()))
    # --- end monitor

    @app.exception_handler(v1.ApiProblem)
    async def problem_handler(_request: Request, exc: v1.ApiProblem) -> JSONResponse:
        return v1.problem_response(exc)

    app.include_router(v1.router(hub))
    app.include_router(reports.router(hub, watch_config or WatchConfig()))
    app.include_router(vdxp.router(hub), prefix=sdk_prefix)
    console.install(app, hub, watch_config or WatchConfig())  # people: sign-in and the operator console
    return app


GATED = ("/metrics", "/openapi.json", "/docs")  # /docs: the local Swagger UI (web/assets.py)


class OpsGate:
    """/metrics and the API description: only with the operations token, unless made public (issue 12)."""

    def __init__(self, app: ASGIApp, token: str, public: bool) -> None:
        self.app, self.token, self.public = app, token.encode(), public

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.public or scope["path"] not in GATED:
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"authorization", b"")
        if self.token and hmac.compare_digest(given, b"Bearer " + self.token):
            await self.app(scope, receive, send)
            return
        # Not served at all without the token: the same answer as an unknown route.
        response = JSONResponse(
            {
                "type": "urn:lienthong:problem:HUB.NOT_FOUND",
                "title": "HUB.NOT_FOUND",
                "status": 404,
                "code": "HUB.NOT_FOUND",
                "detail": "not found",
            },
            status_code=404,
            media_type="application/problem+json",
        )
        await response(scope, receive, send)
