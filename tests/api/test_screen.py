"""The command screen's data API: figures, map clusters, drawn shapes, changes, search, scope.

Events are made in the hand-made squares of `grid_set` (township 330825100, a code the demo
does not use) and the screen's answers are checked against plain SQL on the same rows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

import api.screen.index as screen_index
import api.screen.service as screen_service
from api.events import schemas as s
from api.events.transitions import Action
from api.events.workflow import perform
from api.units.service import sync_units
from api.users.service import actor_for
from tests.conftest import sign_in

SHANGHAI = ZoneInfo("Asia/Shanghai")
TOWNSHIP = "330825100"
VILLAGE = "330825100001"
GRID_A, GRID_B, GRID_C = (f"{VILLAGE}00{i}" for i in (1, 2, 3))


@pytest.fixture
def index(monkeypatch):
    """A fresh screen index for this test, refreshed on every request."""
    fresh = screen_index.EventIndex(max_age_s=0.0)
    monkeypatch.setattr(screen_index, "_index", fresh)
    return fresh


@pytest.fixture
def township(session, grid_set, make_user):
    """Units of the squares' township and a commander of it."""
    sync_units(session=session, set_id=grid_set.id, county_code="330825", county_name="龙游县")
    commander = make_user("screen-commander", "commander", f"{TOWNSHIP}-ZHS")
    return commander


def report(
    client, n: int, *, lon: float, lat: float, category: str = "0102", title: str = "测试事件"
) -> list[dict]:
    events = []
    for i in range(n):
        answer = client.post(
            "/api/v1/events",
            json={
                "title": f"{title} {i}",
                "category_code": category,
                "source": "grid_worker",
                "lon": lon + i * 1e-5,
                "lat": lat,
            },
        )
        assert answer.status_code == 201, answer.text
        events.append(answer.json())
    return events


def sql_count(session, where: str, **params) -> int:
    return session.execute(text(f"SELECT count(*) FROM event WHERE {where}"), params).scalar()


def test_figures_and_charts_are_the_database_counts(client, session, township, index):
    a = report(client, 4, lon=119.005, lat=29.005)
    report(client, 3, lon=119.012, lat=29.005, category="1601", title="路面坑洼")
    commander = actor_for(session, township.id)
    now = datetime.now(SHANGHAI)
    for event in a[:2]:
        done = perform(
            session=session,
            event_id=event["id"],
            action=Action.accept,
            actor=commander,
            body=s.AcceptBody(version=1),
            now=now,
        )
        perform(
            session=session,
            event_id=event["id"],
            action=Action.assign,
            actor=commander,
            body=s.AssignBody(version=done.version),
            now=now,
        )
    summary = client.get(f"/api/v1/screen/summary?range=today&area={TOWNSHIP}").json()

    assert summary["total"] == 7 == sql_count(session, "township_code = :t", t=TOWNSHIP)
    assert summary["today"]["received"] == 7
    assert (
        summary["today"]["assigned"]
        == 2
        == sql_count(session, "township_code = :t AND assigned_at IS NOT NULL", t=TOWNSHIP)
    )
    assert summary["by_status"] == {"reported": 5, "assigned": 2}
    by_category = {c["code"]: c["count"] for c in summary["by_category"]}
    assert by_category == {"01": 4, "16": 3}
    names = {c["code"]: c["name"] for c in summary["by_category"]}
    assert names["01"] == "市容环境"
    platforms = {p["code"]: p["count"] for p in summary["by_platform"]}
    assert platforms["zhifa"] == 4 and platforms["fuwu"] == 3
    assert summary["trend"]["received"][-1] == 7 and len(summary["trend"]["days"]) == 30


