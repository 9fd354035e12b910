"""Boundary sets in PostGIS: import into an inactive set, activate one, read areas back.

Like MapIt's generations: every import goes into a set that is not active; activation makes a
set the one that routes; older sets stay, so an event keeps the set it was routed with.
Functions take the session first and flush; the caller owns the transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import shapely
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from gis.errors import AreaNotFound, BoundarySetConflict, BoundarySetNotFound
from gis.grid_source import ACTIVE_GRIDS_SQL, router_from_rows
from gis.levels import LEVEL_ORDER, AreaLevel, code_follows_convention
from gis.models import STORAGE_SRID, Area, BoundarySet
from gis.router import GridRouter

if TYPE_CHECKING:  # reading sets and routing need neither geopandas nor the file importer
    import geopandas as gpd

    from gis.importer import Finding, ImportReport

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class SetSummary:
    """A boundary set with its number of areas per level."""

    id: int
    name: str
    is_active: bool
    created_at: datetime
    activated_at: datetime | None
    description: str | None
    counts: dict[str, int] = field(default_factory=dict)
    place_code: str | None = None
    place_name: str | None = None


@dataclass
class ImportOutcome:
    """What an import did (or, on a dry run, would do)."""

    report: ImportReport
    set_name: str
    written: int
    committed: bool


def find_set(session: Session, name: str) -> BoundarySet:
    """The set called `name`, or BoundarySetNotFound listing the sets there are."""
    found = session.scalar(select(BoundarySet).where(BoundarySet.name == name))
    if found is None:
        names = session.scalars(select(BoundarySet.name).order_by(BoundarySet.id)).all()
        known = ", ".join(names) if names else "none yet"
        raise BoundarySetNotFound(
            f"there is no boundary set named {name!r} (sets: {known})", field="set"
        )
    return found


def active_set(session: Session) -> BoundarySet | None:
    """The set that routes events now, if any."""
    return session.scalar(select(BoundarySet).where(BoundarySet.is_active))


def list_sets(session: Session) -> list[SetSummary]:
    """Every set, oldest first, with counts per level."""
    counts: dict[int, dict[str, int]] = {}
    rows = session.execute(
        select(Area.set_id, Area.level, func.count()).group_by(Area.set_id, Area.level)
    )
    for set_id, level, count in rows:
        counts.setdefault(set_id, {})[level] = count
    return [
        SetSummary(
            s.id,
            s.name,
            s.is_active,
            s.created_at,
            s.activated_at,
            s.description,
            {lvl.value: counts.get(s.id, {}).get(lvl.value, 0) for lvl in LEVEL_ORDER},
            s.place_code,
            s.place_name,
        )
        for s in session.scalars(select(BoundarySet).order_by(BoundarySet.id))
    ]


def activate_set(session: Session, name: str) -> tuple[BoundarySet | None, BoundarySet]:
    """Make `name` the one active set; return (previously active, now active)."""
    target = find_set(session, name)
    grid_count = session.scalar(
        select(func.count()).where(Area.set_id == target.id, Area.level == AreaLevel.grid)
    )
    if not grid_count:
        raise BoundarySetConflict(
            f"boundary set {name!r} has no grids, so it could not route any event; "
            "import a grid level into it first (--level grid --set NAME)",
            field="set",
        )
    previous = active_set(session)
    if previous is not None and previous.id == target.id:
        return previous, target
    # Lock the sets so two activations cannot interleave.
    session.execute(text("LOCK TABLE boundary_set IN SHARE ROW EXCLUSIVE MODE"))
    session.execute(update(BoundarySet).where(BoundarySet.is_active).values(is_active=False))
    session.execute(
        update(BoundarySet)
        .where(BoundarySet.id == target.id)
        .values(is_active=True, activated_at=func.now())
    )
    session.flush()
    session.refresh(target)
    return previous, target


def default_set_name(path: str | Path, now: datetime) -> str:
    """A name for a set made by an import without --set: the file's stem and the time."""
    return f"{Path(path).stem}-{now:%Y%m%d-%H%M%S}"


