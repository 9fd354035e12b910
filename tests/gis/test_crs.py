"""Tests for gis.crs: WGS84 / CGCS2000 / GCJ-02 / BD-09 / EPSG conversion."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyproj
import pytest
import shapely

from gis import crs

GEOD = pyproj.Geod(ellps="WGS84")
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def metres(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Geodesic distance in metres between WGS84 points (arrays or floats)."""
    _, _, dist = GEOD.inv(
        np.asarray(lon1, dtype=float),
        np.asarray(lat1, dtype=float),
        np.asarray(lon2, dtype=float),
        np.asarray(lat2, dtype=float),
    )
    return np.asarray(dist)


def one_step_gcj02_to_wgs84(lon, lat):
    """The classic one-step inverse (g - offset(g)) that the reference libraries ship."""
    f_lon, f_lat = crs.wgs84_to_gcj02(lon, lat)
    return 2 * np.asarray(lon) - f_lon, 2 * np.asarray(lat) - f_lat


@pytest.fixture(scope="module")
def china_grid() -> tuple[np.ndarray, np.ndarray]:
    """A 0.1-degree WGS84 grid over China (lon 73..135, lat 18..53): ~218,000 points."""
    lon, lat = np.meshgrid(np.arange(73.0, 135.0001, 0.1), np.arange(18.0, 53.0001, 0.1))
    return lon.ravel(), lat.ravel()


# ----------------------------------------------------------------- published test vectors

# From the README of wandergis/coordtransform (https://github.com/wandergis/coordtransform,
# file README.md, section "示例用法（Example&Usage）", the "//result" block), all four
# computed from the input (116.404, 39.915):
#   bd09togcj02:  [ 116.39762729119315, 39.90865673957631 ]
#   gcj02tobd09:  [ 116.41036949371029, 39.92133699351021 ]
#   wgs84togcj02: [ 116.41024449916938, 39.91640428150164 ]
#   gcj02towgs84: [ 116.39775550083061, 39.91359571849836 ]
# Note: that library's gcj02towgs84 (index.js) is the one-step inverse g - offset(g), and
# its bd09togcj02 is the one-step analytic formula, not an exact inverse of gcj02tobd09.
WANDERGIS_INPUT = (116.404, 39.915)
WANDERGIS_BD09_TO_GCJ02 = (116.39762729119315, 39.90865673957631)
WANDERGIS_GCJ02_TO_BD09 = (116.41036949371029, 39.92133699351021)
WANDERGIS_WGS84_TO_GCJ02 = (116.41024449916938, 39.91640428150164)
WANDERGIS_GCJ02_TO_WGS84_ONE_STEP = (116.39775550083061, 39.91359571849836)

# From googollee/eviltransform (https://github.com/googollee/eviltransform), file
# python/test.py, list TESTS (the same three pairs are in go/transform_test.go, `tests`).
# There they are (wgsLat, wgsLng, gcjLat, gcjLng); here reordered to lon/lat.
# (Its TESTS_bd pairs are not used: that version's bd2gcj/gcj2bd use math.pi where the
# published BD-09 formula uses x_pi = pi * 3000 / 180, so they disagree by tens of metres.)
EVILTRANSFORM_WGS_GCJ = [
    # (wgs lon, wgs lat), (gcj lon, gcj lat)
    ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),  # shanghai
    ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),  # shenzhen
    ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),  # beijing
]


def test_wgs84_to_gcj02_matches_wandergis_readme():
    lon, lat = crs.wgs84_to_gcj02(*WANDERGIS_INPUT)
    assert lon == pytest.approx(WANDERGIS_WGS84_TO_GCJ02[0], abs=1e-9)
    assert lat == pytest.approx(WANDERGIS_WGS84_TO_GCJ02[1], abs=1e-9)


def test_gcj02_to_bd09_matches_wandergis_readme():
    lon, lat = crs.gcj02_to_bd09(*WANDERGIS_INPUT)
    assert lon == pytest.approx(WANDERGIS_GCJ02_TO_BD09[0], abs=1e-9)
    assert lat == pytest.approx(WANDERGIS_GCJ02_TO_BD09[1], abs=1e-9)