def test_filters_change_every_answer_together(client, township, index):
    report(client, 3, lon=119.005, lat=29.005)
    report(client, 2, lon=119.012, lat=29.005, category="1601")
    q = f"range=today&area={TOWNSHIP}&category=16"
    assert client.get(f"/api/v1/screen/summary?{q}").json()["total"] == 2
    lists = client.get(f"/api/v1/screen/lists?{q}").json()
    assert {e["category"] for e in lists["newest"]} == {"1601"}
    view = client.get(f"/api/v1/screen/map?{q}&bbox=118.99,28.99,119.04,29.04&zoom=14").json()
    assert view["mode"] == "points" and len(view["features"]) == 2
    by_platform = client.get(
        f"/api/v1/screen/summary?range=today&area={TOWNSHIP}&platform=zhifa"
    ).json()
    assert by_platform["total"] == 3
    grid = client.get(f"/api/v1/screen/summary?range=today&area={GRID_A}").json()
    assert grid["total"] == 3


def test_the_map_clusters_many_events_and_keeps_every_one_counted(
    client, township, index, monkeypatch
):
    report(client, 30, lon=119.005, lat=29.005)
    report(client, 20, lon=119.013, lat=29.008)
    monkeypatch.setattr(screen_service, "POINTS_LIMIT", 10)
    view = client.get(
        f"/api/v1/screen/map?range=today&area={TOWNSHIP}&bbox=118.9,28.9,119.1,29.1&zoom=12"
    ).json()
    assert view["mode"] == "clusters"
    assert sum(f["properties"]["count"] for f in view["features"]) == 50 == view["in_view"]
    assert all(f["properties"]["cluster"] for f in view["features"])
    close = client.get(
        f"/api/v1/screen/map?range=today&area={TOWNSHIP}&bbox=118.9,28.9,119.1,29.1&zoom=17"
    ).json()
    assert close["mode"] == "points" and len(close["features"]) == 50
    bad = client.get("/api/v1/screen/map?bbox=1,2,3&zoom=12")
    assert bad.status_code == 422 and bad.json()["field"] == "bbox"


def test_a_drawn_shape_counts_what_postgis_counts(client, session, township, index):
    report(client, 5, lon=119.005, lat=29.005)  # grid A
    report(client, 4, lon=119.012, lat=29.005)  # grid B
    report(client, 3, lon=119.030, lat=29.030)  # outside the drawn square
    square = [[119.0, 29.0], [119.02, 29.0], [119.02, 29.01], [119.0, 29.01], [119.0, 29.0]]
    answer = client.post(
        "/api/v1/screen/within",
        json={
            "range": "today",
            "area": TOWNSHIP,
            "geometry": {"type": "Polygon", "coordinates": [square]},
        },
    )
    assert answer.status_code == 200, answer.text
    expected = sql_count(
        session,
        "township_code = :t AND ST_Within(location, "
        "ST_GeomFromText('POLYGON((119 29, 119.02 29, 119.02 29.01, "
        "119 29.01, 119 29))', 4326))",
        t=TOWNSHIP,
    )
    assert answer.json()["count"] == expected == 9
    assert answer.json()["by_status"] == {"reported": 9}
    circle = client.post(
        "/api/v1/screen/within",
        json={
            "range": "today",
            "area": TOWNSHIP,
            "circle": {"lon": 119.005, "lat": 29.005, "radius_m": 300},
        },
    ).json()
    expected = sql_count(
        session,
        "township_code = :t AND ST_DWithin(location::geography, "
        "ST_SetSRID(ST_MakePoint(119.005, 29.005), 4326)::geography, 300)",
        t=TOWNSHIP,
    )
    assert circle["count"] == expected == 5
    refused = client.post(
        "/api/v1/screen/within", json={"geometry": {"type": "Point", "coordinates": [1, 2]}}
    )
    assert refused.status_code == 422 and refused.json()["field"] == "geometry"


def test_changes_since_a_cursor_name_the_new_events(client, township, index):
    first = client.get(f"/api/v1/screen/changes?since=0&range=today&area={TOWNSHIP}").json()
    cursor = first["cursor"]
    new = report(client, 1, lon=119.005, lat=29.005, title="新来的")[0]
    later = client.get(f"/api/v1/screen/changes?since={cursor}&range=today&area={TOWNSHIP}").json()
    assert later["changed"] == 1 and later["ids"] == [new["id"]]
    assert later["cursor"] >= cursor


