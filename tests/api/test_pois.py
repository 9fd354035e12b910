"""Hazard points and shelters: loading them from files, placing them, serving them."""

from __future__ import annotations

import json

import pytest

from api.errors import InvalidInput
from api.pois.models import PoiKind
from api.pois.service import load_pois, read_points

GRID_A = "330825100001001"


def write_csv(tmp_path, rows: list[str]):
    path = tmp_path / "shelters.csv"
    path.write_text("\n".join(["code,name,lon,lat,capacity", *rows]) + "\n", encoding="utf-8")
    return path


def test_a_csv_of_shelters_is_loaded_and_placed_in_its_grid(client, session, grid_set, tmp_path):
    path = write_csv(
        tmp_path, ["S1,测试村文化礼堂,119.005,29.005,200", "S2,远处的安置点,120.5,30.5,80"]
    )
    result = load_pois(
        session=session,
        kind=PoiKind.shelter,
        frame=read_points(path),
        code_field="code",
        name_field="name",
        source_file=path.name,
    )
    assert (result.loaded, result.outside) == (2, 1)
    served = client.get("/api/v1/pois?kind=shelter")
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("application/geo+json")
    features = {f["properties"]["code"]: f for f in json.loads(served.text)["features"]}
    assert features["S1"]["properties"]["village_code"] == "330825100001"
    assert features["S1"]["properties"]["township_code"] == "330825100"
    assert features["S1"]["properties"]["attributes"] == {"capacity": "200"}
    assert features["S1"]["geometry"]["coordinates"] == [119.005, 29.005]
    assert features["S2"]["properties"]["village_code"] is None


def test_loading_again_updates_by_code(session, grid_set, tmp_path):
    first = write_csv(tmp_path, ["S1,旧名字,119.005,29.005,200"])
    load_pois(
        session=session,
        kind=PoiKind.shelter,
        frame=read_points(first),
        code_field="code",
        name_field="name",
        source_file=None,
    )
    second = write_csv(tmp_path, ["S1,新名字,119.006,29.006,300"])
    load_pois(
        session=session,
        kind=PoiKind.shelter,
        frame=read_points(second),
        code_field="code",
        name_field="name",
        source_file=None,
    )
    from sqlalchemy import text

    rows = session.execute(text("SELECT name, ST_X(geom) FROM poi WHERE code = 'S1'")).all()
    assert rows == [("新名字", 119.006)]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (["S1,a,119.0,,1"], "no usable coordinates"),
        (["S1,a,119.0,29.0,1", "S1,b,119.1,29.0,1"], "missing or repeated codes"),
    ],
)
def test_a_bad_file_is_refused_and_changes_nothing(session, grid_set, tmp_path, rows, message):
    path = write_csv(tmp_path, rows)
    with pytest.raises(InvalidInput, match=message):
        load_pois(
            session=session,
            kind=PoiKind.shelter,
            frame=read_points(path),
            code_field="code",
            name_field="name",
            source_file=None,
        )


def test_a_geojson_without_points_is_refused(tmp_path):
    path = tmp_path / "lines.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"code": "L1", "name": "x"},
                        "geometry": {
                            "type": "LineString",
                            "coordinates": [[119, 29], [119.1, 29.1]],
                        },
                    }
                ],
            }
        )
    )
    with pytest.raises(InvalidInput, match="points only"):
        read_points(path)


def test_points_need_a_signed_in_user(app_client):
    assert app_client.get("/api/v1/pois", headers={"Authorization": ""}).status_code == 401
