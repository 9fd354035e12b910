"""Taking in events and finding them again. Nothing is lost: an event that cannot be routed is
stored as `unrouted` and waits for a person to place it."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from datetime import datetime
from types import SimpleNamespace

from geoalchemy2 import Geometry
from geoalchemy2.functions import ST_X, ST_Y
from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    Select,
    Text,
    and_,
    bindparam,
    cast,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from api.categories.service import CategoryInfo, catalog
from api.errors import Conflict, InvalidInput
from api.events.models import Event, EventStatus, TimelineEntry
from api.events.privacy import masked_reporter
from api.events.schemas import (
    CategoryRef,
    EventCounts,
    EventFilters,
    EventIn,
    EventOut,
    InputLocation,
    Routing,
    TaskOut,
)
from api.events.transitions import SystemEntry, allowed_actions
from api.events.visibility import find_visible, visible_clause, visible_event
from api.events.workflow import tasks_of
from api.routing.service import cached_router, router_for_token
from api.users.models import Role
from api.users.service import Actor
from gis.boundaries import active_set_token
from gis.crs import to_wgs84
from gis.models import STORAGE_SRID, Area, BoundarySet
from gis.router import GridRouter, RouteResult, RoutingMethod, check_lon_lat


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


_EVENT = Event.__table__
REPORT_COLUMNS: tuple[Column, ...] = tuple(c for c in _EVENT.columns if c.info.get("reported"))
"""The columns a report carries (marked `REPORTED` in the table definition)."""


def _intake_statement():
    """One round trip: the event and its first timeline entry, or nothing when the same source
    and external_id are already stored (a retry: the stored event is read back then). It inserts
    only if the set this process routed with is still the active one (else: route again)."""
    active = select(BoundarySet.id, BoundarySet.activated_at).where(BoundarySet.is_active)
    active_id = active.with_only_columns(BoundarySet.id).scalar_subquery()
    active_at = active.with_only_columns(BoundarySet.activated_at).scalar_subquery()
    point = func.ST_SetSRID(func.ST_MakePoint(bindparam("lon"), bindparam("lat")), STORAGE_SRID)
    values = select(
        *(
            point if c.name == "location" else bindparam(c.name, type_=c.type)
            for c in REPORT_COLUMNS
        )
    ).where(
        active_id.is_not_distinct_from(bindparam("expected_set", type_=Integer)),
        active_at.is_not_distinct_from(
            bindparam("expected_activation", type_=DateTime(timezone=True))
        ),
    )
    inserted = (
        pg_insert(_EVENT)
        .from_select(list(REPORT_COLUMNS), values)
        .on_conflict_do_nothing(
            index_elements=[_EVENT.c.source, _EVENT.c.external_id],
            index_where=_EVENT.c.external_id.is_not(None),
        )
        .returning(
            _EVENT.c.id,
            _EVENT.c.created_at,
            _EVENT.c.updated_at,
            _EVENT.c.version,
            _EVENT.c.status,
        )
        .cte("ins")
    )
    t = TimelineEntry.__table__
    entry = {
        t.c.event_id: inserted.c.id,
        t.c.seq: inserted.c.version,
        t.c.at: inserted.c.created_at,
        t.c.action: literal(SystemEntry.report.value),
        t.c.actor_id: bindparam("reported_by_id"),
        t.c.actor_name: bindparam("actor_name"),
        t.c.actor_role: bindparam("actor_role"),
        t.c.unit_code: bindparam("unit_code"),
        t.c.unit_name: bindparam("unit_name"),
        t.c.to_status: inserted.c.status,
        t.c.details: func.jsonb_build_object(
            "source",
            cast(bindparam("source", type_=_EVENT.c.source.type), Text),
            "routing",
            cast(bindparam("routing_method", type_=_EVENT.c.routing_method.type), Text),
        ),
    }
    timeline = insert(t).from_select(list(entry), select(*entry.values())).cte("timeline")
    return (
        select(
            active_id, active_at, inserted.c.id, inserted.c.created_at, inserted.c.updated_at,
            inserted.c.version,
        )
        .select_from(select(literal(1)).subquery().outerjoin(inserted, true()))
        .add_cte(timeline)
    )  # fmt: skip


_INTAKE = _intake_statement()
_UNSET = {
    c.key: None
    for c in Event.__mapper__.column_attrs
    if c.key not in {col.name for col in REPORT_COLUMNS}
    and c.key not in ("id", "status", "created_at", "updated_at", "version")
}
"""The attributes a report does not set: None in the answer made right after intake."""


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
        values = _report_values(data, category, actor, result)
        # The connection, not the ORM session: nothing here is an ORM object (saves ~0.1 ms).
        row = (
            session.connection()
            .execute(
                _INTAKE,
                {
                    **values,
                    "lon": lon,
                    "lat": lat,
                    "actor_name": actor.name,
                    "actor_role": actor.role.value,
                    "unit_code": actor.unit_code,
                    "unit_name": actor.unit_name,
                    "expected_set": token[0] if token else None,
                    "expected_activation": token[1] if token else None,
                },
            )
            .one()
        )
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
            select(Event.id).where(
                Event.source == data.source, Event.external_id == data.external_id
            )
        )
        assert existing is not None, "ON CONFLICT without a stored row"
        event = find_visible(session, actor, existing)
        if event is None:
            raise Conflict(
                f"source {data.source.value} already sent external_id "
                f"{data.external_id!r} as another event",
                field="external_id",
            )
        return to_out(session, [event], actor)[0], False
    event_id, created_at, updated_at, version = row[2:]
    # The answer from what was just written, through the one mapper, without reading it back
    # (a plain namespace with the event's attributes: an ORM object would cost more to make).
    event = SimpleNamespace(
        **_UNSET,
        **values,
        id=event_id,
        status=EventStatus.reported,
        created_at=created_at,
        updated_at=updated_at,
        version=version,
    )
    names = (
        {
            result.grid_code: result.grid_name,
            result.village_code: result.village_name,
            result.township_code: result.township_name,
        }
        if result
        else {}
    )
    out = event_out(
        event,
        point=(lon, lat),
        category_name=category.name,
        set_name=result.set_name if result else None,
        area_names=names,
        tasks=[],
        role=actor.role,
    )
    return out, True


def _report_values(
    data: EventIn, category: CategoryInfo, actor: Actor, result: RouteResult | None
) -> dict:
    """The report's columns (REPORT_COLUMNS but the point) from what was sent and its routing."""
    reporter = data.reporter
    return dict(
        title=data.title,
        description=data.description,
        category_code=category.code,
        urgency=data.urgency,
        source=data.source,
        external_id=data.external_id,
        input_lon=data.lon,
        input_lat=data.lat,
        input_crs=data.crs,
        address=data.address,
        occurred_at=data.occurred_at,
        reporter_name=reporter.name if reporter else None,
        reporter_phone=reporter.phone if reporter else None,
        reporter_id_number=reporter.id_number if reporter else None,
        reporter_address=reporter.address if reporter else None,
        reported_by_id=actor.id,
        reporter_township_code=actor.township_code,
        routing_set_id=result.set_id if result else None,
        routing_method=result.method if result else RoutingMethod.unrouted,
        grid_code=result.grid_code if result else None,
        village_code=result.village_code if result else None,
        township_code=result.township_code if result else None,
        routing_distance_m=result.distance_m if result else None,
        routing_candidates=list(result.candidates) if result else [],
    )


