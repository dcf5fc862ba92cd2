"""Every error of the hub's app in its protocol's own shape: problem+json, or the SDK's FAIL JSON.

Validation errors, unknown routes and wrong methods, a database that is down (503 with
``Retry-After``), a full disk, and anything unexpected: never a plain-text 500, never a traceback.
"""

from __future__ import annotations

import errno
import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lienthong.api.server import is_json_api, refusal_body
from lienthong.api.v1 import HTTP_STATUS
from lienthong.hub import problems as HP
from lienthong.problems import LienthongError, Problem

log = logging.getLogger(__name__)
RETRY_AFTER = "5"


def respond(request: Request, problem: Problem, status: int, sdk_status: int | None = None) -> Response:
    """The refusal in the shape the caller's protocol reads (SDK FAIL answers keep HTTP 200 by default)."""
    sdk = not is_json_api(request.url.path)
    kind, body = refusal_body(problem, status, sdk)
    headers = {"Retry-After": RETRY_AFTER} if status == 503 else {}
    code = (sdk_status or 200) if sdk else status
    return Response(body, status_code=code, media_type=kind.decode(), headers=headers)


def install(app: FastAPI) -> None:
    """Register the handlers on the hub's app."""

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(x) for x in first.get("loc", ()))
        detail = f"{where}: {first.get('msg', 'invalid')}"[:300]
        return respond(request, HP.BAD_REQUEST("", detail=detail), 422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return respond(request, HP.NOT_FOUND("", what="route", id=request.url.path[:200]), 404, 404)
        detail = f"{request.method} {request.url.path[:200]}: {exc.detail}"
        return respond(request, HP.BAD_REQUEST("", detail=detail), exc.status_code, exc.status_code)

    @app.exception_handler(LienthongError)
    async def refused(request: Request, exc: LienthongError) -> Response:
        status = HTTP_STATUS.get(exc.problem.code, 422)
        return respond(request, exc.problem, status)

    app.add_middleware(Shield)


class Shield:
    """Answers an exception no handler took in the protocol's shape, and keeps the connection open.

    (An ``Exception`` handler would run in Starlette's outermost middleware, which re-raises after
    answering, so the server drops the keep-alive connection and the client's next call is reset.)
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as exc:
            if started:
                raise  # half an answer is out: only closing the connection tells the client
            response = respond(Request(scope), *classify(exc))
            await response(scope, receive, send)


def classify(exc: BaseException) -> tuple[Problem, int, int]:
    """(problem, HTTP status, SDK HTTP status) for an exception no handler expected."""
    if isinstance(exc, OperationalError | PoolTimeout) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    ):
        return HP.UNAVAILABLE("", detail="the database cannot be reached; try again later"), 503, 503
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return HP.STORAGE_FULL("", detail=exc.strerror or "no space left"), 507, 507
    log.exception("unexpected error", exc_info=exc)
    return HP.UNAVAILABLE("", detail="an internal error was logged; try again later"), 503, 503
