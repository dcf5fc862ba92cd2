"""Lienthong's own JSON API (``/api/v1``): bearer tokens, clean names, pagination, problem+json errors."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from lienthong.api import limits, ops
from lienthong.hub import directory
from lienthong.hub import problems as HP
from lienthong.hub.directory import SystemRef
from lienthong.hub.intake import Refused
from lienthong.hub.service import Hub, HubError
from lienthong.problems import Problem

HTTP_STATUS = {
    HP.AUTH_FAILED.code: 401,
    HP.FORBIDDEN.code: 403,
    HP.SENDER_NOT_ALLOWED.code: 403,
    HP.SENDER_SUSPENDED.code: 403,
    HP.NOT_FOUND.code: 404,
    HP.DUPLICATE_DOCUMENT_ID.code: 409,
    HP.DUPLICATE_NOTATION.code: 409,
    HP.TOO_LARGE.code: 413,
    HP.RATE_LIMITED.code: 429,
    HP.UNAVAILABLE.code: 503,
    HP.REGISTER_NOT_ALLOWED.code: 403,
    HP.CODE_RESERVED.code: 403,
    HP.CODE_OUTSIDE_BODY.code: 403,
    HP.NOT_ORIGINAL_SENDER.code: 403,
    HP.HEADERS_TOO_LARGE.code: 431,
    HP.STORAGE_FULL.code: 507,
    HP.BAD_REQUEST.code: 400,
}


class ApiProblem(Exception):
    """Raised by handlers; rendered as RFC 9457 problem+json with the stable code."""

    def __init__(self, problem: Problem, status: int | None = None, **extra: Any) -> None:
        super().__init__(problem.message_en)
        self.problem = problem
        self.status = status or HTTP_STATUS.get(problem.code, 422)
        self.extra = extra


def problem_response(exc: ApiProblem) -> JSONResponse:
    p = exc.problem
    body = {
        "type": f"urn:lienthong:problem:{p.code}",
        "title": p.code,
        "status": exc.status,
        "code": p.code,
        "detail": p.message_en,
        "detail_vi": p.message_vi,
        **({"path": p.path} if p.path else {}),
        **exc.extra,
    }
    return JSONResponse(body, status_code=exc.status, media_type="application/problem+json")


class ProblemOut(BaseModel):
    code: str
    severity: str
    path: str
    message_vi: str
    message_en: str


class DeliveryOut(BaseModel):
    recipient: str
    state: str
    route: str = "local"
    delivery_id: str | None = None
    error: ProblemOut | None = None


class AcceptedOut(BaseModel):
    doc_id: str
    kind: str
    repeat: bool = Field(
        description="True when these exact bytes were already accepted: nothing new was sent"
    )
    deliveries: list[DeliveryOut]
    problems: list[ProblemOut] = Field(description="Recorded problems: the package was delivered anyway")
    receipt: dict[str, Any]


class InboxItemOut(BaseModel):
    delivery_id: str
    kind: str
    sender: str
    recipient: str
    state: str
    created_at: datetime
    subject: str | None = None
    notation: str | None = None
    size: int


class Page(BaseModel):
    items: list[Any]
    offset: int
    limit: int
    next: str | None = Field(None, description="Pass as `after` for the next page (None: the last page)")


class AckIn(BaseModel):
    status: str = Field(description="done, fail or processing", max_length=16)
    reason: str = Field("", max_length=limits.MAX_REASON)


class SentOut(BaseModel):
    doc_id: str
    kind: str
    recipient: str
    delivery_id: str
    state: str
    error_code: str | None
    subject: str | None
    notation: str | None
    sent_at: datetime
    fetched_at: datetime | None
    acked_at: datetime | None
    last_status_code: str | None
    last_status_at: datetime | None
    route: str = Field("local", description="local: delivered here; upstream: relayed to the upstream hub")
    error_text: str | None = None


class AgencyOut(BaseModel):
    code: str
    name: str
    parent: str | None
    level: int | None
    legacy: bool
    state: str
    version: int


def current_system(request: Request, authorization: Annotated[str | None, Header()] = None) -> SystemRef:
    """The connected system behind the bearer token."""
    hub: Hub = request.app.state.hub
    if not authorization or not authorization.lower().startswith("bearer "):
        raise ApiProblem(HP.AUTH_FAILED("", detail="a bearer token is required"))
    system = hub.system_for_token(authorization[7:].strip())
    if system is None:
        raise ApiProblem(HP.AUTH_FAILED("", detail="the token is unknown or revoked"))
    refused = ops.client_identity_problem(request, system)  # monitor: mutual TLS behind a proxy
    if refused is not None:
        raise ApiProblem(refused, 403)
    hub.touch(system)
    return system


Caller = Annotated[SystemRef, Depends(current_system)]
DeliveryId = Annotated[str, Path(max_length=limits.MAX_ID)]


def router(hub: Hub) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["Lienthong API v1"])

    @api.post("/packages", status_code=201, response_model=AcceptedOut, summary="Send a package")
    async def send(request: Request, system: Caller, to: Annotated[list[str] | None, Query()] = None) -> Any:
        """Body: the edXML bytes. Recipients come from the package (``to`` may add some)."""
        stager = hub.stager()
        try:
            async for chunk in request.stream():
                stager.write(chunk)
            upload = stager.finish()
        except Refused as refused:
            stager.abort()
            raise ApiProblem(refused.problem) from None
        except BaseException:  # a client gone mid-upload: no staging file is left behind
            stager.abort()
            raise
        try:
            accepted = await anyio.to_thread.run_sync(lambda: hub.accept(system.system_id, upload, to or []))
        except Refused as refused:
            raise ApiProblem(refused.problem, original=refused.original) from None
        return {
            "doc_id": accepted.doc_id,
            "kind": accepted.kind,
            "repeat": accepted.repeat,
            "deliveries": [d.to_dict() for d in accepted.deliveries],
            "problems": [p.to_dict() for p in accepted.problems],
            "receipt": hub.receipt(accepted),
        }

    @api.get("/packages/sent", response_model=Page, summary="What my agencies sent, per recipient")
    def sent(
        system: Caller,
        doc_id: Annotated[str | None, Query(max_length=limits.MAX_ID)] = None,
        offset: Annotated[int, Query(ge=0, le=limits.MAX_OFFSET)] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> Any:
        rows = hub.sent(system, doc_id, limit, offset)
        items = [SentOut.model_validate(dataclasses.asdict(r)) for r in rows]
        return {"items": items, "offset": offset, "limit": limit}

    @api.get("/inbox", response_model=Page, summary="Packages waiting for my agencies")
    def inbox(
        system: Caller,
        kind: Annotated[str | None, Query(pattern="^(edoc|status)$")] = None,
        offset: Annotated[int, Query(ge=0, le=limits.MAX_OFFSET)] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        after: Annotated[str | None, Query(description="the last delivery id of the previous page")] = None,
    ) -> Any:
        items = hub.pending(system, kind, limit, offset, after)
        return {
            "items": [InboxItemOut.model_validate(dataclasses.asdict(i)) for i in items],
            "offset": offset,
            "limit": limit,
            "next": items[-1].delivery_id if len(items) == limit else None,
        }

    @api.get("/inbox/wait", summary="Wait (long poll) until something is waiting; returns the count")
    async def wait(system: Caller, timeout: Annotated[float, Query(ge=0, le=300)] = 30) -> Any:
        count = await hub.wait_for_mail(system, timeout)
        return {"pending": count}

    @api.get("/inbox/{delivery_id}/content", summary="Fetch one package's bytes")
    def content(system: Caller, delivery_id: DeliveryId) -> Response:
        try:
            path, _ = hub.fetch(system, delivery_id)
        except HubError as exc:
            raise ApiProblem(exc.problem) from None

        def body() -> Any:
            with path.open("rb") as fh:
                while chunk := fh.read(1 << 20):
                    yield chunk

        return StreamingResponse(body(), media_type="application/xml")

    @api.post("/inbox/{delivery_id}/ack", summary="Acknowledge a fetched package: done, fail or processing")
    def ack(system: Caller, delivery_id: DeliveryId, body: AckIn) -> Any:
        try:
            state = hub.ack(system, delivery_id, body.status, body.reason)
        except HubError as exc:
            raise ApiProblem(exc.problem) from None
        return {"delivery_id": delivery_id, "state": state}

    @api.post("/inbox/{delivery_id}/reoffer", summary="Have a failed delivery offered again")
    def reoffer(system: Caller, delivery_id: DeliveryId) -> Any:
        try:
            hub.reoffer(delivery_id, actor=system.system_id, system=system)
        except HubError as exc:
            raise ApiProblem(exc.problem) from None
        return {"delivery_id": delivery_id, "state": "pending"}

    @api.get(
        "/agencies", response_model=Page, summary="The directory (full, by level, or changes since a version)"
    )
    def agencies(
        system: Caller,
        level: Annotated[int | None, Query(ge=1, le=4)] = None,
        since_version: Annotated[int | None, Query(ge=0, le=limits.MAX_INT)] = None,
        offset: Annotated[int, Query(ge=0, le=limits.MAX_OFFSET)] = 0,
        limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
        after: Annotated[str | None, Query(description="the last code of the previous page")] = None,
    ) -> Any:
        with hub.read() as s:
            rows = directory.list_agencies(
                s, level=level, since_version=since_version, after=after, limit=limit, offset=offset
            )
        items = [
            AgencyOut(
                code=a.code,
                name=a.name,
                parent=a.parent_code,
                level=a.level,
                legacy=a.legacy,
                state=a.state,
                version=a.version,
            )
            for a in rows
        ]
        return {
            "items": items,
            "offset": offset,
            "limit": limit,
            "next": rows[-1].code if len(rows) == limit else None,
        }

    @api.get("/receipt-key", summary="The public key that verifies acceptance receipts")
    def receipt_key() -> Any:
        return {"algorithm": "Ed25519", "public_key_pem": hub.keys.receipt_public_pem()}

    return api
