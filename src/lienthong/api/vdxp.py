"""The SDK protocol of today's national hub (VNPT SDKVXP 2.0.1), so existing clients connect unchanged.

Parameters arrive as ``XroadVnpt-*`` headers authenticated by an HMAC-SHA256 over the exact
``XroadVnpt-sign-header`` bytes; answers are ASCII-only JSON with ``status``/``ErrorCode``/
``ErrorDesc`` always present and never a null (see shared/docs/vdxp-protocol.md §2-§4).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import anyio
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import FileResponse, StreamingResponse

from lienthong.api import limits, ops
from lienthong.codes.dates import VIETNAM
from lienthong.hub import directory, registration
from lienthong.hub import problems as HP
from lienthong.hub.directory import SystemRef
from lienthong.hub.intake import Refused, Upload
from lienthong.hub.service import Hub, HubError
from lienthong.problems import LienthongError, Problem
from lienthong.store import blobs
from lienthong.store.tables import Agency

PREFIX = "XroadVnpt-"
_RECEIVE_STATES = {"pending": "initial", "fetched": "processing", "done": "done", "failed": "fail"}


def lossy_hex(digest: bytes) -> str:
    """The SDK's hash-file form: each byte in hex without zero padding."""
    return "".join(format(b, "x") for b in digest)


def answer(payload: dict[str, Any], status_code: int = 200) -> Response:
    """ASCII JSON, members that would be null left out."""
    clean = {k: v for k, v in payload.items() if v is not None}
    return Response(
        json.dumps(clean, ensure_ascii=True), status_code=status_code, media_type="application/json"
    )


def ok(**extra: Any) -> Response:
    return answer({"status": "OK", "ErrorCode": "0", "ErrorDesc": "Success", **extra})


def fail(problem: Problem, status_code: int = 200, **extra: Any) -> Response:
    """A FAIL answer; ``data`` is always present (SDK 2.0.3 reads it even then, and crashes on null)."""
    return answer(
        {
            "status": "FAIL",
            "ErrorCode": HP.sdk_error_code(problem.code),
            "ErrorDesc": f"{problem.code}: {problem.message_en} / {problem.message_vi}",
            "data": "",
            **extra,
        },
        status_code,
    )


