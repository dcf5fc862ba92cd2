"""Sign-in pages, session cookies, CSRF on every form, API tokens: the same for the hub and a gateway."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from lienthong.accounts import problems as AP
from lienthong.accounts import signin
from lienthong.accounts.model import Person, WebSession
from lienthong.accounts.store import AccountStore
from lienthong.web import assets
from lienthong.web.pages import LANG_COOKIE, NotVisible, PageRoute, Pages, Unavailable, language

SESSION_COOKIE = "lienthong_session"
LOGIN_CSRF_COOKIE = "lienthong_login_csrf"


class SignInRequired(Exception):
    pass


class CsrfRefused(Exception):
    pass


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect to another host."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


class WebAuth:
    def __init__(self, store: AccountStore, pages: Pages, *, secure_cookies: bool = True) -> None:
        self.store = store
        self.pages = pages
        self.secure = secure_cookies

    # --- who is asking ----------------------------------------------------------------------------

    def session(self, request: Request) -> WebSession | None:
        if hasattr(request.state, "web_session"):
            return request.state.web_session  # type: ignore[no-any-return]
        token = request.cookies.get(SESSION_COOKIE)
        found = None
        if token:
            with self.store.read() as s:
                found = signin.session_for(self.store.accounts, s, token, self.store.clock())
        request.state.web_session = found
        return found

    def person(self, request: Request) -> Person:
        """A page's dependency: the signed-in person, or off to /login."""
        found = self.session(request)
        if found is None:
            raise SignInRequired()
        return found.person

    def api_person(self, scope: str) -> Callable[[Request], Person]:
        """A JSON route's dependency: a session, or a bearer token holding ``scope``; 401 otherwise."""

        def dependency(request: Request) -> Person:
            header = request.headers.get("authorization", "")
            if header.lower().startswith("bearer "):
                with self.store.write() as s:
                    found = self.store.accounts.person_for_token(s, header[7:].strip(), self.store.clock())
                if found is not None and scope in found[1]:
                    return found[0]
                raise SignInRequired()
            return self.person(request)

        return dependency

    async def form(self, request: Request) -> FormData:
        """A posted form whose CSRF field matches the session's token (checked in constant time)."""
        form = await request.form()
        found = self.session(request)
        sent = form.get("csrf")
        if found is None:
            raise SignInRequired()
        if not isinstance(sent, str) or not secrets.compare_digest(sent, found.csrf):
            raise CsrfRefused()
        return form

    # --- the pages --------------------------------------------------------------------------------

    def router(self) -> APIRouter:
        api = APIRouter(include_in_schema=False, route_class=PageRoute)
        api.add_api_route("/login", self.login_page, methods=["GET"])
        api.add_api_route("/login", self.login, methods=["POST"])
        api.add_api_route("/logout", self.logout, methods=["POST"])
        api.add_api_route("/lang/{lang}", self.switch_language, methods=["GET"])
        return api

    def login_page(self, request: Request, message: str = "", status: int = 200) -> HTMLResponse:
        token = secrets.token_urlsafe(24)
        notice = "signed_out" if request.query_params.get("bye") else ""
        response = self.pages.render(
            request,
            "login.html",
            status=status,
            login_csrf=token,
            error=message,
            notice=notice,
            next=safe_next(request.query_params.get("next")),
        )
        response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, secure=self.secure, samesite="strict")
        return response

    async def login(self, request: Request) -> Response:
        form = await request.form()
        cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        sent = str(form.get("csrf", ""))
        if not cookie or not secrets.compare_digest(cookie, sent):
            raise CsrfRefused()
        store = self.store
        with store.write() as s:  # the attempt is committed even when it fails: it feeds the throttle
            result = signin.sign_in(
                store.accounts, s, str(form.get("username", "")), str(form.get("password", "")),
                client_ip(request), store.clock(),
            )  # fmt: skip
        if result.problem is not None:
            lang = language(request)
            text = result.problem.message_en if lang == "en" else result.problem.message_vi
            status = 429 if result.problem.code == AP.THROTTLED.code else 401
            return self.login_page(request, text, status)
        target = safe_next(str(form.get("next", "/")))
        response = RedirectResponse(target, status_code=303)
        lifetime = int(store.accounts.policy.session_lifetime.total_seconds())
        response.set_cookie(
            SESSION_COOKIE, result.token, max_age=lifetime, httponly=True, secure=self.secure, samesite="lax"
        )
        response.delete_cookie(LOGIN_CSRF_COOKIE)
        return response

    async def logout(self, request: Request) -> Response:
        await self.form(request)
        token = request.cookies.get(SESSION_COOKIE, "")
        with self.store.write() as s:
            signin.sign_out(self.store.accounts, s, token, self.store.clock(), client_ip(request))
        response = RedirectResponse("/login?bye=1", status_code=303)
        response.delete_cookie(SESSION_COOKIE, httponly=True, secure=self.secure, samesite="lax")
        return response

    def switch_language(self, request: Request, lang: str) -> Response:
        response = RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
        if lang in ("vi", "en"):
            response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", secure=self.secure)
        return response

    # --- wiring -----------------------------------------------------------------------------------

    def install(self, app: FastAPI) -> None:
        """Sign-in routes, assets and Swagger UI, and the answers to the web layer's exceptions."""
        assets.install(app)
        app.include_router(self.router())

        @app.exception_handler(SignInRequired)
        async def sign_in_required(request: Request, _exc: SignInRequired) -> Response:
            if _wants_json(request):
                return JSONResponse(_problem(401, "sign in, or send a valid API token"), status_code=401)
            return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)

        @app.exception_handler(CsrfRefused)
        async def csrf_refused(request: Request, _exc: CsrfRefused) -> Response:
            problem = AP.CSRF()
            lang = language(request)
            text = problem.message_en if lang == "en" else problem.message_vi
            return self.pages.render(request, "error.html", status=403, title="csrf", message=text)

        @app.exception_handler(Unavailable)
        async def unavailable(request: Request, _exc: Unavailable) -> Response:
            response = self.pages.render(request, "error.html", status=503, title="unavailable", message="")
            response.headers["Retry-After"] = "30"
            return response

        @app.exception_handler(NotVisible)
        async def not_visible(request: Request, _exc: NotVisible) -> Response:
            return self.pages.render(request, "error.html", status=404, title="", message="")


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


def _problem(status: int, detail: str) -> dict[str, Any]:
    return {"type": "about:blank", "title": "Unauthorized", "status": status, "detail": detail}
