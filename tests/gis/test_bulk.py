"""Tests of gis.bulk: routing a table of points, and the Boston 311 acceptance check."""

from __future__ import annotations

from pathlib import Path

import geopandas
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import MultiPolygon, box
from sqlalchemy.orm import Session

from gis.boundaries import activate_set, build_router, import_boundaries
from gis.bulk import ROUTING_COLUMNS, route_frame
from gis.levels import AreaLevel
from gis.router import GridRecord, GridRouter

BOSTON = Path("/work/shared/datasets/boston311")
CITY_HALL = (-71.0587, 42.3594)  # lon, lat of the default point the city uses

X0, Y0, D = 119.0, 29.0, 0.001
VILLAGE, TOWNSHIP = "330825100001", "330825100"


def values(column: pd.Series) -> list:
    """The column as a list, with every missing value (None, NaN, NA) as None."""
    return [None if pd.isna(v) else v for v in column]


def longyou_router() -> GridRouter:
    """Two touching 0.001° squares near 119°E 29°N, and a square around Boston City Hall."""
    grids = [
        GridRecord(
            code=f"{VILLAGE}001", name="第1网格", village_code=VILLAGE, township_code=TOWNSHIP
        ),
        GridRecord(
            code=f"{VILLAGE}002", name="第2网格", village_code=VILLAGE, township_code=TOWNSHIP
        ),
        GridRecord(code="5", name="Ward 5"),
    ]
    shapes = [
        box(X0, Y0, X0 + D, Y0 + D),
        box(X0 + D, Y0, X0 + 2 * D, Y0 + D),
        box(-71.07, 42.35, -71.05, 42.37),
    ]
    return GridRouter(grids=grids, geometries=[MultiPolygon([s]) for s in shapes])


def test_route_frame_appends_the_routing_columns_and_keeps_rows_and_columns() -> None:
    frame = pd.DataFrame(
        {
            "id": ["c", "a", "b", "d"],
            "lat": [Y0 + D / 2, Y0 + D / 2, Y0 + D / 2, Y0 + 0.5],
            "note": ["二号", "一号", "边界", "远处"],
            "lon": [X0 + 1.5 * D, X0 + 0.5 * D, X0 + D, X0 + 0.5],
        },
        index=[10, 3, 7, 1],
    )
    original = frame.copy()

    out = route_frame(frame, router=longyou_router(), lon_column="lon", lat_column="lat")

    assert list(out.columns) == ["id", "lat", "note", "lon", *ROUTING_COLUMNS]
    assert list(ROUTING_COLUMNS) == [
        "grid_code",
        "village_code",
        "township_code",
        "routing_method",
        "distance_m",
    ]
    pd.testing.assert_frame_equal(out[original.columns], original)
    pd.testing.assert_frame_equal(frame, original)  # the input is left as it was
    assert values(out["grid_code"]) == [f"{VILLAGE}002", f"{VILLAGE}001", f"{VILLAGE}001", None]
    assert list(out["routing_method"]) == ["inside", "inside", "border", "unrouted"]
    assert values(out["village_code"]) == [VILLAGE, VILLAGE, VILLAGE, None]
    assert values(out["township_code"]) == [TOWNSHIP, TOWNSHIP, TOWNSHIP, None]
    assert list(out["distance_m"][:3]) == [0.0, 0.0, 0.0]
    assert np.isnan(out["distance_m"].iloc[3])


def test_unusable_coordinates_are_invalid_and_the_other_rows_are_routed() -> None:
    inside_lon, inside_lat = str(X0 + D / 2), str(Y0 + D / 2)
    rows = [
        ("ok", inside_lon, inside_lat),
        ("empty", "", inside_lat),
        ("text", "东经119度", inside_lat),
        ("lat out of range", inside_lon, "95"),
        ("lon out of range", "200", inside_lat),
        ("lat 119", inside_lat, inside_lon),
        ("swapped in Boston", str(CITY_HALL[1]), str(CITY_HALL[0])),
        ("Boston", str(CITY_HALL[0]), str(CITY_HALL[1])),
        ("nan", "nan", inside_lat),
        ("far away", "0", "0"),
    ]
    frame = pd.DataFrame(rows, columns=["what", "x", "y"], dtype=str)

    out = route_frame(frame, router=longyou_router(), lon_column="x", lat_column="y")

    got = dict(
        zip(
            out["what"],
            zip(out["routing_method"], values(out["grid_code"]), strict=True),
            strict=True,
        )
    )
    assert got == {
        "ok": ("inside", f"{VILLAGE}001"),
        "empty": ("invalid", None),
        "text": ("invalid", None),
        "lat out of range": ("invalid", None),
        "lon out of range": ("invalid", None),
        "lat 119": ("invalid", None),
        "swapped in Boston": ("invalid", None),
        "Boston": ("inside", "5"),
        "nan": ("invalid", None),
        "far away": ("unrouted", None),
    }
    invalid = out["routing_method"] == "invalid"
    assert out.loc[invalid, "distance_m"].isna().all()
    assert out.loc[invalid, ["village_code", "township_code"]].isna().all().all()


def test_an_unknown_column_raises_key_error_naming_the_columns() -> None:
    frame = pd.DataFrame({"id": [1], "lon": [X0], "lat": [Y0]})

    with pytest.raises(KeyError) as caught:
        route_frame(frame, router=longyou_router(), lon_column="lng", lat_column="lat")

    message = caught.value.args[0]
    assert "'lng'" in message
    assert message.endswith("columns: id, lon, lat")


