"""HTTP: hazard points and shelters (GeoJSON)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from api.deps import Tx, current_actor
from api.geojson import GEOJSON, parse_bbox
from api.pois.models import PoiKind
from api.pois.service import pois_geojson

router = APIRouter(prefix="/api/v1", tags=["points"], dependencies=[Depends(current_actor)])


@router.get("/pois", response_class=Response, responses={200: {"content": {GEOJSON: {}}}})
async def list_pois(
    tx: Tx,
    kind: PoiKind | None = None,
    bbox: Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat")] = None,
    township: str | None = None,
) -> Response:
    """Hazard points (地质灾害点, 危房, 山塘水库) and shelters (避灾安置点) as GeoJSON."""
    box = parse_bbox(bbox)
    body = await tx(lambda s: pois_geojson(session=s, kind=kind, bbox=box, township=township))
    return Response(body, media_type=GEOJSON)
