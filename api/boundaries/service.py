"""Where Shuxin is: the place, extent and levels the pages show, from the active boundary set;
and areas a page at a time for the feature services.

Nothing here knows a county by name: the place is the one the active set records (its county
area, or what its import was told), else the SHUXIN_PLACE_NAME setting, else the set's name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from api.paging import Page, keyset_page
from api.settings import Settings
from gis.boundaries import active_set, set_extent, set_levels
from gis.levels import AreaLevel
from gis.models import Area, BoundarySet

NO_PLACE = "未设置区域"
"""What the pages call the place before any boundary set is active or named."""


@dataclass(frozen=True)
class PageArea:
    """What a page opens on: a name, its extent and the levels it can draw."""

    name: str
    bounds: tuple[float, float, float, float] | None
    levels: tuple[AreaLevel, ...]
    boundary_set: str | None


def page_area(
    *, session: Session, settings: Settings, township_code: str | None = None
) -> PageArea:
    """The active set's place (or one township of it), its extent and its levels."""
    current = active_set(session)
    if current is None:
        return PageArea(settings.place_name or NO_PLACE, None, (), None)
    name = current.place_name or settings.place_name or current.name
    if township_code:
        township = session.scalar(
            select(Area.name).where(Area.set_id == current.id, Area.code == township_code)
        )
        name = township or name
    return PageArea(
        name=name,
        bounds=set_extent(session, set_id=current.id, code=township_code),
        levels=tuple(set_levels(session, set_id=current.id)),
        boundary_set=current.name,
    )


@dataclass(frozen=True)
class AreaRow:
    """One area as the feature services serve it: its fields and its geometry as WKB (WGS84)."""

    code: str
    name: str
    level: str
    parent_code: str | None
    area_m2: float
    set_name: str
    wkb: bytes


def areas_page(
    *,
    session: Session,
    boundary_set: BoundarySet,
    level: AreaLevel,
    where: Sequence[ColumnElement[bool]],
    after: str | None = None,
    before: str | None = None,
    limit: int,
    count: bool = True,
) -> Page[AreaRow]:
    """Areas of one level of a set matching `where`, by code (keyset): the page after the code
    `after` (or before `before`), and how many match in all."""
    query = select(
        Area.code,
        Area.name,
        Area.level,
        Area.parent_code,
        Area.area_m2,
        func.ST_AsBinary(Area.geom),
    )
    page = keyset_page(
        session,
        query,
        key=Area.code,
        where=[Area.set_id == boundary_set.id, Area.level == level, *where],
        after=after,
        before=before,
        limit=limit,
        count=count,
    )
    rows = [
        AreaRow(code, name, str(lvl), parent, area_m2, boundary_set.name, bytes(wkb))
        for code, name, lvl, parent, area_m2, wkb in page.rows
    ]
    return Page(rows, page.more_before, page.more_after, page.matched)
