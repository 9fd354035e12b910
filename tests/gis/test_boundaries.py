"""Tests of gis.boundaries: boundary sets in a real PostGIS, on small hand-made files."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas
import numpy as np
import pyproj
import pytest
import shapely
from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, Polygon, box
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.boundaries import (
    activate_set,
    active_set,
    build_router,
    find_set,
    get_area,
    import_boundaries,
    query_areas,
)
from gis.errors import AreaNotFound, BoundarySetConflict, BoundarySetNotFound
from gis.levels import AreaLevel, code_sort_key
from gis.models import Area, BoundarySet
from gis.router import RoutingMethod

GEOD = pyproj.Geod(ellps="WGS84")

# Two townships side by side near 119°E 29°N, two villages in each, two grids in each village.
T1, T2 = "330825100", "330825101"
TOWNSHIPS = {
    T1: ("东华街道", box(119.00, 29.00, 119.02, 29.02)),
    T2: ("龙洲街道", box(119.02, 29.00, 119.04, 29.02)),
}
VILLAGES = {
    f"{T1}001": ("东门村", T1, box(119.00, 29.00, 119.01, 29.02)),
    f"{T1}002": ("西门村", T1, box(119.01, 29.00, 119.02, 29.02)),
    f"{T2}001": ("北门村", T2, box(119.02, 29.00, 119.03, 29.02)),
    f"{T2}002": ("南门村", T2, box(119.03, 29.00, 119.04, 29.02)),
}
GRIDS = {
    f"{village}{k:03d}": (
        f"{name}第{k}网格",
        village,
        box(geom.bounds[0], 29.00 + (k - 1) * 0.01, geom.bounds[2], 29.01 + (k - 1) * 0.01),
    )
    for village, (name, _, geom) in VILLAGES.items()
    for k in (1, 2)
}


def write_geojson(path: Path, rows: list[dict]) -> Path:
    """Write rows (each with a 'geometry') as a GeoJSON file in WGS84."""
    frame = geopandas.GeoDataFrame(rows, geometry="geometry", crs=4326)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        frame.to_file(path, driver="GeoJSON")
    return path


def townships_file(tmp_path: Path) -> Path:
    return write_geojson(
        tmp_path / "townships.geojson",
        [
            {"code": code, "name": name, "geometry": geom}
            for code, (name, geom) in TOWNSHIPS.items()
        ],
    )


def villages_file(tmp_path: Path) -> Path:
    return write_geojson(
        tmp_path / "villages.geojson",
        [
            {"code": code, "name": name, "town": parent, "geometry": geom}
            for code, (name, parent, geom) in VILLAGES.items()
        ],
    )


def grids_file(tmp_path: Path) -> Path:
    return write_geojson(
        tmp_path / "grids.geojson",
        [{"code": code, "name": name, "geometry": geom} for code, (name, _, geom) in GRIDS.items()],
    )


def counts(session: Session) -> tuple[int, int]:
    """(boundary sets, areas) as the database has them now."""
    return (
        session.scalar(text("SELECT count(*) FROM boundary_set")),
        session.scalar(text("SELECT count(*) FROM area")),
    )


def finding_codes(outcome) -> list[str]:
    return [f.code for f in outcome.report.findings]


def fill_set(session: Session, tmp_path: Path, name: str) -> None:
    """Townships, then villages (parent field), then grids (containment) into set `name`."""
    for level, path, parent_field in (
        (AreaLevel.township, townships_file(tmp_path), None),
        (AreaLevel.village, villages_file(tmp_path), "town"),
        (AreaLevel.grid, grids_file(tmp_path), None),
    ):
        outcome = import_boundaries(
            session, path=path, level=level, set_name=name, parent_field=parent_field, commit=True
        )
        assert outcome.committed, outcome.report.render()


def add_set(session: Session, name: str, grids: dict[str, shapely.Geometry]) -> BoundarySet:
    """An inactive set with the given grids (code -> polygon), written directly."""
    boundary_set = BoundarySet(name=name)
    session.add(boundary_set)
    session.flush()
    for code, geom in grids.items():
        multi = geom if isinstance(geom, MultiPolygon) else MultiPolygon([geom])
        session.add(
            Area(
                set_id=boundary_set.id,
                level=AreaLevel.grid,
                code=code,
                name=f"grid {code}",
                geom=from_shape(multi, srid=4326),
                area_m2=0.0,
            )
        )
    session.flush()
    return boundary_set


# --------------------------------------------------------------------------- importing


def test_a_dry_run_writes_nothing(session: Session, tmp_path: Path) -> None:
    before = counts(session)

    outcome = import_boundaries(
        session,
        path=townships_file(tmp_path),
        level=AreaLevel.township,
        set_name="dry",
        commit=False,
    )

    assert outcome.report.ok, outcome.report.render()
    assert outcome.report.feature_count == 2
    assert (outcome.written, outcome.committed) == (0, False)
    assert counts(session) == before
    with pytest.raises(BoundarySetNotFound):
        find_set(session, "dry")


def test_a_commit_writes_every_area_into_a_new_inactive_set(
    session: Session, tmp_path: Path
) -> None:
    sets_before, areas_before = counts(session)
    # A self-crossing "bow tie" is repaired on the way in; plain Polygons become MultiPolygons.
    bow_tie = Polygon([(119.05, 29.00), (119.06, 29.01), (119.06, 29.00), (119.05, 29.01)])
    path = write_geojson(
        tmp_path / "townships.geojson",
        [
            {"code": T1, "name": "东华街道", "geometry": TOWNSHIPS[T1][1]},
            {"code": T2, "name": "龙洲街道", "geometry": TOWNSHIPS[T2][1]},
            {"code": "330825102", "name": "蝴蝶镇", "geometry": bow_tie},
        ],
    )
    assert not bow_tie.is_valid

    outcome = import_boundaries(
        session, path=path, level=AreaLevel.township, set_name="fresh", commit=True
    )

    assert outcome.report.ok, outcome.report.render()
    assert "invalid_geometry_repaired" in finding_codes(outcome)
    assert (outcome.written, outcome.committed) == (3, True)
    assert counts(session) == (sets_before + 1, areas_before + 3)
    boundary_set = find_set(session, "fresh")
    assert boundary_set.is_active is False
    rows = session.execute(
        text(
            "SELECT code, name, level, ST_SRID(geom), GeometryType(geom), ST_IsValid(geom), "
            "area_m2 "
            "FROM area WHERE set_id = :id ORDER BY code"
        ),
        {"id": boundary_set.id},
    ).all()
    assert [r[0] for r in rows] == [T1, T2, "330825102"]
    assert [r[1] for r in rows] == ["东华街道", "龙洲街道", "蝴蝶镇"]
    assert {(r[2], r[3], r[4], r[5]) for r in rows} == {("township", 4326, "MULTIPOLYGON", True)}
    expected = abs(GEOD.geometry_area_perimeter(TOWNSHIPS[T1][1])[0])  # about 3.9 km²
    assert rows[0][6] == pytest.approx(expected, rel=1e-3)
    assert all(r[6] > 0 for r in rows)


def test_a_file_with_errors_writes_nothing_even_with_commit(
    session: Session, tmp_path: Path
) -> None:
    before = counts(session)
    path = write_geojson(
        tmp_path / "dupes.geojson",
        [
            {"code": T1, "name": "东华街道", "geometry": TOWNSHIPS[T1][1]},
            {"code": T1, "name": "龙洲街道", "geometry": TOWNSHIPS[T2][1]},
        ],
    )

    outcome = import_boundaries(
        session, path=path, level=AreaLevel.township, set_name="dupes", commit=True
    )

    assert not outcome.report.ok
    assert "duplicate_code" in [f.code for f in outcome.report.errors]
    assert T1 in next(f.message for f in outcome.report.errors if f.code == "duplicate_code")
    assert (outcome.written, outcome.committed) == (0, False)
    assert "nothing was written" in outcome.report.render()
    assert counts(session) == before
    with pytest.raises(BoundarySetNotFound):
        find_set(session, "dupes")


def test_a_set_filled_level_by_level_gets_its_parent_codes(
    session: Session, tmp_path: Path
) -> None:
    fill_set(session, tmp_path, "longyou-test")

    boundary_set = find_set(session, "longyou-test")
    rows = session.execute(
        text("SELECT level, code, parent_code FROM area WHERE set_id = :id"),
        {"id": boundary_set.id},
    ).all()
    parents = {code: parent for _, code, parent in rows}
    levels = {code: level for level, code, _ in rows}
    assert {c for c, lvl in levels.items() if lvl == "township"} == set(TOWNSHIPS)
    assert {c: parents[c] for c in TOWNSHIPS} == {T1: None, T2: None}
    assert {c: parents[c] for c in VILLAGES} == {c: v[1] for c, v in VILLAGES.items()}
    # The grids file gives no parents: each grid lies in exactly one village.
    assert {c: parents[c] for c in GRIDS} == {c: g[1] for c, g in GRIDS.items()}
    assert len(rows) == 2 + 4 + 8


def test_importing_into_the_active_set_is_refused(
    session: Session, grid_set, tmp_path: Path
) -> None:
    before = counts(session)
    path = write_geojson(
        tmp_path / "county.geojson",
        [{"code": "330825", "name": "龙游县", "geometry": box(118.9, 28.9, 119.1, 29.1)}],
    )

    outcome = import_boundaries(
        session, path=path, level=AreaLevel.county, set_name=grid_set.name, commit=True
    )

    assert [f.code for f in outcome.report.errors] == ["set_active"]
    assert grid_set.name in outcome.report.errors[0].message
    assert outcome.committed is False
    assert counts(session) == before


def test_importing_the_same_level_twice_is_refused(session: Session, tmp_path: Path) -> None:
    first = import_boundaries(
        session,
        path=townships_file(tmp_path),
        level=AreaLevel.township,
        set_name="twice",
        commit=True,
    )
    assert first.committed, first.report.render()
    before = counts(session)
    other = write_geojson(
        tmp_path / "more.geojson",
        [{"code": "330825199", "name": "另一镇", "geometry": box(119.1, 29.0, 119.12, 29.02)}],
    )

    outcome = import_boundaries(
        session, path=other, level=AreaLevel.township, set_name="twice", commit=True
    )

    assert [f.code for f in outcome.report.errors] == ["level_present"]
    assert "already has 2 township areas" in outcome.report.errors[0].message
    assert outcome.committed is False
    assert counts(session) == before


# --------------------------------------------------------------------------- activation


def test_activating_a_set_leaves_exactly_that_one_active(session: Session, grid_set) -> None:
    add_set(session, "second", {"1": box(119.1, 29.1, 119.2, 29.2)})

    previous, now = activate_set(session, "second")

    assert previous.name == grid_set.name
    assert now.name == "second"
    assert session.scalar(text("SELECT count(*) FROM boundary_set WHERE is_active")) == 1
    assert session.scalar(text("SELECT name FROM boundary_set WHERE is_active")) == "second"
    assert active_set(session).name == "second"
    # And back again.
    activate_set(session, grid_set.name)
    assert session.scalar(text("SELECT count(*) FROM boundary_set WHERE is_active")) == 1
    assert session.scalar(text("SELECT name FROM boundary_set WHERE is_active")) == grid_set.name


def test_a_set_without_grids_cannot_be_activated(
    session: Session, grid_set, tmp_path: Path
) -> None:
    outcome = import_boundaries(
        session,
        path=townships_file(tmp_path),
        level=AreaLevel.township,
        set_name="towns-only",
        commit=True,
    )
    assert outcome.committed, outcome.report.render()

    with pytest.raises(BoundarySetConflict) as caught:
        activate_set(session, "towns-only")

    assert "no grids" in caught.value.message
    assert caught.value.field == "set"
    assert active_set(session).name == grid_set.name


def test_activating_an_unknown_set_names_the_sets_there_are(session: Session, grid_set) -> None:
    add_set(session, "spare", {"1": box(119.1, 29.1, 119.2, 29.2)})

    with pytest.raises(BoundarySetNotFound) as caught:
        activate_set(session, "no-such-set")

    message = caught.value.message
    assert "'no-such-set'" in message
    assert grid_set.name in message and "spare" in message
    assert active_set(session).name == grid_set.name


# --------------------------------------------------------------------------- reading back


def test_the_router_knows_each_grids_village_and_township(session: Session, tmp_path: Path) -> None:
    fill_set(session, tmp_path, "hierarchy")
    activate_set(session, "hierarchy")

    router = build_router(session, tolerance_m=50)

    assert router.set_name == "hierarchy"
    assert len(router) == 8
    grid = f"{T2}001002"
    by_code = {g.code: g for g in router.grids}
    assert by_code[grid].name == "北门村第2网格"
    assert (by_code[grid].village_code, by_code[grid].village_name) == (f"{T2}001", "北门村")
    assert (by_code[grid].township_code, by_code[grid].township_name) == (T2, "龙洲街道")
    result = router.route(119.025, 29.015)
    assert (result.method, result.grid_code) == (RoutingMethod.inside, grid)
    assert (result.village_code, result.township_code) == (f"{T2}001", T2)
    assert (result.village_name, result.township_name) == ("北门村", "龙洲街道")
    for code, (_, village, _) in GRIDS.items():
        assert by_code[code].village_code == village
        assert by_code[code].township_code == VILLAGES[village][1]


def test_build_router_without_an_active_set_gives_none(session: Session) -> None:
    session.execute(text("UPDATE boundary_set SET is_active = false"))
    assert build_router(session, tolerance_m=50) is None


def test_the_router_agrees_with_postgis_st_covers(session: Session) -> None:
    # 12 x 12 squares of 0.002°: touching rows, rows with gaps, squares stretched over their
    # neighbour, squares missing, and one square with a hole.
    xs = 119.0 + np.arange(13) * 0.002
    ys = 29.0 + np.arange(13) * 0.002
    grids: dict[str, shapely.Geometry] = {}
    for j in range(12):
        for i in range(12):
            if (i + 2 * j) % 9 == 0:
                continue
            gap = 0.0 if j % 2 == 0 else 0.0003
            east = xs[i + 1] + (0.0005 if i % 3 == 0 and j % 2 else -gap)
            grids[f"330825100001{j * 12 + i:03d}"] = box(xs[i], ys[j], east, ys[j + 1] - gap)
    grids["330825100001500"] = Polygon(
        [(xs[3], ys[12]), (xs[6], ys[12]), (xs[6], ys[12] + 0.006), (xs[3], ys[12] + 0.006)],
        [
            [
                (xs[4], ys[12] + 0.002),
                (xs[5], ys[12] + 0.002),
                (xs[5], ys[12] + 0.004),
                (xs[4], ys[12] + 0.004),
            ]
        ],
    )
    boundary_set = add_set(session, "lattice", grids)
    activate_set(session, "lattice")
    router = build_router(session, tolerance_m=50)

    rng = np.random.default_rng(2024)
    n = 2_000
    lon = rng.uniform(xs[0] - 0.002, xs[-1] + 0.002, n)
    lat = rng.uniform(ys[0] - 0.002, ys[-1] + 0.008, n)
    on_line = rng.random(n) < 0.15  # exactly on a lattice meridian: shared or free edges
    lon[on_line] = xs[rng.integers(0, len(xs), on_line.sum())]

    covering: dict[int, list[str]] = {}
    for i, code in session.execute(
        text(
            "SELECT p.i, a.code FROM unnest(CAST(:lon AS float8[]), CAST(:lat AS float8[])) "
            "WITH ORDINALITY AS p(lon, lat, i) JOIN area a ON a.set_id = :set_id "
            "AND a.level = 'grid' "
            "AND ST_Covers(a.geom, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326))"
        ),
        {"lon": lon.tolist(), "lat": lat.tolist(), "set_id": boundary_set.id},
    ):
        covering.setdefault(int(i) - 1, []).append(code)
    postgis = [min(covering[i], key=code_sort_key) if i in covering else None for i in range(n)]

    batch = router.route_many(lon, lat)
    methods = batch.methods()
    ours = [
        router.grids[k].code if m in ("inside", "border") else None
        for k, m in zip(batch.grid_index, methods, strict=True)
    ]

    assert ours == postgis
    assert [len(covering.get(i, [])) > 1 for i in range(n)] == list(methods == "border")
    assert sum(m == "border" for m in methods) > 50
    assert sum(p is None for p in postgis) > 100


def test_query_areas_filters_by_level_parent_and_bbox(session: Session, grid_set) -> None:
    village = "330825100001"
    grids = [f"{village}001", f"{village}002", f"{village}003"]

    def codes(**filters) -> list[str]:
        return [
            f["properties"]["code"] for f in query_areas(session, set_id=grid_set.id, **filters)
        ]

    assert codes() == ["330825100", village, *grids]
    assert codes(level=AreaLevel.grid) == grids
    assert codes(level=AreaLevel.village) == [village]
    assert codes(parent=village) == grids
    assert codes(parent="330825100") == [village]
    assert codes(parent="nobody") == []
    # A box inside A only, then a box where B and C overlap.
    assert codes(level=AreaLevel.grid, bbox=(119.001, 29.001, 119.002, 29.002)) == [grids[0]]
    assert codes(level=AreaLevel.grid, bbox=(119.016, 29.001, 119.017, 29.002)) == grids[1:]
    assert codes(bbox=(120.0, 30.0, 120.1, 30.1)) == []
    feature = query_areas(session, set_id=grid_set.id, code=grids[0])[0]
    assert feature["properties"]["parent_code"] == village
    assert feature["properties"]["level"] == "grid"
    assert feature["geometry"]["type"] == "MultiPolygon"


def test_get_area_of_an_unknown_code_raises_area_not_found(session: Session, grid_set) -> None:
    assert get_area(session, code="330825100001001")["properties"]["name"] == "测试村第1网格"

    with pytest.raises(AreaNotFound) as caught:
        get_area(session, code="999999999999999")

    assert "999999999999999" in caught.value.message
    assert grid_set.name in caught.value.message


# --------------------------------------------------------------------------- the api's cache


def test_the_api_router_cache_follows_activation(session: Session, grid_set) -> None:
    from api.routing.service import current_router

    first = current_router(session)
    assert first.set_name == grid_set.name
    assert first.route(119.005, 29.005).grid_code == "330825100001001"
    assert current_router(session) is first  # no rebuild while nothing changes

    add_set(session, "after", {"777": box(119.0, 29.0, 119.02, 29.01)})
    activate_set(session, "after")
    second = current_router(session)

    assert second.set_name == "after"
    assert [g.code for g in second.grids] == ["777"]
    assert second.route(119.005, 29.005).grid_code == "777"

    activate_set(session, grid_set.name)
    assert current_router(session).route(119.005, 29.005).grid_code == "330825100001001"
