"""Every asset served by the app itself: the console's stylesheet and Swagger UI (no CDN at run time)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

STATIC = Path(__file__).with_name("static")


def install(app: FastAPI) -> None:
    """Serve /static/web and /static/swagger, and Swagger UI at /docs from them.

    The app must be created with ``docs_url=None, redoc_url=None``: FastAPI's own pages load a CDN.
    """
    app.mount("/static/web", StaticFiles(directory=STATIC), name="web-static")
    app.mount("/static/swagger", StaticFiles(directory=str(swagger_ui_path)), name="swagger-static")
    title = f"{app.title} – API"

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=title,
            swagger_js_url="/static/swagger/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger/swagger-ui.css",
            swagger_favicon_url="/static/swagger/favicon-32x32.png",
        )