def test_bd09_analytic_start_matches_wandergis_readme():
    # The published one-step formula, which bd09_to_gcj02 uses as its starting point.
    lon, lat = crs._bd_to_gcj_analytic(np.array([116.404]), np.array([39.915]))
    assert lon[0] == pytest.approx(WANDERGIS_BD09_TO_GCJ02[0], abs=1e-9)
    assert lat[0] == pytest.approx(WANDERGIS_BD09_TO_GCJ02[1], abs=1e-9)


def test_bd09_to_gcj02_is_the_exact_inverse_and_near_wandergis():
    lon, lat = crs.bd09_to_gcj02(*WANDERGIS_INPUT)
    # Within ~0.3 m of the published one-step value ...
    assert metres(lon, lat, *WANDERGIS_BD09_TO_GCJ02) < 0.3
    # ... but, unlike it, an exact inverse of gcj02_to_bd09.
    back = crs.gcj02_to_bd09(lon, lat)
    assert back == pytest.approx(WANDERGIS_INPUT, abs=1e-9)
    one_step_back = crs.gcj02_to_bd09(*WANDERGIS_BD09_TO_GCJ02)
    assert metres(*one_step_back, *WANDERGIS_INPUT) > 0.01


def test_one_step_inverse_matches_wandergis_readme():
    # Proves our forward formula is the one the README's gcj02towgs84 inverts in one step.
    lon, lat = one_step_gcj02_to_wgs84(*WANDERGIS_INPUT)
    assert lon == pytest.approx(WANDERGIS_GCJ02_TO_WGS84_ONE_STEP[0], abs=1e-9)
    assert lat == pytest.approx(WANDERGIS_GCJ02_TO_WGS84_ONE_STEP[1], abs=1e-9)


def test_gcj02_to_wgs84_improves_on_wandergis_one_step():
    lon, lat = crs.gcj02_to_wgs84(*WANDERGIS_INPUT)
    # Close to the published one-step value (which is off by a few metres at most) ...
    assert metres(lon, lat, *WANDERGIS_GCJ02_TO_WGS84_ONE_STEP) < 5.0
    # ... and exact: going forward again lands back on the input.
    assert crs.wgs84_to_gcj02(lon, lat) == pytest.approx(WANDERGIS_INPUT, abs=1e-9)
    one_step_forward = crs.wgs84_to_gcj02(*WANDERGIS_GCJ02_TO_WGS84_ONE_STEP)
    assert metres(*one_step_forward, *WANDERGIS_INPUT) > 0.01


@pytest.mark.parametrize(("wgs", "gcj"), EVILTRANSFORM_WGS_GCJ)
def test_wgs84_to_gcj02_matches_eviltransform(wgs, gcj):
    lon, lat = crs.wgs84_to_gcj02(*wgs)
    assert lon == pytest.approx(gcj[0], abs=1e-9)
    assert lat == pytest.approx(gcj[1], abs=1e-9)


@pytest.mark.parametrize(("wgs", "gcj"), EVILTRANSFORM_WGS_GCJ)
def test_gcj02_to_wgs84_matches_eviltransform(wgs, gcj):
    # eviltransform's own gcj2wgs_exact test allows 0.5 m; the iteration gets to < 1 mm.
    lon, lat = crs.gcj02_to_wgs84(*gcj)
    assert metres(lon, lat, *wgs) < 0.001


def test_vectors_as_one_array():
    wgs = np.array([pair[0] for pair in EVILTRANSFORM_WGS_GCJ])
    gcj = np.array([pair[1] for pair in EVILTRANSFORM_WGS_GCJ])
    lon, lat = crs.wgs84_to_gcj02(wgs[:, 0], wgs[:, 1])
    np.testing.assert_allclose(lon, gcj[:, 0], rtol=0, atol=1e-9)
    np.testing.assert_allclose(lat, gcj[:, 1], rtol=0, atol=1e-9)


# ----------------------------------------------------------------------------- round trips


def test_gcj02_round_trip_over_china_within_half_a_metre(china_grid):
    lon, lat = china_grid
    assert lon.size > 200_000
    back = crs.gcj02_to_wgs84(*crs.wgs84_to_gcj02(lon, lat))
    dist = metres(lon, lat, *back)
    assert dist.max() < 0.5
    assert dist.max() < 0.001  # in practice: well under a millimetre


