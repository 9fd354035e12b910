"""OGC API - Features: requests translated into the services of events, boundaries and points.

This module holds no rule of its own: who sees which event is `visible_clause` (through
`events_page` and `visible_event`), how an event looks is the one mapper `to_out`, areas and
points come from their own services. It parses the standard's parameters (bbox, bbox-crs, crs,
datetime, filter, the queryables as parameters, limit and the keyset cursors), and builds the
documents the standard names, with their links.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

import numpy as np
import orjson
import shapely
from sqlalchemy import ColumnElement, and_, func, literal
from sqlalchemy.orm import Session

from api import clock
from api.boundaries.service import AreaRow, areas_page
from api.errors import DomainError, NotFound
from api.events import service as events
from api.events.models import OPEN_STATES, Event
from api.events.schemas import EventOut
from api.ogc.collections import (
    FIXED,
    SET_SEPARATOR,
    Collection,
    Kind,
    area_collection,
    parse_area_id,
)
from api.ogc.cql import (
    BOOLEAN,
    GEOMETRY,
    INTEGER,
    NUMBER,
    TIMESTAMP,
    Queryable,
    filter_clause,
    parse_filter,
)
from api.pois.models import Poi
from api.pois.service import PoiRow, pois_page
from api.users.service import Actor
from gis.boundaries import active_set, find_set, list_sets, set_extent
from gis.crs import (
    CRS84_URI,
    epsg_uri,
    northing_first,
    parse_crs_uri,
    transform_geometries_axes,
    wgs84_to_axes,
)
from gis.errors import BoundarySetNotFound
from gis.levels import LEVEL_ORDER
from gis.models import STORAGE_SRID

DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
SUPPORTED_CRS: tuple[int | None, ...] = (None, 4326, 4490, 4549, 3857)
"""CRS84, WGS84 (lat/lon), CGCS2000 (lat/lon), CGCS2000 GK zone 120°E, Web Mercator."""
GEOJSON = "application/geo+json"
JSON = "application/json"
HTML = "text/html"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
SCHEMA = "application/schema+json"
TRS = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"

CONFORMANCE = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/property-property",
    "http://www.opengis.net/spec/cql2/1.0/conf/arithmetic",
)
ITEM_PARAMETERS = (
    "f",
    "limit",
    "bbox",
    "bbox-crs",
    "datetime",
    "crs",
    "filter",
    "filter-lang",
    "filter-crs",
    "after",
    "before",
    "api_key",
)
"""The parameters every items request may carry (besides the collection's queryables);
`api_key` signs in a tool that can set no header (api.deps.client_actor) and stays in the
links, so that such a tool can follow them."""


class OgcError(DomainError):
    """A request the standard calls wrong: 400 with the exception body, naming the parameter."""

    status_code = 400
    code = "invalid_parameter"


class OgcNotFound(NotFound):
    """No such collection or feature (404)."""


# --- links --------------------------------------------------------------------------------------


def link(href: str, rel: str, type_: str, title: str) -> dict:
    return {"href": href, "rel": rel, "type": type_, "title": title}


def with_query(url: str, params: Mapping[str, str]) -> str:
    return f"{url}?{urlencode(params)}" if params else url


def _formats(url: str, params: Mapping[str, str], json_type: str, current: str) -> list[dict]:
    """self and alternate links of a document in JSON and HTML; `current` is json or html."""
    rest = {k: v for k, v in params.items() if k != "f"}
    json_link = with_query(url, {**rest, "f": "json"})
    html_link = with_query(url, {**rest, "f": "html"})
    if current == "html":
        return [
            link(html_link, "self", HTML, "this document"),
            link(json_link, "alternate", json_type, "this document as JSON"),
        ]
    return [
        link(json_link, "self", json_type, "this document"),
        link(html_link, "alternate", HTML, "this document as HTML"),
    ]


# --- the documents that do not depend on data -----------------------------------------------------


def landing(*, base: str, title: str, current: str = "json") -> dict:
    """The landing page: what this service is and where everything else is."""
    return {
        "title": title,
        "description": "舒心 (Shuxin) township command room: boundaries, events and points of "
        "interest as OGC API - Features (Parts 1, 2 and 3 with CQL2). Sign in with a bearer "
        "token (Authorization: Bearer ...), the pages' cookie, or an API key.",
        "links": [
            *_formats(base + "/", {}, JSON, current),
            link(f"{base}/api", "service-desc", OPENAPI, "the API definition (OpenAPI 3.0)"),
            link(f"{base}/api?f=html", "service-doc", HTML, "the API documentation"),
            link(f"{base}/conformance", "conformance", JSON, "conformance classes"),
            link(
                f"{base}/conformance",
                "http://www.opengis.net/def/rel/ogc/1.0/conformance",
                JSON,
                "conformance classes",
            ),
            link(f"{base}/collections", "data", JSON, "the feature collections"),
            link(
                f"{base}/collections",
                "http://www.opengis.net/def/rel/ogc/1.0/data",
                JSON,
                "the feature collections",
            ),
        ],
    }


def conformance(*, base: str, current: str = "json") -> dict:
    """The conformance classes this service implements."""
    return {
        "conformsTo": list(CONFORMANCE),
        "links": _formats(f"{base}/conformance", {}, JSON, current),
    }


# --- which collections there are ----------------------------------------------------------------


def all_collections(session: Session) -> list[tuple[Collection, Any]]:
    """Every collection with the boundary set behind it (None for events and points): the
    active set's levels, then those of the other sets, then events, open events and points."""
    found: list[tuple[Collection, Any]] = []
    current = active_set(session)
    summaries = list_sets(session)
    for summary in summaries:
        is_active = current is not None and summary.id == current.id
        boundary_set = current if is_active else None
        for level in LEVEL_ORDER:
            if not summary.counts.get(level.value):
                continue
            collection = area_collection(level, None if is_active else summary.name, summary.name)
            found.append((collection, boundary_set or summary))
    found.sort(key=lambda pair: SET_SEPARATOR in pair[0].id)
    found += [(c, None) for c in FIXED.values()]
    return found


def find_collection(session: Session, collection_id: str) -> tuple[Collection, Any]:
    """The collection `collection_id` and its boundary set (None for events and points)."""
    if collection_id in FIXED:
        return FIXED[collection_id], None
    parsed = parse_area_id(collection_id)
    if parsed is not None:
        level, set_name = parsed
        try:
            boundary_set = find_set(session, set_name) if set_name else active_set(session)
        except BoundarySetNotFound as exc:
            raise OgcNotFound(exc.message, field="collectionId") from None
        if boundary_set is not None:
            return area_collection(level, set_name, boundary_set.name), boundary_set
    known = ", ".join(c.id for c, _ in all_collections(session))
    raise OgcNotFound(
        f"there is no collection {collection_id!r}; collections: {known}", field="collectionId"
    )


def _extent(session: Session, actor: Actor, collection: Collection, boundary_set) -> dict:
    """The spatial extent (of the boundary set the collection shows, or the active one) and,
    for events, the temporal extent from the first report the actor may see."""
    target = boundary_set or active_set(session)
    bounds = set_extent(session, set_id=target.id) if target is not None else None
    extent: dict = {
        "spatial": {"bbox": [list(bounds) if bounds else [-180, -90, 180, 90]], "crs": CRS84_URI}
    }
    if collection.kind is Kind.events:
        first = events.first_report_time(session=session, actor=actor)
        extent["temporal"] = {
            "interval": [[first.isoformat() if first else None, None]],
            "trs": TRS,
        }
    return extent


def collection_document(
    session: Session,
    actor: Actor,
    collection: Collection,
    boundary_set,
    *,
    base: str,
    current: str = "json",
) -> dict:
    """One collection's metadata: titles, extent, CRS list and links."""
    url = f"{base}/collections/{collection.id}"
    return {
        "id": collection.id,
        "title": collection.title,
        "description": collection.description,
        "keywords": list(collection.keywords),
        "itemType": "feature",
        "extent": _extent(session, actor, collection, boundary_set),
        "crs": [epsg_uri(code) for code in SUPPORTED_CRS],
        "storageCrs": CRS84_URI,
        "links": [
            *_formats(url, {}, JSON, current),
            link(f"{url}/items?f=json", "items", GEOJSON, "the features as GeoJSON"),
            link(f"{url}/items?f=html", "items", HTML, "the features on a map"),
            link(
                f"{url}/queryables",
                "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                SCHEMA,
                "what a filter may use",
            ),
        ],
    }


def collections_document(
    session: Session, actor: Actor, *, base: str, current: str = "json"
) -> dict:
    """Every collection with its metadata."""
    return {
        "collections": [
            collection_document(session, actor, c, s, base=base, current=current)
            for c, s in all_collections(session)
        ],
        "links": _formats(f"{base}/collections", {}, JSON, current),
    }


def queryables_document(collection: Collection, *, base: str) -> dict:
    """The collection's queryables as a JSON Schema (Part 3)."""
    properties = {}
    for name, queryable in collection.queryables.items():
        properties[name] = queryable_schema(queryable)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{base}/collections/{collection.id}/queryables",
        "type": "object",
        "title": collection.title,
        "description": f"What a filter on {collection.id} may use (CQL2-text or CQL2-JSON); "
        "S_DWITHIN(geometry, POINT(lon lat), meters) filters by distance.",
        "properties": properties,
        "additionalProperties": False,
    }


