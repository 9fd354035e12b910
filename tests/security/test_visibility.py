"""One visibility policy: for every demo user, every path that lists events — the events API,
its GeoJSON, the command screen's map and the work queues — shows the same events, and those are
the ones the rule says (written out here, not read back from the code under test)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from api.screen import index as screen_index
from api.units.models import Unit, UnitKind
from api.users.models import Role, User
from tests.conftest import bearer

EVENTS = "/api/v1/events"
SCREEN_ROLES = {"commander", "viewer", "county", "admin"}
QUEUES = ("to_accept", "to_assign", "to_verify", "overdue", "at_risk", "my_tasks", "escalated",
          "supervision")  # fmt: skip


@pytest.fixture
def index(monkeypatch):
    fresh = screen_index.EventIndex(max_age_s=0.0)
    monkeypatch.setattr(screen_index, "_index", fresh)
    return fresh


def _ids_of_events(client, headers) -> set[int]:
    ids, offset = set(), 0
    while True:
        page = client.get(EVENTS, params={"limit": 1000, "offset": offset}, headers=headers)
        assert page.status_code == 200, page.text
        items = page.json()["items"]
        ids |= {e["id"] for e in items}
        if len(items) < 1000:
            return ids
        offset += 1000


def _ids_of_geojson(client, headers) -> set[int]:
    answer = client.get(EVENTS, params={"f": "geojson", "limit": 1000}, headers=headers)
    assert answer.status_code == 200, answer.text
    return {f["id"] for f in answer.json()["features"]}


def _ids_of_screen(client, headers) -> set[int]:
    answer = client.get(
        "/api/v1/screen/map",
        params={"range": "all", "bbox": "-180,-90,180,90", "zoom": 18},
        headers=headers,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["mode"] == "points"
    return {f["id"] for f in body["features"]}


def _expected(session, user: User, unit: Unit | None) -> set[int]:
    """The rule, written out in SQL on its own: what this user should see."""
    if user.role in (Role.admin, Role.county) or (unit and unit.kind is UnitKind.county_center):
        return set(session.scalars(text("SELECT id FROM event")))
    if unit is None:
        return set()
    if user.role in (Role.commander, Role.viewer) and unit.kind in (
        UnitKind.command_room,
        UnitKind.platform,
    ):
        return set(
            session.scalars(
                text(
                    "SELECT id FROM event WHERE township_code = :t OR "
                    "(township_code IS NULL AND reporter_township_code = :t)"
                ),
                {"t": unit.township_code},
            )
        )
    rows = session.scalars(
        text(
            "SELECT id FROM event e WHERE reported_by_id = :u "
            "OR grid_code = ANY(:areas) OR village_code = ANY(:areas) "
            "OR EXISTS (SELECT 1 FROM task t WHERE t.event_id = e.id AND t.unit_id = :unit) "
            "OR (:viewer AND township_code = :t)"
        ),
        {
            "u": user.id,
            "areas": list(unit.area_codes or []),
            "unit": unit.id,
            "viewer": user.role is Role.viewer,
            "t": unit.township_code,
        },
    )
    return set(rows)


def test_every_path_shows_each_demo_user_the_same_events(demo_loaded, app_client, session, index):
    # Two reports outside every grid: one by 龙洲街道's grid worker, one by the county centre.
    wgy, county = bearer(session, "wgy"), bearer(session, "county")
    outside = {"title": "河道漂浮物", "category_code": "0102", "source": "grid_worker",
               "lon": 121.5, "lat": 31.2}  # fmt: skip
    from_lz = app_client.post(EVENTS, json=outside, headers=wgy)
    from_county = app_client.post(EVENTS, json={**outside, "source": "county"}, headers=county)
    assert from_lz.json()["routing"]["method"] == "unrouted"
    lz_id, county_id = from_lz.json()["id"], from_county.json()["id"]

    users = session.execute(  # (other tests' users with a password still to change: not here)
        select(User, Unit)
        .outerjoin(Unit, Unit.id == User.unit_id)
        .where(User.active, User.must_change_password.is_(False))
    ).all()
    assert len(users) > 150  # every demo login: zhs_<township>, h_<unit>, wgy, county ...
    checked = 0
    for user, unit in users:
        headers = bearer(session, user.login)
        expected = _expected(session, user, unit)
        listed = _ids_of_events(app_client, headers)
        assert listed == expected, user.login
        assert len(expected) < 1000  # one GeoJSON page holds them all
        assert _ids_of_geojson(app_client, headers) == expected, user.login
        if user.role.value in SCREEN_ROLES:
            assert _ids_of_screen(app_client, headers) == expected, user.login
        for queue in QUEUES:
            answer = app_client.get(f"/api/v1/queues/{queue}?limit=500", headers=headers)
            assert answer.status_code == 200, (user.login, queue, answer.text)
            assert {e["id"] for e in answer.json()} <= expected, (user.login, queue)
        checked += 1
        # The unplaced events: the reporter's command room and the county, nobody else.
        sees_lz = lz_id in listed
        sees_county = county_id in listed
        everything = user.role in (Role.admin, Role.county) or (
            unit is not None and unit.kind is UnitKind.county_center
        )
        lz_room = (
            unit is not None
            and unit.township_code == "330825001"
            and unit.kind in (UnitKind.command_room, UnitKind.platform)
            and user.role in (Role.commander, Role.viewer)
        )
        assert sees_lz == (everything or lz_room or user.login == "wgy"), user.login
        assert sees_county == everything, user.login
    assert checked == len(users)


def test_a_user_whose_unit_has_no_township_sees_nothing_township_wide(
    demo_loaded, app_client, session, make_user
):
    """A viewer of a unit with no township (a county-level department made here) sees only
    what their own unit has in hand: nothing."""
    unit = Unit(code="330825-TEST", name="县某局", kind=UnitKind.department, township_code=None,
                area_codes=[])  # fmt: skip
    session.add(unit)
    session.flush()
    make_user("t-orphan", "viewer", "330825-TEST")
    answer = app_client.get(EVENTS, headers=bearer(session, "t-orphan"))
    assert answer.status_code == 200
    assert answer.json()["total"] == 0
