"""HTML pages: the map. The API gathers plain data; map_ui renders it."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select

from api.deps import SessionDep, SettingsDep
from gis.boundaries import active_set
from gis.models import Area
from map_ui.basemaps import BasemapConfig
from map_ui.overview import OverviewConfig, render_overview

router = APIRouter(tags=["pages"], include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def overview_map(session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    """The map of the active boundary set with live events."""
    current = active_set(session)
    bounds = None
    if current is not None:
        extent = session.execute(
            select(func.ST_XMin(func.ST_Extent(Area.geom)), func.ST_YMin(func.ST_Extent(Area.geom)),
                   func.ST_XMax(func.ST_Extent(Area.geom)), func.ST_YMax(func.ST_Extent(Area.geom)))
            .where(Area.set_id == current.id)
        ).one()
        bounds = tuple(extent) if extent[0] is not None else None
    config = OverviewConfig(
        bounds=bounds,
        boundary_set=current.name if current else None,
        basemap=BasemapConfig(default=settings.basemap, tianditu_key=settings.tianditu_key,
                              tianditu_style=settings.tianditu_style),
    )
    return HTMLResponse(render_overview(config))
