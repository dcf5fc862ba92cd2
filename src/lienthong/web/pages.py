"""Rendering a page: the shared base template, the app's own templates, the language, the person."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.routing import APIRoute
from jinja2 import BaseLoader, ChoiceLoader, Environment, PackageLoader, select_autoescape
from sqlalchemy.exc import InterfaceError, OperationalError

from lienthong.web.i18n import Catalogue, local_time, pick_language

log = logging.getLogger(__name__)
LANG_COOKIE = "lienthong_lang"
PAGE_HEADERS = {
    "Cache-Control": "no-store",  # pages carry personal data
    # Only the app's own assets; no inline script, no framing by another site.
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class NotVisible(Exception):
    """A page that does not exist, or that this person may not see: both answer 404 alike."""


class Unavailable(Exception):
    """The database cannot be reached: the page says so (503) instead of failing with a traceback."""


class PageRoute(APIRoute):
    """A console route: a database that is down becomes ``Unavailable``, never a 500."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except (OperationalError, InterfaceError) as exc:
                log.warning("page %s: database unavailable: %s", request.url.path, exc.orig or exc)
                raise Unavailable() from exc

        return guarded


def language(request: Request) -> str:
    return pick_language(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE))


class Pages:
    def __init__(
        self,
        catalogue: Catalogue,
        loaders: Sequence[BaseLoader] = (),
        *,
        title: tuple[str, str] = ("Liên thông", "Lienthong"),
        nav: Sequence[tuple[str, str]] = (),
    ) -> None:
        self.catalogue = catalogue
        self.title = title
        self.nav = list(nav)  # (path, catalogue key) of the main menu
        self.env = Environment(
            loader=ChoiceLoader([*loaders, PackageLoader("lienthong.web", "templates")]),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["local"] = local_time
        self.env.filters["num"] = lambda n: f"{int(n or 0):,}".replace(",", ".")

    def render(self, request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        lang = language(request)
        web_session = getattr(request.state, "web_session", None)
        html = self.env.get_template(name).render(
            t=lambda key: self.catalogue.text(key, lang),
            lang=lang,
            site_title=self.title[1] if lang == "en" else self.title[0],
            me=web_session.person if web_session else None,
            csrf=web_session.csrf if web_session else "",
            nav=self.nav,
            path=request.url.path,
            here=_here(request),
            **context,
        )
        response = HTMLResponse(html, status_code=status)
        response.headers.update(PAGE_HEADERS)
        return response


def _here(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")
