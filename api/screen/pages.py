"""What the screen page needs to start, from the user and the boundaries."""

from __future__ import annotations

from sqlalchemy.orm import Session

from api.boundaries.service import page_area
from api.errors import NotFound
from api.events.transitions import ACTIONS, timeline_labels
from api.screen.service import area_bounds
from api.settings import Settings
from api.users.service import Actor
from map_ui.basemaps import BasemapConfig
from map_ui.screen import ScreenConfig


def screen_config(
    *, session: Session, actor: Actor, area_code: str | None, settings: Settings
) -> ScreenConfig:
    """The screen of the actor's township (or of the whole set for the county), or one area."""
    area = area_bounds(session, area_code) if area_code else None
    if area_code and area is None:
        raise NotFound(f"there is no area {area_code!r} in the active boundary set", field="area")
    place = page_area(session=session, settings=settings, township_code=actor.township_code)
    return ScreenConfig(
        place=area["name"] if area else place.name,
        township_code=actor.township_code,
        user_name=actor.name,
        user_role=actor.role.value,
        bounds=place.bounds,
        area=area,
        levels=tuple(level.value for level in place.levels),
        boundary_set=place.boundary_set,
        basemap=basemap_of(settings),
        timezone=settings.timezone,
        action_labels=timeline_labels(),
        screen_actions=tuple(a.value for a, spec in ACTIONS.items() if spec.on_screen),
    )


def basemap_of(settings: Settings) -> BasemapConfig:
    """The basemaps the settings allow, for any page's map."""
    return BasemapConfig(
        default=settings.basemap,
        tianditu_key=settings.tianditu_key,
        tianditu_style=settings.tianditu_style,
    )
