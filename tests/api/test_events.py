"""POST and GET /api/v1/events, and GET /api/v1/categories, in-process on the test's transaction.

The `grid_set` squares (see tests/conftest.py): A 330825100001001 = 119.00-119.01 x 29.00-29.01,
B ...002 = 119.01-119.02 (shares the edge lon=119.01 with A), C ...003 = 119.015-119.025
(overlaps B); all three in village 330825100001 of township 330825100.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pyproj import Geod, Transformer
from sqlalchemy import text

from gis.crs import wgs84_to_gcj02

GRID_A = "330825100001001"
GRID_B = "330825100001002"
GRID_C = "330825100001003"
VILLAGE = "330825100001"
TOWNSHIP = "330825100"
EVENTS = "/api/v1/events"
GEOD = Geod(ellps="WGS84")
# 20 m west of grid A's western edge (lon 119.00) at lat 29.005.
METRES_PER_DEGREE_LON_AT_29 = GEOD.inv(119.0, 29.005, 119.001, 29.005)[2] / 0.001


def report(**overrides) -> dict:
    """A valid event inside grid A, with `overrides` applied (None removes a key)."""
    body = {
        "title": "路边暴露垃圾",
        "description": "桥头东侧有一堆生活垃圾未清运",
        "category_code": "0102",
        "source": "grid_worker",
        "lon": 119.005,
        "lat": 29.005,
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def event_count(session) -> int:
    return session.scalar(text("SELECT count(*) FROM event"))


def stored(session, event_id: int) -> dict:
    """The row as PostGIS holds it."""
    row = (
        session.execute(
            text(
                "SELECT ST_X(location) AS lon, ST_Y(location) AS lat, ST_SRID(location) AS srid, "
                "routing_method, grid_code, village_code, township_code, routing_distance_m, "
                "routing_candidates, input_lon, input_lat, input_crs, routing_set_id, title, "
                "status "
                "FROM event WHERE id = :id"
            ),
            {"id": event_id},
        )
        .mappings()
        .one()
    )
    return dict(row)


def metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    return GEOD.inv(lon1, lat1, lon2, lat2)[2]


# --- taking in events ---------------------------------------------------------------------------


def test_event_inside_a_grid_is_stored_with_its_routing(client, grid_set, session):
    response = client.post(EVENTS, json=report(address="测试村村口", external_id=None))

    assert response.status_code == 201, response.text
    event = response.json()
    expected = {
        "boundary_set": "test-squares",
        "method": "inside",
        "grid_code": GRID_A,
        "village_code": VILLAGE,
        "township_code": TOWNSHIP,
        "distance_m": 0.0,
        "candidates": [GRID_A],
    }
    assert {key: event["routing"].get(key) for key in expected} == expected
    assert event["category"] == {"code": "0102", "name": "暴露垃圾"}
    assert event["status"] == "reported"
    assert (event["lon"], event["lat"]) == pytest.approx((119.005, 29.005), abs=1e-9)
    assert event["input"] == {"lon": 119.005, "lat": 29.005, "crs": "wgs84"}

    row = stored(session, event["id"])
    assert row["srid"] == 4326
    assert (row["lon"], row["lat"]) == pytest.approx((119.005, 29.005), abs=1e-9)
    assert row["routing_method"] == "inside"
    assert (row["grid_code"], row["village_code"], row["township_code"]) == (
        GRID_A,
        VILLAGE,
        TOWNSHIP,
    )
    assert row["routing_set_id"] == grid_set.id
    assert row["routing_distance_m"] == 0
    assert row["title"] == "路边暴露垃圾"


def test_point_on_a_shared_edge_is_border_and_the_lowest_code_takes_it(client, grid_set, session):
    response = client.post(EVENTS, json=report(lon=119.01, lat=29.005))

    assert response.status_code == 201, response.text
    routing = response.json()["routing"]
    assert routing["method"] == "border"
    assert routing["candidates"] == [GRID_A, GRID_B]
    assert routing["grid_code"] == GRID_A
    assert routing["distance_m"] == 0
    row = stored(session, response.json()["id"])
    assert row["routing_method"] == "border"
    assert row["grid_code"] == GRID_A
    assert row["routing_candidates"] == [GRID_A, GRID_B]


def test_point_where_two_grids_overlap_is_border_too(client, grid_set):
    response = client.post(EVENTS, json=report(lon=119.0175, lat=29.005))

    assert response.status_code == 201, response.text
    routing = response.json()["routing"]
    assert routing["method"] == "border"
    assert routing["candidates"] == [GRID_B, GRID_C]
    assert routing["grid_code"] == GRID_B


def test_point_20_m_outside_goes_to_the_nearest_grid_with_its_distance(client, grid_set, session):
    lon = 119.0 - 20 / METRES_PER_DEGREE_LON_AT_29

    response = client.post(EVENTS, json=report(lon=lon, lat=29.005))

    assert response.status_code == 201, response.text
    routing = response.json()["routing"]
    assert routing["method"] == "nearest"
    assert routing["grid_code"] == GRID_A
    assert routing["village_code"] == VILLAGE
    assert routing["township_code"] == TOWNSHIP
    assert routing["distance_m"] == pytest.approx(20, abs=1.5)
    row = stored(session, response.json()["id"])
    assert row["routing_method"] == "nearest"
    assert row["routing_distance_m"] == pytest.approx(20, abs=1.5)
    # The point is stored where it was reported, not moved onto the grid.
    assert row["lon"] == pytest.approx(lon, abs=1e-9)


def test_point_far_from_every_grid_is_stored_unrouted_and_listed(client, grid_set, session):
    before = event_count(session)

    response = client.post(EVENTS, json=report(lon=120.5, lat=30.5, title="远处的事件"))

    assert response.status_code == 201, response.text
    event = response.json()
    assert event["routing"]["method"] == "unrouted"
    assert event["routing"]["grid_code"] is None
    assert event["routing"]["village_code"] is None
    assert event["routing"]["township_code"] is None
    assert event["routing"]["boundary_set"] == "test-squares"
    assert event_count(session) == before + 1
    row = stored(session, event["id"])
    assert row["routing_method"] == "unrouted"
    assert (row["lon"], row["lat"]) == pytest.approx((120.5, 30.5), abs=1e-9)

    listed = client.get(EVENTS, params={"routing": "unrouted", "limit": 1000})
    assert listed.status_code == 200
    assert event["id"] in [e["id"] for e in listed.json()["items"]]
    assert all(e["routing"]["method"] == "unrouted" for e in listed.json()["items"])


def test_gcj02_input_is_converted_to_wgs84_and_the_input_kept(client, grid_set, session):
    gcj_lon, gcj_lat = (float(v) for v in wgs84_to_gcj02(119.005, 29.005))

    response = client.post(EVENTS, json=report(lon=gcj_lon, lat=gcj_lat, crs="gcj02"))

    assert response.status_code == 201, response.text
    event = response.json()
    assert event["input"] == {"lon": gcj_lon, "lat": gcj_lat, "crs": "gcj02"}
    shift = metres(gcj_lon, gcj_lat, event["lon"], event["lat"])
    assert 100 < shift < 1000
    assert metres(119.005, 29.005, event["lon"], event["lat"]) < 0.01
    assert event["routing"]["method"] == "inside"
    assert event["routing"]["grid_code"] == GRID_A
    row = stored(session, event["id"])
    assert metres(row["lon"], row["lat"], 119.005, 29.005) < 0.01
    assert (row["input_lon"], row["input_lat"], row["input_crs"]) == (gcj_lon, gcj_lat, "gcj02")


@pytest.mark.parametrize("crs", ["gcj02", "EPSG:4549"])
def test_input_is_converted_to_wgs84_even_when_no_set_is_active(client, session, crs):
    """With no active set the event waits unrouted, but its stored point must still be WGS84."""
    session.execute(text("UPDATE boundary_set SET is_active = false"))
    if crs == "gcj02":
        x, y = (float(v) for v in wgs84_to_gcj02(119.005, 29.005))
    else:  # CGCS2000 3-degree Gauss-Kruger CM 120E, metres
        x, y = Transformer.from_crs(4326, 4549, always_xy=True).transform(119.005, 29.005)

    response = client.post(EVENTS, json=report(lon=x, lat=y, crs=crs))

    assert response.status_code == 201, response.text
    event = response.json()
    assert event["routing"]["method"] == "unrouted"
    assert event["input"] == {"lon": x, "lat": y, "crs": crs}
    row = stored(session, event["id"])
    assert -180 <= row["lon"] <= 180 and -90 <= row["lat"] <= 90, (
        f"the {crs} input was stored as if it were WGS84 lon/lat: ({row['lon']}, {row['lat']})"
    )
    assert metres(row["lon"], row["lat"], 119.005, 29.005) < 0.01, (
        f"the {crs} input was stored as if it were WGS84: "
        f"{metres(row['lon'], row['lat'], 119.005, 29.005):.0f} m off"
    )


def test_occurred_at_without_a_zone_is_shanghai_time(client, grid_set):
    response = client.post(EVENTS, json=report(occurred_at="2026-01-05T08:30:00"))

    assert response.status_code == 201, response.text
    occurred = datetime.fromisoformat(response.json()["occurred_at"])
    assert occurred == datetime(2026, 1, 5, 0, 30, tzinfo=UTC)


def test_same_source_and_external_id_is_stored_once(client, grid_set, session):
    external_id = f"GW-{uuid.uuid4().hex}"
    before = event_count(session)

    first = client.post(EVENTS, json=report(external_id=external_id))
    again = client.post(EVENTS, json=report(external_id=external_id, title="重发的同一事件"))

    assert first.status_code == 201, first.text
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["title"] == "路边暴露垃圾"
    assert event_count(session) == before + 1
    rows = session.scalar(
        text("SELECT count(*) FROM event WHERE external_id = :x"), {"x": external_id}
    )
    assert rows == 1


def test_same_external_id_from_another_source_is_another_event(client, grid_set, session):
    external_id = f"X-{uuid.uuid4().hex}"
    before = event_count(session)

    first = client.post(EVENTS, json=report(external_id=external_id, source="grid_worker"))
    other = client.post(EVENTS, json=report(external_id=external_id, source="hotline"))

    assert (first.status_code, other.status_code) == (201, 201)
    assert other.json()["id"] != first.json()["id"]
    assert other.json()["source"] == "hotline"
    assert event_count(session) == before + 2


# --- bad input: 422 naming the field, nothing stored --------------------------------------------


def _refused(client, session, body=None, *, content: str | None = None) -> dict:
    """POST, expect 422 with a JSON error body, and check that nothing was stored."""
    before = event_count(session)
    if content is not None:
        response = client.post(
            EVENTS, content=content, headers={"content-type": "application/json"}
        )
    else:
        response = client.post(EVENTS, json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()
    assert error["error"]
    assert error["message"]
    assert event_count(session) == before
    return error


def test_missing_category_code_is_refused(client, grid_set, session):
    error = _refused(client, session, report(category_code=None))
    assert error["field"] == "category_code"
    assert "category_code" in error["message"]
    assert "required" in error["message"].lower()


def test_unknown_category_code_points_to_the_catalog(client, grid_set, session):
    error = _refused(client, session, report(category_code="9999"))
    assert error["field"] == "category_code"
    assert "9999" in error["message"]
    assert "GET /api/v1/categories" in error["message"]


def test_ten_megabyte_description_is_refused(client, grid_set, session):
    before = event_count(session)

    response = client.post(EVENTS, json=report(description="垃" * (10 * 1024 * 1024)))

    assert response.status_code == 422
    error = response.json()
    assert error["field"] == "description"
    assert "4000" in error["message"]
    assert len(response.content) < 100_000  # the answer does not echo the 10 MB back
    assert event_count(session) == before


def test_latitude_out_of_range_asks_whether_lon_and_lat_are_swapped(client, grid_set, session):
    error = _refused(client, session, report(lon=29, lat=119))
    assert error["field"] == "lat"
    assert "lat must be in [-90, 90]" in error["message"]
    assert "are lon and lat swapped?" in error["message"]


def test_swapped_coordinates_of_a_point_in_the_squares_are_refused(client, grid_set, session):
    error = _refused(client, session, report(lon=29.005, lat=119.005))
    assert error["field"] in ("lat", "lon")
    assert "swapped" in error["message"]


def test_swapped_point_that_is_in_range_is_refused(client, europe_set, session):
    """Both 10.005 and 50.005 are valid latitudes: only the router can tell they are swapped."""
    assert client.post(EVENTS, json=report(lon=10.005, lat=50.005)).status_code == 201

    error = _refused(client, session, report(lon=50.005, lat=10.005))

    assert error["field"] == "lon"
    assert "swapped" in error["message"]


def test_nan_longitude_is_refused(client, grid_set, session):
    body = json.dumps(report(lon=0.0)).replace('"lon": 0.0', '"lon": NaN')
    assert '"lon": NaN' in body
    error = _refused(client, session, content=body)
    assert error["field"] == "lon"
    assert "finite" in error["message"]


def test_unknown_source_is_refused(client, grid_set, session):
    error = _refused(client, session, report(source="pigeon"))
    assert error["field"] == "source"
    assert "grid_worker" in error["message"]


def test_title_of_201_characters_is_refused(client, grid_set, session):
    error = _refused(client, session, report(title="标" * 201))
    assert error["field"] == "title"
    assert "200" in error["message"]


def test_urgency_the_category_does_not_allow_is_refused(client, grid_set, session):
    categories = client.get("/api/v1/categories").json()
    normal_only = next(c for c in categories if c["parent_code"] and c["urgencies"] == ["normal"])

    error = _refused(client, session, report(category_code=normal_only["code"], urgency="urgent"))

    assert error["field"] == "urgency"
    assert "urgent" in error["message"]
    assert normal_only["code"] in error["message"]
    assert "normal" in error["message"]


def test_unknown_extra_field_is_refused(client, grid_set, session):
    error = _refused(client, session, report(colour="red"))
    assert error["field"] == "colour"


def test_bad_phone_is_refused(client, grid_set, session):
    error = _refused(client, session, report(reporter={"name": "张三", "phone": "call me"}))
    assert error["field"] == "reporter.phone"
    assert "phone" in error["message"]
    assert "13800000000" in error["message"]


def test_unknown_crs_is_refused(client, grid_set, session):
    error = _refused(client, session, report(crs="mars"))
    assert error["field"] == "crs"


# --- finding events -----------------------------------------------------------------------------


@pytest.fixture
def reported(client, grid_set):
    """Five events sharing a unique word in their titles, in different places and categories."""
    token = f"tok{uuid.uuid4().hex[:10]}"
    specs = {
        "a_0102": report(title=f"{token} 垃圾 A", lon=119.005, lat=29.005),
        "b_0105": report(title=f"{token} 绿地 B", category_code="0105", lon=119.012, lat=29.005),
        "c_1001": report(
            title=f"{token} 纠纷 C",
            category_code="1001",
            lon=119.022,
            lat=29.005,
            description="邻居因排水沟争吵",
            address="测试村老街 3 号",
        ),
        "far_0102": report(title=f"{token} 远处", lon=120.5, lat=30.5),
        "phone_0102": report(
            title=f"{token} 有电话",
            lon=119.006,
            lat=29.006,
            reporter={"name": "李四", "phone": "13912345678"},
        ),
    }
    events = {}
    for key, body in specs.items():
        response = client.post(EVENTS, json=body)
        assert response.status_code == 201, response.text
        events[key] = response.json()
    return token, events


def _ids(client, token: str, **params) -> set[int]:
    response = client.get(EVENTS, params={"q": token, "limit": 1000, **params})
    assert response.status_code == 200, response.text
    return {e["id"] for e in response.json()["items"]}


def test_q_finds_text_in_title_description_and_address(client, reported):
    token, events = reported
    assert _ids(client, token) == {e["id"] for e in events.values()}
    assert _ids(client, f"{token}-nothing") == set()
    assert {e["id"] for e in client.get(EVENTS, params={"q": "排水沟争吵"}).json()["items"]} >= {
        events["c_1001"]["id"]
    }
    assert events["c_1001"]["id"] in {
        e["id"] for e in client.get(EVENTS, params={"q": "老街 3 号"}).json()["items"]
    }


def test_filter_by_status(client, reported):
    token, events = reported
    assert _ids(client, token, status="reported") == {e["id"] for e in events.values()}
    assert _ids(client, token, status="closed") == set()
    response = client.get(EVENTS, params={"status": "nonsense"})
    assert response.status_code == 422
    assert response.json()["field"].split(".")[0] == "status"


def test_filter_by_category_includes_the_subcategories(client, reported):
    token, events = reported
    assert _ids(client, token, category="01") == {
        events[k]["id"] for k in ("a_0102", "b_0105", "far_0102", "phone_0102")
    }
    assert _ids(client, token, category="0102") == {
        events[k]["id"] for k in ("a_0102", "far_0102", "phone_0102")
    }
    assert _ids(client, token, category="10") == {events["c_1001"]["id"]}
    assert _ids(client, token, category="02") == set()


def test_filter_by_grid_village_and_township(client, reported):
    token, events = reported
    assert _ids(client, token, grid=GRID_A) == {events["a_0102"]["id"], events["phone_0102"]["id"]}
    assert _ids(client, token, grid=GRID_B) == {events["b_0105"]["id"]}
    assert _ids(client, token, grid=GRID_C) == {events["c_1001"]["id"]}
    inside = {events[k]["id"] for k in ("a_0102", "b_0105", "c_1001", "phone_0102")}
    assert _ids(client, token, village=VILLAGE) == inside
    assert _ids(client, token, township=TOWNSHIP) == inside
    assert _ids(client, token, township="330825001") == set()


def test_filter_by_routing_method(client, reported):
    token, events = reported
    assert _ids(client, token, routing="unrouted") == {events["far_0102"]["id"]}
    assert _ids(client, token, routing="inside") == {
        events[k]["id"] for k in ("a_0102", "b_0105", "c_1001", "phone_0102")
    }
    response = client.get(EVENTS, params={"routing": "somewhere"})
    assert response.status_code == 422
    assert response.json()["field"].split(".")[0] == "routing"


def test_filter_by_bbox(client, reported):
    token, events = reported
    assert _ids(client, token, bbox="119.0,29.0,119.01,29.01") == {
        events["a_0102"]["id"],
        events["phone_0102"]["id"],
    }
    assert _ids(client, token, bbox="120,30,121,31") == {events["far_0102"]["id"]}


@pytest.mark.parametrize(
    "bbox",
    ["119,29,119.1", "a,b,c,d", "119.1,29,119.0,29.1", "119,29,119.1,95", "119,29,119.1,nan"],
)
def test_malformed_bbox_is_refused(client, grid_set, bbox):
    response = client.get(EVENTS, params={"bbox": bbox})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["field"] == "bbox"
    assert repr(bbox) in body["message"]
    assert body["message"].startswith("bbox must")


def test_filter_by_reported_time(client, reported):
    token, events = reported
    created = datetime.fromisoformat(events["a_0102"]["created_at"])
    everything = {e["id"] for e in events.values()}
    minute = timedelta(minutes=1)
    assert _ids(client, token, reported_from=(created - minute).isoformat()) == everything
    assert _ids(client, token, reported_from=(created + minute).isoformat()) == set()
    assert _ids(client, token, reported_to=(created + minute).isoformat()) == everything
    assert _ids(client, token, reported_to=(created - minute).isoformat()) == set()
    response = client.get(EVENTS, params={"reported_from": "yesterday-ish"})
    assert response.status_code == 422
    assert response.json()["field"] == "reported_from"


def test_paging_with_limit_offset_and_total(client, reported):
    token, events = reported
    pages = []
    for offset in (0, 2, 4):
        response = client.get(EVENTS, params={"q": token, "limit": 2, "offset": offset})
        assert response.status_code == 200
        page = response.json()
        assert page["total"] == 5
        assert (page["limit"], page["offset"]) == (2, offset)
        pages.append([e["id"] for e in page["items"]])
    assert [len(p) for p in pages] == [2, 2, 1]
    ids = [i for p in pages for i in p]
    assert ids == sorted({e["id"] for e in events.values()}, reverse=True)  # newest first
    assert client.get(EVENTS, params={"limit": 0}).status_code == 422
    assert client.get(EVENTS, params={"limit": 1001}).status_code == 422
    assert client.get(EVENTS, params={"offset": -1}).json()["field"] == "offset"


@pytest.mark.parametrize("how", ["query", "accept"])
def test_geojson_feature_collection_without_the_reporters_phone(client, reported, how):
    token, events = reported
    if how == "query":
        response = client.get(EVENTS, params={"q": token, "f": "geojson"})
    else:
        response = client.get(
            EVENTS, params={"q": token}, headers={"Accept": "application/geo+json"}
        )

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == "application/geo+json"
    collection = response.json()
    assert collection["type"] == "FeatureCollection"
    assert len(collection["features"]) == 5
    assert collection["numberMatched"] == 5
    by_id = {f["id"]: f for f in collection["features"]}
    assert set(by_id) == {e["id"] for e in events.values()}
    for event in events.values():
        feature = by_id[event["id"]]
        assert feature["type"] == "Feature"
        assert feature["geometry"]["type"] == "Point"
        lon, lat = feature["geometry"]["coordinates"]
        assert (lon, lat) == pytest.approx((event["lon"], event["lat"]), abs=1e-9)
        assert -180 <= lon <= 180 and -90 <= lat <= 90
        assert feature["properties"]["routing"]["method"] == event["routing"]["method"]
        assert "reporter" not in feature["properties"]
    assert "13912345678" not in response.text
    assert "李四" not in response.text


def test_unknown_format_is_refused(client, grid_set):
    response = client.get(EVENTS, params={"f": "kml"})
    assert response.status_code == 422
    assert response.json()["field"] == "f"


def test_one_event_by_id_and_404_for_an_unknown_one(client, grid_set, session):
    created = client.post(EVENTS, json=report()).json()

    response = client.get(f"{EVENTS}/{created['id']}")
    assert response.status_code == 200
    assert response.json() == created

    unknown = session.scalar(text("SELECT coalesce(max(id), 0) + 1000 FROM event"))
    missing = client.get(f"{EVENTS}/{unknown}")
    assert missing.status_code == 404
    assert missing.json()["error"] == "event_not_found"
    assert str(unknown) in missing.json()["message"]


# --- the catalog --------------------------------------------------------------------------------


def test_categories_catalog(client):
    response = client.get("/api/v1/categories")

    assert response.status_code == 200
    categories = response.json()
    codes = [c["code"] for c in categories]
    assert len(codes) == len(set(codes))
    by_code = {c["code"]: c for c in categories}
    garbage = by_code["0102"]
    assert garbage["name"] == "暴露垃圾"
    assert garbage["parent_code"] == "01"
    assert garbage["platform"]["code"]
    assert garbage["platform"]["name"]
    assert "normal" in garbage["urgencies"]
    assert by_code["01"]["parent_code"] is None
    for category in categories:
        if category["parent_code"]:
            assert category["parent_code"] in by_code
            assert category["code"].startswith(category["parent_code"])
