"""HTTP: route a point to its grid."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.deps import Tx, current_actor
from api.routing.schemas import RouteOut
from api.routing.service import route_point

router = APIRouter(prefix="/api/v1", tags=["routing"], dependencies=[Depends(current_actor)])


@router.get("/route", response_model=RouteOut)
async def route(
    tx: Tx,
    lon: Annotated[float, Query(description="Longitude (or easting for projected EPSG)")],
    lat: Annotated[float, Query(description="Latitude (or northing for projected EPSG)")],
    crs: Annotated[str, Query(description="wgs84, cgcs2000, gcj02, bd09 or EPSG:NNNN")] = "wgs84",
) -> RouteOut:
    """The grid, village and township a point belongs to in the active set, and how."""
    result = await tx(lambda s: route_point(session=s, lon=lon, lat=lat, crs=crs))
    return RouteOut.from_result(result)