def get_event(*, session: Session, event_id: int, actor: Actor) -> Event:
    """One event the actor may see, or EventNotFound (the same answer when it is not theirs)."""
    return visible_event(session, actor, event_id)


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


def event_out(
    e: Event | SimpleNamespace,
    *,
    point: tuple[float | None, float | None],
    category_name: str,
    set_name: str | None,
    area_names: Mapping[str | None, str | None],
    tasks: list[TaskOut],
    role: Role,
) -> EventOut:
    """The one mapper of an event to its API answer; `e` is a stored Event (or, right after
    intake, a namespace with its attributes), `area_names` by code (the event's grid, village
    and township in the set it was routed with)."""
    lon, lat = point
    return EventOut(
        id=e.id,
        title=e.title,
        description=e.description,
        category=CategoryRef(code=e.category_code, name=category_name),
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
        reporter=masked_reporter(e),
        routing=Routing(
            boundary_set=set_name,
            method=e.routing_method,
            grid_code=e.grid_code,
            grid_name=area_names.get(e.grid_code),
            village_code=e.village_code,
            village_name=area_names.get(e.village_code),
            township_code=e.township_code,
            township_name=area_names.get(e.township_code),
            distance_m=e.routing_distance_m,
            candidates=list(e.routing_candidates or []),
        ),
        version=e.version,
        handle_due=e.handle_due,
        at_risk=bool(e.at_risk),
        overdue=bool(e.overdue),
        closure_type=e.closure_type,
        reject_reason=e.reject_reason,
        duplicate_of=e.duplicate_of_id,
        satisfaction=e.satisfaction,
        counts=EventCounts(
            rework=e.rework_count or 0,
            returned=e.return_count or 0,
            reopened=e.reopen_count or 0,
            extended=e.extension_count or 0,
        ),
        tasks=tasks,
        allowed_actions=[a.value for a in allowed_actions(e.status, role)],
    )


