"""The hub's web application: the SDK protocol at the root (or a prefix) and ``/api/v1``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from lienthong import __version__
from lienthong.api import console, ops, reports, v1, vdxp
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
