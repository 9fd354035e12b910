"""What the screen page needs to start, from the user and the boundaries."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.errors import NotFound
from api.screen.service import area_bounds
from api.settings import Settings
from api.users.service import Actor
from gis.boundaries import active_set, set_extent
from gis.models import Area
from map_ui.basemaps import BasemapConfig
from map_ui.screen import ScreenConfig


def screen_config(*, session: Session, actor: Actor, area_code: str | None,
                  settings: Settings) -> ScreenConfig:
    """The screen of the actor's township (or of the whole set for the county), or one area."""
    current = active_set(session)
    area = area_bounds(session, area_code) if area_code else None
    if area_code and area is None:
        raise NotFound(f"there is no area {area_code!r} in the active boundary set",
                       field="area")
    township = actor.township_code
    place, bounds = "龙游县", None
    if current is not None:
        if township:
            name = session.scalar(select(Area.name).where(Area.set_id == current.id,
                                                         Area.code == township))
            place = name or place
        bounds = set_extent(session, set_id=current.id, code=township)
    return ScreenConfig(
        place=area["name"] if area else place, township_code=township,
        user_name=actor.name, user_role=actor.role.value, bounds=bounds, area=area,
        boundary_set=current.name if current else None,
        basemap=BasemapConfig(default=settings.basemap, tianditu_key=settings.tianditu_key,
                              tianditu_style=settings.tianditu_style),
    )