def test_chunks_and_gcj02_input_give_the_same_routing() -> None:
    from gis.crs import wgs84_to_gcj02

    rng = np.random.default_rng(5)
    lon = rng.uniform(X0 - D, X0 + 3 * D, 500)
    lat = rng.uniform(Y0 - D, Y0 + 2 * D, 500)
    lon[::50] = np.nan
    frame = pd.DataFrame({"lon": lon, "lat": lat})
    router = longyou_router()

    whole = route_frame(frame, router=router, lon_column="lon", lat_column="lat")
    chunked = route_frame(frame, router=router, lon_column="lon", lat_column="lat", chunk_size=7)
    g_lon, g_lat = wgs84_to_gcj02(np.nan_to_num(lon, nan=X0), lat)
    g_lon[np.isnan(lon)] = np.nan
    as_gcj02 = route_frame(
        pd.DataFrame({"lon": g_lon, "lat": g_lat}),
        router=router,
        lon_column="lon",
        lat_column="lat",
        crs="gcj02",
    )

    pd.testing.assert_frame_equal(chunked, whole)
    assert set(whole["routing_method"]) == {"inside", "nearest", "unrouted", "invalid"}
    # Converted back from GCJ-02 the points land in the same grids (a point within millimetres
    # of an edge may fall on either side, so only points clear of the edges are compared).
    clear = np.abs(((lon - X0) / D) - np.round((lon - X0) / D)) > 1e-4
    clear &= np.abs(((lat - Y0) / D) - np.round((lat - Y0) / D)) > 1e-4
    assert values(as_gcj02["grid_code"][clear]) == values(whole["grid_code"][clear])
    assert list(as_gcj02["routing_method"][clear]) == list(whole["routing_method"][clear])


# --------------------------------------------------------------------------- Boston acceptance


def reference_wards(wards: geopandas.GeoDataFrame, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Plain shapely: the lowest ward number whose polygon covers each point, or 0 for none."""
    geoms = np.asarray(wards.geometry.values)
    numbers = wards["ward"].astype(int).to_numpy()
    points = shapely.points(lon, lat)
    point_i, ward_i = shapely.STRtree(geoms).query(points, predicate="intersects")
    best = np.full(len(points), np.iinfo(np.int64).max)
    np.minimum.at(best, point_i, numbers[ward_i])
    return np.where(best == np.iinfo(np.int64).max, 0, best)


def test_boston_311_requests_route_to_their_ward(session: Session) -> None:
    wards_path = BOSTON / "wards.geojson"
    outcome = import_boundaries(
        session,
        path=wards_path,
        level=AreaLevel.grid,
        set_name="boston-wards-acceptance",
        code_field="ward",
        commit=True,
    )
    assert outcome.committed, outcome.report.render()
    assert outcome.written == 22
    activate_set(session, "boston-wards-acceptance")
    router = build_router(session, tolerance_m=50)
    requests = pd.read_csv(BOSTON / "requests_2015.csv", dtype=str, keep_default_na=False)
    assert len(requests) == 121_145

    out = route_frame(requests, router=router, lon_column="lon", lat_column="lat")

    assert list(out["id"]) == list(requests["id"])
    wards = geopandas.read_file(wards_path)
    located = out[out["default_location"] == "False"]
    lon = located["lon"].astype(float).to_numpy()
    lat = located["lat"].astype(float).to_numpy()
    reference = reference_wards(wards, lon, lat)
    method = located["routing_method"].to_numpy()
    ours = pd.to_numeric(located["grid_code"]).fillna(0).astype(int).to_numpy()

    # (a) Agreement with a plain point-in-polygon reference.
    covered = np.isin(method, ["inside", "border"])
    agree = np.where(
        reference > 0, covered & (ours == reference), np.isin(method, ["nearest", "unrouted"])
    )
    agreement = agree.mean()

    # (b) Agreement with the ward the city recorded.
    recorded = located["recorded_area"].to_numpy()
    has_record = recorded != ""
    record_match = (located["grid_code"].to_numpy()[has_record] == recorded[has_record]).mean()

    # (c) The default point: every such request lands in City Hall's ward.
    defaults = out[out["default_location"] == "True"]
    hall_ward = int(reference_wards(wards, np.array([CITY_HALL[0]]), np.array([CITY_HALL[1]]))[0])
    default_records = defaults["recorded_area"]
    default_record_match = (default_records == str(hall_ward)).sum() / (default_records != "").sum()

    counts = located["routing_method"].value_counts().to_dict()
    print(f"\nBoston 311 2015, {len(located):,} located requests; methods {counts}")
    print(
        f"(a) agreement with shapely covers: {agree.sum():,}/{len(agree):,} = "
        f"{agreement:.4%}; reference finds no ward for {(reference == 0).sum()}"
    )
    print(
        f"(b) grid_code == recorded_area: {has_record.sum():,} compared, {record_match:.4%} "
        f"(dataset README: 98.95%)"
    )
    print(
        f"(c) {len(defaults):,} default-location requests; City Hall is in ward {hall_ward}; "
        f"routed there: {(defaults['grid_code'] == str(hall_ward)).sum():,}; their recorded "
        f"ward is {hall_ward} for only {default_record_match:.1%}"
    )

    assert agreement >= 0.9999
    assert 0.989 <= record_match <= 0.990
    assert len(defaults) == 17_070
    assert hall_ward > 0
    assert (defaults["grid_code"] == str(hall_ward)).all()
    assert (defaults["routing_method"] == "inside").all()
    assert default_record_match < 0.5
