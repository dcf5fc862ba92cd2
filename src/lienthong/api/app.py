"""The hub's web application: the SDK protocol at the root (or a prefix) and ``/api/v1``."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from lienthong import __version__
from lienthong.api import reports, v1, vdxp
from lienthong.hub.service import Hub
from lienthong.watch.config import WatchConfig


def create_app(hub: Hub, sdk_prefix: str = "", watch_config: WatchConfig | None = None) -> FastAPI:
    app = FastAPI(
        title="Lienthong hub",
        version=__version__,
        description=(
            "Trục liên thông văn bản: the national document-exchange hub. "
            "The SDK protocol of existing clients is served at the root; new integrations use /api/v1."
        ),
    )
    app.state.hub = hub

    @app.exception_handler(v1.ApiProblem)
    async def problem_handler(_request: Request, exc: v1.ApiProblem) -> JSONResponse:
        return v1.problem_response(exc)

    app.include_router(v1.router(hub))
    app.include_router(reports.router(hub, watch_config or WatchConfig()))
    app.include_router(vdxp.router(hub), prefix=sdk_prefix)
    return app