def test_bd09_round_trip_over_china_within_half_a_metre(china_grid):
    lon, lat = china_grid
    back = crs.bd09_to_wgs84(*crs.wgs84_to_bd09(lon, lat))
    dist = metres(lon, lat, *back)
    assert dist.max() < 0.5
    assert dist.max() < 0.001


def test_gcj02_bd09_round_trip_over_china(china_grid):
    lon, lat = china_grid
    back = crs.bd09_to_gcj02(*crs.gcj02_to_bd09(lon, lat))
    assert metres(lon, lat, *back).max() < 0.001


def test_one_step_inverse_would_not_meet_half_a_metre(china_grid):
    # Shows the iteration matters: the classic one-step inverse is off by metres.
    lon, lat = china_grid
    gcj_lon, gcj_lat = crs.wgs84_to_gcj02(lon, lat)
    dist = metres(lon, lat, *one_step_gcj02_to_wgs84(gcj_lon, gcj_lat))
    assert dist.max() > 0.5
    assert (dist > 0.5).mean() > 0.1  # and not just at one odd point


def test_offsets_are_a_few_hundred_metres(china_grid):
    lon, lat = china_grid
    dist = metres(lon, lat, *crs.wgs84_to_gcj02(lon, lat))
    assert dist.min() > 10 and dist.max() < 1500
    assert 100 < np.median(dist) < 800


def test_a_million_points_round_trip_quickly():
    rng = np.random.default_rng(20240601)
    lon = rng.uniform(73.0, 135.0, 1_000_000)
    lat = rng.uniform(18.0, 53.0, 1_000_000)
    started = time.perf_counter()
    back = crs.bd09_to_wgs84(*crs.wgs84_to_bd09(lon, lat))
    elapsed = time.perf_counter() - started
    assert np.abs(back[0] - lon).max() < 1e-8
    assert np.abs(back[1] - lat).max() < 1e-8
    assert elapsed < 30  # vectorised: a few seconds; a Python loop would take minutes


# --------------------------------------------------------------------------- outside China

OUTSIDE = [
    (139.6917, 35.6895),  # Tokyo
    (-0.1276, 51.5072),  # London
    (151.2093, -33.8688),  # Sydney
    (-74.006, 40.7128),  # New York
    (100.0, 56.0),  # north of the box
    (71.9, 35.0),  # west of the box
    (138.0, 30.0),  # east of the box
    (110.0, 0.5),  # south of the box
]


@pytest.mark.parametrize(("lon", "lat"), OUTSIDE)
def test_outside_china_gcj02_is_unchanged(lon, lat):
    assert crs.out_of_china(lon, lat) is True
    assert crs.wgs84_to_gcj02(lon, lat) == (lon, lat)
    assert crs.gcj02_to_wgs84(lon, lat) == (lon, lat)


@pytest.mark.parametrize(("lon", "lat"), OUTSIDE)
def test_outside_china_bd09_still_round_trips(lon, lat):
    # The BD-09 step is applied everywhere (as in wandergis/coordtransform); only the
    # GCJ-02 step is skipped, so wgs84 -> bd09 equals gcj02 -> bd09 there.
    assert crs.wgs84_to_bd09(lon, lat) == crs.gcj02_to_bd09(lon, lat)
    back = crs.bd09_to_wgs84(*crs.wgs84_to_bd09(lon, lat))
    assert back == pytest.approx((lon, lat), abs=1e-9)


def test_mixed_array_changes_only_points_in_china():
    lon = np.array([139.6917, 116.404, -0.1276, 121.4737])
    lat = np.array([35.6895, 39.915, 51.5072, 31.2304])
    inside = ~crs.out_of_china(lon, lat)
    np.testing.assert_array_equal(inside, [False, True, False, True])
    for func in (crs.wgs84_to_gcj02, crs.gcj02_to_wgs84):
        out_lon, out_lat = func(lon, lat)
        np.testing.assert_array_equal(out_lon[~inside], lon[~inside])
        np.testing.assert_array_equal(out_lat[~inside], lat[~inside])
        assert np.all(metres(out_lon[inside], out_lat[inside], lon[inside], lat[inside]) > 100)


