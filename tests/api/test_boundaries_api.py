"""GET /api/v1/boundaries, /api/v1/boundaries/{code} and /api/v1/boundary-sets (GeoJSON)."""

from __future__ import annotations

import pytest
import shapely
from geoalchemy2.shape import from_shape

GRIDS = ["330825100001001", "330825100001002", "330825100001003"]
VILLAGE = "330825100001"
TOWNSHIP = "330825100"
GEOJSON = "application/geo+json"


@pytest.fixture
def other_set(session, grid_set):
    """An inactive second set beside the active `grid_set`: one grid, 119.1-119.11 x 29.1-29.11."""
    from gis.models import Area, BoundarySet

    boundary_set = BoundarySet(name="test-other")
    session.add(boundary_set)
    session.flush()
    grid = shapely.MultiPolygon([shapely.box(119.1, 29.1, 119.11, 29.11)])
    session.add(
        Area(
            set_id=boundary_set.id,
            level="grid",
            code="330825100002001",
            name="别村第1网格",
            parent_code="330825100002",
            geom=from_shape(grid, srid=4326),
            area_m2=0.0,
        )
    )
    session.flush()
    return boundary_set


def features(response) -> list[dict]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == GEOJSON
    collection = response.json()
    assert collection["type"] == "FeatureCollection"
    return collection["features"]


def test_grids_of_the_active_set(client, grid_set):
    response = client.get("/api/v1/boundaries", params={"level": "grid"})

    found = features(response)
    assert response.json()["name"] == "test-squares"
    assert [f["properties"]["code"] for f in found] == GRIDS
    for feature in found:
        assert feature["type"] == "Feature"
        properties = feature["properties"]
        assert properties["level"] == "grid"
        assert properties["parent_code"] == VILLAGE
        assert properties["name"].startswith("测试村第")
        assert feature["geometry"]["type"] == "MultiPolygon"
    first = found[0]
    assert first["properties"]["name"] == "测试村第1网格"
    ring = first["geometry"]["coordinates"][0][0]
    assert shapely.Polygon(ring).equals(shapely.box(119.0, 29.0, 119.01, 29.01))


def test_every_level_without_a_filter(client, grid_set):
    found = features(client.get("/api/v1/boundaries"))
    assert {f["properties"]["code"]: f["properties"]["level"] for f in found} == {
        TOWNSHIP: "township",
        VILLAGE: "village",
        **{code: "grid" for code in GRIDS},
    }


def test_parent_filter(client, grid_set):
    grids = features(client.get("/api/v1/boundaries", params={"parent": VILLAGE}))
    assert [f["properties"]["code"] for f in grids] == GRIDS
    villages = features(client.get("/api/v1/boundaries", params={"parent": TOWNSHIP}))
    assert [f["properties"]["code"] for f in villages] == [VILLAGE]
    assert features(client.get("/api/v1/boundaries", params={"parent": "000000000"})) == []


def test_bbox_filter(client, grid_set):
    def grids_in(bbox: str) -> list[dict]:
        return features(client.get("/api/v1/boundaries", params={"level": "grid", "bbox": bbox}))

    only_a = grids_in("119.001,29.001,119.004,29.004")
    assert [f["properties"]["code"] for f in only_a] == [GRIDS[0]]
    b_and_c = grids_in("119.016,29.001,119.018,29.004")
    assert [f["properties"]["code"] for f in b_and_c] == GRIDS[1:]
    far = features(client.get("/api/v1/boundaries", params={"bbox": "100,20,100.1,20.1"}))
    assert far == []


def test_malformed_bbox_is_refused(client, grid_set):
    response = client.get("/api/v1/boundaries", params={"bbox": "119,29,119.1"})
    assert response.status_code == 422
    assert response.json()["field"] == "bbox"


def test_unknown_level_is_refused(client, grid_set):
    response = client.get("/api/v1/boundaries", params={"level": "province"})
    assert response.status_code == 422
    assert response.json()["field"] == "level"


def test_another_set_by_name(client, other_set):
    response = client.get("/api/v1/boundaries", params={"set": "test-other", "level": "grid"})

    found = features(response)
    assert response.json()["name"] == "test-other"
    assert [f["properties"]["code"] for f in found] == ["330825100002001"]
    assert found[0]["properties"]["set"] == "test-other"


def test_unknown_set_is_404_naming_the_sets(client, other_set):
    response = client.get("/api/v1/boundaries", params={"set": "no-such-set"})

    assert response.status_code == 404
    body = response.json()
    assert body["error"] == "boundary_set_not_found"
    assert body["field"] == "set"
    assert "no-such-set" in body["message"]
    assert "test-squares" in body["message"]
    assert "test-other" in body["message"]


def test_one_area_as_a_feature(client, grid_set):
    response = client.get(f"/api/v1/boundaries/{GRIDS[1]}")

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == GEOJSON
    feature = response.json()
    assert feature["type"] == "Feature"
    assert feature["properties"]["code"] == GRIDS[1]
    assert feature["properties"]["name"] == "测试村第2网格"
    assert feature["properties"]["level"] == "grid"
    assert feature["properties"]["parent_code"] == VILLAGE
    assert shapely.geometry.shape(feature["geometry"]).equals(
        shapely.MultiPolygon([shapely.box(119.01, 29.0, 119.02, 29.01)])
    )


def test_one_area_of_another_set(client, other_set):
    response = client.get("/api/v1/boundaries/330825100002001", params={"set": "test-other"})
    assert response.status_code == 200
    assert response.json()["properties"]["name"] == "别村第1网格"
    # It is not in the active set.
    assert client.get("/api/v1/boundaries/330825100002001").status_code == 404


def test_unknown_area_is_404(client, grid_set):
    response = client.get("/api/v1/boundaries/330825999999999")

    assert response.status_code == 404
    body = response.json()
    assert body["error"] == "area_not_found"
    assert "330825999999999" in body["message"]
    assert "test-squares" in body["message"]


def test_boundary_sets_with_counts_and_one_active(client, other_set):
    response = client.get("/api/v1/boundary-sets")

    assert response.status_code == 200
    sets = {s["name"]: s for s in response.json()}
    assert [s["name"] for s in response.json() if s["is_active"]] == ["test-squares"]
    squares = sets["test-squares"]
    assert {k: v for k, v in squares["counts"].items() if v} == {
        "township": 1,
        "village": 1,
        "grid": 3,
    }
    assert squares["activated_at"] is not None
    other = sets["test-other"]
    assert other["is_active"] is False
    assert other["counts"]["grid"] == 1
    assert other["activated_at"] is None
