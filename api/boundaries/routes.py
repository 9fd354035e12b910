"""HTTP: boundary sets and areas (GeoJSON)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from api.boundaries.schemas import BoundarySetOut
from api.deps import SessionDep, current_actor
from api.geojson import geojson_response, parse_bbox
from gis import boundaries
from gis.levels import AreaLevel

router = APIRouter(prefix="/api/v1", tags=["boundaries"], dependencies=[Depends(current_actor)])


@router.get("/boundary-sets", response_model=list[BoundarySetOut])
def list_boundary_sets(session: SessionDep) -> list[BoundarySetOut]:
    """Every boundary set with its counts per level; one is active."""
    return [BoundarySetOut(**vars(s)) for s in boundaries.list_sets(session)]


@router.get(
    "/boundaries",
    response_class=Response,
    responses={200: {"content": {"application/geo+json": {}}}},
)
def list_areas(
    session: SessionDep,
    level: AreaLevel | None = None,
    parent: Annotated[str | None, Query(description="Parent area code")] = None,
    bbox: Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat")] = None,
    set: Annotated[str | None, Query(description="Boundary set name; default: active")] = None,
    simplify_m: Annotated[
        float | None, Query(ge=0, le=1000, description="Simplify for display (metres)")
    ] = None,
) -> Response:
    """Areas of the active set (or `set`) as a GeoJSON FeatureCollection."""
    boundary_set = boundaries.set_by_id_or_active(session, set)
    features = boundaries.query_areas(
        session,
        set_id=boundary_set.id,
        level=level,
        parent=parent,
        bbox=parse_bbox(bbox),
        simplify_m=simplify_m,
    )
    return geojson_response(
        {"type": "FeatureCollection", "name": boundary_set.name, "features": features}
    )


@router.get(
    "/boundaries/{code}",
    response_class=Response,
    responses={200: {"content": {"application/geo+json": {}}}},
)
def get_area(session: SessionDep, code: str, set: str | None = None) -> Response:
    """One area of the active set (or `set`) as a GeoJSON Feature."""
    return geojson_response(boundaries.get_area(session, code=code, set_name=set))