def test_box_edges_match_the_reference_out_of_china():
    # wandergis/coordTransform_py coordTransform_utils.py and googollee/eviltransform
    # python/eviltransform.py: inside iff 72.004 <= lon <= 137.8347, 0.8293 <= lat <= 55.8271.
    assert crs.out_of_china(72.004, 30.0) is False
    assert crs.out_of_china(72.0039, 30.0) is True
    assert crs.out_of_china(137.8347, 30.0) is False
    assert crs.out_of_china(137.8348, 30.0) is True
    assert crs.out_of_china(100.0, 0.8293) is False
    assert crs.out_of_china(100.0, 0.8292) is True
    assert crs.out_of_china(100.0, 55.8271) is False
    assert crs.out_of_china(100.0, 55.8272) is True


# ---------------------------------------------------------------------- scalars and arrays

ALL_CONVERSIONS = [
    crs.wgs84_to_gcj02,
    crs.gcj02_to_wgs84,
    crs.gcj02_to_bd09,
    crs.bd09_to_gcj02,
    crs.wgs84_to_bd09,
    crs.bd09_to_wgs84,
]


@pytest.mark.parametrize("func", ALL_CONVERSIONS)
def test_scalar_in_floats_out(func):
    lon, lat = func(116.404, 39.915)
    assert type(lon) is float and type(lat) is float
    lon_i, lat_i = func(116, 40)  # ints are accepted
    assert type(lon_i) is float and type(lat_i) is float
    lon_0d, lat_0d = func(np.float64(116.404), np.array(39.915))
    assert (lon_0d, lat_0d) == (lon, lat)


@pytest.mark.parametrize("func", ALL_CONVERSIONS)
def test_arrays_keep_shape_and_agree_with_scalars(func):
    lon = np.array([[116.404, 121.4737, 113.2644], [104.0665, 87.6168, 126.6425]])
    lat = np.array([[39.915, 31.2304, 23.1291], [30.5728, 43.8256, 45.7567]])
    lon_before, lat_before = lon.copy(), lat.copy()
    out_lon, out_lat = func(lon, lat)
    assert isinstance(out_lon, np.ndarray) and out_lon.shape == (2, 3)
    assert out_lon.dtype == np.float64 and out_lat.shape == (2, 3)
    np.testing.assert_array_equal(lon, lon_before)  # inputs are not modified
    np.testing.assert_array_equal(lat, lat_before)
    for index in np.ndindex(lon.shape):
        s_lon, s_lat = func(float(lon[index]), float(lat[index]))
        # The iterative inverses stop once the whole batch has converged, so a batch and a
        # single point may differ in the last few ulps (1e-10 degrees is 10 micrometres).
        assert out_lon[index] == pytest.approx(s_lon, abs=1e-10)
        assert out_lat[index] == pytest.approx(s_lat, abs=1e-10)
    list_lon, list_lat = func(lon[0].tolist(), lat[0].tolist())
    assert isinstance(list_lon, np.ndarray)
    np.testing.assert_allclose(list_lon, out_lon[0], rtol=0, atol=1e-10)


@pytest.mark.parametrize("func", ALL_CONVERSIONS)
def test_empty_arrays(func):
    lon, lat = func(np.array([]), np.array([]))
    assert lon.shape == (0,) and lat.shape == (0,)


@pytest.mark.parametrize("func", ALL_CONVERSIONS)
def test_nan_passes_through(func):
    lon, lat = func(np.array([116.404, np.nan]), np.array([39.915, np.nan]))
    assert np.isfinite(lon[0]) and np.isfinite(lat[0])
    assert np.isnan(lon[1]) and np.isnan(lat[1])


def test_float32_input_is_computed_in_float64():
    lon, lat = crs.wgs84_to_gcj02(np.array([116.404], np.float32), np.array([39.915], np.float32))
    assert lon.dtype == np.float64


def test_mismatched_shapes_rejected():
    with pytest.raises(
        ValueError, match=re.escape("lon and lat must have the same shape; got (3,) and (2,)")
    ):
        crs.wgs84_to_gcj02(np.zeros(3), np.zeros(2))
    with pytest.raises(
        ValueError, match=re.escape("lon and lat must have the same shape; got () and (2,)")
    ):
        crs.gcj02_to_wgs84(116.0, np.zeros(2))