def queryable_schema(queryable: Queryable) -> dict:
    schema: dict = {"title": queryable.title or queryable.name}
    if queryable.type == GEOMETRY:
        schema["format"] = f"geometry-{queryable.geometry_type or 'any'}"
        schema["x-ogc-role"] = "primary-geometry"
    elif queryable.type == TIMESTAMP:
        schema.update(type="string", format="date-time")
    else:
        schema["type"] = queryable.type
    if queryable.enum:
        schema["enum"] = list(queryable.enum)
    return schema


# --- the items request --------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemsQuery:
    """The parameters of an items request, checked."""

    limit: int
    after: Any
    before: Any
    crs: int | None
    where: tuple[ColumnElement[bool], ...]
    params: dict[str, str]  # as given (less the cursors): for the links


def parse_crs_parameter(value: str | None, name: str) -> int | None:
    """The EPSG code of a crs/bbox-crs/filter-crs parameter (None: CRS84), one we support."""
    if value is None:
        return None
    try:
        code = parse_crs_uri(value)
    except ValueError as exc:
        raise OgcError(f"{name}: {exc}", field=name) from None
    if code not in SUPPORTED_CRS:
        supported = ", ".join(epsg_uri(c) for c in SUPPORTED_CRS)
        raise OgcError(f"{name} {value} is not supported; supported: {supported}", field=name)
    return code


