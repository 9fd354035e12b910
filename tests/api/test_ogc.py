"""OGC API - Features at /ogc, in-process on the test's transaction, in the spirit of the OGC
test suite (ETS): the links are there and resolve, paging walks every feature exactly once (also
while events come in), bbox, datetime and filter answer what PostGIS answers to the same
question, wrong parameters are 400 with the standard's exception body, and the events a user
gets are the ones the rest of the API shows them (one visibility policy, one mapper).

The `grid_set` squares (tests/conftest.py): grids A 330825100001001 (119.00-119.01 x
29.00-29.01), B ...002 (119.01-119.02), C ...003 (119.015-119.025, overlapping B).
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime

import pytest
import shapely
from pyproj import Transformer
from sqlalchemy import event as sa_event
from sqlalchemy import text

from api.units.service import sync_units
from tests.conftest import sign_in

GRID_A, GRID_B, GRID_C = "330825100001001", "330825100001002", "330825100001003"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/{}"
# This run's events carry TAG in their title: other tests may have committed events (the demo).
TAG = f"ogc{uuid.uuid4().hex[:8]}"
SCOPE = f"title LIKE '{TAG}%'"
# Points inside grid A, grid B only, and outside every grid (unrouted).
POINTS = [(119.002, 29.002), (119.004, 29.008), (119.012, 29.005), (119.2, 29.3)]


def _report(client, lon: float, lat: float, **fields) -> dict:
    body = {
        "title": f"{TAG} " + fields.pop("title", "路边暴露垃圾"),
        "category_code": fields.pop("category_code", "0102"),
        "source": "grid_worker",
        "lon": lon,
        "lat": lat,
        "external_id": f"ogc-{uuid.uuid4()}",
        **fields,
    }
    answer = client.post("/api/v1/events", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


@pytest.fixture
def events(client, session, grid_set) -> list[dict]:
    """Twelve events: three at each of POINTS, one with a reporter."""
    made = []
    for _round in range(3):
        for lon, lat in POINTS:
            reporter = {"name": "张三", "phone": "13800000000"} if not made else None
            made.append(_report(client, lon, lat, title=f"事件{len(made)}", reporter=reporter))
    return made


def _items(client, collection: str, scoped: bool = True, **params) -> dict:
    """A page of a collection; of events, only this run's (with the filter, if one is given)."""
    if scoped and collection in ("events", "open-events"):
        given = params.get("filter")
        params["filter"] = f"{SCOPE} AND ({given})" if given else SCOPE
    answer = client.get(f"/ogc/collections/{collection}/items", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _ids(document: dict) -> list:
    return [f["id"] for f in document["features"]]


def _walk(client, url: str, **params) -> list:
    """Every feature id on every page, following the next links."""
    seen = []
    answer = client.get(url, params=params).json()
    seen += _ids(answer)
    while True:
        following = [link for link in answer["links"] if link["rel"] == "next"]
        if not following:
            return seen
        answer = client.get(following[0]["href"]).json()
        seen += _ids(answer)


# --- Part 1: the documents and their links ------------------------------------------------------


def test_the_landing_page_links_resolve_with_the_types_they_name(client, grid_set):
    landing = client.get("/ogc/").json()
    rels = {link["rel"] for link in landing["links"]}
    assert {"self", "alternate", "service-desc", "service-doc", "conformance", "data"} <= rels
    for link in landing["links"]:
        answer = client.get(link["href"])
        assert answer.status_code == 200, link
        assert answer.headers["content-type"].split(";")[0] == link["type"].split(";")[0], link
    openapi = client.get("/ogc/api").json()
    assert openapi["openapi"].startswith("3.0")
    assert "/collections/grids/items" in openapi["paths"]
    grids = {p["name"] for p in openapi["paths"]["/collections/grids/items"]["get"]["parameters"]}
    assert {"bbox", "bbox-crs", "crs", "filter", "filter-lang", "limit", "code"} <= grids


def test_conformance_names_the_classes_of_parts_1_2_3_and_cql2(client, grid_set):
    classes = set(client.get("/ogc/conformance").json()["conformsTo"])
    for uri in (
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
        "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
        "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
        "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
        "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
        "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
        "http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions",
    ):
        assert uri in classes


def test_every_collection_and_its_links_resolve(client, session, grid_set, events):
    from gis.boundaries import activate_set
    from gis.models import BoundarySet

    session.add(BoundarySet(name="older"))  # a second set: its levels are listed by name
    session.flush()
    document = client.get("/ogc/collections").json()
    ids = [c["id"] for c in document["collections"]]
    assert ids[:3] == ["townships", "villages", "grids"]  # the active set's levels first
    assert ids[-3:] == ["events", "open-events", "pois"]
    assert all("@" in i for i in ids[3:-3])  # then other sets' by name
    for collection in document["collections"]:
        assert collection["crs"][0] == CRS84 and EPSG.format(4549) in collection["crs"]
        for link in collection["links"]:
            answer = client.get(link["href"])
            assert answer.status_code == 200, link
            assert answer.headers["content-type"].split(";")[0] == link["type"], link
    events_extent = next(c for c in document["collections"] if c["id"] == "events")["extent"]
    assert events_extent["temporal"]["interval"][0][0] is not None
    # The grids of a named set, when another set is active.
    activate_other = BoundarySet(name="newer")
    session.add(activate_other)
    session.flush()
    from geoalchemy2.shape import from_shape

    from gis.models import Area

    session.add(
        Area(
            set_id=activate_other.id,
            level="grid",
            code="999",
            name="新网格",
            geom=from_shape(shapely.MultiPolygon([shapely.box(119, 29, 119.1, 29.1)]), 4326),
            area_m2=1.0,
        )
    )
    session.flush()
    activate_set(session, "newer")
    ids = [c["id"] for c in client.get("/ogc/collections").json()["collections"]]
    assert ids[:1] == ["grids"] and "grids@test-squares" in ids
    assert _ids(_items(client, "grids")) == ["999"]
    assert _ids(_items(client, "grids@test-squares")) == [GRID_A, GRID_B, GRID_C]


def test_items_carry_the_links_and_counts_the_standard_requires(client, events, paging):
    page = _items(client, "events", limit=5)
    assert page["type"] == "FeatureCollection"
    assert page["numberMatched"] == 12 and page["numberReturned"] == 5
    rels = [link["rel"] for link in page["links"]]
    assert {"self", "alternate", "next", "collection"} <= set(rels) and "prev" not in rels
    second = client.get(next(x["href"] for x in page["links"] if x["rel"] == "next")).json()
    previous = next(x["href"] for x in second["links"] if x["rel"] == "prev")
    assert _ids(client.get(previous).json()) == _ids(page)
    feature = page["features"][0]
    one = client.get(f"/ogc/collections/events/items/{feature['id']}")
    assert one.status_code == 200
    assert one.headers["content-type"] == "application/geo+json"
    assert one.json()["properties"] == feature["properties"]
    assert {x["rel"] for x in one.json()["links"]} >= {"self", "alternate", "collection"}


@pytest.fixture(params=["gathered", "walked"])
def paging(request, monkeypatch) -> str:
    """Both ways api.paging finds a page: few matches gathered and sorted, many walked by key."""
    import api.paging

    if request.param == "walked":
        monkeypatch.setattr(api.paging, "GATHER_BELOW", 0)
    return request.param


def test_paging_walks_every_feature_once_while_events_come_in(client, events, paging):
    expected = sorted(e["id"] for e in events)
    answer = client.get(
        "/ogc/collections/events/items", params={"limit": 5, "filter": SCOPE}
    ).json()
    seen = _ids(answer)
    while following := [x for x in answer["links"] if x["rel"] == "next"]:
        # A new event arrives between every two pages (offset paging would repeat one).
        _report(client, *POINTS[0], title="新来的")
        answer = client.get(following[0]["href"]).json()
        seen += _ids(answer)
    first_walk = [i for i in seen if i in expected]
    assert first_walk == expected  # each once, in order
    assert len(seen) == len(set(seen))  # the newcomers, too, at most once


def test_the_limit_has_a_maximum_and_a_wrong_one_is_400(client, events):
    assert _items(client, "events", limit=100_000)["numberReturned"] == 12  # capped, not refused
    for bad in ("0", "-1", "ten"):
        answer = client.get("/ogc/collections/events/items", params={"limit": bad})
        assert answer.status_code == 400
        assert answer.json()["code"] == "InvalidParameterValue"
        assert "limit" in answer.json()["description"]


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"bbox": "1,2,3"}, "bbox"),
        ({"bbox": "119.1,29,119.0,29.1"}, "bbox"),
        ({"bbox-crs": EPSG.format(4326)}, "bbox-crs"),
        ({"bbox": "119,29,119.1,29.1", "bbox-crs": "EPSG:9999999"}, "bbox-crs"),
        ({"crs": EPSG.format(2000)}, "crs"),
        ({"datetime": "yesterday"}, "datetime"),
        ({"datetime": "2026-02-01T00:00:00Z/2026-01-01T00:00:00Z"}, "datetime"),
        ({"colour": "red"}, "colour"),
        ({"status": "clsoed"}, "status"),
        ({"at_risk": "maybe"}, "at_risk"),
        ({"filter": "status = "}, "filter"),
        ({"filter": "colour = 'red'"}, "colour"),
        ({"filter": "title = 3"}, "title"),
        ({"filter": "status = 'x'", "filter-lang": "ecql"}, "filter-lang"),
        ({"filter-lang": "cql2-text"}, "filter-lang"),
        ({"f": "xml"}, "f"),
    ],
)
def test_wrong_parameters_are_400_with_the_exception_body(client, grid_set, params, names):
    answer = client.get("/ogc/collections/events/items", params=params)
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["code"] == "InvalidParameterValue"
    assert names in body["description"]


