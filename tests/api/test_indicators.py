"""The indicators, checked independently: every indicator of October 2025 over the 320 events of
tests/api/indicator_world.py (taken through the real closed loop at fixed times, batches A-L
described there) compared with the value worked out by hand below."""

from __future__ import annotations

import pytest

from api.events.models import Event
from api.indicators.periods import parse_period
from api.indicators.service import Scope, compute
from tests.api.indicator_world import (
    GRID_1,
    GRID_2,
    GRID_3,
    NOW,
    OCTOBER,
    PCS,
    TOWNSHIP,
    ZHIFA,
    World,
    _redraw,
    oct_,
)


def figures(
    w: World, by: str = "county", login: str = "in-county", period=OCTOBER, **scope
) -> dict:
    """The figures of the world's township (other committed data may share the database)."""
    scope.setdefault("township", TOWNSHIP)
    table = compute(
        session=w.session,
        actor=w.actor(login),
        period=period,
        by=by,
        scope=Scope(**scope),
        now=NOW,
    )
    if by == "county":
        return {k: f.value for k, f in table.total.figures.items()}
    return {g.code: {k: f.value for k, f in g.figures.items()} for g in table.groups}


# Worked out by hand from the batches (module docstring). Sets of October, as of 1 November:
#   reported   A120 C30 D25 E20 F15 G10 H10 I15 J20 K5 L10                  = 280
#   accepted   A120 C30 D25 E20 F15 G10 H10 I15 L10                         = 255
#   assigned   (first) A120 C30 D25 E20 F15 H10 I15 L10                     = 245
#   handled    A120 B40 C30 D25 E20 F15 H10 L10                             = 270
#   on time    all handled but C                                            = 240
#   应结案      handled 270 + overdue unhandled I15 + closed by the county G10 = 295
#   closed     A B C D E F G H L                                            = 280
#   按期结案    closed 正常结案: A B D E F H L                                  = 240
#   reworked D25; extended F15; overdue C30 + I15 = 45; returned E20 of 245 assigned;
#   rated A120 + L10 = 130, satisfied 100; grid workers reported A C J K = 175, accepted A C = 150;
#   first closed 280: by the grid H10, the county G10, the township 260;
#   supervision orders C10 + the sweep's I15 = 25; unanswered by their reply time: the 5 of C
#   ended by the feedback at 10:00 after 09:30, and I's 15 (reply due 10-28 15:31) = 20.
# Working hours of the stages (events that finished the stage in October):
#   受理  225 x 0.5 (A D E F G H I L) + 30 x 1/6 (C): mean 117.5/255 = 0.46, median 0.5
#   交办  205 x 0.5 + C 30 x 1/3 + H 10 x 2.0: mean 132.5/245 = 0.54, median 0.5
#   处置  A 2.5x120, B 3.0x40 (0.5 h on 9-30, 2.5 h on 10-09: the holiday does not count),
#         C 8.0x30, D 1.0x25, E 3.5x20, F 10.0x15, H 3.0x10, L 1.0x10: 945/270 = 3.5, median 2.5
#   核查  A 1.0x120, B 1.5x40, C 0.5x30, D 2.0x25, E 0.5x20, F 1.0x15, H 0.5x10, L 0.5x10
#         (G closed by the county was never handled): 280/270 = 1.04, median 1.0
EXPECTED_OCTOBER = {
    "reported": 280,
    "accepted": 255,
    "due": 295,
    "handled": 270,
    "closed": 280,
    "close_rate": 94.92,  # 280/295
    "close_on_time_rate": 81.36,  # 240/295
    "handle_rate": 91.53,  # 270/295
    "handle_on_time_rate": 81.36,  # 240/295
    "rework_rate": 8.47,  # 25/295
    "extension_rate": 5.08,  # 15/295
    "return_rate": 8.16,  # 20/245
    "satisfaction_rate": 76.92,  # 100/130
    "overdue": 45,
    "supervision": 25,
    "supervision_unanswered": 20,
    "accept_hours_mean": 0.46,
    "accept_hours_median": 0.5,
    "assign_hours_mean": 0.54,
    "assign_hours_median": 0.5,
    "handle_hours_mean": 3.5,
    "handle_hours_median": 2.5,
    "verify_hours_mean": 1.04,
    "verify_hours_median": 1.0,
    "valid_report_rate": 85.71,  # 150/175
    "patrol_per_worker": 175.0,  # one grid-worker account in the township
    "closed_share_grid": 3.57,  # 10/280
    "closed_share_village": 0.0,
    "closed_share_township": 92.86,  # 260/280
    "closed_share_county": 3.57,  # 10/280
}


