"""Plain data for the server-drawn choropleths: the areas' shapes with a value each."""

from __future__ import annotations

import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.indicators.definitions import BY_KEY
from api.indicators.service import IndicatorTable
from map_ui.choropleth import Area, ChoroplethData, render_choropleth

MAP_LEVELS = ("township", "village", "grid")


def area_shapes(
    session: Session, level: str, township: str | None
) -> list[tuple[str, str, shapely.Geometry]]:
    """(code, name, WGS84 shape) of the active set's areas of `level` (in one township)."""
    rows = session.execute(
        text(
            """
            SELECT a.code, a.name, ST_AsBinary(ST_SimplifyPreserveTopology(a.geom, 0.0002))
            FROM area a JOIN boundary_set s ON s.id = a.set_id AND s.is_active
            WHERE a.level = :level AND (CAST(:township AS text) IS NULL OR a.code LIKE :prefix)
            ORDER BY a.code
            """
        ),
        {"level": level, "township": township, "prefix": f"{township or ''}%"},
    )
    return [(code, name, shapely.from_wkb(bytes(wkb))) for code, name, wkb in rows]


def choropleth(
    session: Session,
    values: dict[str, float | None],
    *,
    level: str,
    township: str | None,
    title: str,
    unit: str,
    higher_is_better: bool = True,
    subtitle: str = "",
    fmt: str = "png",
) -> bytes:
    """The areas of `level` coloured by `values` (by area code)."""
    shapes = area_shapes(session, level, township)
    data = ChoroplethData(
        title=title,
        unit=unit,
        areas=tuple(Area(code, name, geom, values.get(code)) for code, name, geom in shapes),
        higher_is_better=higher_is_better,
        labels=level != "grid",
        subtitle=subtitle,
    )
    return render_choropleth(data, fmt=fmt)


def indicator_map(session: Session, table: IndicatorTable, key: str, fmt: str = "png") -> bytes:
    """A choropleth of one indicator of a table grouped by township, village or grid."""
    indicator = BY_KEY[key]
    values = {g.code: g.figures[key].value for g in table.groups}
    return choropleth(
        session,
        values,
        level=table.by,
        township=table.scope.township,
        title=f"{indicator.name}（{table.period.label}）",
        unit=indicator.unit,
        higher_is_better=indicator.higher_is_better,
        fmt=fmt,
    )
