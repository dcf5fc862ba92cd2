"""The agency console served by the gateway at ``/``: pages only, every action through ``Gateway``."""

from __future__ import annotations

from datetime import datetime

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from jinja2 import PackageLoader

from lienthong.api.console import secure_cookies
from lienthong.api.gateway_access import Access
from lienthong.api.gateway_console_text import GATEWAY_TEXT
from lienthong.gateway.service import Gateway, GatewayError
from lienthong.web.auth import WebAuth
from lienthong.web.i18n import Catalogue, local_time
from lienthong.web.pages import Pages, language

NAV = [
    ("/", "incoming"),
    ("/outbox", "outgoing"),
    ("/compose", "compose"),
    ("/alerts", "warnings"),
    ("/reports", "reports"),
    ("/system", "health"),
]


def web_auth(gateway: Gateway) -> WebAuth:
    """Sign-in and pages over the gateway's own accounts (the same mechanism as the hub's)."""
    name = gateway.config.agency_name or gateway.config.agency_code
    pages = Pages(
        Catalogue(GATEWAY_TEXT),
        [PackageLoader("lienthong.api", "templates")],
        title=(f"Cổng liên thông – {name}", f"Document gateway – {name}"),
        nav=NAV,
    )
    pages.env.filters["isotime"] = lambda text: local_time(datetime.fromisoformat(text)) if text else ""
    return WebAuth(gateway.accounts, pages, secure_cookies=secure_cookies())


def is_page(request: Request) -> bool:
    """A browser's page or form (answered with a page), not a JSON client (answered with problem+json)."""
    accept = request.headers.get("accept", "")
    kind = request.headers.get("content-type", "")
    return "text/html" in accept or kind.startswith(("application/x-www-form-urlencoded", "multipart/"))


def problem_page(pages: Pages, request: Request, exc: GatewayError) -> HTMLResponse:
    p = exc.problem
    text = p.message_en if language(request) == "en" else p.message_vi
    title = "" if exc.status == 404 else "refused"  # missing and not yours look alike
    return pages.render(
        request, "error.html", status=exc.status, title=title, message="" if exc.status == 404 else text
    )


def install(app: FastAPI, gateway: Gateway, access: Access) -> None:
    from lienthong.api import gateway_pages, gateway_report_pages, gateway_send_pages

    app.include_router(gateway_pages.router(gateway, access))
    app.include_router(gateway_send_pages.router(gateway, access))
    app.include_router(gateway_report_pages.router(gateway, access))
