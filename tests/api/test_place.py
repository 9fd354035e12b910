"""No demo place in product code: Shuxin imported with another county's boundaries shows that
county everywhere (pages, units), and opens on its extent with the layers it has."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import shapely

from api.units.models import Unit, UnitKind
from api.units.service import sync_units
from gis.boundaries import activate_set, import_boundaries
from gis.levels import AreaLevel
from tests.conftest import sign_in

# A made-up county far from Longyou: 星河县 (990101), two townships, a village each, two grids.
COUNTY = ("990101", "星河县", (100.0, 40.0, 100.2, 40.1))
TOWNSHIPS = [("990101001", "银湾街道", (100.0, 40.0, 100.1, 40.1)),
             ("990101101", "月桥镇", (100.1, 40.0, 100.2, 40.1))]  # fmt: skip
VILLAGES = [("990101001001", "北斗社区", "990101001", (100.0, 40.0, 100.1, 40.1)),
            ("990101101001", "织女村", "990101101", (100.1, 40.0, 100.2, 40.1))]  # fmt: skip
GRIDS = [
    ("990101001001001", "北斗社区第1网格", "990101001001", (100.0, 40.0, 100.1, 40.1)),
    ("990101101001001", "织女村第1网格", "990101101001", (100.1, 40.0, 100.2, 40.1)),
]


def _write(path: Path, rows) -> Path:
    features = []
    for code, name, *rest in rows:
        parent, box = (rest[0], rest[1]) if len(rest) == 2 else (None, rest[0])
        features.append({
            "type": "Feature",
            "properties": {"code": code, "name": name, "parent_code": parent},
            "geometry": shapely.geometry.mapping(shapely.box(*box)),
        })  # fmt: skip
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


@pytest.fixture
def other_county(session, tmp_path):
    """星河县 imported level by level into a set of its own (county file first), activated."""
    files = [
        (AreaLevel.county, _write(tmp_path / "county.geojson", [COUNTY]), None),
        (AreaLevel.township, _write(tmp_path / "townships.geojson", TOWNSHIPS), None),
        (AreaLevel.village, _write(tmp_path / "villages.geojson", VILLAGES), "parent_code"),
        (AreaLevel.grid, _write(tmp_path / "grids.geojson", GRIDS), "parent_code"),
    ]
    for level, path, parent_field in files:
        outcome = import_boundaries(
            session, path=path, level=level, set_name="xinghe", parent_field=parent_field,
            commit=True,
        )  # fmt: skip
        assert outcome.committed, outcome.report.render()
    _, boundary_set = activate_set(session, "xinghe")
    return boundary_set


def test_the_set_records_its_county_and_units_take_it_from_there(session, other_county):
    assert (other_county.place_code, other_county.place_name) == ("990101", "星河县")
    sync_units(session=session, set_id=other_county.id)  # no county given: the set's
    centre = session.query(Unit).filter(Unit.code == "990101-ZX").one()
    assert (centre.kind, centre.name) == (UnitKind.county_center, "星河县社会治理中心")
    room = session.query(Unit).filter(Unit.code == "990101101-ZHS").one()
    assert room.name == "月桥镇综合信息指挥室"
    made = session.query(Unit).filter(Unit.code.like("990101%")).all()
    assert len(made) == 1 + 2 * (1 + 5 + 5) + 2 + 2  # centre; rooms, platforms, departments
    assert not [u.name for u in made if "龙游" in u.name]


def test_without_a_county_the_units_ask_for_one(session, grid_set):
    from api.errors import InvalidInput

    with pytest.raises(InvalidInput, match="--county-code and --county-name"):
        sync_units(session=session, set_id=grid_set.id)


def _config(html: str) -> dict:
    found = re.search(r'<script id="sx-config" type="application/json">(.*?)</script>', html, re.S)
    assert found, "the screen carries its config"
    return json.loads(found.group(1))


def test_the_pages_show_the_imported_county(session, app_client, make_user, other_county):
    sync_units(session=session, set_id=other_county.id)
    make_user("xh-county", "county", "990101-ZX")
    make_user("xh-zhs", "commander", "990101101-ZHS")

    app_client.headers.update(sign_in(app_client, "xh-county"))
    token = app_client.headers.pop("Authorization").split()[1]
    app_client.cookies.set("shuxin_token", token)
    screen = app_client.get("/screen")
    assert screen.status_code == 200, screen.text
    assert "<title>星河县 · 综合信息指挥室</title>" in screen.text
    config = _config(screen.text)
    assert config["place"] == "星河县"
    assert config["bounds"] == pytest.approx([100.0, 40.0, 100.2, 40.1])
    assert config["levels"] == ["county", "township", "village", "grid"]
    overview = app_client.get("/")
    assert "星河县" in overview.text
    for page in (screen.text, overview.text):
        assert "龙游" not in page

    app_client.cookies.clear()
    app_client.headers.update(sign_in(app_client, "xh-zhs"))
    token = app_client.headers.pop("Authorization").split()[1]
    app_client.cookies.set("shuxin_token", token)
    config = _config(app_client.get("/screen").text)
    assert config["place"] == "月桥镇"  # a command room sees its own township
    assert config["bounds"] == pytest.approx([100.1, 40.0, 100.2, 40.1])