def test_unknown_collections_and_features_are_404(client, events):
    for path in (
        "/ogc/collections/roads",
        "/ogc/collections/roads/items",
        "/ogc/collections/grids@nosuchset/items",
        "/ogc/collections/events/items/999999999",
        "/ogc/collections/events/items/abc",
        "/ogc/collections/grids/items/nope",
        "/ogc/collections/pois/items/2147483000",
    ):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert answer.json()["code"] == "NotFound"


# --- bbox, datetime, filters: the same answer as PostGIS ------------------------------------------


def _postgis(session, where: str, **params) -> list[int]:
    query = f"SELECT id FROM event WHERE ({where}) AND {SCOPE} ORDER BY id"
    return list(session.scalars(text(query), params))


def test_bbox_answers_what_postgis_answers(client, session, events, paging):
    page = _items(client, "events", bbox="119.0,29.0,119.01,29.01")
    direct = _postgis(
        session, "ST_Intersects(location, ST_MakeEnvelope(119.0, 29.0, 119.01, 29.01, 4326))"
    )
    assert _ids(page) == direct and len(direct) == 6
    # The same box in EPSG:4326's own axis order (lat, lon), and in CGCS2000 GK zone 120°E.
    lat_lon = _items(
        client, "events", bbox="29.0,119.0,29.01,119.01", **{"bbox-crs": EPSG.format(4326)}
    )
    assert _ids(lat_lon) == direct
    to_gk = Transformer.from_crs(4326, 4549, always_xy=True)
    (e0, n0), (e1, n1) = to_gk.transform(118.999, 28.999), to_gk.transform(119.0105, 29.0105)
    gk = _items(client, "events", bbox=f"{n0},{e0},{n1},{e1}", **{"bbox-crs": EPSG.format(4549)})
    assert _ids(gk) == direct
    grids = _items(client, "grids", bbox="119.011,29.001,119.012,29.002")
    assert _ids(grids) == [GRID_B]


