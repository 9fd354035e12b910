"""HTTP: the command screen's data (figures, map, heat, lists, changes, search, drawn shapes)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api import clock
from api.deps import CurrentActor, Tx
from api.errors import InvalidInput
from api.geojson import parse_bbox
from api.screen import service
from api.screen.index import event_index
from api.screen.schemas import WithinIn
from api.screen.service import ScreenFilters
from gis.shapes import circle, polygon_from_geojson

router = APIRouter(prefix="/api/v1/screen", tags=["command screen"])


def screen_filters(
    range_: Annotated[str, Query(alias="range", description="today, 7d, 30d or all")] = "30d",
    date_from: Annotated[datetime | None, Query(alias="from")] = None,
    date_to: Annotated[datetime | None, Query(alias="to")] = None,
    status: Annotated[
        list[str] | None, Query(description="statuses, or open/at_risk/overdue")
    ] = None,
    category: str | None = None,
    platform: str | None = None,
    area: str | None = None,
) -> ScreenFilters:
    """The filters of the screen, the same on every endpoint (and in the page's URL)."""

    return ScreenFilters(
        range=range_,
        date_from=date_from and clock.aware(date_from),
        date_to=date_to and clock.aware(date_to),
        statuses=tuple(status or ()),
        category=category or None,
        platform=platform or None,
        area=area or None,
    )


Filters = Annotated[ScreenFilters, Depends(screen_filters)]
Bbox = Annotated[str, Query(description="minlon,minlat,maxlon,maxlat")]
Zoom = Annotated[float, Query(ge=0, le=22)]


@router.get("/summary")
async def summary(tx: Tx, actor: CurrentActor, filters: Filters) -> dict:
    """Today's figures, counts by status, 大类 and platform, and the 30-day trend."""
    now = clock.now()
    return await tx(
        lambda s: service.summary(
            session=s, index=event_index(), actor=actor, filters=filters, now=now
        )
    )


async def _in_view(tx: Tx, actor, filters: ScreenFilters, bbox: str, zoom: float, answer) -> dict:
    """What `answer` (map_view or heat) says of the view `bbox` at `zoom`."""
    box = parse_bbox(bbox)
    now = clock.now()
    return await tx(
        lambda s: answer(
            session=s, index=event_index(), actor=actor, filters=filters, bbox=box, zoom=zoom,
            now=now,
        )
    )  # fmt: skip


@router.get("/map")
async def map_view(tx: Tx, actor: CurrentActor, filters: Filters, bbox: Bbox, zoom: Zoom) -> dict:
    """The events in view as GeoJSON points: single events when few, else clusters."""
    return await _in_view(tx, actor, filters, bbox, zoom, service.map_view)


@router.get("/heat")
async def heat(tx: Tx, actor: CurrentActor, filters: Filters, bbox: Bbox, zoom: Zoom) -> dict:
    """Weighted points for the heat layer."""
    return await _in_view(tx, actor, filters, bbox, zoom, service.heat)


@router.get("/lists")
async def lists(tx: Tx, actor: CurrentActor, filters: Filters) -> dict:
    """Newest events, overdue and at-risk events, open supervision orders."""
    now = clock.now()
    return await tx(
        lambda s: service.lists(
            session=s, index=event_index(), actor=actor, filters=filters, now=now
        )
    )


@router.get("/changes")
async def changes(
    tx: Tx,
    actor: CurrentActor,
    filters: Filters,
    since: Annotated[int, Query(ge=0, description="cursor of the last answer")],
) -> dict:
    """How many events (in the filters) changed since the cursor, and the newest of them."""
    now = clock.now()
    return await tx(
        lambda s: service.changes(
            session=s, index=event_index(), actor=actor, filters=filters, since_ms=since, now=now
        )
    )


@router.post("/within")
async def within(body: WithinIn, tx: Tx, actor: CurrentActor) -> dict:
    """The events inside a drawn polygon or circle: how many, by status, the newest."""
    if (body.geometry is None) == (body.circle is None):
        raise InvalidInput("give either geometry (a GeoJSON Polygon) or circle", field="geometry")
    try:
        shape = (
            polygon_from_geojson(body.geometry)
            if body.geometry is not None
            else circle(body.circle.lon, body.circle.lat, body.circle.radius_m)
        )
    except ValueError as exc:
        raise InvalidInput(str(exc), field="geometry") from None
    filters = ScreenFilters(
        range=body.range,
        statuses=tuple(body.status),
        category=body.category or None,
        platform=body.platform or None,
        area=body.area or None,
    )
    now = clock.now()
    return await tx(
        lambda s: service.within(
            session=s, index=event_index(), actor=actor, filters=filters, shape=shape, now=now
        )
    )


@router.get("/search")
async def search(
    tx: Tx,
    actor: CurrentActor,
    q: Annotated[str, Query(max_length=100, description="id, words, area")],
) -> dict:
    """Events by number or words, and areas by name or code."""
    return await tx(lambda s: service.search(session=s, actor=actor, q=q))