def test_non_numeric_rejected():
    with pytest.raises(
        TypeError, match=re.escape("lon must be a number or an array of numbers; got '116.4'")
    ):
        crs.wgs84_to_gcj02("116.4", 39.9)
    with pytest.raises(
        TypeError, match=re.escape("lat must be a number or an array of numbers; got None")
    ):
        crs.wgs84_to_gcj02(116.4, None)
    with pytest.raises(
        TypeError, match=re.escape("lon must be a number or an array of numbers; got list")
    ):
        crs.wgs84_to_gcj02(["a", "b"], [1.0, 2.0])


# ------------------------------------------------------------------------------ parse_crs


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "wgs84"),
        ("wgs84", "wgs84"),
        ("WGS84", "wgs84"),
        ("WGS 84", "wgs84"),
        ("wgs-84", "wgs84"),
        ("epsg:4326", "wgs84"),
        ("EPSG:4326", "wgs84"),
        ("4326", "wgs84"),
        (4326, "wgs84"),
        ("cgcs2000", "cgcs2000"),
        ("CGCS2000", "cgcs2000"),
        ("epsg:4490", "cgcs2000"),
        ("4490", "cgcs2000"),
        (4490, "cgcs2000"),
        ("gcj02", "gcj02"),
        ("GCJ-02", "gcj02"),
        ("gcj", "gcj02"),
        ("bd09", "bd09"),
        ("BD-09", "bd09"),
        ("baidu", "bd09"),
        ("EPSG:4549", "EPSG:4549"),
        ("epsg:4549", "EPSG:4549"),
        ("4549", "EPSG:4549"),
        (4549, "EPSG:4549"),
        ("  EPSG:3857 ", "EPSG:3857"),
        ("EPSG:4214", "EPSG:4214"),
    ],
)
def test_parse_crs_accepts(value, expected):
    assert crs.parse_crs(value) == expected


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("foo", "'foo'"),
        ("", "''"),
        ("bd09mc", "'bd09mc'"),
        ("EPSG:999999", "'EPSG:999999'"),
        ("99999", "'99999'"),
        ("EPSG:", "'EPSG:'"),
        ("gcj03", "'gcj03'"),
        (0, "0"),
        (-4326, "-4326"),
    ],
)
def test_parse_crs_rejects_junk_with_exact_message(value, shown):
    message = (
        f"crs must be wgs84, cgcs2000, gcj02, bd09 or an EPSG code such as EPSG:4549; got {shown}"
    )
    with pytest.raises(ValueError) as excinfo:
        crs.parse_crs(value)
    assert str(excinfo.value) == message


def test_parse_crs_rejects_non_horizontal_epsg():
    with pytest.raises(ValueError) as excinfo:
        crs.parse_crs("EPSG:5773")
    assert str(excinfo.value) == (
        "crs must be a horizontal (geographic or projected) CRS; EPSG:5773 (EGM96 height) is not"
    )


@pytest.mark.parametrize(("value", "type_name"), [(4326.0, "float"), (True, "bool"), ([], "list")])
def test_parse_crs_rejects_wrong_types(value, type_name):
    with pytest.raises(TypeError) as excinfo:
        crs.parse_crs(value)
    assert str(excinfo.value) == (
        f"crs must be a string, an integer EPSG code or None; got {type_name}"
    )


# ---------------------------------------------------------------- to_wgs84 and from_wgs84


@pytest.mark.parametrize("name", ["wgs84", "cgcs2000", "EPSG:4326", 4490, None])
def test_wgs84_and_cgcs2000_are_identity(name):
    lon = np.array([116.404, 121.4737])
    lat = np.array([39.915, 31.2304])
    for func in (crs.to_wgs84, crs.from_wgs84):
        out_lon, out_lat = func(lon, lat, name)
        np.testing.assert_array_equal(out_lon, lon)
        np.testing.assert_array_equal(out_lat, lat)
    assert crs.to_wgs84(116.404, 39.915, name) == (116.404, 39.915)


def test_dispatch_to_gcj02_and_bd09():
    lon, lat = 116.404, 39.915
    assert crs.from_wgs84(lon, lat, "GCJ-02") == crs.wgs84_to_gcj02(lon, lat)
    assert crs.to_wgs84(lon, lat, "gcj02") == crs.gcj02_to_wgs84(lon, lat)
    assert crs.from_wgs84(lon, lat, "baidu") == crs.wgs84_to_bd09(lon, lat)
    assert crs.to_wgs84(lon, lat, "bd09") == crs.bd09_to_wgs84(lon, lat)


