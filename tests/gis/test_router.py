"""Tests of gis.router: the in-memory grid router, on hand-made squares (no database)."""

from __future__ import annotations

import math

import numpy as np
import pyproj
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from gis.crs import wgs84_to_gcj02
from gis.levels import code_sort_key
from gis.router import GridRecord, GridRouter, InvalidCoordinates, RoutingMethod

GEOD = pyproj.Geod(ellps="WGS84")

# Squares of 0.001 degree (about 97 m east-west, 111 m north-south) near 119°E 29°N (Longyou).
X0, Y0 = 119.0, 29.0
D = 0.001


def metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Geodesic distance in metres between two WGS84 points."""
    return float(GEOD.inv(lon1, lat1, lon2, lat2)[2])


def east_of(lon: float, lat: float, distance_m: float) -> tuple[float, float]:
    """The point `distance_m` metres due east of (lon, lat), along the geodesic."""
    lon2, lat2, _ = GEOD.fwd(lon, lat, 90.0, distance_m)
    return float(lon2), float(lat2)


def router(shapes: dict[str, shapely.Geometry], tolerance_m: float = 50.0) -> GridRouter:
    """A router over `shapes` (code -> polygon), each grid named after its code."""
    grids = [
        GridRecord(code=code, name=f"grid {code}", village_code=f"v{code}", township_code="t")
        for code in shapes
    ]
    return GridRouter(
        grids=grids,
        geometries=[MultiPolygon([g]) if isinstance(g, Polygon) else g for g in shapes.values()],
        tolerance_m=tolerance_m,
    )


# --------------------------------------------------------------------------- one point


def test_a_point_inside_one_grid_is_inside_at_distance_zero() -> None:
    r = router(
        {
            "330825100001001": box(X0, Y0, X0 + D, Y0 + D),
            "330825100001002": box(X0 + 2 * D, Y0, X0 + 3 * D, Y0 + D),
        }
    )

    result = r.route(X0 + D / 2, Y0 + D / 2)

    assert result.method is RoutingMethod.inside
    assert result.grid_code == "330825100001001"
    assert result.grid_name == "grid 330825100001001"
    assert result.village_code == "v330825100001001"
    assert result.distance_m == 0
    assert result.candidates == ("330825100001001",)
    assert (result.lon, result.lat) == (X0 + D / 2, Y0 + D / 2)


def test_a_point_on_the_shared_edge_of_two_squares_goes_to_the_lowest_code() -> None:
    # The higher code is listed first on purpose: the order of the input must not matter.
    r = router(
        {
            "330825100001002": box(X0 + D, Y0, X0 + 2 * D, Y0 + D),
            "330825100001001": box(X0, Y0, X0 + D, Y0 + D),
        }
    )

    result = r.route(X0 + D, Y0 + D / 2)

    assert result.method is RoutingMethod.border
    assert result.grid_code == "330825100001001"
    assert result.distance_m == 0
    assert result.candidates == ("330825100001001", "330825100001002")


def test_a_point_where_two_grids_overlap_is_border_with_both_candidates() -> None:
    r = router(
        {
            "330825100001003": box(X0 + 0.5 * D, Y0, X0 + 1.5 * D, Y0 + D),
            "330825100001002": box(X0, Y0, X0 + D, Y0 + D),
            "330825100001009": box(X0 + 3 * D, Y0, X0 + 4 * D, Y0 + D),
        }
    )

    result = r.route(X0 + 0.75 * D, Y0 + D / 2)

    assert result.method is RoutingMethod.border
    assert result.grid_code == "330825100001002"
    assert result.candidates == ("330825100001002", "330825100001003")
    # Just outside the overlap, only one grid covers the point.
    assert r.route(X0 + 1.25 * D, Y0 + D / 2).method is RoutingMethod.inside


def test_a_point_20_m_outside_a_grid_goes_to_it_as_nearest_with_its_distance() -> None:
    r = router({"330825100001001": box(X0, Y0, X0 + D, Y0 + D)})
    lon, lat = east_of(X0 + D, Y0 + D / 2, 20.0)
    expected = metres(X0 + D, Y0 + D / 2, lon, lat)  # the foot of the perpendicular

    result = r.route(lon, lat)

    assert result.method is RoutingMethod.nearest
    assert result.grid_code == "330825100001001"
    assert result.candidates == ("330825100001001",)
    assert result.distance_m == pytest.approx(expected, abs=0.5)
    assert expected == pytest.approx(20.0, abs=1e-6)


def test_a_point_80_m_outside_every_grid_is_unrouted_with_the_default_tolerance() -> None:
    r = router({"330825100001001": box(X0, Y0, X0 + D, Y0 + D)})
    assert r.tolerance_m == 50.0
    lon, lat = east_of(X0 + D, Y0 + D / 2, 80.0)

    result = r.route(lon, lat)

    assert result.method is RoutingMethod.unrouted
    assert result.grid_code is None
    assert result.village_code is None
    assert result.distance_m is None
    assert result.candidates == ()
    # A wider tolerance reaches it: the tolerance, not the geometry, left it unrouted.
    wide = router({"330825100001001": box(X0, Y0, X0 + D, Y0 + D)}, tolerance_m=100)
    assert wide.route(lon, lat).grid_code == "330825100001001"
    assert wide.route(lon, lat).distance_m == pytest.approx(80.0, abs=0.5)


@pytest.mark.parametrize("west_code, east_code", [("1", "2"), ("2", "1")])
def test_a_point_equidistant_from_two_grids_goes_to_the_lowest_code(
    west_code: str, east_code: str
) -> None:
    # Two squares 0.001° apart along the same parallel; the point is midway, on the meridian of
    # symmetry, so its geodesic distance to both is the same. Whichever side carries the lower
    # code, that code must win.
    west = box(X0, Y0, X0 + D, Y0 + D)
    east = box(X0 + 2 * D, Y0, X0 + 3 * D, Y0 + D)
    r = router({west_code: west, east_code: east})
    lon, lat = X0 + 1.5 * D, Y0 + D / 2
    to_west = metres(lon, lat, X0 + D, lat)
    to_east = metres(lon, lat, X0 + 2 * D, lat)
    assert to_west == pytest.approx(to_east, abs=1e-6)
    assert to_west < 50

    result = r.route(lon, lat)

    assert result.method is RoutingMethod.nearest
    assert result.distance_m == pytest.approx(to_west, abs=0.5)
    assert result.grid_code == "1"


def test_numeric_codes_tie_in_natural_order_so_2_beats_10() -> None:
    r = router({"10": box(X0, Y0, X0 + D, Y0 + D), "2": box(X0 + D, Y0, X0 + 2 * D, Y0 + D)})

    result = r.route(X0 + D, Y0 + D / 2)

    assert result.method is RoutingMethod.border
    assert result.grid_code == "2"
    assert result.candidates == ("2", "10")
    assert [g.code for g in r.grids] == ["2", "10"]


def test_a_point_in_the_hole_of_a_grid_is_not_inside_it() -> None:
    # A 300 m square with a 200 m hole; the hole's centre is 100 m from the grid.
    outer = [(X0, Y0), (X0 + 3 * D, Y0), (X0 + 3 * D, Y0 + 3 * D), (X0, Y0 + 3 * D)]
    hole = [
        (X0 + D / 2, Y0 + D / 2),
        (X0 + 2.5 * D, Y0 + D / 2),
        (X0 + 2.5 * D, Y0 + 2.5 * D),
        (X0 + D / 2, Y0 + 2.5 * D),
    ]
    ring = Polygon(outer, [hole])
    r = router({"330825100001001": ring})

    centre = r.route(X0 + 1.5 * D, Y0 + 1.5 * D)
    assert centre.method is RoutingMethod.unrouted
    assert centre.grid_code is None

    # 10 m inside the hole, east of its west edge: outside the grid, 10 m from it.
    lon, lat = east_of(X0 + D / 2, Y0 + 1.5 * D, 10.0)
    near = r.route(lon, lat)
    assert near.method is RoutingMethod.nearest
    assert near.distance_m == pytest.approx(10.0, abs=0.5)

    # On the hole's edge and in the ring itself the point is in the grid.
    assert r.route(X0 + D / 2, Y0 + 1.5 * D).method is RoutingMethod.inside
    assert r.route(X0 + D / 4, Y0 + 1.5 * D).method is RoutingMethod.inside


# --------------------------------------------------------------------------- refused input


def test_swapped_coordinates_are_refused_with_both_points_in_the_message() -> None:
    # Around Boston City Hall both (lon, lat) and (lat, lon) are valid coordinates, so only
    # the grids can tell that the user swapped them.
    r = router({"5": box(-71.07, 42.35, -71.05, 42.37)})
    assert r.route(-71.0587, 42.3594).grid_code == "5"

    with pytest.raises(InvalidCoordinates) as caught:
        r.route(42.3594, -71.0587)

    message = str(caught.value)
    assert "swapped" in message
    assert "lon=42.3594, lat=-71.0587" in message
    assert "lon=-71.0587, lat=42.3594" in message
    assert caught.value.field == "lon"


def test_a_latitude_of_119_is_refused_with_a_hint_that_lon_and_lat_are_swapped() -> None:
    r = router({"330825100001001": box(X0, Y0, X0 + D, Y0 + D)})

    with pytest.raises(InvalidCoordinates) as caught:
        r.route(29, 119)

    assert str(caught.value) == "lat must be in [-90, 90], got 119; are lon and lat swapped?"
    assert caught.value.field == "lat"


@pytest.mark.parametrize(
    "lon, lat, field",
    [
        (math.nan, 29.0, "lon"),
        (119.0, math.nan, "lat"),
        (math.inf, 29.0, "lon"),
        (119.0, -math.inf, "lat"),
    ],
)
def test_coordinates_that_are_not_finite_are_refused_naming_the_field(
    lon: float, lat: float, field: str
) -> None:
    r = router({"330825100001001": box(X0, Y0, X0 + D, Y0 + D)})

    with pytest.raises(InvalidCoordinates) as caught:
        r.route(lon, lat)

    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field} must be a finite number, got ")


def test_a_longitude_out_of_range_is_refused() -> None:
    r = router({"330825100001001": box(X0, Y0, X0 + D, Y0 + D)})

    with pytest.raises(InvalidCoordinates) as caught:
        r.route(200, 29)

    assert str(caught.value) == "lon must be in [-180, 180], got 200"
    assert caught.value.field == "lon"


def test_an_unknown_crs_is_refused_naming_the_crs_field() -> None:
    r = router({"330825100001001": box(X0, Y0, X0 + D, Y0 + D)})

    with pytest.raises(InvalidCoordinates) as caught:
        r.route(X0 + D / 2, Y0 + D / 2, crs="mars-coordinates")

    assert caught.value.field == "crs"
    assert "mars-coordinates" in str(caught.value)


# --------------------------------------------------------------------------- input CRS


def test_gcj02_input_is_converted_before_routing() -> None:
    # A small grid (about 100 m): the GCJ-02 offset, a few hundred metres, would miss it.
    r = router(
        {
            "330825100001001": box(X0, Y0, X0 + D, Y0 + D),
            "330825100001002": box(X0 + 10 * D, Y0 + 10 * D, X0 + 11 * D, Y0 + 11 * D),
        }
    )
    lon, lat = X0 + D / 2, Y0 + D / 2
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    assert metres(lon, lat, g_lon, g_lat) > 200

    converted = r.route(g_lon, g_lat, crs="gcj02")
    as_if_wgs84 = r.route(g_lon, g_lat)

    assert converted.method is RoutingMethod.inside
    assert converted.grid_code == "330825100001001"
    assert converted.lon == pytest.approx(lon, abs=1e-7)
    assert converted.lat == pytest.approx(lat, abs=1e-7)
    assert as_if_wgs84.grid_code != "330825100001001"
    assert as_if_wgs84.method is RoutingMethod.unrouted


# --------------------------------------------------------------------------- many points


def lattice_router() -> tuple[GridRouter, np.ndarray, np.ndarray]:
    """30 x 30 squares on a 0.001° lattice: rows that touch, rows with 20 m gaps, some squares
    stretched over their neighbour, some missing. Returns the router and the lattice lines."""
    xs = X0 + np.arange(31) * D
    ys = Y0 + np.arange(31) * D
    shapes: dict[str, shapely.Geometry] = {}
    n = 0
    for j in range(30):
        for i in range(30):
            n += 1
            if (i * 7 + j * 3) % 11 == 0:
                continue  # a missing square: a hole in the coverage
            gap = 0.0 if j % 3 == 0 else 0.0002  # touching rows share their edges exactly
            east = xs[i + 1] - gap
            if i % 4 == 0 and j % 3 == 1:
                east = xs[i + 1] + 0.0003  # overlaps the next square
            shapes[f"330825100{n:06d}"] = box(xs[i], ys[j], east, ys[j + 1] - gap)
    return router(shapes), xs, ys


def random_points(xs: np.ndarray, ys: np.ndarray, n: int, seed: int) -> tuple[np.ndarray, ...]:
    """Uniform points over the lattice and a margin, a tenth of them on lattice lines."""
    rng = np.random.default_rng(seed)
    lon = rng.uniform(xs[0] - 2 * D, xs[-1] + 2 * D, n)
    lat = rng.uniform(ys[0] - 2 * D, ys[-1] + 2 * D, n)
    on_line = rng.random(n) < 0.1
    lon[on_line] = xs[rng.integers(0, len(xs), on_line.sum())]
    return lon, lat


def test_route_many_agrees_with_route_point_by_point() -> None:
    r, xs, ys = lattice_router()
    lon, lat = random_points(xs, ys, 10_000, seed=7)

    batch = r.route_many(lon, lat)
    methods = batch.methods()

    for i in range(len(lon)):
        single = r.route(lon[i], lat[i])
        code = r.grids[batch.grid_index[i]].code if batch.grid_index[i] >= 0 else None
        distance = None if math.isnan(batch.distance_m[i]) else round(batch.distance_m[i], 2)
        assert (methods[i], code, distance) == (
            single.method,
            single.grid_code,
            single.distance_m,
        ), (lon[i], lat[i])
        if single.method is RoutingMethod.border:
            assert len(single.candidates) == batch.candidate_count[i] > 1
    # Every way of routing occurs, so the comparison covered all of them.
    assert set(methods) == {"inside", "border", "nearest", "unrouted"}


def test_route_many_agrees_with_a_brute_force_reference() -> None:
    r, xs, ys = lattice_router()
    lon, lat = random_points(xs, ys, 10_000, seed=11)
    batch = r.route_many(lon, lat)
    methods = batch.methods()
    geoms = np.asarray(r.geometries)
    codes = [g.code for g in r.grids]

    # Covered: every grid whose polygon covers the point, the lowest code first.
    covers = shapely.covers(geoms[np.newaxis, :], shapely.points(lon, lat)[:, np.newaxis])
    for i in np.flatnonzero(covers.any(axis=1)):
        hits = sorted((codes[k] for k in np.flatnonzero(covers[i])), key=code_sort_key)
        assert methods[i] == ("border" if len(hits) > 1 else "inside")
        assert codes[batch.grid_index[i]] == hits[0]

    # Not covered: the distance to the closest grid in metres (UTM 50N) decides.
    outside = np.flatnonzero(~covers.any(axis=1))
    utm = pyproj.Transformer.from_crs(4326, 32650, always_xy=True)
    px, py = utm.transform(lon[outside], lat[outside])
    projected = shapely.transform(
        geoms, lambda xy: np.column_stack(utm.transform(xy[:, 0], xy[:, 1]))
    )
    gaps = shapely.distance(projected[np.newaxis, :], shapely.points(px, py)[:, np.newaxis])
    closest = gaps.min(axis=1)
    near = closest <= 50
    assert (methods[outside[near]] == "nearest").all()
    assert (methods[outside[~near]] == "unrouted").all()
    assert batch.distance_m[outside[near]] == pytest.approx(closest[near], abs=0.01)
    chosen = gaps[np.flatnonzero(near), batch.grid_index[outside[near]]]
    # Distances equal to the centimetre are ties (the lowest code wins among them).
    assert chosen == pytest.approx(closest[near], abs=0.01)
    assert near.sum() > 100 and (~near).sum() > 100


def test_route_many_marks_unusable_rows_invalid_and_routes_the_others() -> None:
    r, xs, ys = lattice_router()
    lon, lat = random_points(xs, ys, 1_000, seed=3)
    clean = r.route_many(lon, lat)
    bad_rows = np.array([0, 5, 17, 400, 999])
    dirty_lon, dirty_lat = lon.copy(), lat.copy()
    dirty_lon[bad_rows] = [math.nan, math.inf, 200.0, 119.0, -181.0]
    dirty_lat[bad_rows] = [29.0, 29.0, 29.0, math.nan, 29.0]
    dirty_lat[17] = 95.0  # also out of range in lat

    batch = r.route_many(dirty_lon, dirty_lat)

    assert list(batch.methods()[bad_rows]) == ["invalid"] * len(bad_rows)
    assert (batch.grid_index[bad_rows] == -1).all()
    assert np.isnan(batch.distance_m[bad_rows]).all()
    good = np.setdiff1d(np.arange(len(lon)), bad_rows)
    assert (batch.method[good] == clean.method[good]).all()
    assert (batch.grid_index[good] == clean.grid_index[good]).all()
    np.testing.assert_array_equal(batch.distance_m[good], clean.distance_m[good])
    assert (batch.grid_index[good] >= 0).sum() > 500


def test_an_empty_router_routes_nothing() -> None:
    r = GridRouter(grids=[], geometries=[])

    assert len(r) == 0
    result = r.route(X0, Y0)
    assert result.method is RoutingMethod.unrouted
    assert result.grid_code is None
    assert result.candidates == ()
    batch = r.route_many(np.array([X0, 0.0, -71.0]), np.array([Y0, 0.0, 42.0]))
    assert list(batch.methods()) == ["unrouted"] * 3
    assert (batch.grid_index == -1).all()
