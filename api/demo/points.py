"""Synthetic hazard points and shelters for the demo (names say 演示: not real places)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.pois.models import Poi, PoiKind
from api.pois.service import load_pois
from api.routing.service import current_router
from gis.models import STORAGE_SRID

COUNTS = {
    PoiKind.geohazard: 36,
    PoiKind.dangerous_house: 30,
    PoiKind.reservoir: 24,
    PoiKind.shelter: 28,
}
NAMES = {
    PoiKind.geohazard: "{village}滑坡隐患点",
    PoiKind.dangerous_house: "{village}危房",
    PoiKind.reservoir: "{village}山塘",
    PoiKind.shelter: "{village}避灾安置点",
}


def ensure_points(*, session: Session, seed: int = 8) -> int:
    """The demo's points, once; how many were made."""
    if session.scalar(select(func.count()).select_from(Poi)):
        return 0
    router = current_router(session)
    if router is None or not len(router):
        return 0
    rng = np.random.default_rng(seed)
    made = 0
    for kind, count in COUNTS.items():
        picks = rng.choice(len(router), size=count, replace=False)
        points = [
            shapely.Point(
                rng.uniform(g.bounds[0], g.bounds[2]), rng.uniform(g.bounds[1], g.bounds[3])
            )
            for g in router.geometries[picks]
        ]
        points = [
            p if g.contains(p) else g.representative_point()
            for p, g in zip(points, router.geometries[picks], strict=True)
        ]
        frame = gpd.GeoDataFrame(
            {
                "code": [f"DEMO-{kind.value}-{i + 1:03d}" for i in range(count)],
                "name": [
                    NAMES[kind].format(village=router.grids[p].village_name or "") + "（演示）"
                    for p in picks
                ],
                "capacity": [
                    int(rng.integers(50, 500)) if kind is PoiKind.shelter else None for _ in picks
                ],
            },
            geometry=points,
            crs=STORAGE_SRID,
        )
        made += load_pois(
            session=session,
            kind=kind,
            frame=frame,
            code_field="code",
            name_field="name",
            source_file="demo",
        ).loaded
    return made