def test_every_indicator_of_october_equals_the_hand_count(w):
    assert figures(w) == pytest.approx(EXPECTED_OCTOBER, abs=0.006)


def test_grouped_by_grid(w):
    by_grid = figures(w, "grid")
    assert set(by_grid) == {GRID_1, GRID_2, GRID_3}
    # grid 001: A C I J K; 应结案 A120 C30 + I15 overdue = 165, closed 150, on time A120.
    assert by_grid[GRID_1]["due"] == 165
    assert by_grid[GRID_1]["close_rate"] == pytest.approx(90.91, abs=0.006)  # 150/165
    assert by_grid[GRID_1]["handle_on_time_rate"] == pytest.approx(72.73, abs=0.006)  # 120/165
    assert by_grid[GRID_1]["patrol_per_worker"] == 175.0
    # grid 002: D E F, all handled on time; D reworked.
    assert by_grid[GRID_2]["due"] == 60
    assert by_grid[GRID_2]["handle_on_time_rate"] == 100.0
    assert by_grid[GRID_2]["rework_rate"] == pytest.approx(41.67, abs=0.006)  # 25/60
    assert by_grid[GRID_2]["return_rate"] == pytest.approx(33.33, abs=0.006)  # 20/60
    # grid 003: B G H L; 应结案 70 (G closed by the county), 按期结案 B H L = 60.
    assert by_grid[GRID_3]["due"] == 70
    assert by_grid[GRID_3]["close_on_time_rate"] == pytest.approx(85.71, abs=0.006)
    assert by_grid[GRID_3]["closed_share_county"] == pytest.approx(14.29, abs=0.006)  # 10/70


def test_grouped_by_unit_and_platform(w):
    by_unit = figures(w, "unit")
    # Handled by the 监管执法 platform: A B C D F L (+ I open); by the police station: E;
    # by grid 001's unit: H; G was never assigned (no unit).
    assert by_unit[ZHIFA]["handled"] == 120 + 40 + 30 + 25 + 15 + 10
    assert by_unit[PCS]["handled"] == 20
    assert by_unit[GRID_1]["handled"] == 10
    assert by_unit[ZHIFA]["supervision"] == 25
    assert figures(w, "platform")["zhifa"]["reported"] == 280  # every event is 0102 暴露垃圾


def test_emergency_events_counted_apart(w):
    during = figures(w, mode="emergency")
    assert (during["reported"], during["accepted"], during["due"], during["closed"]) == (
        20,
        20,
        20,
        20,
    )
    assert during["closed_share_county"] == 50.0
    outside = figures(w, mode="peacetime")
    assert outside["reported"] == 260


def test_comparison_with_the_previous_period_and_last_year(w):
    table = compute(
        session=w.session,
        actor=w.actor("in-county"),
        period=OCTOBER,
        by="county",
        scope=Scope(),
        now=NOW,
        compare=True,
    )
    reported = table.total.figures["reported"]
    # September holds batch B's reports (40); October 2024 holds nothing.
    assert (reported.value, reported.previous, reported.last_year) == (280, 40, 0)
    assert table.total.figures["close_rate"].previous is None  # nothing was due in September


