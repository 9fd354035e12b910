"""Open311 GeoReport v2 at /open311/v2, in-process: services are the catalog's 小类, a POST
goes through the normal intake (routed to its grid, idempotent), requests are read through the
one visibility policy, errors come in the standard's form, in JSON and in XML.

The `grid_set` squares (tests/conftest.py): grid A 330825100001001 is 119.00-119.01 x 29.00-29.01.
"""

from __future__ import annotations

from xml.etree import ElementTree

import pytest
from sqlalchemy import text

from api.units.service import sync_units
from tests.conftest import sign_in

GRID_A = "330825100001001"
BASE = "/open311/v2"


@pytest.fixture
def keys(session, grid_set, make_user) -> dict[str, str]:
    """API keys of a commander, a grid's handler and a viewer of the township."""
    from api.deps import forget_actors
    from api.users.service import create_api_key

    sync_units(session=session, set_id=grid_set.id, county_code="330825", county_name="龙游县")
    make_user("o-zhs", "commander", "330825100-ZHS")
    make_user("o-grid", "handler", GRID_A)
    make_user("o-viewer", "viewer", "330825100-ZHS")
    forget_actors()
    return {
        login: create_api_key(session=session, login=login, name="civic app")[1]
        for login in ("o-zhs", "o-grid", "o-viewer")
    }


def _post(client, key: str, fmt: str = "json", **fields):
    form = {
        "api_key": key,
        "service_code": "0102",
        "lat": "29.005",
        "long": "119.005",
        "description": "桥头有一堆垃圾\n已经两天了",
        "address_string": "测试村桥头",
        "first_name": "三",
        "last_name": "张",
        "phone": "13800000000",
        **fields,
    }
    return client.post(f"{BASE}/requests.{fmt}", data={k: v for k, v in form.items() if v})


def test_discovery_and_services_are_the_catalog(app_client, keys):
    key = {"api_key": keys["o-zhs"]}
    discovery = app_client.get(f"{BASE}/discovery.json", params=key).json()
    assert discovery["endpoints"][0]["url"].endswith("/open311/v2")
    services = app_client.get(f"{BASE}/services.json", params=key).json()
    by_code = {s["service_code"]: s for s in services}
    assert by_code["0102"]["service_name"] == "暴露垃圾" and by_code["0102"]["group"] == "市容环境"
    assert "01" not in by_code  # 大类 are groups, not services
    definition = app_client.get(f"{BASE}/services/0102.json", params=key).json()
    assert definition["service_code"] == "0102"
    assert definition["attributes"][0]["code"] == "urgency"
    xml = ElementTree.fromstring(app_client.get(f"{BASE}/services.xml", params=key).content)
    assert xml.tag == "services" and xml.find("service/service_code") is not None
    missing = app_client.get(f"{BASE}/services/9999.json", params=key)
    assert missing.status_code == 404 and missing.json()[0]["code"] == 404


def test_a_request_goes_through_the_normal_intake_and_again_is_the_same(app_client, session, keys):
    first = _post(app_client, keys["o-zhs"])
    assert first.status_code == 201, first.text
    request_id = first.json()[0]["service_request_id"]
    row = session.execute(
        text(
            "SELECT source, grid_code, reporter_name, title, external_id FROM event WHERE id = :i"
        ),
        {"i": int(request_id)},
    ).one()
    assert row.source == "citizen" and row.grid_code == GRID_A
    assert row.reporter_name == "张三" and row.title == "桥头有一堆垃圾"
    again = _post(app_client, keys["o-zhs"])  # a retry: the same request
    assert again.status_code == 200 and again.json()[0]["service_request_id"] == request_id
    by_id = _post(app_client, keys["o-zhs"], external_id="APP-1", description="另一处")
    by_id_again = _post(app_client, keys["o-zhs"], external_id="APP-1", description="另一处!")
    assert by_id.status_code == 201 and by_id_again.status_code == 200
    assert by_id.json()[0]["service_request_id"] == by_id_again.json()[0]["service_request_id"]
    xml = _post(app_client, keys["o-zhs"], fmt="xml", description="第三处")
    assert xml.status_code == 201
    root = ElementTree.fromstring(xml.content)
    assert root.tag == "service_requests" and root.find("request/service_request_id").text


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"service_code": "9999"}, "service_code"),
        ({"lat": None}, "lat"),
        ({"long": "east"}, "long"),
        ({"attribute[urgency]": "very"}, "urgency"),
        ({"phone": "call me"}, "phone"),
    ],
)
def test_a_wrong_request_is_400_in_the_standards_form(app_client, keys, fields, message):
    for fmt in ("json", "xml"):
        answer = _post(app_client, keys["o-zhs"], fmt=fmt, **fields)
        assert answer.status_code == 400, answer.text
        if fmt == "json":
            assert answer.json()[0]["code"] == 400 and message in answer.json()[0]["description"]
        else:
            error = ElementTree.fromstring(answer.content).find("error")
            assert error.find("code").text == "400" and message in error.find("description").text