def _limit(value: str | None) -> int:
    if value is None:
        return DEFAULT_LIMIT
    try:
        limit = int(value)
    except ValueError:
        raise OgcError(f"limit must be a whole number; got {value!r}", field="limit") from None
    if limit < 1:
        raise OgcError(f"limit must be at least 1; got {limit}", field="limit")
    return min(limit, MAX_LIMIT)  # Part 1: a larger limit is not an error


def _bbox_geometry(value: str, code: int | None) -> str:
    """The WKT (WGS84) of a bbox given in `code`'s axis order."""
    try:
        numbers = [float(v) for v in value.split(",")]
    except ValueError:
        numbers = []
    if len(numbers) not in (4, 6) or not all(np.isfinite(numbers)):
        raise OgcError(
            f"bbox must be 4 (or 6) numbers: lower corner, upper corner in the axis order of "
            f"bbox-crs (CRS84: minlon,minlat,maxlon,maxlat); got {value!r}",
            field="bbox",
        )
    a0, b0, a1, b1 = numbers if len(numbers) == 4 else numbers[:2] + numbers[3:5]
    if a0 > a1 or b0 > b1:
        raise OgcError(
            f"bbox's lower corner must not be above its upper corner; got {value!r}", field="bbox"
        )
    geographic = code in (None, 4326, 4490)
    if geographic:
        lon0, lat0, lon1, lat1 = (b0, a0, b1, a1) if northing_first(code) else (a0, b0, a1, b1)
        if not (-180 <= lon0 <= lon1 <= 180 and -90 <= lat0 <= lat1 <= 90):
            order = "lat,lon" if northing_first(code) else "lon,lat"
            raise OgcError(
                f"bbox is outside the range of longitudes and latitudes (its order is "
                f"{order} for this bbox-crs); got {value!r}",
                field="bbox",
            )
    box = shapely.box(a0, b0, a1, b1)
    if not geographic:  # straight edges in a projected CRS curve in lon/lat
        box = shapely.segmentize(box, max(a1 - a0, b1 - b0) / 16 or 1.0)
    wgs84 = transform_geometries_axes(np.array([box], dtype=object), code, to_wgs84_from=True)[0]
    return wgs84.wkt