def test_a_township_sees_its_own_and_others_are_refused(w, app_client_on):
    client = app_client_on(w)
    own = client.get(
        "/api/v1/indicators",
        params={"period": "2025-10", "by": "grid"},
        headers=w.headers("in-zhs"),
    )
    assert own.status_code == 200, own.text
    assert {g["code"] for g in own.json()["groups"]} == {GRID_1, GRID_2, GRID_3}
    other = client.get(
        "/api/v1/indicators", params={"period": "2025-10"}, headers=w.headers("in-other")
    )
    assert other.status_code == 200
    assert other.json()["total"]["figures"]["reported"]["value"] == 0
    foreign = client.get(
        "/api/v1/indicators",
        params={"period": "2025-10", "township": TOWNSHIP},
        headers=w.headers("in-other"),
    )
    assert foreign.status_code == 403
    handler = client.get(
        "/api/v1/indicators", params={"period": "2025-10"}, headers=w.headers("in-handler-only")
    )
    assert handler.status_code == 403


def test_the_events_behind_a_figure(w, app_client_on):
    client = app_client_on(w)
    answer = client.get(
        "/api/v1/indicators/events",
        params={"period": "2025-10", "set": "reworked", "by": "grid", "code": GRID_2},
        headers=w.headers("in-zhs"),
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["count"] == 25
    assert sorted(e["id"] for e in body["items"]) == sorted(w.batches["D"])


def test_csv(w, app_client_on):
    client = app_client_on(w)
    answer = client.get(
        "/api/v1/indicators",
        params={"period": "2025-10", "by": "grid", "format": "csv"},
        headers=w.headers("in-zhs"),
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    lines = answer.text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("code,name,")
    assert "结案率" in lines[0]
    assert len(lines) == 1 + 3 + 1  # header, three grids, the total


def test_a_past_month_stays_the_same_after_new_events_edits_and_boundaries(w):
    before = figures(w, "grid")
    # November: batch I is handled; new events; an event is re-categorised; boundaries redrawn.
    for e in w.batches["I"]:
        w.act("in-zhifa", e, "feedback", oct_(3, 10, month=11), text="已处置")
        w.act("in-zhs", e, "verify", oct_(3, 11, month=11), passed=True)
    for e in w.batches["K"]:
        w.act("in-zhs", e, "accept", oct_(3, 9, month=11))
    w.report("in-wgy", GRID_2, oct_(4, 9, month=11))
    w.session.execute(
        Event.__table__.update()
        .where(Event.id == w.batches["A"][0])
        .values(category_code="0104", updated_at=NOW)
    )
    _redraw(w.session)
    assert figures(w, "grid") == before
    november = figures(w, period=parse_period("2025-11"))
    assert (november["reported"], november["accepted"], november["handled"]) == (1, 5, 15)


def test_the_readme_table_is_the_definitions():
    """README.md carries the indicator table generated from the one definition."""
    from pathlib import Path

    from api.indicators.definitions import markdown_table

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    between = readme.split("<!-- indicators:begin -->\n")[1].split("<!-- indicators:end -->")[0]
    assert between == markdown_table()


def test_working_hours_vectorised_equal_the_calendar():
    """The fact rows' working hours (vectorised) are the deadline calendar's, to the second."""
    import random
    from datetime import timedelta

    import numpy as np

    from api.worktime.service import calendar

    cal = calendar()
    rng = random.Random(7)
    starts, ends = [], []
    for _ in range(500):
        a = oct_(1, 0) + timedelta(minutes=rng.randrange(0, 60 * 24 * 120))
        starts.append(a)
        ends.append(a + timedelta(minutes=rng.randrange(-60, 60 * 24 * 15)))
    got = cal.working_hours_many(
        np.array([a.timestamp() for a in starts]), np.array([b.timestamp() for b in ends])
    )
    want = [cal.working_hours_between(a, b) for a, b in zip(starts, ends, strict=True)]
    assert got == pytest.approx(want, abs=1e-6)


def test_the_queue_and_a_full_rebuild_agree(w):
    """The fact rows kept up to date action by action (the timeline's trigger and the queue)
    are the rows a full rebuild from the timelines makes."""
    from sqlalchemy import text

    from api.indicators import facts

    def rows():
        facts.refresh(w.session)
        return w.session.execute(
            text("SELECT * FROM indicator_event WHERE township_code = :t ORDER BY event_id"),
            {"t": TOWNSHIP},
        ).all()

    kept = rows()
    assert len(kept) == 320
    facts.rebuild_all(w.session)
    assert rows() == kept
