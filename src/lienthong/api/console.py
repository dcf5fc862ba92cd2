"""The operator console served by the hub at ``/``: pages only, every query in ``lienthong.hub.console``."""

from __future__ import annotations

import os
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import PackageLoader

from lienthong.accounts.model import Person
from lienthong.accounts.store import AccountStore
from lienthong.api.console_text import CONSOLE
from lienthong.codes.calendar import VIETNAM
from lienthong.hub import console as q
from lienthong.hub import relay
from lienthong.hub.people import OPERATOR, hub_accounts, in_scope
from lienthong.hub.service import Hub, HubError
from lienthong.watch import render
from lienthong.watch.charts import bars
from lienthong.watch.config import WatchConfig
from lienthong.watch.rules import build_daily
from lienthong.web.auth import WebAuth, client_ip
from lienthong.web.i18n import Catalogue
from lienthong.web.pages import NotVisible, PageRoute, Pages, language

NAV = [
    ("/", "overview"),
    ("/agencies", "directory"),
    ("/traffic", "traffic"),
    ("/warnings", "warnings"),
    ("/reports", "reports"),
    ("/refusals", "refusals"),
    ("/relays", "relays"),
    ("/audit", "audit"),
    ("/health", "health"),
    ("/people", "people"),
]
PageNo = Annotated[int, Query(ge=1, le=100_000)]
Day = Annotated[date | None, Query(alias="date")]
Search = Annotated[str, Query(alias="q", max_length=100)]
State = Annotated[str, Query(pattern="^(|active|suspended|removed)$")]
RelayState = Annotated[str, Query(pattern="^(|waiting|sent|failed)$")]


def secure_cookies() -> bool:
    """Cookies are Secure unless LIENTHONG_INSECURE_COOKIES=1 (a plain-HTTP trial on one machine)."""
    return os.environ.get("LIENTHONG_INSECURE_COOKIES") != "1"


def install(app: FastAPI, hub: Hub, config: WatchConfig) -> WebAuth:
    """Sign-in, assets, Swagger UI and the console's pages on the hub's app."""
    pages = Pages(
        Catalogue(CONSOLE),
        [PackageLoader("lienthong.api", "templates")],
        title=("Trục liên thông văn bản quốc gia", "National document exchange hub"),
        nav=NAV,
    )
    store = AccountStore(hub_accounts(), hub.read, hub.write, hub.clock)
    auth = WebAuth(store, pages, secure_cookies=secure_cookies())
    auth.install(app)
    app.include_router(router(hub, config, auth, pages))
    return auth


