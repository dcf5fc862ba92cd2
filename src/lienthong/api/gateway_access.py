"""Who is asking the gateway: a signed-in person or an API token; nothing else passes but health and sign-in.

Browsers without a session are sent to /login; every other client gets problem+json 401. A JSON
request made with a session cookie must carry the session's CSRF token in ``X-CSRF-Token``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request

from lienthong.accounts.model import Person
from lienthong.gateway import problems as GP
from lienthong.gateway.people import may
from lienthong.gateway.problems import GatewayError
from lienthong.web.auth import SignInRequired, WebAuth, client_ip

PUBLIC = frozenset({"/health/live", "/health/ready", "/login"})
RIGHT_TEXT = {
    "read": ("xem sổ văn bản", "read the registers"),
    "send": ("gửi văn bản", "send documents"),
    "approve": ("duyệt gửi văn bản", "approve sending"),
    "answer": ("xử lý văn bản đến", "answer incoming documents"),
    "assign": ("phân công xử lý", "assign documents"),
}


@dataclass(frozen=True)
class Principal:
    """The person acting, and the token's scopes when they came with a token (None: a session)."""

    person: Person
    scopes: frozenset[str] | None
    ip: str

    @property
    def actor(self) -> str:
        return self.person.actor

    @property
    def name(self) -> str:
        """The name written into status replies and registers (never a free-text name from a body)."""
        return self.person.display_name or self.person.username


def _browser(request: Request) -> bool:
    return request.method in ("GET", "HEAD") and "text/html" in request.headers.get("accept", "")


class Access:
    def __init__(self, auth: WebAuth) -> None:
        self.auth = auth

    def principal(self, request: Request) -> Principal:
        cached = getattr(request.state, "principal", None)
        if isinstance(cached, Principal):
            return cached
        header = request.headers.get("authorization", "")
        ip = client_ip(request)
        if header.lower().startswith("bearer "):
            store = self.auth.store
            with store.write() as s:
                found = store.accounts.person_for_token(s, header[7:].strip(), store.clock())
            if found is None:
                raise GatewayError(GP.UNAUTHENTICATED(), 401)
            principal = Principal(found[0], found[1], ip)
        else:
            session = self.auth.session(request)
            if session is None:
                if _browser(request):
                    raise SignInRequired()
                raise GatewayError(GP.UNAUTHENTICATED(), 401)
            principal = Principal(session.person, None, ip)
        request.state.principal = principal
        return principal

    def guard(self, request: Request) -> None:
        """The app-wide dependency: every route but health and sign-in needs someone."""
        path = request.url.path
        if path in PUBLIC or path.startswith("/lang/"):
            return
        self.principal(request)

    def api(self, right: str) -> Callable[[Request], Principal]:
        """A JSON route's dependency: someone allowed ``right``; a session also needs X-CSRF-Token to post."""

        def dependency(request: Request) -> Principal:
            principal = self.allowed(request, right)
            if principal.scopes is None and request.method not in ("GET", "HEAD"):
                session = self.auth.session(request)
                sent = request.headers.get("x-csrf-token", "")
                if session is None or not secrets.compare_digest(sent, session.csrf):
                    raise GatewayError(GP.CSRF_HEADER(), 403)
            return principal

        return dependency

    def allowed(self, request: Request, right: str) -> Principal:
        principal = self.principal(request)
        if not may(principal.person, right, principal.scopes):
            vi, en = RIGHT_TEXT[right]
            raise GatewayError(GP.FORBIDDEN(who=principal.person.username, right_vi=vi, right=en), 403)
        return principal