def test_dispatch_rejects_unknown_crs():
    with pytest.raises(ValueError, match=re.escape("got 'mars'")):
        crs.to_wgs84(116.0, 40.0, "mars")


def test_epsg_4549_known_values():
    # CGCS2000 / 3-degree Gauss-Kruger CM 120E: false easting 500 km, scale 1 on the
    # central meridian, so (120E, 0N) is (500000, 0) and (120E, 30N) lies due north of it
    # at the GRS80 meridian arc length to 30 degrees (3,320,113.398 m).
    assert crs.from_wgs84(120.0, 0.0, "EPSG:4549") == pytest.approx((500000.0, 0.0), abs=1e-6)
    x, y = crs.from_wgs84(120.0, 30.0, 4549)
    assert x == pytest.approx(500000.0, abs=1e-6)
    assert y == pytest.approx(3320113.398, abs=0.01)
    east_x, _ = crs.from_wgs84(121.0, 30.0, "4549")
    assert 96_000 < east_x - 500_000 < 97_000  # one degree of longitude at 30N ~ 96.5 km


def test_epsg_4549_round_trip():
    lon, lat = np.meshgrid(np.linspace(118.5, 121.5, 31), np.linspace(24.5, 53.0, 58))
    lon, lat = lon.ravel(), lat.ravel()
    x, y = crs.from_wgs84(lon, lat, "EPSG:4549")
    assert x.shape == lon.shape
    assert np.all((x > 300_000) & (x < 700_000))
    back_lon, back_lat = crs.to_wgs84(x, y, "EPSG:4549")
    assert metres(lon, lat, back_lon, back_lat).max() < 1e-6
    # Scalars come back as floats.
    s_lon, s_lat = crs.to_wgs84(float(x[0]), float(y[0]), "EPSG:4549")
    assert type(s_lon) is float and s_lon == pytest.approx(lon[0], abs=1e-10)


def test_epsg_transformer_is_cached():
    crs.to_wgs84(500000.0, 3320113.398, "EPSG:4549")
    before = crs._transformer.cache_info().hits
    crs.to_wgs84(500000.0, 3320113.398, 4549)
    assert crs._transformer.cache_info().hits == before + 1


# --------------------------------------------------------------- transform_geometries_to_wgs84


def _hangzhou_polygon_gcj02() -> shapely.Polygon:
    return shapely.Polygon(
        [(120.150, 30.270), (120.170, 30.270), (120.170, 30.285), (120.150, 30.285)]
    )


def test_transform_polygon_from_gcj02_moves_it_a_few_hundred_metres():
    polygon = _hangzhou_polygon_gcj02()
    (moved,) = crs.transform_geometries_to_wgs84(np.array([polygon]), "gcj02")
    assert isinstance(moved, shapely.Polygon)
    src = shapely.get_coordinates(polygon)
    dst = shapely.get_coordinates(moved)
    assert dst.shape == src.shape
    dist = metres(src[:, 0], src[:, 1], dst[:, 0], dst[:, 1])
    assert np.all((dist > 300) & (dist < 800))  # the Hangzhou offset is ~500 m
    # Every vertex is exactly what the point conversion gives.
    exp_lon, exp_lat = crs.gcj02_to_wgs84(src[:, 0], src[:, 1])
    np.testing.assert_allclose(dst[:, 0], exp_lon, rtol=0, atol=1e-12)
    np.testing.assert_allclose(dst[:, 1], exp_lat, rtol=0, atol=1e-12)
    # Nearly a rigid shift: the offset varies by only ~0.1-0.3 % of the distance moved
    # (its shortest wavelength is 1/3 degree), so the area changes by well under 1 %.
    assert moved.area == pytest.approx(polygon.area, rel=1e-2)
    # And going forward again lands back on the original polygon.
    fwd = crs.wgs84_to_gcj02(dst[:, 0], dst[:, 1])
    assert metres(*fwd, src[:, 0], src[:, 1]).max() < 0.001


