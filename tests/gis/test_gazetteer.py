"""Tests of gis.gazetteer: placing addresses on hand-made entries, then on Longyou's real names
with the labelled set tests/gis/data/addresses_labelled.csv (no database)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from gis.gazetteer import (
    HIGH_CONFIDENCE,
    Gazetteer,
    GazetteerEntry,
    GeocodeLevel,
    PlaceKind,
    entries_from_areas,
)
from gis.router import InvalidCoordinates
from tests.gis.data.make_addresses import (
    LABELLED,
    REGIONS,
    labelled_rows,
    longyou_entries,
    namesakes,
    read_divisions,
    villages,
)

HUZHEN, DONGHUA, XIKOU = "330825101", "330825002", "330825109"
XINGHUO = "330825101271"  # 星火村, 湖镇镇
XINJIAN_HUZHEN, XINJIAN_DONGHUA = "330825101204", "330825002207"  # 新建村 twice
XIKOU_VILLAGE = "330825109225"  # 溪口村, 溪口镇
SHANGXITOU = "330825101214"  # 上溪头村, 湖镇镇


def entry(
    kind: PlaceKind,
    code: str,
    name: str,
    parent_code: str | None = None,
    lon: float | None = None,
    lat: float | None = None,
) -> GazetteerEntry:
    return GazetteerEntry(kind, code, name, parent_code=parent_code, lon=lon, lat=lat)


def small_entries() -> list[GazetteerEntry]:
    """Three townships, five villages (新建村 twice), a merged village's old name, two grids, a
    road with a door plate, a village door plate, a POI and a compound; points near Longyou."""
    e, k = entry, PlaceKind
    return [
        e(k.township, HUZHEN, "湖镇镇", None, 119.28, 29.04),
        e(k.township, DONGHUA, "东华街道", None, 119.18, 29.03),
        e(k.township, XIKOU, "溪口镇", None, 119.20, 28.90),
        e(k.village, XINGHUO, "星火村村民委员会", HUZHEN, 119.281, 29.041),
        e(k.village, XINJIAN_HUZHEN, "新建村村民委员会", HUZHEN, 119.282, 29.042),
        e(k.village, XINJIAN_DONGHUA, "新建村村民委员会", DONGHUA, 119.181, 29.031),
        e(k.village, XIKOU_VILLAGE, "溪口村村民委员会", XIKOU, 119.201, 28.901),
        e(k.village, SHANGXITOU, "上溪头村村民委员会", HUZHEN, 119.283, 29.043),
        e(k.alias, "old-330825101230", "下王村", XINGHUO),
        e(k.grid, XINGHUO + "001", "星火村村民委员会第1网格", XINGHUO, 119.2811, 29.0411),
        e(k.grid, XINGHUO + "002", "星火村村民委员会第2网格", XINGHUO, 119.2812, 29.0412),
        e(k.road, "road-1", "人民路", HUZHEN, 119.285, 29.045),
        e(k.doorplate, "door-1", "人民路8号", "road-1", 119.2851, 29.0451),
        e(k.doorplate, "door-2", "星火村12号", XINGHUO, 119.2813, 29.0413),
        e(k.poi, "poi-1", "湖镇中学", HUZHEN, 119.286, 29.046),
        e(k.compound, "compound-1", "阳光花园", XINJIAN_DONGHUA, 119.1811, 29.0311),
    ]


@pytest.fixture(scope="module")
def small() -> Gazetteer:
    return Gazetteer(entries=small_entries(), regions=REGIONS)


@pytest.fixture(scope="module")
def longyou() -> Gazetteer:
    return Gazetteer(entries=longyou_entries(), regions=REGIONS)


# --------------------------------------------------------------------------- exact cases


def test_a_village_with_its_township_is_placed_at_the_village_point(small: Gazetteer) -> None:
    result = small.geocode("浙江省衢州市龙游县湖镇镇星火村村委会旁边")

    assert result.level is GeocodeLevel.village
    assert result.confidence >= HIGH_CONFIDENCE
    assert (result.code, result.name) == (XINGHUO, "星火村")
    assert (result.township_code, result.village_code, result.grid_code) == (HUZHEN, XINGHUO, None)
    assert (result.lon, result.lat) == (119.281, 29.041)
    assert result.why == "village 星火村村委会 with its township 湖镇镇"


def test_a_township_and_a_village_without_suffixes(small: Gazetteer) -> None:
    result = small.geocode("湖镇星火")

    assert (result.level, result.village_code) == (GeocodeLevel.village, XINGHUO)
    assert result.confidence >= HIGH_CONFIDENCE


def test_full_width_digits_and_spaces_place_the_same(small: Gazetteer) -> None:
    result = small.geocode("龙游县　湖镇镇　星火村　３组")

    assert (result.level, result.village_code) == (GeocodeLevel.village, XINGHUO)
    assert result.confidence >= HIGH_CONFIDENCE


def test_a_village_name_in_two_townships_needs_the_township(small: Gazetteer) -> None:
    alone = small.geocode("龙游县新建村")

    assert alone.level is GeocodeLevel.none
    assert alone.confidence < HIGH_CONFIDENCE
    assert alone.village_code is None
    assert {c.code for c in alone.candidates} == {XINJIAN_HUZHEN, XINJIAN_DONGHUA}
    assert all(c.score < HIGH_CONFIDENCE for c in alone.candidates)
    assert small.geocode("湖镇镇新建村").village_code == XINJIAN_HUZHEN
    assert small.geocode("东华新建村").village_code == XINJIAN_DONGHUA
    assert small.geocode("东华新建村").confidence >= HIGH_CONFIDENCE


def test_an_unknown_place_is_none(small: Gazetteer) -> None:
    for text in ("龙游县人民医院", "火星", "", "12345"):
        result = small.geocode(text)
        assert result.level is GeocodeLevel.none, text
        assert (result.confidence, result.lon, result.lat, result.candidates) == (0, None, None, ())


def test_an_address_in_another_county_is_none(small: Gazetteer) -> None:
    result = small.geocode("衢州市柯城区星火村")

    assert (result.level, result.village_code) == (GeocodeLevel.none, None)
    assert result.why == "outside the gazetteer's area: 柯城区"


def test_a_one_character_typo_is_placed_but_not_with_high_confidence(small: Gazetteer) -> None:
    result = small.geocode("湖镇镇星伙村3组")

    assert (result.level, result.village_code) == (GeocodeLevel.village, XINGHUO)
    assert result.confidence < HIGH_CONFIDENCE
    assert result.why == "星伙村 read as 星火村 in 湖镇镇"


def test_a_typo_close_to_two_villages_is_not_placed(small: Gazetteer) -> None:
    result = small.geocode("湖镇镇新火村")  # one edit from 星火村 and from 新建村

    assert (result.level, result.village_code) == (GeocodeLevel.township, None)
    assert {XINGHUO, XINJIAN_HUZHEN} <= {c.code for c in result.candidates}


def test_a_dropped_character_is_read_in_the_written_township(small: Gazetteer) -> None:
    result = small.geocode("湖镇镇上溪村")

    assert (result.village_code, result.confidence) == (SHANGXITOU, 0.6)


def test_a_village_in_another_township_than_written_is_low(small: Gazetteer) -> None:
    result = small.geocode("东华街道星火村")

    assert result.village_code == XINGHUO
    assert result.confidence < HIGH_CONFIDENCE
    assert result.why == "village 星火村 is in 湖镇镇, not in 东华街道 as written"


def test_a_township_alone(small: Gazetteer) -> None:
    result = small.geocode("龙游县湖镇镇门口")

    assert (result.level, result.code, result.village_code) == (GeocodeLevel.township, HUZHEN, None)
    assert (result.lon, result.lat) == (119.28, 29.04)
    assert result.confidence >= HIGH_CONFIDENCE


def test_a_bare_name_of_a_township_and_a_village_is_the_township_with_the_village_as_candidate(
    small: Gazetteer,
) -> None:
    result = small.geocode("龙游县溪口")

    assert (result.level, result.code) == (GeocodeLevel.township, XIKOU)
    assert result.confidence < HIGH_CONFIDENCE
    assert [c.code for c in result.candidates] == [XIKOU, XIKOU_VILLAGE]
    assert small.geocode("溪口镇溪口").village_code == XIKOU_VILLAGE


def test_a_merged_villages_old_name_places_the_village(small: Gazetteer) -> None:
    result = small.geocode("湖镇镇下王村")

    assert (result.level, result.village_code) == (GeocodeLevel.village, XINGHUO)


def test_door_plates_by_road_and_by_village(small: Gazetteer) -> None:
    by_road = small.geocode("湖镇镇人民路8号")
    by_village = small.geocode("湖镇镇星火村12号")

    assert (by_road.level, by_road.code) == (GeocodeLevel.doorplate, "door-1")
    assert (by_road.lon, by_road.lat, by_road.township_code) == (119.2851, 29.0451, HUZHEN)
    assert (by_village.level, by_village.code) == (GeocodeLevel.doorplate, "door-2")
    assert by_village.village_code == XINGHUO
    assert small.geocode("湖镇镇人民路99号").level is GeocodeLevel.road


def test_a_poi_a_compound_and_a_grid(small: Gazetteer) -> None:
    poi = small.geocode("龙游县湖镇中学门口")
    compound = small.geocode("新建村阳光花园3幢")  # the compound says which 新建村
    grid = small.geocode("湖镇镇星火村第二网格")

    assert (poi.level, poi.code, poi.township_code) == (GeocodeLevel.poi, "poi-1", HUZHEN)
    assert (compound.level, compound.village_code) == (GeocodeLevel.compound, XINJIAN_DONGHUA)
    assert (grid.level, grid.grid_code, grid.village_code) == (
        GeocodeLevel.grid,
        XINGHUO + "002",
        XINGHUO,
    )


def test_two_villages_in_one_address_are_not_high(small: Gazetteer) -> None:
    result = small.geocode("星火村和上溪头村交界处")

    assert result.village_code == XINGHUO
    assert result.confidence < HIGH_CONFIDENCE
    assert SHANGXITOU in {c.code for c in result.candidates}


def test_geocode_many_keeps_the_order_and_agrees_with_geocode(small: Gazetteer) -> None:
    texts = ["湖镇镇星火村", "新建村", "湖镇镇星伙村", "湖镇镇星火村", "火星"]

    many = small.geocode_many(texts)

    assert [r.text for r in many] == texts
    assert many == [small.geocode(t) for t in texts]


# --------------------------------------------------------------------------- checking entries


def test_entries_fill_in_their_township_and_village_from_the_parent_chain(small: Gazetteer) -> None:
    door = small.entry("door-1")
    grid = small.entry(XINGHUO + "001")

    assert (door.township_code, door.village_code) == (HUZHEN, None)
    assert (grid.township_code, grid.village_code) == (HUZHEN, XINGHUO)


def test_entries_are_checked_with_exact_messages() -> None:
    e, k = GazetteerEntry, PlaceKind
    town = e(k.township, HUZHEN, "湖镇镇", lon=119.28, lat=29.04)
    with pytest.raises(ValueError, match=r"entries\[1\] \(星火村\) has the code 330825101, "):
        Gazetteer(entries=[town, e(k.village, HUZHEN, "星火村", lon=119.2, lat=29.0)])
    with pytest.raises(ValueError, match=r"entries\[1\] is the alias 下王村 without parent_code"):
        Gazetteer(entries=[town, e(k.alias, "x", "下王村")])
    with pytest.raises(ValueError, match=r"names parent_code 9, which is no entry; point it"):
        Gazetteer(entries=[town, e(k.alias, "x", "下王村", parent_code="9")])
    with pytest.raises(ValueError, match=r"entries\[1\] \(星火村\) has only one of lon, lat"):
        Gazetteer(entries=[town, e(k.village, "1", "星火村", lon=119.2)])
    with pytest.raises(InvalidCoordinates, match=r"lat must be in \[-90, 90\], got 119.2; are"):
        Gazetteer(entries=[town, e(k.village, "1", "星火村", lon=29.0, lat=119.2)])
    with pytest.raises(TypeError, match=r"regions must be a list of names, got the string"):
        Gazetteer(entries=[town], regions="龙游县")


def test_entries_from_areas_takes_townships_villages_and_grids_only() -> None:
    entries = entries_from_areas(
        [("township", HUZHEN, "湖镇镇", "330825", 119.28, 29.04)]
        + [("village", XINGHUO, "星火村村民委员会", HUZHEN, 119.281, 29.041)]
    )

    assert [(x.kind, x.parent_code) for x in entries] == [
        (PlaceKind.township, "330825"),
        (PlaceKind.village, HUZHEN),
    ]
    with pytest.raises(ValueError, match=r"areas\[0\] \(龙游县\) has the level 'county'; use "):
        entries_from_areas([("county", "330825", "龙游县", None, 119.2, 29.0)])


# --------------------------------------------------------------------------- Longyou's real names


def test_the_village_names_two_villages_share_in_longyou() -> None:
    shared = namesakes(villages(read_divisions()))

    assert {short: sorted(v.township for v in vs) for short, vs in shared.items()} == {
        "新建村": ["东华街道", "湖镇镇"],
        "姜家村": ["罗家乡", "詹家镇"],
        "坑头村": ["沐尘畲族乡", "詹家镇"],
        "项家村": ["东华街道", "横山镇"],
    }


def test_every_village_by_its_official_name_and_township(longyou: Gazetteer) -> None:
    rows = [r for r in read_divisions() if r["level"] == "village"]
    texts = [f"{r['township_name']}{r['name']}" for r in rows]

    results = longyou.geocode_many(texts)

    assert len(rows) == 288
    wrong = [
        (text, r.village_code, r.confidence)
        for text, r, row in zip(texts, results, rows, strict=True)
        if r.village_code != row["code"] or r.confidence < HIGH_CONFIDENCE
    ]
    assert wrong == []


def test_the_labelled_file_is_what_its_script_makes() -> None:
    with LABELLED.open(encoding="utf-8", newline="") as f:
        rows = [tuple(row) for row in csv.reader(f)]

    assert rows[0] == ("address", "expected_village_code", "note")
    assert rows[1:] == [tuple(r) for r in labelled_rows()]


def test_the_labelled_set_covers_the_namesakes_with_and_without_township() -> None:
    rows = _labelled()
    notes = [r["note"] for r in rows]

    assert len(rows) >= 2000
    for short in ("新建村", "姜家村", "坑头村", "项家村"):
        assert any(n.startswith(f"namesake: {short} with ") for n in notes), short
        assert any(n.startswith(f"namesake: {short} without ") for n in notes), short
    assert sum(n.startswith("negative") for n in notes) >= 100
    assert sum(n.startswith("typo") for n in notes) >= 100


def test_the_labelled_set_is_placed_and_never_wrong_with_high_confidence(
    longyou: Gazetteer,
) -> None:
    rows = _labelled()

    results = longyou.geocode_many(r["address"] for r in rows)

    right = [
        r.village_code == (row["expected_village_code"] or None)
        for row, r in zip(rows, results, strict=True)
    ]
    wrong_high = [
        (row["address"], row["expected_village_code"], r.village_code, r.confidence)
        for row, r in zip(rows, results, strict=True)
        if r.village_code
        and r.village_code != row["expected_village_code"]
        and r.confidence >= HIGH_CONFIDENCE
    ]
    assert sum(right) / len(rows) >= 0.95
    assert wrong_high == []
    # The rows every address form is made of (all but the typos) are all placed right.
    missed = [
        (row["address"], row["expected_village_code"], r.village_code, r.why)
        for row, r, ok in zip(rows, results, right, strict=True)
        if not ok and not row["note"].startswith("typo")
    ]
    assert missed == []


def _labelled() -> list[dict[str, str]]:
    with Path(LABELLED).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))
