"""Taking in events and finding them again. Nothing is lost: an event that cannot be routed is
stored as `unrouted` and waits for a person to place it."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from geoalchemy2.functions import ST_X, ST_Y
from sqlalchemy import Select, and_, func, or_, select, text
from sqlalchemy.orm import Session

from api.categories.service import CategoryInfo, catalog
from api.errors import Conflict, InvalidInput, NotFound
from api.events.models import Event, EventStatus
from api.events.schemas import (
    CategoryRef,
    EventCounts,
    EventFilters,
    EventIn,
    EventOut,
    InputLocation,
    Reporter,
    Routing,
)
from api.events.transitions import allowed_actions
from api.events.visibility import can_see, visible_clause
from api.events.workflow import tasks_of
from api.routing.service import cached_router, router_for_token
from api.users.service import Actor
from gis.boundaries import active_set_token
from gis.crs import to_wgs84
from gis.models import STORAGE_SRID, Area, BoundarySet
from gis.router import GridRouter, RouteResult, RoutingMethod, check_lon_lat


class EventNotFound(NotFound):
    code = "event_not_found"


def _category(session: Session, code: str) -> CategoryInfo:
    category = catalog(session).get(code)
    if category is None:
        raise InvalidInput(
            f"category_code {code!r} is not in the catalog; GET /api/v1/categories lists the "
            "codes (e.g. 0102 暴露垃圾)",
            field="category_code",
        )
    return category


def _route(router: GridRouter | None, data: EventIn) -> tuple[float, float, RouteResult | None]:
    """The WGS84 point of the report and its routing; no routing when no set is active (the
    event is stored unrouted and waits for a person)."""
    if router is not None:
        result = router.route(data.lon, data.lat, data.crs)
        return result.lon, result.lat, result
    if data.crs in ("wgs84", "cgcs2000", "gcj02", "bd09"):
        check_lon_lat(data.lon, data.lat)
    lon, lat = (float(v) for v in to_wgs84(data.lon, data.lat, data.crs))
    check_lon_lat(lon, lat)
    return lon, lat, None


# One round trip: the event and its first timeline entry, or nothing when the same source and
# external_id are already stored (a retry), in which case the stored event is read back.
_INTAKE = text(f"""
WITH active AS (
    SELECT id, activated_at FROM boundary_set WHERE is_active
), ins AS (
    INSERT INTO event (title, description, category_code, urgency, source, external_id, status,
                       location, input_lon, input_lat, input_crs, address, occurred_at,
                       reporter_name, reporter_phone, reported_by_id, routing_set_id,
                       routing_method, grid_code, village_code, township_code,
                       routing_distance_m, routing_candidates)
    SELECT :title, :description, :category_code, :urgency, :source, :external_id, 'reported',
           ST_SetSRID(ST_MakePoint(:lon, :lat), {STORAGE_SRID}), :input_lon, :input_lat,
           :input_crs, :address, :occurred_at, :reporter_name, :reporter_phone,
           :reported_by_id, :routing_set_id, :routing_method, :grid_code, :village_code,
           :township_code, :routing_distance_m, :routing_candidates
    -- Only if the set this process routed with is still the active one (else: route again).
    WHERE (SELECT id FROM active) IS NOT DISTINCT FROM CAST(:expected_set AS integer)
      AND (SELECT activated_at FROM active)
          IS NOT DISTINCT FROM CAST(:expected_activation AS timestamptz)
    ON CONFLICT (source, external_id) WHERE external_id IS NOT NULL DO NOTHING
    RETURNING id, created_at, updated_at, version
), timeline AS (
    INSERT INTO event_timeline (event_id, seq, at, action, actor_id, actor_name, actor_role,
                                unit_code, unit_name, to_status, details)
    SELECT id, version, created_at, 'report', :reported_by_id, :actor_name, :actor_role,
           :unit_code, :unit_name, 'reported',
           jsonb_build_object('source', CAST(:source AS text),
                              'routing', CAST(:routing_method AS text))
    FROM ins
)
SELECT (SELECT id FROM active), (SELECT activated_at FROM active),
       ins.id, ins.created_at, ins.updated_at, ins.version
