"""HTTP: boundary sets and areas (GeoJSON)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from api.boundaries.schemas import BoundarySetOut
from api.deps import Tx, current_actor
from api.geojson import GEOJSON, geojson_response, parse_bbox
from gis import boundaries
from gis.levels import AreaLevel

router = APIRouter(prefix="/api/v1", tags=["boundaries"], dependencies=[Depends(current_actor)])
GEOJSON_ANSWER = {200: {"content": {GEOJSON: {}}}}


@router.get("/boundary-sets", response_model=list[BoundarySetOut])
async def list_boundary_sets(tx: Tx) -> list[BoundarySetOut]:
    """Every boundary set with its counts per level; one is active."""
    return await tx(lambda s: [BoundarySetOut(**vars(x)) for x in boundaries.list_sets(s)])


@router.get("/boundaries", response_class=Response, responses=GEOJSON_ANSWER)
async def list_areas(
    tx: Tx,
    level: AreaLevel | None = None,
    parent: Annotated[str | None, Query(description="Parent area code")] = None,
    bbox: Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat")] = None,
    set: Annotated[str | None, Query(description="Boundary set name; default: active")] = None,
    simplify_m: Annotated[
        float | None, Query(ge=0, le=1000, description="Simplify for display (metres)")
    ] = None,
) -> Response:
    """Areas of the active set (or `set`) as a GeoJSON FeatureCollection."""
    box = parse_bbox(bbox)

    def work(session) -> str:
        boundary_set = boundaries.set_by_id_or_active(session, set)
        return boundaries.feature_collection_json(
            session,
            set_id=boundary_set.id,
            level=level,
            parent=parent,
            bbox=box,
            simplify_m=simplify_m,
            name=boundary_set.name,
        )

    return Response(await tx(work), media_type=GEOJSON)


@router.get("/boundaries/{code}", response_class=Response, responses=GEOJSON_ANSWER)
async def get_area(tx: Tx, code: str, set: str | None = None) -> Response:
    """One area of the active set (or `set`) as a GeoJSON Feature."""
    return geojson_response(await tx(lambda s: boundaries.get_area(s, code=code, set_name=set)))