def test_datetime_instants_intervals_and_open_ends_follow_the_report_time(client, session, events):
    session.execute(
        text("UPDATE event SET created_at = :t WHERE id = ANY(:ids)"),
        {"t": datetime(2026, 1, 5, 10, 0, tzinfo=None), "ids": [e["id"] for e in events[:4]]},
    )
    session.execute(
        text("UPDATE event SET created_at = '2026-03-01T09:00:00+08:00' WHERE id = ANY(:ids)"),
        {"ids": [e["id"] for e in events[4:8]]},
    )
    session.expire_all()
    cases = {
        "2026-01-01T00:00:00Z/2026-02-01T00:00:00Z": "created_at >= '2026-01-01Z' "
        "AND created_at <= '2026-02-01Z'",
        "2026-02-01T00:00:00+08:00/..": "created_at >= '2026-02-01T00:00:00+08:00'",
        "../2026-02-01T00:00:00+08:00": "created_at <= '2026-02-01T00:00:00+08:00'",
        "/2026-02-01T00:00:00+08:00": "created_at <= '2026-02-01T00:00:00+08:00'",
        "2026-03-01T09:00:00+08:00": "created_at = '2026-03-01T09:00:00+08:00'",
        "2026-03-01": "created_at >= '2026-03-01T00:00:00+08:00' "
        "AND created_at < '2026-03-02T00:00:00+08:00'",
    }
    for value, where in cases.items():
        expected = _postgis(session, where)
        assert _ids(_items(client, "events", datetime=value, limit=100)) == expected, value
        assert expected  # every case finds something
    assert _ids(_items(client, "grids", datetime="2026-01-01T00:00:00Z")) == [
        GRID_A,
        GRID_B,
        GRID_C,
    ]  # areas have no time: datetime does not filter them


