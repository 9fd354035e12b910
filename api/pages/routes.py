"""HTML pages: sign-in, the maps, 考核 and 复盘. The API gathers plain data; map_ui renders it."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api import clock
from api.assessments.pages import assess_page, events_page, period_or_current
from api.boundaries.service import page_area
from api.deps import TOKEN_COOKIE, SettingsDep, Tx
from api.events.policy import require_screen
from api.indicators.periods import parse_period
from api.reviews import service as reviews
from api.screen.pages import screen_config
from api.users.security import issue_token, read_token
from api.users.service import Unauthorized, actor_for, authenticate
from map_ui.basemaps import BasemapConfig
from map_ui.login import render_login
from map_ui.overview import OverviewConfig, render_overview
from map_ui.reports import render_html, render_pdf
from map_ui.screen import render_screen

router = APIRouter(tags=["pages"], include_in_schema=False)


def _page_user(request: Request, settings) -> int | None:
    token = request.cookies.get(TOKEN_COOKIE)
    return read_token(token, settings) if token else None


def _to_login(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)


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
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str | None, Form()] = None,
) -> Response:
    """Sign in from the form: a cookie for the pages, then back where the user was going."""
    try:
        actor = await tx(lambda s: authenticate(session=s, login=username, password=password))
    except Unauthorized:
        return HTMLResponse(
            render_login(next_url=_safe_next(next), error="账号或密码错误"), status_code=401
        )
    token, expires = issue_token(user_id=actor.id, role=actor.role.value, settings=settings)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        TOKEN_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        max_age=settings.token_ttl_minutes * 60,
        path="/",
    )
    return response


@router.post("/logout")
async def logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(TOKEN_COOKIE, path="/")
    return response


@router.get("/screen", response_class=HTMLResponse)
async def command_screen(
    request: Request, tx: Tx, settings: SettingsDep, area: str | None = None
) -> Response:
    """The command screen: the township (or the county), or one area with ?area=CODE."""
    user_id = _page_user(request, settings)

    def work(session):
        actor = actor_for(session, user_id) if user_id is not None else None
        if actor is None:
            return None
        require_screen(actor)
        return screen_config(session=session, actor=actor, area_code=area, settings=settings)

    config = await tx(work)
    if config is None:
        return _to_login(request)
    return HTMLResponse(render_screen(config))


@router.get("/", response_class=HTMLResponse)
async def overview_map(request: Request, tx: Tx, settings: SettingsDep) -> Response:
    """The map of the active boundary set with live events (signed-in users only)."""
    user_id = _page_user(request, settings)

    def work(session):
        if user_id is None or actor_for(session, user_id) is None:
            return None
        place = page_area(session=session, settings=settings)
        return OverviewConfig(
            place=place.name,
            bounds=place.bounds,
            levels=tuple(level.value for level in place.levels),
            boundary_set=place.boundary_set,
            basemap=BasemapConfig(
                default=settings.basemap,
                tianditu_key=settings.tianditu_key,
                tianditu_style=settings.tianditu_style,
            ),
        )

    config = await tx(work)
    if config is None:
        return _to_login(request)
    return HTMLResponse(render_overview(config))


# --- 考核 and 复盘 (pages render from plain ReportPage data: map_ui/reports.py) -------------


async def _report_page(request: Request, tx, settings, build, fmt: str = "html") -> Response:
    """A signed-in page built by `build(session, actor)`: HTML, PDF, or PNG bytes."""
    user_id = _page_user(request, settings)

    def work(session):
        actor = actor_for(session, user_id) if user_id is not None else None
        return None if actor is None else build(session, actor)

    result = await tx(work)
    if result is None:
        return _to_login(request)
    if isinstance(result, bytes):
        return Response(result, media_type="image/png")
    if fmt == "pdf":
        return Response(render_pdf(result), media_type="application/pdf")
    return HTMLResponse(render_html(result))


@router.get("/assess", response_class=HTMLResponse)
async def assess(
    request: Request,
    tx: Tx,
    settings: SettingsDep,
    period: str | None = None,
    level: str | None = None,
    indicator: str = "close_rate",
) -> Response:
    """考核: the period's indicators, the map by any indicator and level, rankings, reviews."""
    now = clock.now()
    return await _report_page(
        request,
        tx,
        settings,
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
    tx: Tx,
    settings: SettingsDep,
    period: str,
    set: str,
    by: str = "county",
    code: str = "",
) -> Response:
    """The events behind one figure of the 考核 page."""
    now = clock.now()
    return await _report_page(
        request,
        tx,
        settings,
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
    request: Request, tx: Tx, settings: SettingsDep, event_id: int, format: str = "html"
) -> Response:
    """复盘 of one event (`?format=pdf` for the PDF)."""
    return await _report_page(
        request,
        tx,
        settings,
        lambda s, actor: reviews.event_review(session=s, actor=actor, event_id=event_id),
        format,
    )


@router.get("/review/event/{event_id}/map.png")
async def review_event_map(
    request: Request, tx: Tx, settings: SettingsDep, event_id: int
) -> Response:
    return await _report_page(
        request,
        tx,
        settings,
        lambda s, actor: reviews.event_map(session=s, actor=actor, event_id=event_id),
    )


@router.get("/review/emergency/{change_id}", response_class=HTMLResponse)
async def review_emergency(
    request: Request, tx: Tx, settings: SettingsDep, change_id: int, format: str = "html"
) -> Response:
    """复盘 of an emergency period, from its declaration to its end."""
    now = clock.now()
    return await _report_page(
        request,
        tx,
        settings,
        lambda s, actor: reviews.emergency_review(
            session=s, actor=actor, change_id=change_id, now=now
        ),
        format,
    )


@router.get("/review/emergency/{change_id}/map.png")
async def review_emergency_map(
    request: Request, tx: Tx, settings: SettingsDep, change_id: int
) -> Response:
    now = clock.now()
    return await _report_page(
        request,
        tx,
        settings,
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
    tx: Tx,
    settings: SettingsDep,
    period: str | None = None,
    township: str | None = None,
    unit: str | None = None,
    format: str = "html",
) -> Response:
    """复盘 of a month for a township (or one unit)."""
    now = clock.now()
    return await _report_page(
        request,
        tx,
        settings,
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