def test_who_may_post_and_who_is_refused(app_client, keys):
    assert _post(app_client, keys["o-viewer"]).status_code == 403  # viewers do not report
    assert _post(app_client, "sxk_not-a-key").status_code == 401
    assert _post(app_client, "").status_code == 401
    bad = app_client.get(f"{BASE}/requests.xml", params={"api_key": "sxk_nope"})
    assert bad.status_code == 401 and ElementTree.fromstring(bad.content).tag == "errors"


def test_requests_are_read_through_the_visibility_policy(app_client, client, session, keys):
    mine = _post(app_client, keys["o-zhs"]).json()[0]["service_request_id"]
    outside = _post(app_client, keys["o-zhs"], lat="29.3", long="119.2", description="村外")
    outside_id = outside.json()[0]["service_request_id"]
    commander = app_client.get(f"{BASE}/requests.json", params={"api_key": keys["o-zhs"]}).json()
    assert {r["service_request_id"] for r in commander} == {mine, outside_id}
    handler = app_client.get(f"{BASE}/requests.json", params={"api_key": keys["o-grid"]}).json()
    api = client.get(
        "/api/v1/events", headers=sign_in(client, "o-grid"), params={"limit": 100}
    ).json()
    assert {r["service_request_id"] for r in handler} == {str(e["id"]) for e in api["items"]}
    assert mine in {r["service_request_id"] for r in handler} and outside_id not in {
        r["service_request_id"] for r in handler
    }
    hidden = app_client.get(
        f"{BASE}/requests/{outside_id}.json", params={"api_key": keys["o-grid"]}
    )
    assert hidden.status_code == 404 and hidden.json()[0]["code"] == 404
    one = app_client.get(f"{BASE}/requests/{mine}.json", params={"api_key": keys["o-grid"]}).json()
    assert one[0]["status"] == "open" and one[0]["service_code"] == "0102"
    assert one[0]["lat"] == pytest.approx(29.005) and one[0]["long"] == pytest.approx(119.005)
    assert "待受理" in one[0]["status_notes"]


def test_states_map_to_open_and_closed_and_the_filters_work(app_client, session, keys):
    key = keys["o-zhs"]
    ids = [
        _post(app_client, key, description=f"第{i}处").json()[0]["service_request_id"]
        for i in range(3)
    ]
    session.execute(
        text("UPDATE event SET status = 'rejected', reject_reason = 'invalid' WHERE id = :i"),
        {"i": int(ids[0])},
    )
    session.execute(
        text("UPDATE event SET status = 'closed', closure_type = 'normal' WHERE id = :i"),
        {"i": int(ids[1])},
    )
    closed = app_client.get(f"{BASE}/requests.json", params={"api_key": key, "status": "closed"})
    assert {r["service_request_id"] for r in closed.json()} == {ids[0], ids[1]}
    notes = {r["service_request_id"]: r["status_notes"] for r in closed.json()}
    assert "不予受理" in notes[ids[0]] and "invalid" in notes[ids[0]]
    assert "已结案" in notes[ids[1]]
    opened = app_client.get(f"{BASE}/requests.json", params={"api_key": key, "status": "open"})
    assert [r["service_request_id"] for r in opened.json()] == [ids[2]]
    listed = app_client.get(
        f"{BASE}/requests.json", params={"api_key": key, "service_request_id": f"{ids[0]},{ids[2]}"}
    )
    assert {r["service_request_id"] for r in listed.json()} == {ids[0], ids[2]}
    assert (
        app_client.get(
            f"{BASE}/requests.json", params={"api_key": key, "service_code": "0101"}
        ).json()
        == []
    )
    past = app_client.get(
        f"{BASE}/requests.json",
        params={
            "api_key": key,
            "start_date": "2020-01-01T00:00:00Z",
            "end_date": "2020-02-01T00:00:00Z",
        },
    )
    assert past.json() == []
    too_long = app_client.get(
        f"{BASE}/requests.json",
        params={
            "api_key": key,
            "start_date": "2020-01-01T00:00:00Z",
            "end_date": "2021-01-01T00:00:00Z",
        },
    )
    assert too_long.status_code == 400 and "90 days" in too_long.json()[0]["description"]
    assert app_client.get(f"{BASE}/requests.yaml", params={"api_key": key}).status_code == 400