def _instant(text: str, *, end: bool) -> datetime | None:
    if text in ("", ".."):
        return None
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            day = date.fromisoformat(text)
            start = datetime.combine(day, time.min, tzinfo=clock.zone())
            return start + timedelta(days=1) - timedelta(microseconds=1) if end else start
        return clock.aware(datetime.fromisoformat(text.replace("z", "Z")))
    except ValueError:
        raise OgcError(
            f"datetime must be an RFC 3339 date-time (2026-01-01T08:00:00+08:00) or an interval "
            f"of two, open ends as '..' (2026-01-01T00:00:00Z/..); got {text!r}",
            field="datetime",
        ) from None


def _datetime_clause(value: str, column: Any) -> ColumnElement[bool]:
    if "/" in value:
        start_text, _, end_text = value.partition("/")
        start, end = _instant(start_text, end=False), _instant(end_text, end=True)
        if start is None and end is None:
            raise OgcError("datetime '../..' is not an interval", field="datetime")
        if start and end and start > end:
            raise OgcError(f"datetime starts after it ends: {value!r}", field="datetime")
        clauses = []
        if start is not None:
            clauses.append(column >= start)
        if end is not None:
            clauses.append(column <= end)
        return and_(*clauses)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return and_(column >= _instant(value, end=False), column <= _instant(value, end=True))
    return column == _instant(value, end=False)


def _property_clause(queryable: Queryable, value: str) -> ColumnElement[bool]:
    """`?status=closed`: equality on a queryable (Part 3, queryables as query parameters)."""
    try:
        if queryable.type == INTEGER:
            typed: Any = int(value)
        elif queryable.type == NUMBER:
            typed = float(value)
        elif queryable.type == BOOLEAN:
            if value.lower() not in ("true", "false"):
                raise ValueError(value)
            typed = value.lower() == "true"
        elif queryable.type == TIMESTAMP:
            typed = clock.aware(datetime.fromisoformat(value))
        else:
            typed = value
    except ValueError:
        raise OgcError(
            f"{queryable.name} is a {queryable.type}; got {value!r}", field=queryable.name
        ) from None
    if queryable.enum and typed not in queryable.enum:
        raise OgcError(
            f"{queryable.name} has no value {value!r}; its values: {', '.join(queryable.enum)}",
            field=queryable.name,
        )
    return queryable.column == literal(typed)


def _cursor(value: str | None, collection: Collection, name: str) -> Any:
    if value is None:
        return None
    if collection.id_type == INTEGER:
        try:
            return int(value)
        except ValueError:
            raise OgcError(f"{name} must be a feature id (a number)", field=name) from None
    return value


def parse_items_query(collection: Collection, params: Mapping[str, str]) -> ItemsQuery:
    """The checked parameters of an items request; OgcError (400) for a wrong one."""
    queryables = {n: q for n, q in collection.queryables.items() if q.type != GEOMETRY}
    unknown = [name for name in params if name not in ITEM_PARAMETERS and name not in queryables]
    if unknown:
        allowed = ", ".join((*ITEM_PARAMETERS, *queryables))
        raise OgcError(
            f"unknown parameter {unknown[0]!r} for {collection.id}; allowed: {allowed}",
            field=unknown[0],
        )
    crs = parse_crs_parameter(params.get("crs"), "crs")
    bbox_crs = parse_crs_parameter(params.get("bbox-crs"), "bbox-crs")
    if "bbox-crs" in params and "bbox" not in params:
        raise OgcError("bbox-crs is given without bbox", field="bbox-crs")
    geometry = collection.queryables["geometry"].column
    where: list[ColumnElement[bool]] = []
    if collection.open_only:
        where.append(Event.status.in_([s.value for s in OPEN_STATES]))
    if "bbox" in params:
        box = _bbox_geometry(params["bbox"], bbox_crs)
        where.append(func.ST_Intersects(geometry, func.ST_GeomFromText(literal(box), STORAGE_SRID)))
    if params.get("datetime") and collection.temporal:
        column = collection.queryables[collection.temporal].column
        where.append(_datetime_clause(params["datetime"], column))
    for name, value in params.items():
        if name in queryables:
            where.append(_property_clause(queryables[name], value))
    if "filter" in params:
        filter_crs = parse_crs_parameter(params.get("filter-crs"), "filter-crs")
        node = parse_filter(params["filter"], params.get("filter-lang"))
        where.append(filter_clause(node, collection.queryables, crs=filter_crs))
    elif "filter-lang" in params or "filter-crs" in params:
        name = "filter-lang" if "filter-lang" in params else "filter-crs"
        raise OgcError(f"{name} is given without filter", field=name)
    after = _cursor(params.get("after"), collection, "after")
    before = _cursor(params.get("before"), collection, "before")
    if after is not None and before is not None:
        raise OgcError("give after or before, not both", field="before")
    rest = {k: v for k, v in params.items() if k not in ("after", "before")}
    return ItemsQuery(_limit(params.get("limit")), after, before, crs, tuple(where), rest)