def router(hub: Hub, config: WatchConfig, auth: WebAuth, pages: Pages) -> APIRouter:
    api = APIRouter(include_in_schema=False, route_class=PageRoute)
    me_: Any = Depends(auth.person)  # a default, not an Annotated alias: annotations resolve globally

    def today() -> date:
        return hub.clock().astimezone(VIETNAM).date()

    def national_only(me: Person) -> None:
        if me.role != OPERATOR:
            raise NotVisible()

    def chart(rows: list[dict[str, Any]], key: str, color: str, title: str) -> Any:
        labels = [r["day"].strftime("%d/%m") for r in rows]
        return bars([r[key] for r in rows], width=640, height=90, color=color, title=title, labels=labels,
                    ticks=(0, 7, 14, 21, len(rows) - 1))  # fmt: skip

    def charts(rows: list[dict[str, Any]], lang: str) -> dict[str, Any]:
        text = CONSOLE
        pick = 1 if lang == "en" else 0
        return {
            "sent": chart(rows, "sent", "#2f6fb0", text["sent"][pick]),
            "delivered": chart(rows, "delivered", "#3a8a4f", text["delivered"][pick]),
            "refused": chart(rows, "refused", "#c0392b", text["refused"][pick]),
        }

    @api.get("/")
    def overview(request: Request, me: Person = me_) -> HTMLResponse:
        with hub.read() as s:
            now = q.traffic_now(s, me, hub.clock())
            rows = q.traffic_by_day(s, me, today(), 30)
        lang = language(request)
        return pages.render(request, "console/overview.html", now=now, rows=rows, charts=charts(rows, lang))

    @api.get("/agencies")
    def agencies(request: Request, me: Person = me_, q_: Search = "", state: State = "",
                 page: PageNo = 1) -> HTMLResponse:  # fmt: skip
        with hub.read() as s:
            found = q.search_agencies(s, me, q_, state, page)
        return pages.render(request, "console/agencies.html", found=found, q=q_, state=state)

    @api.get("/agencies/{code}")
    def agency(request: Request, code: str, me: Person = me_, page: PageNo = 1) -> HTMLResponse:
        with hub.read() as s:
            view = q.agency_view(s, me, code, today(), page)
        if view is None:
            raise NotVisible()  # missing and out of scope look alike
        return pages.render(request, "console/agency.html", v=view, a=view.agency)

    @api.get("/agencies/{code}/report")
    def agency_report(request: Request, code: str, me: Person = me_, day: Day = None) -> HTMLResponse:
        if not in_scope(me, code):
            raise NotVisible()
        with hub.read() as s:
            report = build_daily(s, day or today(), config, [code]).agencies.get(code)
        if report is None:
            raise NotVisible()
        return HTMLResponse(render.to_html(report, language(request)), headers={"Cache-Control": "no-store"})

    @api.get("/traffic")
    def traffic(request: Request, me: Person = me_) -> HTMLResponse:
        with hub.read() as s:
            rows = q.traffic_by_day(s, me, today(), 30)
        lang = language(request)
        return pages.render(request, "console/traffic.html", rows=rows, charts=charts(rows, lang))

    @api.get("/warnings")
    def warnings(request: Request, me: Person = me_, day: Day = None) -> HTMLResponse:
        when = day or today()
        summary = None
        if me.role == OPERATOR:
            with hub.read() as s:
                summary = build_daily(s, when, config, []).national
        return pages.render(request, "console/warnings.html", s=summary, day=when)

    @api.get("/reports")
    def reports(request: Request, me: Person = me_, day: Day = None) -> HTMLResponse:
        return pages.render(request, "console/reports.html", day=day or today())

    @api.get("/reports/national")
    def national(request: Request, me: Person = me_, day: Day = None) -> HTMLResponse:
        national_only(me)
        with hub.read() as s:
            summary = build_daily(s, day or today(), config, []).national
        html = render.national_html(summary, language(request))
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})

    @api.get("/refusals")
    def refusals(request: Request, me: Person = me_, page: PageNo = 1,
                 code: Annotated[str, Query(max_length=64)] = "") -> HTMLResponse:  # fmt: skip
        with hub.read() as s:
            found = q.refusals(s, me, page, code)
        return pages.render(request, "console/refusals.html", found=found, code=code)

    @api.get("/relays")
    def relays(request: Request, me: Person = me_, state: RelayState = "") -> HTMLResponse:
        """Issue 16: what waits to go to the upstream hub, what went, what failed; failed ones resent."""
        national_only(me)
        rows = relay.list_relays(hub, state or None)
        return pages.render(
            request, "console/relays.html", rows=rows, state=state, link=relay.link_health(hub)
        )

    @api.post("/relays/resend")
    async def relays_resend(request: Request, me: Person = me_) -> Response:
        form = await auth.form(request)
        national_only(me)
        relay_id = str(form.get("relay_id", ""))[:64]
        every = form.get("all_failed") == "1"
        try:
            relay.resend(hub, relay_id or None, all_failed=every, actor=me.actor, ip=client_ip(request))
        except HubError as exc:  # unknown, or no longer failed: said on a page, in words
            text = exc.problem.message_en if language(request) == "en" else exc.problem.message_vi
            return pages.render(request, "error.html", status=409, title="refused",
                                message=f"{text} ({exc.problem.code})")  # fmt: skip
        return RedirectResponse("/relays?state=waiting", status_code=303)

    @api.get("/audit")
    def audit_log(request: Request, me: Person = me_, page: PageNo = 1,
                  actor: Annotated[str, Query(max_length=128)] = "") -> HTMLResponse:  # fmt: skip
        national_only(me)
        with hub.read() as s:
            found = q.audit_page(s, page, actor)
        return pages.render(request, "console/audit.html", found=found, actor=actor, chain=hub.verify_audit())

    @api.get("/people")
    def people(request: Request, me: Person = me_) -> HTMLResponse:
        national_only(me)
        with hub.read() as s:
            found = auth.store.accounts.people(s)
        roles = auth.store.accounts.roles
        return pages.render(request, "console/people.html", people=found, roles=roles)

    @api.get("/health")
    def health(request: Request, me: Person = me_) -> Response:
        monitor = getattr(request.app.state, "monitor", None)
        report = monitor.status(1) if monitor is not None else None
        if report is not None and me.role != OPERATOR:
            report = {"readiness": report["readiness"]}  # other agencies' contact is not theirs to see
        return pages.render(request, "console/health.html", report=report, parse=datetime.fromisoformat)

    return api
