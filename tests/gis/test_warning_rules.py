"""The early-warning rules on small hand-made cases: each threshold just below and just above,
window edges, a hotspot across a grid border, a repeat after closure, keywords typed full-width
or with spaces, and keys that stay the same for the same window."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from shapely.geometry import shape

from gis.warnings.common import DAY_S, HOUR_S, WEEK_S, EventColumns, Rule, dbscan
from gis.warnings.keywords import KeywordMatcher, KeywordParams, keyword_warnings
from gis.warnings.rules import (
    RepeatParams,
    SurgeParams,
    hotspot_warnings,
    poisson_upper_tail,
    repeat_warnings,
    surge_warnings,
)

NOW = 1_795_705_200  # 2026-11-26T15:00:00Z, a Thursday; 6-hour periods start at 12:00Z
GRID_A = 330825001001001
GRID_B = 330825001001002
LON, LAT = 119.17, 29.03
M_LAT = 1 / 111_195.0  # degrees of latitude per metre (R = 6,371,008.8 m)
M_LON = M_LAT / math.cos(math.radians(LAT))


def columns(rows: list[dict]) -> EventColumns:
    """EventColumns from rows of {id, created, area, category, lon, lat, open, closed}."""
    return EventColumns(
        id=[r["id"] for r in rows],
        created=[r["created"] for r in rows],
        area=[r.get("area", GRID_A) for r in rows],
        category=[r.get("category", 102) for r in rows],
        lon=[r.get("lon", LON) for r in rows],
        lat=[r.get("lat", LAT) for r in rows],
        is_open=[r.get("open", True) for r in rows],
        closed_at=[r.get("closed", math.nan) for r in rows],
    )


def surge_rows(now_count: int, per_week: int, *, area=GRID_A, category=102, first_id=1):
    """`now_count` events in the last 6 h and `per_week` in the same hours of each of 8 weeks."""
    rows = []
    for k in range(now_count):
        rows.append({"id": first_id + k, "created": NOW - 60 * (k + 1), "area": area,
                     "category": category})  # fmt: skip
    for week in range(1, 9):
        for k in range(per_week):
            rows.append({"id": first_id + 1000 + week * 100 + k,
                         "created": NOW - week * WEEK_S - 60 * (k + 1), "area": area,
                         "category": category})  # fmt: skip
    return rows


# --- surge --------------------------------------------------------------------------------------


def test_surge_needs_the_minimum_count_when_an_area_has_no_history():
    assert surge_warnings(events=columns(surge_rows(4, 0)), now=NOW) == []
    (warning,) = surge_warnings(events=columns(surge_rows(5, 0)), now=NOW)
    assert warning.rule is Rule.surge
    assert warning.key == "surge/6h:330825001001001:102:2026-11-26T12:00:00Z"
    assert warning.areas == (GRID_A,)
    assert warning.category == 102
    assert warning.event_ids == (5, 4, 3, 2, 1)  # oldest first
    assert warning.count == 5
    assert warning.baseline == 0.0
    assert warning.evidence["expected"] == 0.5  # the floor
    assert warning.evidence["weekly_counts"] == [0] * 8
    assert warning.evidence["p_value"] == pytest.approx(1.7211563e-4)
    assert (warning.window_start, warning.window_end) == (NOW - 6 * HOUR_S, NOW)
    assert "近6h上报5件" in warning.reason_zh
    assert "5 events in the last 6h" in warning.reason_en


def test_surge_needs_the_ratio_to_the_baseline():
    # Baseline 10 a week: 29 is 2.9 times (p = 7.6e-7, significant but not 3 times), 30 is 3.
    assert surge_warnings(events=columns(surge_rows(29, 10)), now=NOW) == []
    (warning,) = surge_warnings(events=columns(surge_rows(30, 10)), now=NOW)
    assert warning.baseline == 10.0
    assert warning.evidence["ratio"] == 3.0
    assert warning.evidence["weekly_counts"] == [10] * 8


def test_surge_needs_a_small_poisson_tail_probability():
    # Baseline 2: 8 events is 4 times but P(X >= 8 | 2) = 0.0011 > 0.001; 9 gives 0.00024.
    assert surge_warnings(events=columns(surge_rows(8, 2)), now=NOW) == []
    (warning,) = surge_warnings(events=columns(surge_rows(9, 2)), now=NOW)
    assert warning.evidence["p_value"] == pytest.approx(2.374473e-4)
    assert warning.score == pytest.approx(3.62, abs=0.01)


def test_a_rise_from_one_to_three_is_not_a_surge_whatever_the_ratio():
    rows = surge_rows(3, 0)
    rows.append({"id": 99, "created": NOW - 3 * WEEK_S - 60})  # one event in eight weeks
    assert surge_warnings(events=columns(rows), now=NOW) == []
    # The floors are what stop it: without them, 3 against 0.5 (6 times, p = 0.014) would do.
    loose = SurgeParams(min_count=3, max_p_value=0.05)
    (warning,) = surge_warnings(events=columns(rows), now=NOW, params=loose)
    assert warning.evidence["ratio"] == 6.0


def test_surge_window_edges_and_the_same_hours_of_past_weeks():
    rows = surge_rows(4, 0)
    # In the window: exactly now. Out: exactly now - 6 h, and the future.
    rows += [{"id": 50, "created": NOW}, {"id": 51, "created": NOW - 6 * HOUR_S},
             {"id": 52, "created": NOW + 60}]  # fmt: skip
    (warning,) = surge_warnings(events=columns(rows), now=NOW)
    assert warning.count == 5 and 50 in warning.event_ids and 51 not in warning.event_ids
    # Baseline windows: exactly a week ago counts (week 1); a week and 6 hours ago does not.
    rows = surge_rows(30, 0)
    rows += [{"id": 60 + k, "created": NOW - WEEK_S} for k in range(8)]
    rows += [{"id": 80 + k, "created": NOW - WEEK_S - 6 * HOUR_S} for k in range(8)]
    (warning,) = surge_warnings(events=columns(rows), now=NOW)
    assert warning.evidence["weekly_counts"] == [0, 0, 0, 0, 0, 0, 0, 8]
    assert warning.baseline == 1.0


def test_surge_counts_each_area_and_category_on_its_own():
    rows = surge_rows(3, 0, category=102) + surge_rows(2, 0, category=501, first_id=20)
    rows += surge_rows(4, 0, area=GRID_B, first_id=40)
    assert surge_warnings(events=columns(rows), now=NOW) == []
    rows += surge_rows(5, 0, area=GRID_B, category=501, first_id=60)
    (warning,) = surge_warnings(events=columns(rows), now=NOW)
    assert (warning.areas, warning.category) == ((GRID_B,), 501)
    assert warning.event_ids == (64, 63, 62, 61, 60)


def test_surge_key_is_stable_within_its_period_and_changes_with_the_next():
    events = columns(surge_rows(6, 0))
    first = surge_warnings(events=events, now=NOW)[0].key
    assert surge_warnings(events=events, now=NOW + 2 * HOUR_S)[0].key == first
    later = surge_warnings(events=events, now=NOW + 3 * HOUR_S)[0].key
    assert later == "surge/6h:330825001001001:102:2026-11-26T18:00:00Z"


def test_poisson_upper_tail_against_the_sum_of_terms():
    expected = 1 - sum(math.exp(-2) * 2**k / math.factorial(k) for k in range(9))
    assert poisson_upper_tail(np.array([9]), np.array([2.0]))[0] == pytest.approx(expected)
    assert poisson_upper_tail(np.array([0]), np.array([2.0]))[0] == 1.0


def test_surge_params_are_checked_with_the_field_named():
    with pytest.raises(ValueError, match="min_ratio must be > 0, got 0"):
        SurgeParams(min_ratio=0)
    with pytest.raises(ValueError, match="window_s must be at most a week"):
        SurgeParams(window_s=8 * DAY_S)


# --- hotspot ------------------------------------------------------------------------------------


def spot(id_: int, east_m: float, north_m: float, **extra) -> dict:
    return {"id": id_, "created": NOW - HOUR_S * id_, "lon": LON + east_m * M_LON,
            "lat": LAT + north_m * M_LAT, "category": 501} | extra  # fmt: skip


def test_hotspot_across_a_grid_border_is_one_hotspot_touching_both_grids():
    # A grid border runs north-south at LON: two events west of it (grid A), three east (B).
    rows = [spot(1, -30, 0, area=GRID_A), spot(2, -60, 20, area=GRID_A),
            spot(3, 30, 0, area=GRID_B), spot(4, 60, -20, area=GRID_B),
            spot(5, 10, 40, area=GRID_B, category=102)]  # fmt: skip
    (warning,) = hotspot_warnings(events=columns(rows), now=NOW)
    assert warning.rule is Rule.hotspot
    assert warning.areas == (GRID_A, GRID_B)
    assert warning.event_ids == (5, 4, 3, 2, 1)  # first reported first
    assert warning.key == "hotspot/24h:5"
    assert warning.category == 501
    assert warning.evidence["categories"] == {102: 1, 501: 4}
    polygon = shape(warning.geometry)
    points = shapely.points([r["lon"] for r in rows], [r["lat"] for r in rows])
    assert shapely.contains(polygon, points).all()
    # The hull buffered by 50 m: a point 40 m beyond the outermost event is inside, 70 m not.
    assert polygon.contains(shapely.Point(LON - 100 * M_LON, LAT + 20 * M_LAT))
    assert not polygon.contains(shapely.Point(LON - 130 * M_LON, LAT + 20 * M_LAT))


def test_hotspot_needs_min_samples_open_events_in_the_window():
    four = [spot(i, 10 * i, 0) for i in range(1, 5)]
    assert hotspot_warnings(events=columns(four), now=NOW) == []
    closed = four + [spot(5, 50, 0, open=False, closed=NOW - 60)]
    assert hotspot_warnings(events=columns(closed), now=NOW) == []
    old = four + [spot(5, 50, 0, created=NOW - 24 * HOUR_S)]  # exactly 24 h ago: out
    assert hotspot_warnings(events=columns(old), now=NOW) == []
    fresh = four + [spot(5, 50, 0, created=NOW - 24 * HOUR_S + 1)]
    assert len(hotspot_warnings(events=columns(fresh), now=NOW)) == 1


def test_hotspot_eps_is_in_metres_on_the_ground():
    # Four events on one spot and a fifth due north: 195 m makes five neighbours, 205 m four.
    four = [spot(i, 0, 0) for i in range(1, 5)]
    assert len(hotspot_warnings(events=columns(four + [spot(5, 0, 195)]), now=NOW)) == 1
    assert hotspot_warnings(events=columns(four + [spot(5, 0, 205)]), now=NOW) == []
    # East-west too (the projection scales longitude by cos(latitude)).
    assert len(hotspot_warnings(events=columns(four + [spot(5, 195, 0)]), now=NOW)) == 1
    assert hotspot_warnings(events=columns(four + [spot(5, 205, 0)]), now=NOW) == []


def test_hotspot_key_stays_when_the_hotspot_grows():
    rows = [spot(i, 20 * i, 0) for i in range(1, 6)]
    first = hotspot_warnings(events=columns(rows), now=NOW)[0]
    grown = hotspot_warnings(events=columns(rows + [spot(9, 0, 30, created=NOW - 60)]), now=NOW)
    assert grown[0].key == first.key == "hotspot/24h:5"
    assert grown[0].count == 6


def test_hotspot_needs_coordinates_and_says_which():
    events = EventColumns(id=[1], created=[NOW], area=[GRID_A], category=[102])
    with pytest.raises(ValueError, match="hotspot_warnings needs events.lon, events.lat, "
                                         "events.is_open"):  # fmt: skip
        hotspot_warnings(events=events, now=NOW)
    bad = columns([spot(i, 0, 0) for i in range(1, 5)] + [spot(5, 0, 0, lon=29.03, lat=119.17)])
    with pytest.raises(ValueError, match="lat=119.17; are lon and lat swapped"):
        hotspot_warnings(events=bad, now=NOW)


def test_event_columns_must_have_one_value_per_event():
    with pytest.raises(ValueError, match="events.area has 1 values but events.id has 2"):
        EventColumns(id=[1, 2], created=[NOW, NOW], area=[GRID_A], category=[1, 1])


def test_dbscan_border_point_joins_its_nearest_core():
    # Two rows of five points 30 m apart, and a point below the gap that sees (eps 18.5) the
    # left row's end at 17.9 m and the right row's first two at 17.1 and 17.9 m: four points
    # with itself, not a core point (5), but a border point of both rows: it joins the nearer.
    left = [[-x, 0] for x in range(5)]
    right = [[30 + x, 0] for x in range(5)]
    labels = dbscan(np.array(left + right + [[15.5, -9]], float), eps=18.5, min_samples=5)
    assert labels.tolist() == [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]
    assert dbscan(np.array([[0, 0], [100, 0]], float), eps=5, min_samples=2).tolist() == [-1, -1]


# --- repeat -------------------------------------------------------------------------------------


def report(id_: int, days_ago: float, east_m: float = 0, **extra) -> dict:
    return {"id": id_, "created": NOW - int(days_ago * DAY_S), "lon": LON + east_m * M_LON,
            "lat": LAT, "category": 1601, "open": True} | extra  # fmt: skip


def test_repeat_after_closure_is_flagged():
    rows = [
        report(11, 20, closed=NOW - 18 * DAY_S, open=False),  # reported, closed two days later
        report(12, 9, 20, closed=NOW - 8 * DAY_S, open=False),  # back 9 days ago, closed again
        report(13, 1, -15),  # and back again
    ]
    (warning,) = repeat_warnings(events=columns(rows), now=NOW)
    assert warning.rule is Rule.repeat
    assert warning.key == "repeat/30d:1601:13"
    assert warning.event_ids == (11, 12, 13)
    assert warning.category == 1601
    assert warning.evidence["reported_after_closure"] == [12, 13]
    assert warning.evidence["closed_before"] == [11, 12]
    assert "其中2件在此前投诉办结后再次上报" in warning.reason_zh
    assert "2 of them came after an earlier report here was closed" in warning.reason_en


def test_repeat_of_open_reports_flags_no_closure():
    (warning,) = repeat_warnings(events=columns([report(i, i) for i in (1, 2, 3)]), now=NOW)
    assert warning.evidence["reported_after_closure"] == []
    assert "办结" not in warning.reason_zh


def test_repeat_thresholds_count_place_category_and_window():
    two = [report(1, 3), report(2, 2)]
    assert repeat_warnings(events=columns(two), now=NOW) == []
    other_category = two + [report(3, 1, category=102)]
    assert repeat_warnings(events=columns(other_category), now=NOW) == []
    too_old = two + [report(3, 30)]  # exactly 30 days ago: out of the window
    assert repeat_warnings(events=columns(too_old), now=NOW) == []
    assert len(repeat_warnings(events=columns(two + [report(3, 29.9)]), now=NOW)) == 1
    # 45 m from the other two is the same place, 55 m is not (eps 50 m).
    assert len(repeat_warnings(events=columns(two + [report(3, 1, 45)]), now=NOW)) == 1
    assert repeat_warnings(events=columns(two + [report(3, 1, 55)]), now=NOW) == []


def test_repeat_key_changes_only_with_a_new_report():
    rows = [report(1, 10), report(2, 5), report(3, 1)]
    first = repeat_warnings(events=columns(rows), now=NOW)[0].key
    assert repeat_warnings(events=columns(rows), now=NOW + HOUR_S)[0].key == first
    again = repeat_warnings(events=columns(rows + [report(4, 0)]), now=NOW)[0]
    assert (first, again.key) == ("repeat/30d:1601:3", "repeat/30d:1601:4")
    assert RepeatParams().eps_m == 50.0


# --- keywords -----------------------------------------------------------------------------------


def test_keywords_match_full_width_case_and_spaces_and_say_where():
    matcher = KeywordMatcher(KeywordParams(words=("燃气泄漏", "SOS", "119"), ignore=()))
    text = "３幢楼下燃 气　泄 漏了，大家喊ｓｏｓ，打了１１９"
    hits = matcher.find(text)
    assert [(h.word, h.matched) for h in hits] == [
        ("燃气泄漏", "燃 气　泄 漏"),
        ("SOS", "ｓｏｓ"),
        ("119", "１１９"),
    ]
    assert [text[h.start : h.end] for h in hits] == [h.matched for h in hits]


def test_keywords_overlap_and_ignore_phrases():
    matcher = KeywordMatcher(
        KeywordParams(words=("燃气泄漏", "泄漏", "火灾"), ignore=("火灾隐患",))
    )
    assert [h.word for h in matcher.find("疑似燃气泄漏")] == ["燃气泄漏", "泄漏"]
    assert matcher.find("楼道堆物，存在火灾隐患") == []
    # The ignored phrase hides only the word inside it; negation is out of scope.
    assert [h.start for h in matcher.find("火灾隐患没处理，昨晚发生火灾")] == [12]
    assert [h.word for h in matcher.find("没有火灾")] == ["火灾"]


def test_default_keywords_reach_the_commander():
    matcher = KeywordMatcher()
    found = {h.word for h in matcher.find("村口有人溺水，山体塌方，有群体聚集准备上访")}
    assert found == {"溺水", "塌方", "群体", "上访"}
    assert matcher.find("走访困难群体，开展防溺水宣传，排查火灾隐患") == []


def test_keyword_warnings_one_per_event_naming_field_word_and_snippet():
    events = EventColumns(id=[7, 8, 9], created=[NOW - 60, NOW - 30, NOW], area=[GRID_A] * 3,
                          category=[401, 102, 1302])  # fmt: skip
    texts = {
        "title": ["三楼起火", "垃圾满溢", None],
        "description": ["厨房着火，有人被困", "", "村民集体访，堵路"],
    }
    warnings = keyword_warnings(events=events, texts=texts, matcher=KeywordMatcher())
    assert [w.key for w in warnings] == ["keyword:7", "keyword:9"]
    first = warnings[0]
    assert first.event_ids == (7,)
    assert first.reason_zh == "事件7含敏感词：起火、着火、被困"
    assert [(m["field"], m["word"], m["start"]) for m in first.evidence["matches"]] == [
        ("title", "起火", 2),
        ("description", "着火", 2),
        ("description", "被困", 7),
    ]
    assert first.evidence["matches"][0]["snippet"] == "三楼起火"
    with pytest.raises(ValueError, match=r"texts\['title'\] has 1 values but events has 3"):
        keyword_warnings(events=events, texts={"title": ["x"]}, matcher=KeywordMatcher())


def test_keyword_params_refuse_empty_words():
    with pytest.raises(ValueError, match="words must be non-empty strings"):
        KeywordParams(words=("火灾", "　"))