class AuthError(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.problem = HP.AUTH_FAILED("", detail=detail)


def authenticate(hub: Hub, request: Request) -> tuple[SystemRef, dict[str, str]]:
    """Check the HMAC and return the system and its signed parameters (names lower-cased)."""
    headers = request.headers
    sign = headers.get(f"{PREFIX}sign-header")
    mac = headers.get(f"{PREFIX}hash-header")
    if not sign or not mac:
        raise AuthError("missing XroadVnpt-sign-header or XroadVnpt-hash-header")
    if len(sign) > limits.MAX_SIGN_HEADER or len(mac) > limits.MAX_HEADER_VALUE:
        raise AuthError("the sign-header or hash-header is too long")
    raw = sign.encode("latin-1")  # undo the server's latin-1 decoding: these are the signed bytes
    try:
        signed = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise AuthError("the sign-header is not JSON") from None
    if not isinstance(signed, dict):
        raise AuthError("the sign-header is not a JSON object")
    params = {str(k)[len(PREFIX) :].lower(): str(v) for k, v in signed.items() if str(k).startswith(PREFIX)}
    system_id = params.get("systemid", "")
    secret = hub.secret_of(system_id) if system_id else None
    if secret is None:
        raise AuthError(f"unknown system '{system_id}'")
    expected = hmac.new(secret.encode("utf-8"), raw, hashlib.sha256).hexdigest().encode("ascii")
    # Compared as bytes: compare_digest raises on a non-ASCII str (issue 12, defect 3).
    if not hmac.compare_digest(expected, mac.strip().lower().encode("latin-1")):
        raise AuthError("the HMAC does not match")
    # Bind the plain headers to the signed JSON, so a signed set cannot be paired with other headers.
    for key, value in signed.items():
        plain = headers.get(str(key))
        if plain is None or plain.encode("latin-1") != str(value).encode("utf-8"):
            raise AuthError(f"header {key} differs from the signed value")
    system = hub.system(system_id)
    if system is None:
        raise AuthError(f"unknown system '{system_id}'")
    return system, params


def _time(moment: datetime | None) -> str | None:
    return moment.astimezone(VIETNAM).strftime("%Y-%m-%d %H:%M:%S") if moment else None


def _recipients(value: str | None) -> list[str]:
    """The ``to`` parameter is JSON text: ``"X"`` or ``["A","B"]``."""
    if not value:
        return []
    try:
        data = json.loads(value)
    except ValueError:
        return [value.strip()]
    if isinstance(data, str):
        return [data.strip()]
    if isinstance(data, list):
        return [str(x).strip() for x in data if str(x).strip()]
    return []


async def _read_small_body(request: Request) -> None:
    """Read the ``{}`` body up front, so a client sending ``Expect: 100-continue`` gets its 100 at once."""
    if request.url.path.endswith(("/sendEdoc", "/registerAgency")):
        return  # these stream or read their bodies themselves
    await request.body()


Handler = Callable[[SystemRef, dict[str, str]], Response]


def router(hub: Hub) -> APIRouter:
    api = APIRouter(tags=["SDK protocol (VDXP)"], dependencies=[Depends(_read_small_body)])

    def guarded(request: Request) -> tuple[SystemRef, dict[str, str]]:
        system, params = authenticate(hub, request)
        refused = ops.client_identity_problem(request, system)  # monitor: mutual TLS behind a proxy
        if refused is not None:
            raise AuthError(f"{refused.code}: {refused.message_en}")
        hub.touch(system)
        return system, params

    def operation(name: str) -> Callable[[Handler], Handler]:
        """Register an SDK operation: authenticate, run, and answer every failure as FAIL JSON."""

        def register(handler: Handler) -> Handler:
            def endpoint(request: Request) -> Response:
                try:
                    system, params = guarded(request)
                    return handler(system, params)
                except AuthError as exc:
                    return fail(exc.problem)
                except LienthongError as exc:
                    return fail(exc.problem)

            api.add_api_route(f"/{name}", endpoint, methods=["POST"], name=name)
            return handler

        return register

    @api.post("/sendEdoc")
    async def send_edoc(request: Request) -> Response:
        try:
            system, params = await anyio.to_thread.run_sync(guarded, request)
            upload = await _stage(hub, request.stream())
            upload = _match_hash_file(upload, params.get("hash-file"))
            accepted = await anyio.to_thread.run_sync(
                lambda: hub.accept(system.system_id, upload, _recipients(params.get("to")))
            )
        except AuthError as exc:
            return fail(exc.problem, DocId="")  # DocId on every answer, or the SDK returns nulls
        except LienthongError as exc:
            return fail(exc.problem, DocId="")
        return ok(DocId=accepted.doc_id)

    @operation("getReceivedEdocList")
    def received(system: SystemRef, params: dict[str, str]) -> Response:
        # Only messagetype matters here: stray status/docId headers of a reused SDK object are ignored.
        kind = params.get("messagetype") or "edoc"
        items = hub.pending(system, kind if kind in ("edoc", "status") else "edoc")
        return ok(
            data=[
                {
                    "docId": i.delivery_id,
                    "serviceType": "eDoc",
                    "messageType": i.kind,
                    "created_time": _time(i.created_at),
                    "updated_time": _time(i.updated_at),
                    "from": i.sender,
                    "to": i.recipient,
                    "status": _RECEIVE_STATES.get(i.state, i.state),
                    "status_desc": _RECEIVE_STATES.get(i.state, i.state),
                }
                for i in items
            ]
        )

    @operation("getSentEdocList")
    def sent(system: SystemRef, params: dict[str, str]) -> Response:
        data = []
        for r in hub.sent(system, params.get("docid") or None):
            receive = r.last_status_code or _RECEIVE_STATES.get(r.state, r.state)
            item = {
                "serviceType": "eDoc",
                "messageType": r.kind,
                "senderDocId": r.doc_id,
                "receiverDocId": r.delivery_id,
                "fromCode": r.sender,
                "toCode": r.recipient,
                "title": r.subject,
                "notation": r.notation,
                "sentTime": _time(r.sent_at),
                "receivedTime": _time(r.fetched_at),
                "sendStatus": "fail" if r.state == "undeliverable" else "done",
                "sendStatusDesc": r.error_code or "Sent",
                "receiveStatus": receive,
                "receiveStatusDesc": receive,
                # SDK 2.0.3 parses a sent row like a received row (issue 16): the same data again.
                "docId": r.doc_id,
                "created_time": _time(r.sent_at),
                "updated_time": _time(r.last_status_at or r.fetched_at or r.sent_at),
                "from": r.sender,
                "to": r.recipient,
                "status": receive,
                "status_desc": receive,
                "route": r.route,  # issue 16: delivered here or relayed upstream
            }
            data.append({k: v for k, v in item.items() if v is not None})
        return ok(data=data)

    @operation("getEdoc")
    def get_edoc(system: SystemRef, params: dict[str, str]) -> Response:
        path, _ = hub.fetch(system, params.get("docid", ""))
        return _base64_answer(path)

    def download(request: Request) -> Response:
        try:
            system, params = guarded(request)
            path, _ = hub.fetch(system, params.get("docid", ""))
        except (AuthError, HubError):
            # The SDK saves any body as the document: "not found" must be an empty body.
            return Response(b"", status_code=404, media_type="application/octet-stream")
        return FileResponse(path, media_type="application/octet-stream")  # streamed from the file

    for method in ("GET", "POST"):  # 2.0.1 downloads with GET; SDK 2.0.3 makes every call a POST
        api.add_api_route("/downloadEdoc", download, methods=[method], name=f"downloadEdoc_{method.lower()}")

    @operation("updateStatus")
    def update_status(system: SystemRef, params: dict[str, str]) -> Response:
        hub.ack(system, params.get("docid", ""), params.get("status", ""))
        return ok()

    @operation("countReceiveEdoc")
    def count_edoc(system: SystemRef, _params: dict[str, str]) -> Response:
        return ok(count=hub.count_pending(system, "edoc"))

    @operation("countReceiveStatus")
    def count_status(system: SystemRef, _params: dict[str, str]) -> Response:
        return ok(count=hub.count_pending(system, "status"))

    @operation("getAgenciesList")
    def agencies(_system: SystemRef, _params: dict[str, str]) -> Response:
        with hub.read() as s:
            rows = directory.list_agencies(s)
        return ok(
            data=[
                {
                    "id": str(a.id),
                    "pid": a.parent_code or "",
                    "code": a.code,
                    "name": a.name,
                    "mail": _first_mail(a),
                    "oldCode": a.code if a.legacy else "",
                }
                for a in rows
            ]
        )

    @operation("getAgenciesListQD20")
    def agencies_qd20(_system: SystemRef, params: dict[str, str]) -> Response:
        level = limits.sdk_int(params.get("level"), "XroadVnpt-level", 1, 4)
        with hub.read() as s:
            rows = directory.list_agencies(s, level=level)
        return ok(
            data=[
                {"id": str(a.id), "code": a.code, "name": a.name, "mail": _first_mail(a), "code102": a.code}
                for a in rows
                if not a.legacy
            ]
        )

    @operation("getSynchronizeUnit")
    def synchronize(_system: SystemRef, params: dict[str, str]) -> Response:
        since = limits.sdk_int(params.get("version"), "XroadVnpt-version", 0, limits.MAX_INT) or 0
        with hub.read() as s:
            rows = directory.list_agencies(s, since_version=since)
            centers = directory.centers(s)
        return ok(
            data=[
                {
                    "id": str(a.id),
                    "pid": a.parent_code or "",
                    "code": a.code,
                    "name": a.name,
                    "mail": _first_mail(a),
                    "version": a.version,
                    "centerCode": centers.get(a.code, ""),
                    "deleted": a.state == "removed",
                    "modifyDate": _time(a.updated_at),
                    "isAgency": not a.legacy,
                }
                for a in rows
            ]
        )

    @api.post("/registerAgency")
    async def register(request: Request) -> Response:
        try:
            system, _ = await anyio.to_thread.run_sync(guarded, request)
            body = await limits.read_bounded(request, limits.MAX_SMALL_BODY)  # not covered by the HMAC
            try:
                data = json.loads(body.decode("utf-8"))
                if not isinstance(data, dict):
                    raise ValueError("not an object")
            except (UnicodeDecodeError, ValueError) as exc:
                return fail(HP.BAD_REQUEST("", detail=f"the agency data is not JSON: {exc}"))
            await anyio.to_thread.run_sync(lambda: _register(hub, system, data))
        except AuthError as exc:
            return fail(exc.problem)
        except LienthongError as exc:
            return fail(exc.problem)
        return ok()

    @operation("deleteAgency")
    def delete(system: SystemRef, params: dict[str, str]) -> Response:
        with hub.write() as s:
            registration.remove_unit(s, system, params.get("agencycode", ""), hub.clock())
        hub.forget_cached()
        return ok()

    return api


def _base64_answer(path: Path) -> Response:
    """``ok(data=<the file as base64>)``, byte for byte, streamed: the body is never held in memory."""
    head = json.dumps({"status": "OK", "ErrorCode": "0", "ErrorDesc": "Success", "data": ""})[:-2].encode()
    tail = b'"}'
    size = len(head) + blobs.base64_size(path.stat().st_size) + len(tail)
    body = itertools.chain([head], blobs.base64_chunks(path), [tail])
    headers = {"Content-Length": str(size)}
    return StreamingResponse(body, media_type="application/json", headers=headers)


def _first_mail(agency: Agency | directory.AgencyRow) -> str:
    return agency.emails.split(",")[0] if agency.emails else ""


def _register(hub: Hub, system: SystemRef, data: dict[str, Any]) -> None:
    """The directory service decides: the edge only reads the body (issue 12, defects 1-2)."""
    item = registration.UnitRequest(
        code=str(data.get("code", "")),
        name=str(data.get("name", "")),
        parent=str(data.get("pcode", "")),
        email=str(data.get("mail", "")),
    )
    with hub.write() as s:
        registration.register_unit(s, system, item, hub.clock())
    hub.forget_cached()  # the system now acts for the new unit too


async def _stage(hub: Hub, chunks: AsyncIterator[bytes]) -> Upload:
    """Stream the body to a staging file as it arrives (never held whole in memory)."""
    stager = hub.stager()
    try:
        async for chunk in chunks:
            stager.write(chunk)
        return stager.finish()  # the last write (and a full disk) may only show here
    except BaseException:
        stager.abort()
        raise


def _match_hash_file(upload: Upload, hash_file: str | None) -> Upload:
    """Drop the SDK's trailing CRLF, choosing by ``hash-file`` whether it is the SDK's or the file's."""
    if hash_file is None:
        return upload.drop_crlf() if upload.sha256_without_crlf else upload
    wanted = hash_file.strip().lower()
    if upload.sha256_without_crlf and lossy_hex(bytes.fromhex(upload.sha256_without_crlf)) == wanted:
        return upload.drop_crlf()
    if lossy_hex(bytes.fromhex(upload.sha256)) == wanted:
        return upload
    upload.path.unlink(missing_ok=True)
    raise Refused(HP.INTEGRITY("", detail="the body does not match XroadVnpt-hash-file"))
