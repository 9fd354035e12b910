"""Real clients against a running server (`shuxin serve` on the Longyou demo): GDAL/OGR's OAPIF
driver (Debian's gdal-bin), OWSLib's OGC API Features client, and the `georeport` Open311 client.

GDAL signs in the way the README says: GDAL_HTTP_HEADERS="Authorization: Bearer <token or API
key>". OWSLib sends the API key as HTTP Basic; georeport (which has no way to set a header) as
the user part of the endpoint URL, which `requests` turns into HTTP Basic.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import uuid
from urllib.parse import quote, urlparse

import httpx
import pytest
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.demo.people import DEMO_PASSWORD

TOWNSHIP = "330825001"  # 龙洲街道, where the demo commander `zhs` works


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"{name} is not installed: apt-get install gdal-bin (make test does)")
    return path


@pytest.fixture(scope="module")
def api_keys(engine, demo_loaded) -> dict[str, str]:
    """API keys of the demo's admin and commander `zhs`, committed for the live server."""
    from api.users.service import create_api_key

    with Session(engine) as session:
        keys = {
            login: create_api_key(session=session, login=login, name=f"clients-{uuid.uuid4()}")[1]
            for login in ("admin", "zhs")
        }
        session.commit()
    return keys


def _token(base: str, login: str) -> str:
    answer = httpx.post(
        f"{base}/api/v1/auth/token", data={"username": login, "password": DEMO_PASSWORD}
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def _gdal(*args: str, token: str, cwd=None) -> str:
    env = {
        **os.environ,
        "GDAL_HTTP_HEADERS": f"Authorization: Bearer {token}",
        "CPL_DEBUG": "OFF",
    }
    done = subprocess.run(
        list(args), capture_output=True, text=True, env=env, timeout=300, cwd=cwd, check=False
    )
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _all_ids(base: str, collection: str, headers: dict, **params) -> list:
    ids = []
    url = f"{base}/ogc/collections/{collection}/items"
    answer = httpx.get(url, headers=headers, params={"limit": 1000, **params}).json()
    while True:
        ids += [f["id"] for f in answer["features"]]
        following = [x["href"] for x in answer["links"] if x["rel"] == "next"]
        if not following:
            return ids
        answer = httpx.get(following[0], headers=headers).json()


def test_ogrinfo_lists_the_grids_with_their_fields(live_server, api_keys):
    output = _gdal(
        _tool("ogrinfo"), "-al", "-so", f"OAPIF:{live_server}/ogc", "grids", token=api_keys["admin"]
    )
    assert "Layer name: grids" in output
    assert "Feature Count: 1312" in output
    for field in ("code: String", "name: String", "parent_code: String", "area_m2: Real"):
        assert field in output, output
    listing = _gdal(
        _tool("ogrinfo"), "-ro", "-q", f"OAPIF:{live_server}/ogc", token=api_keys["admin"]
    )
    for layer in ("townships", "villages", "grids", "events", "open-events", "pois"):
        assert layer in listing, listing


def test_ogr2ogr_copies_the_events_a_user_may_see(live_server, tmp_path):
    import pyogrio

    token = _token(live_server, "zhs")  # a sign-in token, as a person would use
    out = tmp_path / "events.gpkg"
    _gdal(
        _tool("ogr2ogr"),
        "-preserve_fid",
        "-f",
        "GPKG",
        str(out),
        f"OAPIF:{live_server}/ogc",
        "events",
        token=token,
    )
    copied = pyogrio.read_dataframe(out, layer="events", fid_as_index=True)
    headers = {"Authorization": f"Bearer {token}"}
    expected = []
    offset = 0
    while True:  # what the rest of the API shows `zhs`
        page = httpx.get(
            f"{live_server}/api/v1/events",
            headers=headers,
            params={"limit": 1000, "offset": offset},
        ).json()
        expected += [e["id"] for e in page["items"]]
        offset += 1000
        if offset >= page["total"]:
            break
    assert len(copied) == len(expected) > 0
    assert sorted(copied.index.astype(int)) == sorted(expected)  # the feature ids are the FIDs
    assert set(copied["township_code"].dropna()) == {TOWNSHIP}
    assert {"status", "category_name", "grid_name", "handle_due", "reporter_name"} <= set(copied)
    # An attribute filter and a box, pushed to the server as GDAL sees fit.
    subset = tmp_path / "closed.gpkg"
    _gdal(
        _tool("ogr2ogr"),
        "-f",
        "GPKG",
        str(subset),
        f"OAPIF:{live_server}/ogc",
        "events",
        "-where",
        "status = 'closed'",
        token=token,
    )
    closed = pyogrio.read_dataframe(subset, layer="events")
    assert len(closed) > 0 and set(closed["status"]) == {"closed"}


def test_owslib_lists_collections_and_reads_items_with_bbox_and_filter(live_server, api_keys):
    from owslib.ogcapi.features import Features
    from owslib.util import Authentication

    features = Features(f"{live_server}/ogc", auth=Authentication("zhs", api_keys["zhs"]))
    ids = [c["id"] for c in features.collections()["collections"]]
    assert ids[:3] == ["townships", "villages", "grids"] and "events" in ids
    assert (
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter"
        in (features.conformance()["conformsTo"])
    )
    queryables = features.collection_queryables("events")
    assert "status" in queryables["properties"] and "reporter_phone" not in queryables["properties"]
    box = [119.1, 29.0, 119.3, 29.2]
    page = features.collection_items("events", bbox=box, limit=50)
    assert page["numberReturned"] > 0
    for feature in page["features"]:
        assert shapely.box(*box).covers(shapely.geometry.shape(feature["geometry"]))
    township = features.collection_item("townships", TOWNSHIP)
    polygon = shapely.geometry.shape(township["geometry"]).simplify(0.0005)
    within = features.collection_items(
        "events", filter=f"S_WITHIN(geometry, {polygon.wkt}) AND status = 'closed'", limit=1000
    )
    assert within["numberMatched"] > 0
    assert {f["properties"]["status"] for f in within["features"]} == {"closed"}
    assert {f["properties"]["township_code"] for f in within["features"]} == {TOWNSHIP}


def _raw_get(base: str, path: str, headers: dict) -> tuple[int, bytes]:
    """GET with the standard library (httpx refuses URLs this long before sending them)."""
    target = urlparse(base)
    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=120)
    connection.request("GET", path, headers=headers)
    answer = connection.getresponse()
    return answer.status, answer.read()


