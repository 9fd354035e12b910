"""Patrols (巡查) over HTTP, as the phone sends them: a start, positions in batches (again after
a weak signal), the end; the tracks a command room sees; the figures the indicators read.

The `grid_set` squares (tests/conftest.py): grids A 119.00-119.01, B 119.01-119.02 and C
119.015-119.025 (overlapping B) x 29.00-29.01, in village 330825100001 of township 330825100.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from api import clock
from api.patrols.service import patrol_figures
from api.units.models import Unit, UnitKind
from api.units.service import sync_units
from tests.conftest import bearer

SHANGHAI = ZoneInfo("Asia/Shanghai")
TOWNSHIP = "330825100"
GRID_A, GRID_B = "330825100001001", "330825100001002"
PATROLS = "/api/v1/patrols"
NOON = datetime(2026, 3, 10, 12, 0, tzinfo=SHANGHAI)


@pytest.fixture
def people(session, grid_set, make_user):
    sync_units(session=session, set_id=grid_set.id, county_code="330825", county_name="龙游县")
    session.add(
        Unit(code="330825199-ZHS", name="另一镇综合信息指挥室", kind=UnitKind.command_room,
             township_code="330825199", area_codes=["330825199"])
    )  # fmt: skip
    session.flush()
    for login, role, unit in (
        ("pt-wgy", "grid_worker", GRID_A),
        ("pt-zhifa", "handler", f"{TOWNSHIP}-zhifa"),
        ("pt-zhs", "commander", f"{TOWNSHIP}-ZHS"),
        ("pt-other", "commander", "330825199-ZHS"),
        ("pt-viewer", "viewer", f"{TOWNSHIP}-ZHS"),
        ("pt-county", "county", "330825-ZX"),
    ):
        make_user(login, role, unit)
    return {login: bearer(session, login) for login in (
        "pt-wgy", "pt-zhifa", "pt-zhs", "pt-other", "pt-viewer", "pt-county")}  # fmt: skip


def _points(start_seq: int, coords, *, at=NOON, step_s=30, accuracy=8.0) -> list[dict]:
    return [
        {
            "seq": start_seq + i,
            "at": (at + timedelta(seconds=step_s * (start_seq + i))).isoformat(),
            "lon": lon,
            "lat": lat,
            "accuracy_m": accuracy,
        }
        for i, (lon, lat) in enumerate(coords)
    ]


def test_a_patrol_walked_with_a_weak_signal_is_stored_once(app_client, people):
    wgy = people["pt-wgy"]
    with clock.frozen(NOON + timedelta(hours=1)):
        started = app_client.post(
            PATROLS, json={"external_id": "phone-1", "started_at": NOON.isoformat()}, headers=wgy
        )
        assert started.status_code == 201, started.text
        patrol = started.json()
        assert patrol["state"] == "active" and patrol["grid_code"] == GRID_A
        # The start sent again (its answer was lost): the same patrol, not a second one.
        again = app_client.post(
            PATROLS, json={"external_id": "phone-1", "started_at": NOON.isoformat()}, headers=wgy
        )
        assert again.status_code == 200 and again.json()["id"] == patrol["id"]

        points = f"{PATROLS}/{patrol['id']}/points"
        # East along lat 29.005 from grid A into grid B: 0.001 degree of longitude ~ 97.4 m.
        first = _points(0, [(119.005, 29.005), (119.007, 29.005), (119.009, 29.005)])
        answer = app_client.post(points, json={"points": first}, headers=wgy)
        assert answer.status_code == 200, answer.text
        assert answer.json()["point_count"] == 3
        assert answer.json()["distance_m"] == pytest.approx(389.6, abs=2)
        # Offline for a while: the next batch, and the first one again (a retry), arrive late.
        later = _points(3, [(119.011, 29.005), (119.013, 29.005)])
        assert app_client.post(points, json={"points": later}, headers=wgy).status_code == 200
        retried = app_client.post(points, json={"points": first}, headers=wgy)
        body = retried.json()
        assert body["point_count"] == 5
        assert body["distance_m"] == pytest.approx(779.2, abs=4)
        assert body["grid_codes"] == [GRID_A, GRID_B]
        assert body["track"][0] == [119.005, 29.005] and body["track"][-1] == [119.013, 29.005]

        ended = app_client.post(f"{PATROLS}/{patrol['id']}/end", json={}, headers=wgy)
        assert ended.status_code == 200 and ended.json()["state"] == "ended"
        twice = app_client.post(f"{PATROLS}/{patrol['id']}/end", json={}, headers=wgy)
        assert twice.json()["ended_at"] == ended.json()["ended_at"]

        today = app_client.get(PATROLS, params={"day": "2026-03-10"}, headers=wgy).json()
        assert [p["id"] for p in today] == [patrol["id"]]


def test_a_position_the_gps_is_unsure_of_stays_out_of_the_track(app_client, people):
    wgy = people["pt-wgy"]
    with clock.frozen(NOON + timedelta(hours=1)):
        patrol = app_client.post(PATROLS, json={"external_id": "p-2"}, headers=wgy).json()
        points = _points(0, [(119.005, 29.005), (119.006, 29.005)])
        # A jump of 1.5 km with an accuracy of 900 m: kept, but not on the line.
        points += _points(2, [(119.020, 29.005)], accuracy=900.0)
        answer = app_client.post(
            f"{PATROLS}/{patrol['id']}/points", json={"points": points}, headers=wgy
        ).json()
    assert answer["point_count"] == 3
    assert answer["distance_m"] == pytest.approx(97.4, abs=1)
    assert answer["grid_codes"] == [GRID_A]


def test_the_command_room_sees_its_townships_patrols_as_lines(app_client, people):
    with clock.frozen(NOON + timedelta(hours=1)):
        patrol = app_client.post(
            PATROLS, json={"external_id": "p-3"}, headers=people["pt-wgy"]
        ).json()
        app_client.post(
            f"{PATROLS}/{patrol['id']}/points",
            json={"points": _points(0, [(119.002, 29.002), (119.004, 29.004)])},
            headers=people["pt-wgy"],
        )
        seen = {}
        for login in ("pt-zhs", "pt-viewer", "pt-county", "pt-other", "pt-zhifa"):
            answer = app_client.get(PATROLS, params={"f": "geojson"}, headers=people[login])
            assert answer.headers["content-type"] == "application/geo+json"
            seen[login] = [f["id"] for f in answer.json()["features"]]
        lines = app_client.get(PATROLS, params={"f": "geojson"}, headers=people["pt-zhs"]).json()
    assert seen == {
        "pt-zhs": [patrol["id"]],
        "pt-viewer": [patrol["id"]],
        "pt-county": [patrol["id"]],
        "pt-other": [],
        "pt-zhifa": [],
    }
    feature = lines["features"][0]
    assert feature["geometry"]["type"] == "LineString"
    assert feature["properties"]["user_name"] == "pt-wgy"


def test_only_the_patroller_adds_positions_and_only_patrollers_patrol(app_client, people):
    with clock.frozen(NOON):
        patrol = app_client.post(
            PATROLS, json={"external_id": "p-4"}, headers=people["pt-wgy"]
        ).json()
        body = {"points": _points(0, [(119.002, 29.002)])}
        other = app_client.post(
            f"{PATROLS}/{patrol['id']}/points", json=body, headers=people["pt-zhs"]
        )
        assert other.status_code == 404 and other.json()["error"] == "patrol_not_found"
        viewer = app_client.post(PATROLS, json={"external_id": "v"}, headers=people["pt-viewer"])
        assert viewer.status_code == 403
        county = app_client.post(PATROLS, json={"external_id": "c"}, headers=people["pt-county"])
        assert county.status_code == 403


def test_bad_positions_are_refused_naming_the_field(app_client, people):
    wgy = people["pt-wgy"]
    with clock.frozen(NOON):
        patrol = app_client.post(PATROLS, json={"external_id": "p-5"}, headers=wgy).json()
        url = f"{PATROLS}/{patrol['id']}/points"
        swapped = app_client.post(url, json={"points": _points(0, [(29.0, 119.0)])}, headers=wgy)
        assert swapped.status_code == 422 and swapped.json()["field"] == "points.0.lat"
        future = _points(0, [(119.002, 29.002)], at=NOON + timedelta(hours=2))
        ahead = app_client.post(url, json={"points": future}, headers=wgy)
        assert ahead.status_code == 422 and "phone's clock" in ahead.json()["message"]
        empty = app_client.post(url, json={"points": []}, headers=wgy)
        assert empty.status_code == 422 and empty.json()["field"] == "points"


def test_a_new_patrol_ends_the_one_left_running(app_client, people):
    wgy = people["pt-wgy"]
    with clock.frozen(NOON + timedelta(hours=2)):
        first = app_client.post(
            PATROLS, json={"external_id": "a", "started_at": NOON.isoformat()}, headers=wgy
        ).json()
        app_client.post(
            f"{PATROLS}/{first['id']}/points",
            json={"points": _points(0, [(119.002, 29.002), (119.003, 29.003)])},
            headers=wgy,
        )
        app_client.post(PATROLS, json={"external_id": "b"}, headers=wgy)
        patrols = {p["external_id"]: p for p in app_client.get(
            PATROLS, params={"day": "2026-03-10"}, headers=wgy).json()}  # fmt: skip
    assert patrols["a"]["state"] == "ended"
    assert datetime.fromisoformat(patrols["a"]["ended_at"]) == NOON + timedelta(seconds=30)
    assert patrols["b"]["state"] == "active"


def test_the_indicators_read_counts_distance_and_grid_coverage(app_client, session, people):
    with clock.frozen(NOON + timedelta(hours=1)):
        for n, (headers, coords) in enumerate(
            (
                (people["pt-wgy"], [(119.005, 29.005), (119.007, 29.005)]),
                (people["pt-wgy"], [(119.012, 29.005), (119.013, 29.005)]),
                (people["pt-zhifa"], [(119.003, 29.003), (119.004, 29.003)]),
            )
        ):
            patrol = app_client.post(
                PATROLS, json={"external_id": f"f-{n}"}, headers=headers
            ).json()
            app_client.post(
                f"{PATROLS}/{patrol['id']}/points",
                json={"points": _points(0, coords)},
                headers=headers,
            )
    day = datetime(2026, 3, 10, tzinfo=SHANGHAI)
    figures = patrol_figures(
        session=session, start=day, end=day + timedelta(days=1), township_code=TOWNSHIP
    )
    assert (figures.patrols, figures.patrollers) == (3, 2)
    assert figures.grids == 3 and figures.grids_covered == 2
    assert figures.coverage == pytest.approx(2 / 3)
    # The grid worker's patrols are their grid's (A), wherever they walked; the handler's, who
    # has no grid, the grid they walked in (A too).
    assert figures.by_grid[GRID_A].patrols == 3 and figures.by_grid[GRID_A].visits == 2
    assert figures.by_grid[GRID_B].patrols == 0 and figures.by_grid[GRID_B].visits == 1
    assert figures.distance_m == pytest.approx(194.8 + 97.4 + 97.4, abs=3)
    elsewhere = patrol_figures(
        session=session, start=day, end=day + timedelta(days=1), township_code="330825199"
    )
    assert elsewhere.patrols == 0 and elsewhere.coverage == 0.0


def test_the_working_periods_count_weekends_and_holidays_out(client):
    answer = client.get(
        "/api/v1/worktime/periods", params={"first": "2026-10-01", "last": "2026-10-12"}
    )
    assert answer.status_code == 200, answer.text
    days = sorted({p[0][:10] for p in answer.json()["periods"]})
    # National Day: 1-7 October off, Saturday 10 October a make-up workday (调休).
    assert days[0] >= "2026-10-08"
    assert answer.json()["periods"][0] == [
        f"{days[0]}T08:30:00+08:00",
        f"{days[0]}T12:00:00+08:00",
    ]
    too_long = client.get(
        "/api/v1/worktime/periods", params={"first": "2026-01-01", "last": "2028-01-01"}
    )
    assert too_long.status_code == 422 and too_long.json()["field"] == "last"