# --- features -----------------------------------------------------------------------------------


def event_properties(event: EventOut) -> dict:
    """An event's feature properties: the mapper's answer, flat (GIS tools show columns)."""
    routing, counts, reporter = event.routing, event.counts, event.reporter
    return {
        "title": event.title,
        "description": event.description,
        "category_code": event.category.code,
        "category_name": event.category.name,
        "urgency": event.urgency,
        "source": event.source,
        "external_id": event.external_id,
        "status": event.status,
        "status_label": event.status.label_zh,
        "address": event.address,
        "occurred_at": event.occurred_at,
        "created_at": event.created_at,
        "updated_at": event.updated_at,
        "routing_method": routing.method,
        "boundary_set": routing.boundary_set,
        "grid_code": routing.grid_code,
        "grid_name": routing.grid_name,
        "village_code": routing.village_code,
        "village_name": routing.village_name,
        "township_code": routing.township_code,
        "township_name": routing.township_name,
        "routing_distance_m": routing.distance_m,
        "handle_due": event.handle_due,
        "at_risk": event.at_risk,
        "overdue": event.overdue,
        "closure_type": event.closure_type,
        "reject_reason": event.reject_reason,
        "duplicate_of": event.duplicate_of,
        "satisfaction": event.satisfaction,
        "rework_count": counts.rework,
        "return_count": counts.returned,
        "reopen_count": counts.reopened,
        "extension_count": counts.extended,
        "version": event.version,
        "reporter_name": reporter.name if reporter else None,
        "reporter_phone": reporter.phone if reporter else None,
    }


def _points(lon: list[float | None], lat: list[float | None], crs: int | None) -> list:
    """GeoJSON Point geometries (None where a point is missing) in `crs`'s axis order."""
    present = [i for i, x in enumerate(lon) if x is not None and lat[i] is not None]
    out: list = [None] * len(lon)
    if not present:
        return out
    a, b = wgs84_to_axes(
        np.array([lon[i] for i in present], dtype=float),
        np.array([lat[i] for i in present], dtype=float),
        crs,
    )
    for j, i in enumerate(present):
        out[i] = {"type": "Point", "coordinates": [float(a[j]), float(b[j])]}
    return out


def _feature(feature_id: Any, geometry: Any, properties: dict) -> dict:
    return {"type": "Feature", "id": feature_id, "geometry": geometry, "properties": properties}


def _event_features(events_out: list[EventOut], crs: int | None) -> list[dict]:
    geometries = _points([e.lon for e in events_out], [e.lat for e in events_out], crs)
    return [
        _feature(e.id, g, event_properties(e)) for e, g in zip(events_out, geometries, strict=True)
    ]


def _area_features(rows: list[AreaRow], crs: int | None) -> list[dict]:
    if not rows:
        return []
    geoms = shapely.from_wkb([r.wkb for r in rows])
    geoms = transform_geometries_axes(geoms, crs)
    texts = shapely.to_geojson(geoms)
    return [
        _feature(
            r.code,
            orjson.Fragment(text),
            {
                "code": r.code,
                "name": r.name,
                "level": r.level,
                "parent_code": r.parent_code,
                "area_m2": round(r.area_m2, 1),
                "boundary_set": r.set_name,
            },
        )
        for r, text in zip(rows, texts, strict=True)
    ]


def _poi_features(rows: list[PoiRow], crs: int | None) -> list[dict]:
    geometries = _points([r.lon for r in rows], [r.lat for r in rows], crs)
    return [
        _feature(
            r.id,
            g,
            {
                "kind": r.kind,
                "kind_label": r.kind.label_zh,
                "code": r.code,
                "name": r.name,
                "village_code": r.village_code,
                "township_code": r.township_code,
                "updated_at": r.updated_at,
                "attributes": orjson.dumps(r.attributes or {}).decode(),
            },
        )
        for r, g in zip(rows, geometries, strict=True)
    ]