def test_huge_polygons_are_refused_by_the_running_server(live_server, api_keys):
    headers = {"Authorization": f"Bearer {api_keys['admin']}"}
    # 100,000 vertices (2 MB of URL): the HTTP server itself refuses a request line that long.
    circle = shapely.Point(119.2, 29.1).buffer(0.05, quad_segs=25_000)
    wkt = shapely.to_wkt(circle, rounding_precision=5)
    path = "/ogc/collections/events/items?filter=" + quote(f"S_WITHIN(geometry, {wkt})")
    status, _body = _raw_get(live_server, path, headers)
    assert status == 400
    # 12,000 vertices written short enough to pass (40 kB): Shuxin refuses it, as the standard
    # says, before any query runs.
    ring = ",".join(f"{i % 7}+{i % 5}" for i in range(12_000)) + ",0+0"
    status, body = _raw_get(
        live_server,
        f"/ogc/collections/events/items?filter=S_WITHIN(geometry,POLYGON(({ring})))",
        headers,
    )
    assert status == 400, body[:300]
    answer = json.loads(body)
    assert answer["code"] == "InvalidParameterValue" and "10,000" in answer["description"]


def test_the_georeport_client_reads_services_and_requests(live_server, api_keys, engine):
    from georeport import GeoReport

    target = urlparse(live_server)
    # georeport sets no headers: the key goes in the URL's user part (HTTP Basic).
    root = f"http://key:{api_keys['zhs']}@{target.hostname}:{target.port}/open311/v2"
    client = GeoReport(root)
    services = client.get_service_list()
    assert {"service_code": "0102", "service_name": "暴露垃圾"}.items() <= next(
        s for s in services if s["service_code"] == "0102"
    ).items()
    definition = client.get_service_definition("0102")
    assert definition["service_code"] == "0102"
    with Session(engine) as session:
        lon, lat = session.execute(
            text(
                "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM area "
                "WHERE level = 'grid' AND code LIKE :t ORDER BY code LIMIT 1"
            ),
            {"t": f"{TOWNSHIP}%"},
        ).one()
    posted = httpx.post(  # georeport has no POST: the form as the standard writes it
        f"{live_server}/open311/v2/requests.json",
        data={
            "api_key": api_keys["zhs"],
            "service_code": "0102",
            "lat": lat,
            "long": lon,
            "description": "georeport 客户端测试",
            "external_id": f"georeport-{uuid.uuid4()}",
        },
    )
    assert posted.status_code == 201, posted.text
    request_id = posted.json()[0]["service_request_id"]
    one = client.get_service_request(request_id)
    assert one["service_request_id"] == request_id and one["status"] == "open"
    listed = client.get_service_requests(status="open", service_code="0102")
    assert request_id in {r["service_request_id"] for r in listed}
    xml = GeoReport(root, output_format="xml")
    assert xml.get_service_request(request_id)["service_request_id"] == request_id