FILTERS = [
    (
        "status = 'reported' AND grid_code IN ('330825100001001', '330825100001002')",
        "status = 'reported' AND grid_code IN ('330825100001001', '330825100001002')",
    ),
    ("title LIKE '%事件1%'", "title LIKE '%事件1%'"),
    (
        "routing_method <> 'unrouted' AND NOT grid_code = '330825100001001'",
        "routing_method <> 'unrouted' AND NOT grid_code = '330825100001001'",
    ),
    ("grid_code IS NULL", "grid_code IS NULL"),
    ("id BETWEEN {a} AND {b}", "id BETWEEN {a} AND {b}"),
    ("CASEI(source) = CASEI('GRID_Worker')", "lower(source) = 'grid_worker'"),
    (
        "rework_count + return_count = 0 AND at_risk = false",
        "rework_count + return_count = 0 AND NOT at_risk",
    ),
    (
        "S_INTERSECTS(geometry, POLYGON((119 29, 119.01 29, 119.01 29.01, 119 29.01, 119 29)))",
        "ST_Intersects(location, ST_MakeEnvelope(119, 29, 119.01, 29.01, 4326))",
    ),
    (
        "S_WITHIN(geometry, POLYGON((119 29, 119.01 29, 119.01 29.005, 119 29.005, 119 29)))",
        "ST_Within(location, ST_MakeEnvelope(119, 29, 119.01, 29.005, 4326))",
    ),
    (
        "S_CONTAINS(POLYGON((119.01 29, 119.02 29, 119.02 29.01, 119.01 29.01, 119.01 29)), "
        "geometry)",
        "ST_Contains(ST_MakeEnvelope(119.01, 29, 119.02, 29.01, 4326), location)",
    ),
    (
        "S_DISJOINT(geometry, BBOX(119, 29, 119.02, 29.01))",
        "ST_Disjoint(location, ST_MakeEnvelope(119, 29, 119.02, 29.01, 4326))",
    ),
    (
        "S_DWITHIN(geometry, POINT(119.002 29.002), 700)",
        "ST_DWithin(location::geography, ST_MakePoint(119.002, 29.002)::geography, 700)",
    ),
    (
        "S_DWITHIN(geometry, POINT(119.002 29.002), 1.5, kilometers)",
        "ST_DWithin(location::geography, ST_MakePoint(119.002, 29.002)::geography, 1500)",
    ),
    (
        "T_AFTER(created_at, TIMESTAMP('2000-01-01T00:00:00Z')) AND T_BEFORE(created_at, "
        "TIMESTAMP('2100-01-01T00:00:00Z'))",
        "true",
    ),
    ("T_DURING(created_at, INTERVAL('2000-01-01T00:00:00Z', '..'))", "true"),
    ("T_INTERSECTS(created_at, INTERVAL('..', '2000-01-01'))", "false"),
    ("created_at > TIMESTAMP('2100-01-01T00:00:00Z') OR urgency = 'normal'", "urgency = 'normal'"),
    ("INCLUDE", "true"),
]


