"""The agency console's registers and document pages: thin, every read and action through ``Gateway``."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from lienthong.api.gateway_access import Access
from lienthong.gateway import console_views as cv
from lienthong.gateway.compose import PRIORITIES
from lienthong.gateway.people import ANSWER, APPROVE, ASSIGN, LEADER, READ, SEND, may
from lienthong.gateway.service import Gateway
from lienthong.gateway.states import ACTIONS, STATE_LABELS
from lienthong.web.pages import NotVisible, PageRoute

PageNo = Annotated[int, Query(ge=1, le=100_000)]
Text = Annotated[str, Query(max_length=100)]
Day = Annotated[str, Query(max_length=10)]  # an empty date field is sent as "": no limit
Urgency = Annotated[str, Query(pattern="^(|0|1|2|3|urgent)$")]


def router(gateway: Gateway, access: Access) -> APIRouter:
    api = APIRouter(include_in_schema=False, route_class=PageRoute)
    pages = access.auth.pages

    @api.get("/")
    def inbox(request: Request, q: Text = "", state: Text = "", sender: Text = "", since: Day = "",
              until: Day = "", urgency: Urgency = "", page: PageNo = 1) -> HTMLResponse:  # fmt: skip
        access.allowed(request, READ)
        f = cv.InboxFilter(q, state, sender, _day(since), _day(until), urgency)
        found = cv.incoming(gateway.core, f, page)
        query = f"q={quote(q)}&state={quote(state)}&sender={quote(sender)}&"
        query += f"since={f.since or ''}&until={f.until or ''}&urgency={urgency}&"
        return pages.render(request, "gateway/inbox.html", found=found, f=f, states=STATE_LABELS,
                            priorities=PRIORITIES,
                            base="/?" + query, counts=cv.incoming_counts(gateway.core))  # fmt: skip

    @api.get("/inbox/{incoming_id}")
    def document(request: Request, incoming_id: int) -> HTMLResponse:
        who = access.allowed(request, READ)
        doc = gateway.show(incoming_id)
        if doc["kind"] != "edoc":
            raise NotVisible()  # status replies are read on the outgoing document they answer
        with gateway.accounts.read() as s:
            people = [p for p in gateway.accounts.accounts.people(s) if p.state == "active"]
        actions = [a for a in doc["actions"] if may(who.person, ASSIGN if a == "assign" else ANSWER)]
        return pages.render(request, "gateway/document.html", d=doc, actions=actions, labels=ACTIONS,
                            events=_history(gateway, incoming_id, doc), people=people,
                            verified=gateway.config.trust_dir is not None)  # fmt: skip

    @api.get("/inbox/{incoming_id}/files/{number}")
    def attachment(request: Request, incoming_id: int, number: int) -> Response:
        access.allowed(request, READ)
        f = gateway.attachment(incoming_id, number) if number > 0 else gateway.package(incoming_id)
        shown = (
            "inline" if f.content_type == "application/pdf" else "attachment"
        )  # a PDF opens in the browser
        headers = {"Content-Disposition": f"{shown}; filename*=UTF-8''{quote(f.name, safe='')}",
                   "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}  # fmt: skip
        return Response(f.data, media_type=f.content_type, headers=headers)

    @api.post("/inbox/{incoming_id}/act")
    async def act(request: Request, incoming_id: int) -> Response:
        form = await access.auth.form(request)
        action = str(form.get("action", ""))
        who = access.allowed(request, ASSIGN if action == "assign" else ANSWER)
        reason = str(form.get("reason", ""))[:1000]
        assignee = str(form.get("assignee", ""))
        if action == "assign" and assignee:
            reason = f"Phân công: {assignee}" + (f" – {reason}" if reason else "")
        gateway.act(incoming_id, action, who.name, reason)
        gateway.record(who.actor, f"incoming.{action}", f"incoming:{incoming_id}", who.ip,
                       reason=reason, assignee=assignee or None)  # fmt: skip
        return RedirectResponse(f"/inbox/{incoming_id}", status_code=303)

    @api.get("/outbox")
    def outbox(request: Request, q: Text = "", state: Text = "", page: PageNo = 1) -> HTMLResponse:
        access.allowed(request, READ)
        found = cv.outgoing(gateway.core, q, state, page)
        return pages.render(request, "gateway/outbox.html", found=found, q=q, state=state,
                            base=f"/outbox?q={quote(q)}&state={quote(state)}&")  # fmt: skip

    @api.get("/outbox/{local_id}")
    def outgoing(request: Request, local_id: str) -> HTMLResponse:
        who = access.allowed(request, READ)
        data = gateway.track(local_id)
        return pages.render(
            request, "gateway/outgoing.html", o=data, checklist=gateway.checklist(local_id),
            may_approve=may(who.person, APPROVE), leader=LEADER,
            events=gateway.history(f"outgoing:{local_id}"),
        )  # fmt: skip

    @api.post("/outbox/{local_id}/approve")
    async def approve(request: Request, local_id: str) -> Response:
        form = await access.auth.form(request)
        who = access.allowed(request, APPROVE)
        override = form.get("override") == "1"
        gateway.approve(local_id, who.name, override=override)
        gateway.record(who.actor, "outgoing.approve", f"outgoing:{local_id}", who.ip, override=override)
        return RedirectResponse(f"/outbox/{local_id}", status_code=303)

    @api.post("/outbox/{local_id}/resend")
    async def resend(request: Request, local_id: str) -> Response:
        await access.auth.form(request)
        who = access.allowed(request, SEND)
        gateway.resend(local_id, who.name)
        gateway.record(who.actor, "outgoing.resend", f"outgoing:{local_id}", who.ip)
        return RedirectResponse(f"/outbox/{local_id}", status_code=303)

    return api


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _history(gateway: Gateway, incoming_id: int, doc: dict[str, Any]) -> list[dict[str, Any]]:
    """People's actions and the status replies they sent, newest first, in one list."""
    events = gateway.history(f"incoming:{incoming_id}")
    for h in doc["history"]:
        action = f"{h['status']} {h['label_vi']}"
        events.append({"at": h["at"], "actor": h["by"] or "", "action": action, "ip": "", "details": {}})
    return sorted(events, key=lambda e: str(e["at"]), reverse=True)