def import_boundaries(
    session: Session,
    *,
    path: str | Path,
    level: AreaLevel,
    set_name: str,
    code_field: str = "code",
    name_field: str = "name",
    parent_field: str | None = None,
    crs: str | None = None,
    commit: bool = False,
    parent_tolerance_m: float = 50.0,
    progress: Progress | None = None,
    place_code: str | None = None,
    place_name: str | None = None,
) -> ImportOutcome:
    """Validate a boundary file into `set_name` (created inactive if new); write it if `commit`.

    Nothing is written unless `commit` is true and the report has no errors; the caller's
    transaction makes the write all or nothing. `place_code`/`place_name` say which county (or
    other place) the set covers; without them a county file names it, or the townships' codes
    give the county code (the first 6 digits they share).
    """
    from gis.importer import prepare_import

    boundary_set = session.scalar(select(BoundarySet).where(BoundarySet.name == set_name))
    set_findings: list[Finding] = []
    parents = None
    if boundary_set is not None:
        if boundary_set.is_active:
            set_findings.append(
                _set_error(
                    "set_active",
                    f"boundary set {set_name!r} is active and cannot change; import into a new "
                    "set (--set NEW_NAME), then activate it",
                )
            )
        present = session.scalar(
            select(func.count()).where(Area.set_id == boundary_set.id, Area.level == level)
        )
        if present:
            set_findings.append(
                _set_error(
                    "level_present",
                    f"boundary set {set_name!r} already has {present} {level.value} areas; "
                    "import this file into a new set",
                )
            )
        if level.parent is not None:
            parents = areas_frame(session, set_id=boundary_set.id, level=level.parent)

    prepared = prepare_import(
        path,
        level=level,
        code_field=code_field,
        name_field=name_field,
        parent_field=parent_field,
        crs=crs,
        parents=parents,
        parent_tolerance_m=parent_tolerance_m,
        progress=progress,
    )
    report = prepared.report
    if boundary_set is not None and len(prepared.areas):
        taken = set(
            session.scalars(
                select(Area.code).where(
                    Area.set_id == boundary_set.id, Area.code.in_(list(prepared.areas["code"]))
                )
            )
        )
        if taken:
            sample = ", ".join(sorted(taken)[:10])
            set_findings.append(
                _set_error(
                    "code_taken",
                    f"{len(taken)} codes are already used by other areas of set {set_name!r} "
                    f"(e.g. {sample}); codes are unique within a set",
                )
            )
    report.findings[:0] = set_findings

    if not commit or not report.ok:
        return ImportOutcome(report, set_name, 0, False)

    if boundary_set is None:
        boundary_set = BoundarySet(
            name=set_name, is_active=False, description=f"imported from {Path(path).name}"
        )
        session.add(boundary_set)
        session.flush()
    written = _write_areas(session, boundary_set.id, level, prepared.areas, str(path), progress)
    _record_place(boundary_set, level, prepared.areas, place_code, place_name)
    session.flush()
    return ImportOutcome(report, set_name, written, True)


def _record_place(
    boundary_set: BoundarySet,
    level: AreaLevel,
    areas: gpd.GeoDataFrame,
    code: str | None,
    name: str | None,
) -> None:
    """Note the place the set covers: as given, else from a single county area, else the
    county code the townships' codes share."""
    codes = list(areas["code"])
    if level is AreaLevel.county and len(codes) == 1:
        code = code or codes[0]
        name = name or str(areas["name"].iloc[0])
    elif level is AreaLevel.township and code is None:
        conventional = all(code_follows_convention(AreaLevel.township, c) for c in codes)
        prefixes = {c[:6] for c in codes}
        if conventional and len(prefixes) == 1:
            code = prefixes.pop()
    if code and not boundary_set.place_code:
        boundary_set.place_code = code
    if name and not boundary_set.place_name:
        boundary_set.place_name = name