def test_search_finds_events_by_number_or_words_and_areas_by_name_or_code(client, township, index):
    event = report(client, 1, lon=119.005, lat=29.005, title="桥头井盖缺失")[0]
    by_id = client.get(f"/api/v1/screen/search?q={event['id']}").json()
    assert event["id"] in [e["id"] for e in by_id["events"]]
    by_words = client.get("/api/v1/screen/search?q=井盖缺失").json()
    assert [e["title"] for e in by_words["events"]][:1] == ["桥头井盖缺失 0"]
    by_name = client.get("/api/v1/screen/search?q=测试村第2").json()
    assert [a["code"] for a in by_name["areas"]] == [GRID_B]
    by_code = client.get(f"/api/v1/screen/search?q={VILLAGE}").json()
    assert by_code["areas"][0]["code"] == VILLAGE
    empty = client.get("/api/v1/screen/search?q=%20")
    assert empty.status_code == 422


def test_a_commander_sees_the_own_township_and_a_handler_no_screen(
    app_client, client, session, township, index, make_user
):
    report(client, 3, lon=119.005, lat=29.005)
    commander = sign_in(app_client, "screen-commander")
    mine = app_client.get("/api/v1/screen/summary?range=today", headers=commander).json()
    assert mine["total"] == 3
    session.execute(
        text(
            "INSERT INTO unit (code, name, kind, township_code, area_codes) "
            "VALUES ('330825999-ZHS', '别的镇指挥室', 'command_room', '330825999', "
            "'{330825999}')"
        )
    )
    make_user("other-commander", "commander", "330825999-ZHS")
    other = sign_in(app_client, "other-commander")
    theirs = app_client.get("/api/v1/screen/summary?range=today", headers=other).json()
    assert theirs["total"] == 0
    make_user("screen-handler", "handler", f"{TOWNSHIP}-zhifa")
    handler = sign_in(app_client, "screen-handler")
    refused = app_client.get("/api/v1/screen/summary", headers=handler)
    assert refused.status_code == 403 and refused.json()["field"] == "role"
    assert (
        app_client.get("/api/v1/screen/summary", headers={"Authorization": ""}).status_code == 401
    )


def test_overdue_and_at_risk_come_from_the_stored_deadlines(client, session, township, index):
    from api.supervision.service import sweep

    events = report(client, 2, lon=119.005, lat=29.005)
    commander = actor_for(session, township.id)
    start = datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)  # a Monday
    for event in events:
        accepted = perform(
            session=session,
            event_id=event["id"],
            action=Action.accept,
            actor=commander,
            body=s.AcceptBody(version=1),
            now=start,
        )
        perform(
            session=session,
            event_id=event["id"],
            action=Action.assign,
            actor=commander,
            body=s.AssignBody(version=accepted.version),
            now=start,
        )
    sweep(session=session, now=start + timedelta(days=3))
    summary = client.get(f"/api/v1/screen/summary?range=all&area={TOWNSHIP}").json()
    assert (
        summary["today"]["overdue"]
        == 2
        == sql_count(session, "township_code = :t AND overdue", t=TOWNSHIP)
    )
    late = client.get(f"/api/v1/screen/lists?range=all&area={TOWNSHIP}").json()["late"]
    assert {e["id"] for e in late} == {e["id"] for e in events}
    orders = client.get(f"/api/v1/screen/lists?range=all&area={TOWNSHIP}").json()["supervision"]
    assert len(orders) == 2 and {o["level"] for o in orders} == {"yellow"}
    assert summary["today"]["supervision_open"] == 2
    overdue_only = client.get(
        f"/api/v1/screen/summary?range=all&area={TOWNSHIP}&status=overdue"
    ).json()
    assert overdue_only["total"] == 2


def test_bad_filters_are_refused_naming_the_field(client, township, index):
    assert client.get("/api/v1/screen/summary?range=week").json()["field"] == "range"
    assert client.get("/api/v1/screen/summary?status=lost").json()["field"] == "status"
    assert client.get("/api/v1/screen/summary?platform=nope").json()["field"] == "platform"