def _page(
    session: Session,
    actor: Actor,
    collection: Collection,
    boundary_set,
    query: ItemsQuery,
):
    """(page, features) of one items request, from the collection's own service."""
    common = dict(
        session=session,
        where=list(query.where),
        after=query.after,
        before=query.before,
        limit=query.limit,
    )
    if collection.kind is Kind.events:
        page = events.events_page(actor=actor, **common)
        answers = events.to_out(session, page.rows, actor, with_tasks=False)
        return page, _event_features(answers, query.crs)
    if collection.kind is Kind.areas:
        assert collection.level is not None
        page = areas_page(boundary_set=boundary_set, level=collection.level, **common)
        return page, _area_features(page.rows, query.crs)
    page = pois_page(**common)
    return page, _poi_features(page.rows, query.crs)


def _key_of(feature: dict) -> str:
    return str(feature["id"])


def items_document(
    session: Session,
    actor: Actor,
    collection: Collection,
    boundary_set,
    query: ItemsQuery,
    *,
    base: str,
    current: str = "json",
) -> dict:
    """One page of a collection's features as a GeoJSON FeatureCollection, with its links."""
    page, features = _page(session, actor, collection, boundary_set, query)
    url = f"{base}/collections/{collection.id}/items"
    params = dict(query.params)
    cursor = {"after": str(query.after)} if query.after is not None else {}
    if query.before is not None:
        cursor = {"before": str(query.before)}
    links = _formats(url, {**params, **cursor}, GEOJSON, current)
    plain = {k: v for k, v in params.items() if k != "f"}
    # Pages link to pages of the same format (a browser pages through HTML).
    f, kind = ("html", HTML) if current == "html" else ("json", GEOJSON)
    if page.more_after and features:
        target = with_query(url, {**plain, "after": _key_of(features[-1]), "f": f})
        links.append(link(target, "next", kind, "the next page"))
    if page.more_before and features:
        target = with_query(url, {**plain, "before": _key_of(features[0]), "f": f})
        links.append(link(target, "prev", kind, "the previous page"))
    links.append(link(f"{base}/collections/{collection.id}", "collection", JSON, collection.title))
    return {
        "type": "FeatureCollection",
        "features": features,
        "numberMatched": page.matched,
        "numberReturned": len(features),
        "timeStamp": clock.now().isoformat(),
        "links": links,
    }


def item_document(
    session: Session,
    actor: Actor,
    collection: Collection,
    boundary_set,
    feature_id: str,
    *,
    crs: int | None,
    base: str,
    current: str = "json",
) -> dict:
    """One feature, with its links; 404 when it is not there or not the actor's to see."""
    missing = OgcNotFound(
        f"there is no feature {feature_id!r} in {collection.id} that you can see",
        field="featureId",
    )
    if collection.kind is Kind.events:
        if not feature_id.isdigit():
            raise missing
        try:
            event = events.get_event(session=session, event_id=int(feature_id), actor=actor)
        except NotFound:
            raise missing from None
        if collection.open_only and event.status not in OPEN_STATES:
            raise missing
        feature = _event_features(events.to_out(session, [event], actor, with_tasks=False), crs)[0]
    elif collection.kind is Kind.areas:
        assert collection.level is not None
        rows = areas_page(
            session=session,
            boundary_set=boundary_set,
            level=collection.level,
            where=[collection.queryables["code"].column == feature_id],
            limit=1,
            count=False,
        ).rows
        if not rows:
            raise missing
        feature = _area_features(rows, crs)[0]
    else:
        if not feature_id.isdigit():
            raise missing
        rows = pois_page(
            session=session, where=[Poi.id == int(feature_id)], limit=1, count=False
        ).rows
        if not rows:
            raise missing
        feature = _poi_features(rows, crs)[0]
    url = f"{base}/collections/{collection.id}/items/{feature_id}"
    params = {"crs": epsg_uri(crs)} if crs is not None else {}
    feature["links"] = [
        *_formats(url, params, GEOJSON, current),
        link(f"{base}/collections/{collection.id}", "collection", JSON, collection.title),
    ]
    return feature


def dump(document: dict) -> bytes:
    """A document as JSON (enums as their values, times with their offset)."""
    return orjson.dumps(document)
