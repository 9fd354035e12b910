"""HTTP: report events and find them (JSON or GeoJSON)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Response

from api.deps import SessionDep
from api.events import service
from api.events.models import EventStatus
from api.events.schemas import EventFilters, EventIn, EventOut, EventPage
from api.geojson import geojson_response, parse_bbox, wants_geojson

router = APIRouter(prefix="/api/v1", tags=["events"])


@router.post("/events", response_model=EventOut, status_code=201,
             responses={200: {"model": EventOut,
                              "description": "Already stored (same source + external_id)"}})
def report_event(data: EventIn, session: SessionDep, response: Response) -> EventOut:
    """Take in an event, route it by its location, and store it with its routing.

    An event that cannot be routed is stored too (routing.method = unrouted) and waits in
    GET /api/v1/events?routing=unrouted for a person to place it.
    """
    event, created = service.create_event(session=session, data=data)
    if not created:
        response.status_code = 200
    return service.to_out(session, [event])[0]


@router.get("/events", response_model=EventPage,
            responses={200: {"content": {"application/geo+json": {}}}})
def list_events(
    session: SessionDep,
    status: Annotated[list[EventStatus] | None, Query()] = None,
    category: Annotated[str | None, Query(description="Category code (大类 includes 小类)")] = None,
    township: str | None = None,
    village: str | None = None,
    grid: str | None = None,
    routing: Annotated[list[Literal["inside", "border", "nearest", "unrouted"]] | None,
                       Query(description="Routing method")] = None,
    bbox: Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat")] = None,
    reported_from: datetime | None = None,
    reported_to: datetime | None = None,
    updated_since: datetime | None = None,
    q: Annotated[str | None, Query(max_length=100, description="Text in title/description")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
    f: Annotated[str | None, Query(description="json (default) or geojson")] = None,
    accept: Annotated[str | None, Header()] = None,
):
    """Events, newest first, filtered and paged; GeoJSON with ?f=geojson or that Accept."""
    filters = EventFilters(status=status, category=category, township=township, village=village,
                           grid=grid, routing=routing, bbox=parse_bbox(bbox),
                           reported_from=reported_from, reported_to=reported_to,
                           updated_since=updated_since, q=q)
    events, total = service.list_events(session=session, filters=filters, limit=limit,
                                        offset=offset)
    items = service.to_out(session, events)
    if wants_geojson(f, accept):
        return geojson_response(service.to_feature_collection(items, total=total))
    return EventPage(items=items, total=total or 0, limit=limit, offset=offset)


@router.get("/events/{event_id}", response_model=EventOut)
def get_event(event_id: int, session: SessionDep) -> EventOut:
    """One event with its routing."""
    return service.to_out(session, [service.get_event(session=session, event_id=event_id)])[0]
