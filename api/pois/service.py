"""Hazard points and shelters: loading them from files and serving them to the map."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from api.errors import InvalidInput
from api.paging import Page, keyset_page
from api.pois.models import Poi, PoiKind
from api.routing.service import current_router
from gis.crs import parse_crs, to_wgs84
from gis.models import STORAGE_SRID


@dataclass(frozen=True)
class PoiLoad:
    kind: PoiKind
    loaded: int
    outside: int  # points in no grid of the active set (kept, without village/township)


def read_points(
    path: Path, *, lon_field: str = "lon", lat_field: str = "lat", crs: str | None = None
) -> gpd.GeoDataFrame:
    """Points from a CSV (lon/lat columns) or any file geopandas reads, in WGS84."""
    if not path.exists():
        raise InvalidInput(f"{path} does not exist", field="file")
    if path.suffix.lower() == ".csv":
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        for column in (lon_field, lat_field):
            if column not in frame.columns:
                raise InvalidInput(
                    f"{path.name} has no column {column!r}; columns: {', '.join(frame.columns)}",
                    field="file",
                )
        x = pd.to_numeric(frame[lon_field], errors="coerce").to_numpy()
        y = pd.to_numeric(frame[lat_field], errors="coerce").to_numpy()
        bad = ~(np.isfinite(x) & np.isfinite(y))
        if bad.any():
            raise InvalidInput(
                f"{path.name}: rows {list(np.flatnonzero(bad)[:5] + 2)} have no usable coordinates",
                field="file",
            )
        x, y = to_wgs84(x, y, parse_crs(crs))
        return gpd.GeoDataFrame(
            frame.drop(columns=[lon_field, lat_field]),
            geometry=gpd.points_from_xy(x, y),
            crs=STORAGE_SRID,
        )
    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # noqa: BLE001 - any reading failure is the user's file
        raise InvalidInput(f"{path.name} could not be read: {exc}", field="file") from None
    if not len(frame) or not (frame.geom_type == "Point").all():
        raise InvalidInput(f"{path.name} must hold points only", field="file")
    if crs is not None:
        frame = frame.set_crs(None, allow_override=True)
        x, y = to_wgs84(frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy(), parse_crs(crs))
        return gpd.GeoDataFrame(
            frame.drop(columns="geometry"), geometry=gpd.points_from_xy(x, y), crs=STORAGE_SRID
        )
    if frame.crs is None:
        raise InvalidInput(f"{path.name} does not say its CRS: give --crs", field="crs")
    return frame.to_crs(STORAGE_SRID)


def load_pois(
    *,
    session: Session,
    kind: PoiKind,
    frame: gpd.GeoDataFrame,
    code_field: str,
    name_field: str,
    source_file: str | None,
) -> PoiLoad:
    """Insert or update points by (kind, code), each placed in its village and township."""
    for column in (code_field, name_field):
        if column not in frame.columns:
            raise InvalidInput(
                f"no column {column!r}; columns: "
                f"{', '.join(c for c in frame.columns if c != 'geometry')}",
                field="file",
            )
    codes = frame[code_field].astype(str).str.strip()
    if (codes == "").any() or codes.duplicated().any():
        raise InvalidInput(
            "every point needs its own code (missing or repeated codes)", field="file"
        )
    lon, lat = frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy()
    router = current_router(session)
    grids = router.route_many(lon, lat) if router else None
    outside = 0
    extra = [c for c in frame.columns if c not in (code_field, name_field, "geometry")]
    for i, code in enumerate(codes):
        grid = None
        if grids is not None and grids.grid_index[i] >= 0:
            grid = router.grids[int(grids.grid_index[i])]
        outside += grid is None
        attributes = {c: _plain(frame.iloc[i][c]) for c in extra}
        values = dict(
            kind=kind.value,
            code=code,
            name=str(frame.iloc[i][name_field]),
            geom=f"SRID={STORAGE_SRID};POINT({lon[i]} {lat[i]})",
            village_code=grid.village_code if grid else None,
            township_code=grid.township_code if grid else None,
            attributes=attributes,
            source_file=source_file,
        )
        statement = insert(Poi).values(**values)
        session.execute(
            statement.on_conflict_do_update(
                constraint="poi_kind_code_key",
                set_={
                    k: getattr(statement.excluded, k) for k in values if k not in ("kind", "code")
                }
                | {"updated_at": text("now()")},
            )
        )
    session.flush()
    return PoiLoad(kind, len(codes), outside)


def _plain(value):
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    return None if pd.isna(value) else value if isinstance(value, (int, float)) else str(value)


def pois_geojson(
    *,
    session: Session,
    kind: PoiKind | None,
    bbox: tuple[float, float, float, float] | None,
    township: str | None,
) -> str:
    """Points as the text of a GeoJSON FeatureCollection, built by PostGIS."""
    where, params = ["true"], {}
    if kind:
        where.append("kind = :kind")
        params["kind"] = kind.value
    if township:
        where.append("township_code = :township")
        params["township"] = township
    if bbox:
        where.append(f"geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, {STORAGE_SRID})")
        params.update(x0=bbox[0], y0=bbox[1], x1=bbox[2], y1=bbox[3])
    sql = f"""
        SELECT json_build_object('type', 'FeatureCollection', 'features',
            COALESCE(json_agg(json_build_object(
                'type', 'Feature', 'id', kind || ':' || code,
                'geometry', ST_AsGeoJSON(geom, 6)::json,
                'properties', json_build_object('kind', kind, 'code', code, 'name', name,
                    'village_code', village_code, 'township_code', township_code,
                    'attributes', attributes)) ORDER BY kind, code), '[]'::json))::text
        FROM poi WHERE {" AND ".join(where)}
    """
    return session.execute(text(sql), params).scalar_one()


@dataclass(frozen=True)
class PoiRow:
    """One point as the feature services serve it (WGS84 lon/lat)."""

    id: int
    kind: PoiKind
    code: str
    name: str
    village_code: str | None
    township_code: str | None
    attributes: dict
    updated_at: datetime
    lon: float
    lat: float


def pois_page(
    *,
    session: Session,
    where: Sequence[ColumnElement[bool]],
    after: int | None = None,
    before: int | None = None,
    limit: int,
    count: bool = True,
) -> Page[PoiRow]:
    """Points matching `where`, by id (keyset), one page, and how many match in all."""
    query = select(
        Poi.id,
        Poi.kind,
        Poi.code,
        Poi.name,
        Poi.village_code,
        Poi.township_code,
        Poi.attributes,
        Poi.updated_at,
        func.ST_X(Poi.geom),
        func.ST_Y(Poi.geom),
    )
    page = keyset_page(
        session,
        query,
        key=Poi.id,
        where=where,
        after=after,
        before=before,
        limit=limit,
        count=count,
    )
    return Page(
        [PoiRow(*row) for row in page.rows], page.more_before, page.more_after, page.matched
    )