def set_levels(session: Session, *, set_id: int) -> list[AreaLevel]:
    """The levels a set has areas of, from the county down."""
    present = set(session.scalars(select(Area.level).where(Area.set_id == set_id).distinct()))
    return [level for level in LEVEL_ORDER if level in present]


def _set_error(code: str, message: str) -> Finding:
    from gis.importer import Finding, Severity

    return Finding(
        severity=Severity.error,
        code=code,
        message=message,
        feature=None,
        lon=None,
        lat=None,
        area_m2=None,
    )


def _write_areas(
    session: Session,
    set_id: int,
    level: AreaLevel,
    areas: gpd.GeoDataFrame,
    source_file: str,
    progress: Progress | None,
) -> int:
    statement = text(
        "INSERT INTO area (set_id, level, code, name, parent_code, geom, area_m2, source_file) "
        "VALUES (:set_id, :level, :code, :name, :parent_code, "
        f"ST_GeomFromWKB(:wkb, {STORAGE_SRID}), "
        f"ST_Area(ST_GeomFromWKB(:wkb, {STORAGE_SRID})::geography), :source_file)"
    )
    wkb = shapely.to_wkb(np.asarray(areas.geometry.values), output_dimension=2)
    rows = [
        {
            "set_id": set_id,
            "level": level.value,
            "code": code,
            "name": name,
            "parent_code": parent,
            "wkb": blob,
            "source_file": Path(source_file).name,
        }
        for code, name, parent, blob in zip(
            areas["code"], areas["name"], areas["parent_code"], wkb, strict=True
        )
    ]
    chunk = 500
    for start in range(0, len(rows), chunk):
        session.execute(statement, rows[start : start + chunk])
        if progress:
            progress("writing", min(start + chunk, len(rows)), len(rows))
    session.flush()
    return len(rows)


def areas_frame(session: Session, *, set_id: int, level: AreaLevel) -> gpd.GeoDataFrame:
    """The areas of one level of a set as a GeoDataFrame (code, name, parent_code, geometry)."""
    import geopandas as gpd

    rows = session.execute(
        select(Area.code, Area.name, Area.parent_code, func.ST_AsBinary(Area.geom))
        .where(Area.set_id == set_id, Area.level == level)
        .order_by(Area.code)
    ).all()
    return gpd.GeoDataFrame(
        {
            "code": [r[0] for r in rows],
            "name": [r[1] for r in rows],
            "parent_code": [r[2] for r in rows],
        },
        geometry=shapely.from_wkb([bytes(r[3]) for r in rows]) if rows else [],
        crs=STORAGE_SRID,
    )


def build_router(session: Session, *, tolerance_m: float) -> GridRouter | None:
    """An in-memory router over the active set's grids, or None when no set is active."""
    rows = session.connection().exec_driver_sql(ACTIVE_GRIDS_SQL).all()
    return router_from_rows(rows, tolerance_m=tolerance_m)


_ACTIVE_TOKEN = text("SELECT id, activated_at FROM boundary_set WHERE is_active")


def set_extent(
    session: Session, *, set_id: int, code: str | None = None
) -> tuple[float, float, float, float] | None:
    """(minlon, minlat, maxlon, maxlat) of a set's areas (or of one area), or None if empty."""
    extent = func.ST_Extent(Area.geom)
    query = select(
        func.ST_XMin(extent), func.ST_YMin(extent), func.ST_XMax(extent), func.ST_YMax(extent)
    ).where(Area.set_id == set_id)
    if code is not None:
        query = query.where(Area.code == code)
    row = session.execute(query).one()
    return tuple(row) if row[0] is not None else None


def active_set_token(session: Session) -> tuple[int, datetime] | None:
    """(id, activation time) of the active set: cheap to read, changes on every activation."""
    row = session.execute(_ACTIVE_TOKEN).first()
    return (row[0], row[1]) if row else None