FROM (SELECT 1) AS one LEFT JOIN ins ON true
""")


def create_event(*, session: Session, data: EventIn, actor: Actor) -> tuple[EventOut, bool]:
    """Store a reported event with its routing; (event, created). The same source and
    external_id return the stored event (created=False), also under concurrent retries."""
    category = _category(session, data.category_code)
    if data.urgency not in category.urgencies:
        allowed = ", ".join(category.urgencies)
        raise InvalidInput(
            f"urgency {data.urgency.value!r} is not allowed for category {category.code} "
            f"{category.name}; allowed: {allowed}",
            field="urgency",
        )
    # The statement checks that the set this process routes with is still the active one; if
    # another was activated meanwhile, route again with it (so no extra query per report).
    loaded, token, router = cached_router()
    if not loaded:
        token = active_set_token(session)
        router = router_for_token(session, token)
    for _attempt in range(3):
        lon, lat, result = _route(router, data)
        row = session.execute(
            _INTAKE, _intake_params(data, category, actor, lon, lat, result, token)
        ).one()
        active = (row[0], row[1]) if row[0] is not None else None
        if active == token:
            break
        token, router = active, router_for_token(session, active)
    else:
        raise Conflict(
            "the boundary sets were switched several times while this report came "
            "in; send it again",
            field="location",
        )
    if row[2] is None:  # stored before, perhaps by a concurrent retry: answer with that one
        existing = session.scalar(
            select(Event).where(
                Event.source == data.source.value, Event.external_id == data.external_id
            )
        )
        assert existing is not None, "ON CONFLICT without a stored row"
        if not can_see(session, actor, existing):
            raise Conflict(
                f"source {data.source.value} already sent external_id "
                f"{data.external_id!r} as another event",
                field="external_id",
            )
        return to_out(session, [existing], actor)[0], False
    method = (result.method if result else RoutingMethod.unrouted).value
    reporter = data.reporter
    event_id, created_at, updated_at, version = row[2:]
    out = EventOut(
        id=event_id,
        title=data.title,
        description=data.description,
        category=CategoryRef(code=category.code, name=category.name),
        urgency=data.urgency.value,
        source=data.source.value,
        external_id=data.external_id,
        status=EventStatus.reported,
        lon=lon,
        lat=lat,
        input=InputLocation(lon=data.lon, lat=data.lat, crs=data.crs),
        address=data.address,
        occurred_at=data.occurred_at,
        created_at=created_at,
        updated_at=updated_at,
        reporter=reporter if reporter and (reporter.name or reporter.phone) else None,
        routing=_routing_of(result, method),
        version=version,
        allowed_actions=[a.value for a in allowed_actions(EventStatus.reported, actor.role)],
    )
    return out, True


def _intake_params(
    data: EventIn,
    category: CategoryInfo,
    actor: Actor,
    lon: float,
    lat: float,
    result: RouteResult | None,
    token: tuple | None,
) -> dict:
    reporter = data.reporter
    return dict(
        title=data.title,
        description=data.description,
        category_code=category.code,
        urgency=data.urgency.value,
        source=data.source.value,
        external_id=data.external_id,
        lon=lon,
        lat=lat,
        input_lon=data.lon,
        input_lat=data.lat,
        input_crs=data.crs,
        address=data.address,
        occurred_at=data.occurred_at,
        reporter_name=reporter.name if reporter else None,
        reporter_phone=reporter.phone if reporter else None,
        reported_by_id=actor.id,
        routing_set_id=result.set_id if result else None,
        routing_method=(result.method if result else RoutingMethod.unrouted).value,
        grid_code=result.grid_code if result else None,
        village_code=result.village_code if result else None,
        township_code=result.township_code if result else None,
        routing_distance_m=result.distance_m if result else None,
        routing_candidates=list(result.candidates) if result else [],
        actor_name=actor.name,
        actor_role=actor.role.value,
        unit_code=actor.unit_code,
        unit_name=actor.unit_name,
        expected_set=token[0] if token else None,
        expected_activation=token[1] if token else None,
    )


def _routing_of(result: RouteResult | None, method: str) -> Routing:
    if result is None:
        return Routing(
            boundary_set=None,
            method=method,
            grid_code=None,
            village_code=None,
            township_code=None,
            distance_m=None,
            candidates=[],
        )
    return Routing(
        boundary_set=result.set_name,
        method=method,
        grid_code=result.grid_code,
        grid_name=result.grid_name,
        village_code=result.village_code,
        village_name=result.village_name,
        township_code=result.township_code,
        township_name=result.township_name,
        distance_m=result.distance_m,
        candidates=list(result.candidates),
    )


def get_event(*, session: Session, event_id: int, actor: Actor) -> Event:
    """One event the actor may see, or EventNotFound (the same answer when it is not theirs)."""
    event = session.get(Event, event_id)
    if event is None or not can_see(session, actor, event):
        raise EventNotFound(f"there is no event {event_id} you can see", field="id")
    return event


def _filtered(filters: EventFilters) -> list:
    clauses = []
    if filters.status:
        clauses.append(Event.status.in_([s.value for s in filters.status]))
    if filters.category:
        clauses.append(
            or_(
                Event.category_code == filters.category,
                Event.category_code.like(f"{filters.category}%"),
            )
        )
    for column, value in (
        (Event.township_code, filters.township),
        (Event.village_code, filters.village),
        (Event.grid_code, filters.grid),
    ):
        if value:
            clauses.append(column == value)
    if filters.routing:
        clauses.append(Event.routing_method.in_(filters.routing))
    if filters.bbox:
        x0, y0, x1, y1 = filters.bbox
        clauses.append(
            Event.location.intersects(func.ST_MakeEnvelope(x0, y0, x1, y1, STORAGE_SRID))
        )
    if filters.reported_from:
        clauses.append(Event.created_at >= filters.reported_from)
    if filters.reported_to:
        clauses.append(Event.created_at < filters.reported_to)
    if filters.updated_since:
        clauses.append(Event.updated_at > filters.updated_since)
    if filters.q:
        pattern = f"%{filters.q}%"
        clauses.append(
            or_(
                Event.title.ilike(pattern),
                Event.description.ilike(pattern),
                Event.address.ilike(pattern),
            )
        )
    return clauses


def list_events(
    *,
    session: Session,
    filters: EventFilters,
    actor: Actor,
    limit: int,
    offset: int,
    with_total: bool = True,
) -> tuple[list[Event], int | None]:
    """Events the actor may see matching the filters, newest first, one page; and the total."""
    where = and_(visible_clause(actor), *_filtered(filters))
    query: Select = select(Event).where(where).order_by(Event.id.desc()).limit(limit)
    events = list(session.scalars(query.offset(offset)))
    total = None
    if with_total:
        total = session.scalar(select(func.count()).select_from(Event).where(where))
    return events, total


def _lonlat(session: Session, events: list[Event]) -> dict[int, tuple[float, float]]:
    if not events:
        return {}
    rows = session.execute(
        select(Event.id, ST_X(Event.location), ST_Y(Event.location)).where(
            Event.id.in_([e.id for e in events])
        )
    )
    return {event_id: (x, y) for event_id, x, y in rows}


def _area_names(session: Session, events: list[Event]) -> dict[tuple[int, str], str]:
    """Names of the areas events were routed to, in the set each was routed with."""
    codes = {c for e in events for c in (e.grid_code, e.village_code, e.township_code) if c}
    set_ids = {e.routing_set_id for e in events if e.routing_set_id}
    if not codes or not set_ids:
        return {}
    rows = session.execute(
        select(Area.set_id, Area.code, Area.name).where(
            Area.set_id.in_(set_ids), Area.code.in_(codes)
        )
    )
    return {(set_id, code): name for set_id, code, name in rows}


def to_out(
    session: Session, events: list[Event], actor: Actor, with_tasks: bool = True
) -> list[EventOut]:
    """Events as API schemas: stored WGS84 point, category and area names, tasks, and the
    actions the actor may take now."""
    points = _lonlat(session, events)
    categories = catalog(session)
    tasks = tasks_of(session, [e.id for e in events]) if with_tasks else {}
    set_ids = {e.routing_set_id for e in events if e.routing_set_id}
    set_names = (
        dict(
            session.execute(
                select(BoundarySet.id, BoundarySet.name).where(BoundarySet.id.in_(set_ids))
            ).all()
        )
        if set_ids
        else {}
    )
    area_names = _area_names(session, events)
    out = []
    for e in events:
        lon, lat = points.get(e.id, (None, None))
        reporter = (
            Reporter(name=e.reporter_name, phone=e.reporter_phone)
            if e.reporter_name or e.reporter_phone
            else None
        )
        out.append(
            EventOut(
                id=e.id,
                title=e.title,
                description=e.description,
                category=CategoryRef(
                    code=e.category_code,
                    name=categories[e.category_code].name if e.category_code in categories else "",
                ),
                urgency=e.urgency,
                source=e.source,
                external_id=e.external_id,
                status=e.status,
                lon=lon,
                lat=lat,
                input=InputLocation(lon=e.input_lon, lat=e.input_lat, crs=e.input_crs),
                address=e.address,
                occurred_at=e.occurred_at,
                created_at=e.created_at,
                updated_at=e.updated_at,
                reporter=reporter,
                routing=Routing(
                    boundary_set=set_names.get(e.routing_set_id),
                    method=e.routing_method,
                    grid_code=e.grid_code,
                    grid_name=area_names.get((e.routing_set_id, e.grid_code)),
                    village_code=e.village_code,
                    village_name=area_names.get((e.routing_set_id, e.village_code)),
                    township_code=e.township_code,
                    township_name=area_names.get((e.routing_set_id, e.township_code)),
                    distance_m=e.routing_distance_m,
                    candidates=list(e.routing_candidates or []),
                ),
                version=e.version,
                handle_due=e.handle_due,
                at_risk=e.at_risk,
                overdue=e.overdue,
                closure_type=e.closure_type,
                reject_reason=e.reject_reason,
                duplicate_of=e.duplicate_of_id,
                satisfaction=e.satisfaction,
                counts=EventCounts(
                    rework=e.rework_count,
                    returned=e.return_count,
                    reopened=e.reopen_count,
                    extended=e.extension_count,
                ),
                tasks=tasks.get(e.id, []),
                allowed_actions=[
                    a.value for a in allowed_actions(EventStatus(e.status), actor.role)
                ],
            )
        )
    return out


def to_feature_collection(
    events: list[EventOut], *, total: int | None = None, updated_at: datetime | None = None
) -> dict:
    """Events as a GeoJSON FeatureCollection (WGS84); unlocated events have null geometry."""
    features = []
    for e in events:
        properties = e.model_dump(mode="json", exclude={"lon", "lat", "reporter", "tasks"})
        features.append(
            {
                "type": "Feature",
                "id": e.id,
                "geometry": (
                    {"type": "Point", "coordinates": [e.lon, e.lat]} if e.lon is not None else None
                ),
                "properties": properties,
            }
        )
    collection: dict = {"type": "FeatureCollection", "features": features}
    if total is not None:
        collection["numberMatched"] = total
        collection["numberReturned"] = len(features)
    if updated_at is not None:
        collection["updatedAt"] = updated_at.isoformat()
    return collection


BULK_COLUMNS = (
    "title",
    "description",
    "category_code",
    "urgency",
    "source",
    "external_id",
    "status",
    "location",
    "input_lon",
    "input_lat",
    "input_crs",
    "address",
    "occurred_at",
    "created_at",
    "updated_at",
    "routing_set_id",
    "routing_method",
    "grid_code",
    "village_code",
    "township_code",
    "routing_distance_m",
    "routing_candidates",
)


def bulk_insert_events(*, session: Session, rows, progress=None, total: int | None = None) -> int:
    """COPY many already-routed events (dicts with BULK_COLUMNS; location as (lon, lat)) into
    the event table, skipping none: for demos and benchmarks, not for intake."""
    connection = session.connection().connection.dbapi_connection
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    written = 0

    def flush() -> None:
        buffer.seek(0)
        with connection.cursor() as cursor:
            cursor.copy_expert(
                f"COPY event ({', '.join(BULK_COLUMNS)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')",
                buffer,
            )
        buffer.seek(0)
        buffer.truncate()

    for row in rows:
        lon, lat = row["location"]
        values = []
        for column in BULK_COLUMNS:
            value = row.get(column)
            if column == "location":
                value = f"SRID={STORAGE_SRID};POINT({lon} {lat})"
            elif column == "routing_candidates":
                value = "{" + ",".join(value or []) + "}"
            elif isinstance(value, datetime):
                value = value.isoformat()
            values.append("\\N" if value is None else value)
        writer.writerow(values)
        written += 1
        if written % 50_000 == 0:
            flush()
            if progress:
                progress("storing events", written, total or written)
    flush()
    session.execute(
        text(
            "INSERT INTO event_timeline (event_id, seq, at, action, actor_name, to_status, "
            "details) "
            "SELECT e.id, 1, e.created_at, 'report', '批量导入', 'reported', "
            "jsonb_build_object('source', e.source, 'routing', e.routing_method) FROM event e "
            "WHERE NOT EXISTS (SELECT 1 FROM event_timeline t WHERE t.event_id = e.id)"
        )
    )
    if progress:
        progress("storing events", written, total or written)
    return written