def to_out(
    session: Session, events: list[Event], actor: Actor, with_tasks: bool = True
) -> list[EventOut]:
    """Events as API answers (`event_out`), with what the mapper needs read in a few queries:
    the stored WGS84 points, category and area names, and the tasks."""
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
    names = _area_names(session, events)
    return [
        event_out(
            e,
            point=points.get(e.id, (None, None)),
            category_name=categories[e.category_code].name if e.category_code in categories else "",
            set_name=set_names.get(e.routing_set_id),
            area_names={
                code: names.get((e.routing_set_id, code))
                for code in (e.grid_code, e.village_code, e.township_code)
            },
            tasks=tasks.get(e.id, []),
            role=actor.role,
        )
        for e in events
    ]


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


BULK_COLUMNS: tuple[Column, ...] = (
    *REPORT_COLUMNS,
    _EVENT.c.status,
    _EVENT.c.created_at,
    _EVENT.c.updated_at,
)
"""What the bulk loader writes: a report's columns and its state and times."""


def bulk_insert_events(*, session: Session, rows, progress=None, total: int | None = None) -> int:
    """COPY many already-routed events (dicts keyed by the names of BULK_COLUMNS; location as
    (lon, lat)) into the event table, each with its first timeline entry, skipping none: for
    demos and benchmarks, not for intake."""
    connection = session.connection().connection.dbapi_connection
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    written = 0
    copy = (
        f"COPY {_EVENT.name} ({', '.join(c.name for c in BULK_COLUMNS)}) "
        "FROM STDIN WITH (FORMAT csv, NULL '\\N')"
    )

    def flush() -> None:
        buffer.seek(0)
        with connection.cursor() as cursor:
            cursor.copy_expert(copy, buffer)
        buffer.seek(0)
        buffer.truncate()

    for row in rows:
        writer.writerow([_copy_value(column, row.get(column.name)) for column in BULK_COLUMNS])
        written += 1
        if written % 50_000 == 0:
            flush()
            if progress:
                progress("storing events", written, total or written)
    flush()
    t = TimelineEntry.__table__
    entry = {
        t.c.event_id: _EVENT.c.id,
        t.c.seq: _EVENT.c.version,
        t.c.at: _EVENT.c.created_at,
        t.c.action: literal(SystemEntry.report.value),
        t.c.actor_name: literal("批量导入"),
        t.c.to_status: _EVENT.c.status,
        t.c.details: func.jsonb_build_object(
            "source", _EVENT.c.source, "routing", _EVENT.c.routing_method
        ),
    }
    untracked = ~exists().where(t.c.event_id == _EVENT.c.id)
    session.execute(insert(t).from_select(list(entry), select(*entry.values()).where(untracked)))
    if progress:
        progress("storing events", written, total or written)
    return written


def _copy_value(column: Column, value) -> str:
    """One value as COPY's CSV wants it, by the column's type."""
    if value is None:
        return "\\N"
    if isinstance(column.type, Geometry):
        lon, lat = value
        return f"SRID={STORAGE_SRID};POINT({lon} {lat})"
    if isinstance(column.type, ARRAY):
        return "{" + ",".join(value) + "}"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
