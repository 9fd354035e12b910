"""The duplicate check at intake: its gates at their edges, the numbers veto, what it returns,
and its precision and recall on the labelled pairs of tests/gis/data/duplicate_pairs.csv."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

from gis.warnings.duplicates import (
    Candidates,
    DuplicateChecker,
    DuplicateParams,
    NewReport,
    chinese_number,
)

PAIRS = Path(__file__).parent / "data" / "duplicate_pairs.csv"
NOW = 1_795_705_200
LON, LAT = 119.17, 29.03
M_LAT = 1 / 111_195.0
M_LON = M_LAT / math.cos(math.radians(LAT))

CHECKER = DuplicateChecker()


def new(title: str, description: str, category: str = "0102") -> NewReport:
    return NewReport(lon=LON, lat=LAT, created=NOW, category=category, title=title,
                     description=description)  # fmt: skip


def candidates(*rows: dict) -> Candidates:
    """Candidates from rows of {id, north_m, hours_ago, category, title, description}."""
    return Candidates(
        id=[r["id"] for r in rows],
        lon=[LON for _ in rows],
        lat=[LAT + r.get("north_m", 20) * M_LAT for r in rows],
        created=[NOW - int(r.get("hours_ago", 2) * 3600) for r in rows],
        category=[r.get("category", "0102") for r in rows],
        title=[r.get("title", "垃圾桶满溢") for r in rows],
        description=[r.get("description", "阳光花园5幢楼下垃圾桶满了，垃圾溢出来了") for r in rows],
    )


REPORT = new("垃圾箱满了", "阳光花园小区5号楼下面的垃圾箱满了没人收，臭死了")


def test_same_issue_written_differently_is_found_with_the_parts_of_its_score():
    (match,) = CHECKER.find(report=REPORT, candidates=candidates({"id": 1}))
    assert match.event_id == 1
    assert match.same_category
    assert match.distance_m == pytest.approx(20, abs=0.1)
    assert match.hours_apart == 2.0
    parts = match.parts
    assert set(parts) >= {"category", "text", "distance", "time", "text_characters"}
    assert parts["category"] == 0.2
    assert parts["distance"] == pytest.approx(0.1 * (1 - 20 / 100), abs=1e-3)
    assert parts["time"] == pytest.approx(0.1 * (1 - 2 / 72), abs=1e-3)
    total = parts["category"] + parts["text"] + parts["distance"] + parts["time"]
    assert match.score == pytest.approx(total, abs=1e-3)
    assert match.score >= DuplicateParams().threshold


@pytest.mark.parametrize(
    ("row", "found"),
    [
        ({"north_m": 99}, True),
        ({"north_m": 101}, False),
        ({"hours_ago": 71.9}, True),
        ({"hours_ago": 72.1}, False),
        ({"hours_ago": -3}, True),  # a candidate reported after the new report counts too
        ({"category": "0104"}, True),  # another 小类 of the same 大类 (道路保洁)
        ({"category": "1404"}, False),  # another 大类 (固废倾倒)
    ],
)
def test_gates_distance_time_and_category(row, found):
    matches = CHECKER.find(report=REPORT, candidates=candidates({"id": 1} | row))
    assert bool(matches) is found


def test_another_issue_at_the_same_place_is_not_a_duplicate():
    other = {"id": 2, "north_m": 5, "category": "0101", "title": "违规圈地",
             "description": "阳光花园5幢一楼住户把公共绿地圈起来砌了围墙"}  # fmt: skip
    assert CHECKER.find(report=REPORT, candidates=candidates(other)) == []


def test_different_numbers_of_the_same_kind_veto_a_duplicate():
    block_8 = {"id": 3, "description": "阳光花园8幢楼下垃圾桶满了，垃圾溢出来了"}
    assert CHECKER.find(report=REPORT, candidates=candidates(block_8)) == []
    # 五栋 is 5号楼: the same block, written differently.
    block_5 = {"id": 4, "description": "阳光花园五栋楼下垃圾桶满了，垃圾溢出来了"}
    assert [m.event_id for m in CHECKER.find(report=REPORT, candidates=candidates(block_5))] == [4]


def test_best_first_and_at_most_limit():
    rows = [{"id": i, "north_m": 10 * i} for i in range(1, 8)]
    matches = CHECKER.find(report=REPORT, candidates=candidates(*rows))
    assert [m.event_id for m in matches] == [1, 2, 3, 4, 5]
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)
    one = DuplicateChecker(DuplicateParams(limit=1)).find(
        report=REPORT, candidates=candidates(*rows)
    )
    assert [m.event_id for m in one] == [1]


def test_full_width_text_and_numbers_compare_as_half_width():
    report = new("井盖缺失", "荣昌路１２号门口窨井盖不见了", category="1601")
    row = {
        "id": 5,
        "category": "1601",
        "title": "井盖缺失",
        "description": "荣昌路12号下水道井盖没了",
    }
    (match,) = CHECKER.find(report=report, candidates=candidates(row))
    assert match.parts["text_concepts"] > 0


def test_arguments_are_checked_with_exact_messages():
    with pytest.raises(ValueError, match="candidates.title has 1 values but candidates.id has 2"):
        Candidates(id=[1, 2], lon=[LON, LON], lat=[LAT, LAT], created=[NOW, NOW],
                   category=["0102", "0102"], title=["x"], description=["", ""])  # fmt: skip
    with pytest.raises(ValueError, match="add up to 1"):
        DuplicateParams(w_text=0.7)
    with pytest.raises(ValueError, match="report.category must be a category code"):
        CHECKER.find(report=new("x", "y", category=""), candidates=candidates({"id": 1}))


@pytest.mark.parametrize(
    ("text", "value"),
    [("12", 12), ("五", 5), ("十", 10), ("十二", 12), ("二十", 20), ("八十八", 88),
     ("一百零五", 105), ("两", 2)],
)  # fmt: skip
def test_chinese_numbers(text, value):
    assert chinese_number(text) == value


def read_pairs() -> list[dict]:
    with PAIRS.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_precision_and_recall_on_the_labelled_pairs():
    rows = read_pairs()
    assert len(rows) >= 300
    tp = fp = fn = 0
    for row in rows:
        report = NewReport(lon=float(row["lon_a"]), lat=float(row["lat_a"]),
                           created=int(row["created_a"]), category=row["category_a"],
                           title=row["title_a"], description=row["description_a"])  # fmt: skip
        candidate = Candidates(id=[int(row["pair_id"])], lon=[float(row["lon_b"])],
                               lat=[float(row["lat_b"])], created=[int(row["created_b"])],
                               category=[row["category_b"]], title=[row["title_b"]],
                               description=[row["description_b"]])  # fmt: skip
        found = bool(CHECKER.find(report=report, candidates=candidate))
        same = row["label"] == "1"
        tp += found and same
        fp += found and not same
        fn += same and not found
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    print(f"duplicate pairs: {len(rows)}, precision {precision:.3f}, recall {recall:.3f}")
    assert precision >= 0.9
    assert recall >= 0.8
