"""HTML pages: sign-in and the map. The API gathers plain data; map_ui renders it."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api import clock
from api.assessments.pages import assess_page, events_page, period_or_current
from api.boundaries.service import page_area
from api.deps import TOKEN_COOKIE, ClientAddress, PageVisitor, SettingsDep, Tx
from api.errors import InvalidInput
from api.events.policy import require_mobile, require_screen
from api.indicators.periods import parse_period
from api.pages.mobile import mobile_config
from api.reviews import service as reviews
from api.screen.pages import basemap_of, screen_config
from api.users import auth
from api.users.service import Unauthorized
from api.users.throttle import TooManyAttempts
from map_ui.login import render_login, render_password
from map_ui.mobile import SCOPE, render_manifest, render_mobile, render_service_worker
from map_ui.overview import OverviewConfig, render_overview
from map_ui.reports import render_html, render_pdf
from map_ui.screen import render_screen

router = APIRouter(tags=["pages"], include_in_schema=False)


def _to_login(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)


def _to_password(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/password?next={quote(target)}", status_code=303)


def _safe_next(value: str | None) -> str:
    """Only paths of this site: never another host (an open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


@router.get("/login", response_class=HTMLResponse)
async def login_page(next: str | None = None) -> HTMLResponse:
    return HTMLResponse(render_login(next_url=_safe_next(next)))


@router.post("/login")
async def login(
    tx: Tx,
    settings: SettingsDep,
    address: ClientAddress,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=200)],
    next: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    """Sign in from the form: a cookie for the pages, then back where the user was going (or
    first to the password page, when the password must be changed)."""
    target = _safe_next(next)
    try:
        out = await auth.sign_in_or_refuse(
            tx=tx, login=username, password=password, address=address, settings=settings
        )
    except TooManyAttempts as exc:
        page = render_login(next_url=target, error=exc.message.split(" (")[0])
        headers = {"Retry-After": str(exc.retry_after_s)}
        return HTMLResponse(page, status_code=429, headers=headers)
    except Unauthorized:
        return HTMLResponse(render_login(next_url=target, error="账号或密码错误"), status_code=401)
    if out.user.must_change_password:
        target = f"/password?next={quote(target)}"
    response = RedirectResponse(target, status_code=303)
    auth.set_cookie(response, out.access_token, settings)
    return response


@router.post("/logout")
async def logout(visitor: PageVisitor, tx: Tx, address: ClientAddress) -> Response:
    """End the page's sign-in (the cookie's session is refused from now on)."""
    if visitor is not None:
        await auth.sign_out(tx=tx, signed=visitor, address=address)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(TOKEN_COOKIE, path="/")
    return response


@router.get("/password", response_class=HTMLResponse)
async def password_page(request: Request, visitor: PageVisitor, next: str | None = None):
    if visitor is None:
        return _to_login(request)
    return HTMLResponse(
        render_password(next_url=_safe_next(next), must_change=visitor.actor.must_change_password)
    )