@pytest.mark.parametrize(("cql", "sql"), FILTERS)
def test_cql2_text_filters_answer_what_postgis_answers(client, session, events, cql, sql):
    a, b = events[2]["id"], events[6]["id"]
    expected = _postgis(session, sql.format(a=a, b=b))
    got = _ids(_items(client, "events", filter=cql.format(a=a, b=b), limit=100))
    assert got == expected
    assert expected or sql == "false"  # the case is not vacuous


def test_cql2_json_answers_what_cql2_text_answers(client, events):
    text_ids = _ids(
        _items(
            client,
            "events",
            filter="S_WITHIN(geometry, POLYGON((119 29, 119.02 29, 119.02 29.01, 119 29.01, "
            "119 29))) "
            "AND T_AFTER(created_at, TIMESTAMP('2000-01-01T00:00:00Z')) AND title LIKE '%事件%'",
        )
    )
    body = {
        "op": "and",
        "args": [
            {
                "op": "s_within",
                "args": [
                    {"property": "geometry"},
                    {
                        "type": "Polygon",
                        "coordinates": [
                            [[119, 29], [119.02, 29], [119.02, 29.01], [119, 29.01], [119, 29]]
                        ],
                    },
                ],
            },
            {
                "op": "t_after",
                "args": [{"property": "created_at"}, {"timestamp": "2000-01-01T00:00:00Z"}],
            },
            {"op": "like", "args": [{"property": "title"}, f"{TAG} 事件%"]},
        ],
    }
    json_ids = _ids(
        _items(
            client,
            "events",
            scoped=False,
            filter=json.dumps(body),
            **{"filter-lang": "cql2-json"},
        )
    )
    assert json_ids == text_ids and len(text_ids) == 9
    distance = {
        "op": "s_dwithin",
        "args": [
            {"property": "geometry"},
            {"type": "Point", "coordinates": [119.002, 29.002]},
            700,
        ],
    }
    assert (
        len(
            _ids(
                _items(
                    client,
                    "events",
                    scoped=False,
                    filter=json.dumps({"op": "and", "args": [distance, body["args"][2]]}),
                    **{"filter-lang": "cql2-json"},
                )
            )
        )
        > 0
    )


def test_a_filter_in_another_crs_and_queryables_as_parameters(client, session, events):
    to_gk = Transformer.from_crs(4326, 4549, always_xy=True)
    corners = [
        to_gk.transform(x, y)
        for x, y in ((119, 29), (119.01, 29), (119.01, 29.01), (119, 29.01), (119, 29))
    ]
    ring = ", ".join(f"{n} {e}" for e, n in corners)  # EPSG:4549 is northing, easting
    got = _ids(
        _items(
            client,
            "events",
            filter=f"S_INTERSECTS(geometry, POLYGON(({ring})))",
            **{"filter-crs": EPSG.format(4549)},
        )
    )
    assert got == _postgis(
        session, "ST_Intersects(location, ST_MakeEnvelope(119, 29, 119.01, 29.01, 4326))"
    )
    by_parameter = _ids(_items(client, "events", grid_code=GRID_B, status="reported"))
    assert by_parameter == _postgis(session, f"grid_code = '{GRID_B}' AND status = 'reported'")
    assert len(by_parameter) == 3