def test_transform_geometries_bd09_list_none_and_z():
    point = shapely.Point(116.404, 39.915)
    line_z = shapely.LineString([(116.40, 39.91, 12.5), (116.41, 39.92, 13.5)])
    result = crs.transform_geometries_to_wgs84([point, None, line_z], "bd09")
    assert isinstance(result, np.ndarray) and result.shape == (3,)
    assert result[1] is None
    assert (result[0].x, result[0].y) == pytest.approx(crs.bd09_to_wgs84(116.404, 39.915))
    assert result[2].has_z
    np.testing.assert_array_equal(
        shapely.get_coordinates(result[2], include_z=True)[:, 2], [12.5, 13.5]
    )


def test_transform_single_geometry_and_identity():
    point = shapely.Point(116.404, 39.915)
    moved = crs.transform_geometries_to_wgs84(point, "gcj02")
    assert isinstance(moved, shapely.Point)
    assert (moved.x, moved.y) == pytest.approx(crs.gcj02_to_wgs84(116.404, 39.915))
    same = crs.transform_geometries_to_wgs84([point], "cgcs2000")
    assert shapely.equals_exact(same[0], point, tolerance=0)


def test_transform_geometries_from_epsg_4549():
    square = shapely.box(500000.0, 3320000.0, 501000.0, 3321000.0)
    (moved,) = crs.transform_geometries_to_wgs84(np.array([square]), "EPSG:4549")
    min_lon, min_lat, max_lon, max_lat = moved.bounds
    assert 119.99 < min_lon < 120.0 + 1e-9 and 120.0 < max_lon < 120.02
    assert 29.99 < min_lat < 30.0 < max_lat < 30.02
    # A 1 km square stays about 1 km on each side.
    assert metres(min_lon, min_lat, max_lon, min_lat) == pytest.approx(1000.0, rel=1e-3)


def test_transform_geometries_rejects_non_geometries():
    with pytest.raises(TypeError) as excinfo:
        crs.transform_geometries_to_wgs84([shapely.Point(0, 0), "POINT (1 1)"], "gcj02")
    assert str(excinfo.value) == (
        "geoms must contain only shapely geometries or None; got str at index 1"
    )
    with pytest.raises(ValueError, match=re.escape("got 'nope'")):
        crs.transform_geometries_to_wgs84([shapely.Point(0, 0)], "nope")


# ------------------------------------------------------------------------- spatial core


def test_module_imports_nothing_of_the_web():
    code = (
        "import sys; import gis.crs; "
        "bad = sorted(m for m in ('fastapi', 'folium', 'sqlalchemy', 'starlette', 'branca') "
        "if m in sys.modules); print(','.join(bad))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == ""


# --- OGC CRS URIs and axis order ------------------------------------------------------------------


def test_ogc_crs_uris_name_epsg_codes_and_crs84():
    from gis.crs import CRS84_URI, epsg_uri, parse_crs_uri

    assert parse_crs_uri(CRS84_URI) is None
    assert parse_crs_uri("http://www.opengis.net/def/crs/EPSG/0/4549") == 4549
    assert parse_crs_uri("urn:ogc:def:crs:EPSG::4490") == 4490
    assert parse_crs_uri("[EPSG:4326]") == 4326
    assert epsg_uri(4490) == "http://www.opengis.net/def/crs/EPSG/0/4490"
    with pytest.raises(ValueError, match="URI"):
        parse_crs_uri("WGS84")


def test_axis_order_is_the_crs_own():
    from pyproj import Transformer

    from gis.crs import axes_to_wgs84, northing_first, wgs84_to_axes

    assert not northing_first(None) and not northing_first(3857)
    assert northing_first(4326) and northing_first(4490) and northing_first(4549)
    assert wgs84_to_axes(119.2, 29.0, None) == (119.2, 29.0)
    assert wgs84_to_axes(119.2, 29.0, 4490) == (29.0, 119.2)
    north, east = wgs84_to_axes(119.2, 29.0, 4549)
    # EPSG's own order for EPSG:4549 (no always_xy): northing, easting.
    assert (north, east) == pytest.approx(Transformer.from_crs(4326, 4549).transform(29.0, 119.2))
    assert 3.2e6 < north < 3.3e6 and 400_000 < east < 500_000  # west of 120°E: east < 500 km
    assert axes_to_wgs84(north, east, 4549) == pytest.approx((119.2, 29.0))
