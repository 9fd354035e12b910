"""GET /api/v1/route: which grid, village and township a point belongs to, and how."""

from __future__ import annotations

import pytest
from pyproj import Geod
from sqlalchemy import text

from gis.crs import wgs84_to_bd09, wgs84_to_gcj02

ROUTE = "/api/v1/route"
GRID_A = "330825100001001"
GRID_B = "330825100001002"
VILLAGE = "330825100001"
TOWNSHIP = "330825100"
GEOD = Geod(ellps="WGS84")


def route(client, **params):
    return client.get(ROUTE, params=params)


def test_inside(client, grid_set):
    response = route(client, lon=119.005, lat=29.005)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["method"] == "inside"
    assert body["grid"] == {"code": GRID_A, "name": "测试村第1网格"}
    assert body["village"] == {"code": VILLAGE, "name": "测试村"}
    assert body["township"] == {"code": TOWNSHIP, "name": "测试镇"}
    assert body["distance_m"] == 0
    assert body["candidates"] == [GRID_A]
    assert body["boundary_set"] == "test-squares"
    assert (body["lon"], body["lat"]) == pytest.approx((119.005, 29.005))
    assert "inside" in body["explanation"]
    assert GRID_A in body["explanation"]
    assert "测试村第1网格" in body["explanation"]


def test_border(client, grid_set):
    response = route(client, lon=119.01, lat=29.005)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["method"] == "border"
    assert body["grid"] == {"code": GRID_A, "name": "测试村第1网格"}
    assert body["candidates"] == [GRID_A, GRID_B]
    assert body["village"]["code"] == VILLAGE
    assert body["township"]["code"] == TOWNSHIP
    assert "border" in body["explanation"]
    assert GRID_B in body["explanation"]
    assert f"the lowest code, {GRID_A}" in body["explanation"]


def test_nearest(client, grid_set):
    metres_per_degree = GEOD.inv(119.0, 29.005, 119.001, 29.005)[2] / 0.001
    lon = 119.0 - 30 / metres_per_degree  # 30 m west of grid A

    response = route(client, lon=lon, lat=29.005)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["method"] == "nearest"
    assert body["grid"]["code"] == GRID_A
    assert body["village"] == {"code": VILLAGE, "name": "测试村"}
    assert body["township"] == {"code": TOWNSHIP, "name": "测试镇"}
    assert body["distance_m"] == pytest.approx(30, abs=1.5)
    assert "outside every grid" in body["explanation"]
    assert "m from grid" in body["explanation"]
    assert GRID_A in body["explanation"]


def test_unrouted(client, grid_set):
    response = route(client, lon=120.5, lat=30.5)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["method"] == "unrouted"
    assert body["grid"] is None
    assert body["village"] is None
    assert body["township"] is None
    assert body["candidates"] == []
    assert body["boundary_set"] == "test-squares"
    assert "needs a person" in body["explanation"]


@pytest.mark.parametrize("crs", ["gcj02", "bd09"])
def test_chinese_map_coordinates_are_converted(client, grid_set, crs):
    convert = wgs84_to_gcj02 if crs == "gcj02" else wgs84_to_bd09
    x, y = (float(v) for v in convert(119.005, 29.005))

    response = route(client, lon=x, lat=y, crs=crs)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["method"] == "inside"
    assert body["grid"]["code"] == GRID_A
    assert GEOD.inv(body["lon"], body["lat"], 119.005, 29.005)[2] < 0.01


def test_swapped_coordinates_are_refused_naming_lon(client, europe_set):
    assert route(client, lon=10.005, lat=50.005).json()["method"] == "inside"

    response = route(client, lon=50.005, lat=10.005)

    assert response.status_code == 422, response.text
    body = response.json()
    assert body["field"] == "lon"
    assert "swapped" in body["message"]
    assert body["error"]


def test_latitude_beyond_90_is_refused_with_a_hint(client, grid_set):
    response = route(client, lon=29.005, lat=119.005)

    assert response.status_code == 422, response.text
    body = response.json()
    assert body["field"] == "lat"
    assert "lat must be in [-90, 90]" in body["message"]
    assert "swapped" in body["message"]


@pytest.mark.parametrize(
    "lon, lat, field", [(200, 29, "lon"), (-181, 10, "lon"), (119, -91, "lat"), (119, 95, "lat")]
)
def test_out_of_range_is_refused(client, grid_set, lon, lat, field):
    response = route(client, lon=lon, lat=lat)

    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    assert "must be in" in response.json()["message"]


def test_not_a_number_is_refused(client, grid_set):
    response = route(client, lon="east", lat=29)

    assert response.status_code == 422
    assert response.json()["field"] == "lon"


def test_missing_latitude_is_refused(client, grid_set):
    response = route(client, lon=119.005)

    assert response.status_code == 422
    assert response.json()["field"] == "lat"


@pytest.mark.parametrize("crs", ["mars", "EPSG:999999"])
def test_bad_crs_is_refused(client, grid_set, crs):
    response = route(client, lon=119.005, lat=29.005, crs=crs)

    assert response.status_code == 422, response.text
    body = response.json()
    assert body["field"] == "crs"
    assert crs in body["message"]


def test_no_active_set_is_a_conflict(client, session):
    session.execute(text("UPDATE boundary_set SET is_active = false"))

    response = route(client, lon=119.005, lat=29.005)

    assert response.status_code == 409, response.text
    body = response.json()
    assert body["error"] == "no_active_boundary_set"
    assert "activate" in body["message"]