def test_a_filter_the_server_cannot_do_says_which_part(client, events):
    for cql, part in (
        ("ACCENTI(title) = 'a'", "ACCENTI"),
        ("RELATE(geometry, POINT(1 2), 'T********')", "S_RELATE"),
        ("S_INTERSECTS(title, POINT(1 2))", "S_INTERSECTS"),
        ("T_AFTER(title, TIMESTAMP('2000-01-01T00:00:00Z'))", "T_AFTER"),
        ("reporter_phone = '13800000000'", "reporter_phone"),  # never queryable
    ):
        answer = client.get("/ogc/collections/events/items", params={"filter": cql})
        assert answer.status_code == 400, cql
        assert answer.json()["code"] == "InvalidParameterValue"
        assert part in answer.json()["description"] or answer.json().get("part") == part, cql


def test_a_huge_polygon_is_refused_before_it_reaches_the_database(engine, grid_set):
    """At the service (an HTTP client cannot put 2 MB in a URL in-process; the live test sends
    one to a real server): the filter is refused without one statement run."""
    from api.ogc.collections import EVENTS
    from api.ogc.cql import FilterError
    from api.ogc.service import parse_items_query

    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    huge = shapely.Point(119.005, 29.005).buffer(0.005, quad_segs=25_000)  # 100,001 vertices
    large = shapely.Point(119.005, 29.005).buffer(0.005, quad_segs=2_600)  # 10,401 vertices
    sa_event.listen(engine, "before_cursor_execute", record)
    try:
        for polygon in (huge, large):
            with pytest.raises(FilterError) as refused:
                parse_items_query(EVENTS, {"filter": f"S_WITHIN(geometry, {polygon.wkt})"})
            assert refused.value.status_code == 400
            assert "at most" in refused.value.message
    finally:
        sa_event.remove(engine, "before_cursor_execute", record)
    assert statements == []
    small = shapely.Point(119.005, 29.005).buffer(0.005, quad_segs=2_000)  # 8,001: accepted
    parse_items_query(EVENTS, {"filter": f"S_WITHIN(geometry, {small.wkt})"})


# --- Part 2: CRS ---------------------------------------------------------------------------------


def test_features_in_each_crs_with_the_axis_order_the_crs_says(client, events):
    event_id = events[0]["id"]
    lon, lat = POINTS[0]
    url = f"/ogc/collections/events/items/{event_id}"
    default = client.get(url)
    assert default.headers["content-crs"] == f"<{CRS84}>"
    assert default.json()["geometry"]["coordinates"] == pytest.approx([lon, lat])
    for code, expected in (
        (4326, [lat, lon]),
        (4490, [lat, lon]),
        (4549, list(Transformer.from_crs(4326, 4549).transform(lat, lon))),  # northing, easting
        (3857, list(Transformer.from_crs(4326, 3857, always_xy=True).transform(lon, lat))),
    ):
        answer = client.get(url, params={"crs": EPSG.format(code)})
        assert answer.headers["content-crs"] == f"<{EPSG.format(code)}>"
        assert answer.json()["geometry"]["coordinates"] == pytest.approx(expected, abs=1e-6)
    page = client.get("/ogc/collections/grids/items", params={"crs": EPSG.format(4549), "limit": 1})
    ring = page.json()["features"][0]["geometry"]["coordinates"][0][0]
    north, east = ring[0]
    assert 3.2e6 < north < 3.3e6 and 3e5 < east < 6e5  # GK zone 120°E: northing first


# --- who sees what: the one policy, the one mapper ----------------------------------------------


