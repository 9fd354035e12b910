"""Where the router's grids come from: one query over the active set's grids.

Plain SQL on purpose, shared by the application (through SQLAlchemy, `gis.boundaries.
build_router`) and by `shuxin route` (through psycopg2 alone, so that a one-point question
answers in a fraction of a second): both build the same router from the same rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import shapely

from gis.router import GridRecord, GridRouter

ACTIVE_GRIDS_SQL = """
SELECT s.id, s.name, g.code, g.name, v.code, v.name, COALESCE(t.code, tv.code),
       COALESCE(t.name, tv.name), ST_AsBinary(g.geom)
FROM boundary_set s
JOIN area g ON g.set_id = s.id AND g.level = 'grid'
LEFT JOIN area v ON v.set_id = g.set_id AND v.code = g.parent_code AND v.level = 'village'
LEFT JOIN area t ON t.set_id = g.set_id AND t.code = v.parent_code AND t.level = 'township'
LEFT JOIN area tv ON tv.set_id = g.set_id AND tv.code = g.parent_code AND tv.level = 'township'
WHERE s.is_active
"""
"""(set id, set name, grid code, grid name, village code and name, township code and name,
grid WKB) of every grid of the active set; no rows when no set is active."""


def router_from_rows(rows: Sequence[Sequence], *, tolerance_m: float) -> GridRouter | None:
    """The router over the rows of ACTIVE_GRIDS_SQL, or None when there are none."""
    if not rows:
        return None
    grids = [
        GridRecord(
            code=row[2],
            name=row[3],
            village_code=row[4],
            village_name=row[5],
            township_code=row[6],
            township_name=row[7],
        )
        for row in rows
    ]
    return GridRouter(
        grids=grids,
        geometries=shapely.from_wkb([bytes(row[8]) for row in rows]),
        tolerance_m=tolerance_m,
        set_id=rows[0][0],
        set_name=rows[0][1],
    )
