"""HTTP: report events, find them (JSON or GeoJSON), their timelines and the work queues."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response

from api.deps import ClientAddress, CurrentActor, Tx
from api.events import privacy, service, workflow
from api.events.models import EventStatus
from api.events.policy import require_reporter
from api.events.queues import Queue, queue_events
from api.events.schemas import (
    EventFilters,
    EventIn,
    EventOut,
    EventPage,
    RevealedReporter,
    RevealIn,
    TimelineOut,
)
from api.geojson import geojson_response, parse_bbox, wants_geojson
from gis.router import RoutingMethod

router = APIRouter(prefix="/api/v1", tags=["events"])


@router.post(
    "/events",
    response_model=EventOut,
    status_code=201,
    responses={
        200: {"model": EventOut, "description": "Already stored (same source + external_id)"}
    },
)
async def report_event(data: EventIn, tx: Tx, actor: CurrentActor) -> Response:
    """Take in an event, route it by its location, and store it with its routing.

    An event that cannot be routed is stored too (routing.method = unrouted) and waits in
    GET /api/v1/events?routing=unrouted for a person to place it.
    """
    require_reporter(actor)
    event, created = await tx(lambda s: service.create_event(session=s, data=data, actor=actor))
    return Response(
        event.model_dump_json(), status_code=201 if created else 200, media_type="application/json"
    )


@router.get(
    "/events", response_model=EventPage, responses={200: {"content": {"application/geo+json": {}}}}
)
async def list_events(
    tx: Tx,
    actor: CurrentActor,
    status: Annotated[list[EventStatus] | None, Query()] = None,
    category: Annotated[str | None, Query(description="Category code (大类 includes 小类)")] = None,
    township: str | None = None,
    village: str | None = None,
    grid: str | None = None,
    routing: Annotated[list[RoutingMethod] | None, Query(description="Routing method")] = None,
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
    """Events you may see, newest first, filtered and paged; GeoJSON with ?f=geojson or
    Accept: application/geo+json."""
    filters = EventFilters(
        status=status,
        category=category,
        township=township,
        village=village,
        grid=grid,
        routing=routing,
        bbox=parse_bbox(bbox),
        reported_from=reported_from,
        reported_to=reported_to,
        updated_since=updated_since,
        q=q,
    )
    geojson = wants_geojson(f, accept)

    def work(session):
        events, total = service.list_events(
            session=session, filters=filters, actor=actor, limit=limit, offset=offset
        )
        return service.to_out(session, events, actor, with_tasks=not geojson), total

    items, total = await tx(work)
    if geojson:
        return geojson_response(service.to_feature_collection(items, total=total))
    return EventPage(items=items, total=total or 0, limit=limit, offset=offset)


@router.get("/events/{event_id}", response_model=EventOut)
async def get_event(event_id: int, tx: Tx, actor: CurrentActor) -> EventOut:
    """One event with its routing, tasks and the actions you may take."""
    return await tx(
        lambda s: service.to_out(
            s, [service.get_event(session=s, event_id=event_id, actor=actor)], actor
        )[0]
    )


@router.get("/queues/{name}", response_model=list[EventOut], tags=["queues"])
async def get_queue(
    name: Queue,
    tx: Tx,
    actor: CurrentActor,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[EventOut]:
    """What you must do now: to_accept, to_assign, to_verify, overdue, at_risk, my_tasks,
    escalated, supervision."""
    return await tx(
        lambda s: service.to_out(
            s, queue_events(session=s, actor=actor, queue=name, limit=limit, offset=offset), actor
        )
    )


@router.get("/events/{event_id}/timeline", response_model=list[TimelineOut])
async def get_timeline(event_id: int, tx: Tx, actor: CurrentActor) -> list[TimelineOut]:
    """Every action on the event, in order: who, which unit, when, from and to which state."""
    return await tx(lambda s: workflow.timeline(session=s, event_id=event_id, actor=actor))


@router.post("/events/{event_id}/reveal", response_model=RevealedReporter)
async def reveal_reporter(
    event_id: int, body: RevealIn, tx: Tx, actor: CurrentActor, address: ClientAddress
) -> RevealedReporter:
    """The reporter's name, phone, ID number and home address in clear, for one event, with the
    reason you need them. Only the event's command room, the lead unit while it handles it and
    the county centre while it is escalated may; every reveal is in the audit log."""
    return await tx(
        lambda s: privacy.reveal(
            session=s, actor=actor, event_id=event_id, reason=body.reason, address=address
        )
    )