def get_area(session: Session, *, code: str, set_name: str | None = None) -> dict:
    """One area of the active set (or of `set_name`) as a GeoJSON Feature."""
    boundary_set = find_set(session, set_name) if set_name else active_set(session)
    if boundary_set is None:
        raise AreaNotFound(f"no boundary set is active, so there is no area {code!r}", field="code")
    features = query_areas(session, set_id=boundary_set.id, code=code)
    if not features:
        raise AreaNotFound(
            f"there is no area with code {code!r} in set {boundary_set.name!r}", field="code"
        )
    return features[0]


def _area_filters(
    *,
    set_id: int,
    level: AreaLevel | None,
    parent: str | None,
    bbox: tuple[float, float, float, float] | None,
    code: str | None,
    simplify_m: float | None,
) -> tuple[str, str, dict]:
    """(WHERE clause, geometry expression, parameters) shared by the area queries."""
    where = ["a.set_id = :set_id"]
    params: dict = {"set_id": set_id}
    if level is not None:
        where.append("a.level = :level")
        params["level"] = level.value
    if parent is not None:
        where.append("a.parent_code = :parent")
        params["parent"] = parent
    if code is not None:
        where.append("a.code = :code")
        params["code"] = code
    if bbox is not None:
        where.append(f"a.geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, {STORAGE_SRID})")
        params.update(x0=bbox[0], y0=bbox[1], x1=bbox[2], y1=bbox[3])
    geometry = "a.geom"
    if simplify_m:
        # Degrees of latitude per metre; good enough for display simplification.
        geometry = "ST_SimplifyPreserveTopology(a.geom, :tolerance)"
        params["tolerance"] = simplify_m / 111_320.0
    return " AND ".join(where), geometry, params


def query_areas(
    session: Session,
    *,
    set_id: int,
    level: AreaLevel | None = None,
    parent: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    code: str | None = None,
    simplify_m: float | None = None,
) -> list[dict]:
    """Areas of a set as GeoJSON Features (WGS84), filtered; simplified if `simplify_m`."""
    return json.loads(
        feature_collection_json(
            session,
            set_id=set_id,
            level=level,
            parent=parent,
            bbox=bbox,
            code=code,
            simplify_m=simplify_m,
        )
    )["features"]


def feature_collection_json(
    session: Session,
    *,
    set_id: int,
    level: AreaLevel | None = None,
    parent: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    code: str | None = None,
    simplify_m: float | None = None,
    name: str | None = None,
) -> str:
    """Areas of a set as the text of a GeoJSON FeatureCollection, built by PostGIS."""
    where, geometry, params = _area_filters(
        set_id=set_id, level=level, parent=parent, bbox=bbox, code=code, simplify_m=simplify_m
    )
    params["name"] = name
    sql = f"""
        SELECT json_build_object(
            'type', 'FeatureCollection', 'name', CAST(:name AS text),
            'features', COALESCE(json_agg(f.feature ORDER BY f.code), '[]'::json))::text
        FROM (
            SELECT a.code, json_build_object(
                'type', 'Feature', 'id', a.code,
                'properties', json_build_object(
                    'code', a.code, 'name', a.name, 'level', a.level,
                    'parent_code', a.parent_code, 'area_km2', round((a.area_m2 / 1e6)::numeric, 4),
                    'set', s.name, 'label', json_build_array(
                        round(ST_X(ST_PointOnSurface(a.geom))::numeric, 6),
                        round(ST_Y(ST_PointOnSurface(a.geom))::numeric, 6))),
                'geometry', ST_AsGeoJSON({geometry}, 6)::json) AS feature
            FROM area a JOIN boundary_set s ON s.id = a.set_id
            WHERE {where}
        ) AS f
    """
    return session.execute(text(sql), params).scalar_one()


def set_by_id_or_active(session: Session, set_name: str | None) -> BoundarySet:
    """The named set, or the active one; BoundarySetNotFound when there is none."""
    if set_name:
        return find_set(session, set_name)
    current = active_set(session)
    if current is None:
        raise BoundarySetNotFound(
            "no boundary set is active; import one and activate it "
            "(shuxin boundaries activate NAME)",
            field="set",
        )
    return current