def test_a_user_gets_the_events_the_rest_of_the_api_shows_them(
    client, session, grid_set, events, make_user
):
    sync_units(session=session, set_id=grid_set.id, county_code="330825", county_name="龙游县")
    make_user("t-grid-handler", "handler", f"{GRID_A}")
    make_user("t-viewer", "viewer", "330825100-ZHS")
    for login in ("t-grid-handler", "t-viewer"):
        headers = sign_in(client, login)
        api = client.get(
            "/api/v1/events", params={"limit": 1000, "q": TAG}, headers=headers
        ).json()["items"]
        ogc = client.get(
            "/ogc/collections/events/items", params={"filter": SCOPE}, headers=headers
        ).json()
        assert sorted(_ids(ogc)) == sorted(e["id"] for e in api), login
        assert ogc["numberMatched"] == len(api)
        by_id = {e["id"]: e for e in api}
        for feature in ogc["features"]:
            mapped = by_id[feature["id"]]
            reporter = mapped["reporter"] or {}
            assert feature["properties"]["reporter_name"] == reporter.get("name")
            assert feature["properties"]["reporter_phone"] == reporter.get("phone")
            assert feature["properties"]["status"] == mapped["status"]
    handler = sign_in(client, "t-grid-handler")
    outside = next(e for e in events if e["routing"]["grid_code"] is None)
    hidden = client.get(f"/ogc/collections/events/items/{outside['id']}", headers=handler)
    assert hidden.status_code == 404


def test_open_events_leave_out_closed_and_rejected_ones(client, session, events):
    session.execute(
        text("UPDATE event SET status = 'rejected' WHERE id = :id"), {"id": events[0]["id"]}
    )
    open_ids = _ids(_items(client, "open-events"))
    assert events[0]["id"] not in open_ids and len(open_ids) == 11
    assert client.get(f"/ogc/collections/open-events/items/{events[0]['id']}").status_code == 404


def test_without_sign_in_json_is_401_and_html_goes_to_the_sign_in(app_client, grid_set):
    assert app_client.get("/ogc/collections").status_code == 401
    page = app_client.get("/ogc/collections?f=html", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login?next=")


def test_an_api_key_signs_a_program_in_and_a_revoked_one_does_not(
    app_client, session, grid_set, make_user
):
    import base64

    from api.users.service import create_api_key, revoke_api_key

    make_user("t-gis", "admin")
    row, key = create_api_key(session=session, login="t-gis", name="QGIS")
    basic = base64.b64encode(f"t-gis:{key}".encode()).decode()
    for headers in ({"Authorization": f"Bearer {key}"}, {"Authorization": f"Basic {basic}"}):
        assert app_client.get("/ogc/collections/grids/items", headers=headers).status_code == 200
    # A tool that can set no header: the key as a parameter, kept in the links it follows.
    page = app_client.get("/ogc/collections/grids/items", params={"api_key": key, "limit": 1})
    following = next(x["href"] for x in page.json()["links"] if x["rel"] == "next")
    assert app_client.get(following).status_code == 200
    revoke_api_key(session=session, prefix=row.prefix)
    from api.deps import forget_actors

    forget_actors()
    answer = app_client.get(
        "/ogc/collections/grids/items", headers={"Authorization": f"Bearer {key}"}
    )
    assert answer.status_code == 401


# --- HTML ---------------------------------------------------------------------------------------


def test_the_html_views_draw_a_map_from_the_apps_own_files(client, events):
    for path in (
        "/ogc/collections/events/items",
        f"/ogc/collections/events/items/{events[0]['id']}",
        "/ogc/collections/grids/items",
        "/ogc/collections/grids",
    ):
        page = client.get(path, headers={"Accept": "text/html,application/xhtml+xml"})
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        html = page.text
        assert 'id="sx-ogc-map"' in html and "leaflet" in html.lower()
        sources = re.findall(r"(?:src|href)=&quot;([^&]+)&quot;", html)
        assert sources and all(s.startswith("/static/") or s.startswith("#") for s in sources)
    listing = client.get(
        "/ogc/collections/events/items", params={"f": "html", "limit": 5, "filter": SCOPE}
    ).text
    assert "下一页" in listing and "事件0" in listing
    assert "&lt;" not in _items(client, "events")["features"][0]["properties"]["title"]


def test_html_escapes_what_people_typed(client, grid_set):
    _report(client, *POINTS[0], title="<img src=x onerror=alert(1)>")
    html = client.get("/ogc/collections/events/items", params={"f": "html", "filter": SCOPE}).text
    assert "<img src=x" not in html