@router.post("/password")
async def change_password(
    request: Request,
    visitor: PageVisitor,
    tx: Tx,
    settings: SettingsDep,
    address: ClientAddress,
    current_password: Annotated[str, Form(max_length=200)],
    new_password: Annotated[str, Form(max_length=200)],
    repeat_password: Annotated[str, Form(max_length=200)],
    next: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    """Change the password from the form; this page's sign-in goes on."""
    if visitor is None:
        return _to_login(request)
    target = _safe_next(next)

    def again(error: str) -> HTMLResponse:
        page = render_password(
            next_url=target, must_change=visitor.actor.must_change_password, error=error
        )
        return HTMLResponse(page, status_code=422)

    if new_password != repeat_password:
        return again("两次输入的新密码不一致")
    try:
        out = await auth.change_password(
            tx=tx, signed=visitor, current=current_password, new=new_password, address=address,
            settings=settings,
        )  # fmt: skip
    except InvalidInput as exc:
        return again(exc.message.split(" (")[0])
    response = RedirectResponse(target, status_code=303)
    auth.set_cookie(response, out.access_token, settings)
    return response


@router.get("/screen", response_class=HTMLResponse)
async def command_screen(
    request: Request, visitor: PageVisitor, tx: Tx, settings: SettingsDep, area: str | None = None
) -> Response:
    """The command screen: the township (or the county), or one area with ?area=CODE."""
    if visitor is None:
        return _to_login(request)
    if visitor.actor.must_change_password:
        return _to_password(request)
    require_screen(visitor.actor)
    config = await tx(
        lambda s: screen_config(session=s, actor=visitor.actor, area_code=area, settings=settings)
    )
    return HTMLResponse(render_screen(config))


@router.get("/", response_class=HTMLResponse)
async def overview_map(
    request: Request, visitor: PageVisitor, tx: Tx, settings: SettingsDep
) -> Response:
    """The map of the active boundary set with live events (signed-in users only)."""
    if visitor is None:
        return _to_login(request)
    if visitor.actor.must_change_password:
        return _to_password(request)

    def work(session):
        place = page_area(session=session, settings=settings)
        return OverviewConfig(
            place=place.name,
            bounds=place.bounds,
            levels=tuple(level.value for level in place.levels),
            boundary_set=place.boundary_set,
            basemap=basemap_of(settings),
            timezone=settings.timezone,
        )

    return HTMLResponse(render_overview(await tx(work)))


@router.get("/m", response_class=HTMLResponse)
async def phone_page(
    request: Request, visitor: PageVisitor, tx: Tx, settings: SettingsDep
) -> Response:
    """The phone page (网格通): report, my tasks, patrol; works with a weak signal."""
    if visitor is None:
        return _to_login(request)
    if visitor.actor.must_change_password:
        return _to_password(request)
    require_mobile(visitor.actor)
    config = await tx(lambda s: mobile_config(session=s, actor=visitor.actor, settings=settings))
    # The service worker keeps its own copy for opening offline; the browser's cache keeps none
    # (the page carries who is signed in).
    return HTMLResponse(render_mobile(config), headers={"Cache-Control": "no-store"})


@router.get("/m/sw.js")
async def phone_service_worker() -> Response:
    """The phone page's service worker (public: it holds no data, only what to keep)."""
    return Response(
        render_service_worker(),
        media_type="text/javascript",
        headers={
            "Service-Worker-Allowed": SCOPE,
            "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/m/manifest.webmanifest")
async def phone_manifest() -> Response:
    """The web app manifest (public: browsers fetch it without the sign-in cookie, so it names
    no place)."""
    return Response(
        render_manifest(),
        media_type="application/manifest+json",
        headers={"Cache-Control": "no-cache"},
    )


# --- 考核 and 复盘 (pages render from plain ReportPage data: map_ui/reports.py) -------------


async def _report_page(request: Request, visitor, tx, build, fmt: str = "html") -> Response:
    """A signed-in page built by `build(session, actor)`: HTML, PDF, or PNG bytes."""
    if visitor is None:
        return _to_login(request)
    if visitor.actor.must_change_password:
        return _to_password(request)
    result = await tx(lambda session: build(session, visitor.actor))
    if isinstance(result, bytes):
        return Response(result, media_type="image/png")
    if fmt == "pdf":
        return Response(render_pdf(result), media_type="application/pdf")
    return HTMLResponse(render_html(result))


@router.get("/assess", response_class=HTMLResponse)
async def assess(
    request: Request,
    visitor: PageVisitor,
    tx: Tx,
    period: str | None = None,
    level: str | None = None,
    indicator: str = "close_rate",
) -> Response:
    """考核: the period's indicators, the map by any indicator and level, rankings, reviews."""
    now = clock.now()
    return await _report_page(
        request,
        visitor,
        tx,
        lambda s, actor: assess_page(
            session=s,
            actor=actor,
            period=period_or_current(period, now),
            level=level,
            indicator=indicator,
            now=now,
        ),
    )


@router.get("/assess/events", response_class=HTMLResponse)
async def assess_events(
    request: Request,
    visitor: PageVisitor,
    tx: Tx,
    period: str,
    set: str,
    by: str = "county",
    code: str = "",
) -> Response:
    """The events behind one figure of the 考核 page."""
    now = clock.now()
    return await _report_page(
        request,
        visitor,
        tx,
        lambda s, actor: events_page(
            session=s,
            actor=actor,
            period=parse_period(period),
            set_key=set,
            by=by,
            code=code,
            now=now,
        ),
    )


@router.get("/review/event/{event_id}", response_class=HTMLResponse)
async def review_event(
    request: Request, visitor: PageVisitor, tx: Tx, event_id: int, format: str = "html"
) -> Response:
    """复盘 of one event (`?format=pdf` for the PDF)."""
    return await _report_page(
        request,
        visitor,
        tx,
        lambda s, actor: reviews.event_review(session=s, actor=actor, event_id=event_id),
        format,
    )


@router.get("/review/event/{event_id}/map.png")
async def review_event_map(
    request: Request, visitor: PageVisitor, tx: Tx, event_id: int
) -> Response:
    return await _report_page(
        request,
        visitor,
        tx,
        lambda s, actor: reviews.event_map(session=s, actor=actor, event_id=event_id),
    )


@router.get("/review/emergency/{change_id}", response_class=HTMLResponse)
async def review_emergency(
    request: Request, visitor: PageVisitor, tx: Tx, change_id: int, format: str = "html"
) -> Response:
    """复盘 of an emergency period, from its declaration to its end."""
    now = clock.now()
    return await _report_page(
        request,
        visitor,
        tx,
        lambda s, actor: reviews.emergency_review(
            session=s, actor=actor, change_id=change_id, now=now
        ),
        format,
    )


@router.get("/review/emergency/{change_id}/map.png")
async def review_emergency_map(
    request: Request, visitor: PageVisitor, tx: Tx, change_id: int
) -> Response:
    now = clock.now()
    return await _report_page(
        request,
        visitor,
        tx,
        lambda s, actor: (
            reviews.emergency_review(session=s, actor=actor, change_id=change_id, now=now)
            .sections[0]
            .images[0]
            .png
        ),
    )


@router.get("/review/month", response_class=HTMLResponse)
async def review_month(
    request: Request,
    visitor: PageVisitor,
    tx: Tx,
    period: str | None = None,
    township: str | None = None,
    unit: str | None = None,
    format: str = "html",
) -> Response:
    """复盘 of a month for a township (or one unit)."""
    now = clock.now()
    return await _report_page(
        request,
        visitor,
        tx,
        lambda s, actor: reviews.month_review(
            session=s,
            actor=actor,
            township=township or None,
            unit=unit or None,
            period=period_or_current(period, now),
            now=now,
        ),
        format,
    )
