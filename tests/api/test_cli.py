"""The `shuxin` command, run for real as a subprocess against the test database.

The CLI commits, so every test works on sets with names of its own and deletes them at the end
(deleting a set deletes its areas); a test that activates a set re-activates the previous one.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import uuid
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from sqlalchemy import text

REPO = Path(__file__).resolve().parents[2]
ROUTING_COLUMNS = ["grid_code", "village_code", "township_code", "routing_method", "distance_m"]


@pytest.fixture
def set_name(engine):
    """A boundary set name of this test's own; the set (and its areas) is deleted afterwards."""
    name = f"t-{uuid.uuid4().hex[:8]}"
    yield name
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM boundary_set WHERE name = :n"), {"n": name})


@pytest.fixture
def restore_active_set(engine):
    """Re-activate, at the end, whichever set was active at the start (or none)."""
    with engine.connect() as connection:
        before = connection.scalar(text("SELECT id FROM boundary_set WHERE is_active"))
    yield before
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE boundary_set SET is_active = false WHERE is_active "
                "AND id IS DISTINCT FROM :id"
            ),
            {"id": before},
        )
        if before is not None:
            connection.execute(
                text(
                    "UPDATE boundary_set SET is_active = true, activated_at = now() WHERE id = :id"
                ),
                {"id": before},
            )


def output(result: subprocess.CompletedProcess) -> str:
    """stdout and stderr together, lines unwrapped (rich may wrap long messages)."""
    return " ".join((result.stdout + "\n" + result.stderr).split())


def set_row(engine, name: str):
    with engine.connect() as connection:
        return connection.execute(
            text("SELECT id, is_active FROM boundary_set WHERE name = :n"), {"n": name}
        ).first()


def area_total(engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(text("SELECT count(*) FROM area"))


def feature(code: str, ring: list[tuple[float, float]], name: str = "网格") -> dict:
    return {
        "type": "Feature",
        "properties": {"code": code, "name": name},
        "geometry": {"type": "Polygon", "coordinates": [[list(p) for p in ring]]},
    }


def square(x: float, y: float, size: float) -> list[tuple[float, float]]:
    return [(x, y), (x + size, y), (x + size, y + size), (x, y + size), (x, y)]


def write_geojson(path: Path, features: list[dict]) -> Path:
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8"
    )
    return path


# --- boundaries import --------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".shp", ".gpkg"])
def test_file_without_crs_in_projected_metres_is_refused(
    shuxin, engine, set_name, tmp_path, suffix
):
    path = tmp_path / f"survey{suffix}"
    frame = gpd.GeoDataFrame(
        {"code": ["330825100001001"], "name": ["一网格"]},
        geometry=[shapely.box(500000, 3200000, 501000, 3201000)],
        crs=None,
    )
    with pytest.warns(UserWarning, match="crs"):
        frame.to_file(path)
    assert not path.with_suffix(".prj").exists()
    areas_before = area_total(engine)

    result = shuxin("boundaries", "import", path, "--level", "grid", "--set", set_name, "--commit")

    assert result.returncode != 0, output(result)
    assert "--crs" in output(result)
    assert "declares no coordinate system" in output(result)
    assert set_row(engine, set_name) is None
    assert area_total(engine) == areas_before


def test_the_crs_the_refusal_asks_for_makes_the_same_file_importable(
    shuxin, engine, set_name, tmp_path
):
    path = tmp_path / "survey.gpkg"
    frame = gpd.GeoDataFrame(
        {"code": ["330825100001001"], "name": ["一网格"]},
        geometry=[shapely.box(500000, 3200000, 501000, 3201000)],
        crs=None,
    )
    with pytest.warns(UserWarning, match="crs"):
        frame.to_file(path)

    result = shuxin(
        "boundaries", "import", path, "--level", "grid", "--set", set_name, "--crs", "EPSG:4549"
    )

    assert result.returncode == 0, output(result)
    assert "CRS EPSG:4549" in output(result)
    assert "ready to import 1 area" in output(result)
    assert set_row(engine, set_name) is None


def test_duplicate_codes_are_refused_naming_the_code(shuxin, engine, set_name, tmp_path):
    path = write_geojson(
        tmp_path / "dup.geojson",
        [
            feature("990000000000001", square(100.00, 20.0, 0.01)),
            feature("990000000000001", square(100.01, 20.0, 0.01)),
            feature("990000000000002", square(100.02, 20.0, 0.01)),
        ],
    )
    areas_before = area_total(engine)

    result = shuxin("boundaries", "import", path, "--level", "grid", "--set", set_name, "--commit")

    assert result.returncode != 0, output(result)
    assert "990000000000001" in output(result)
    assert "duplicate" in output(result).lower()
    assert set_row(engine, set_name) is None
    assert area_total(engine) == areas_before


def test_bow_tie_is_repaired_and_written_valid(shuxin, engine, set_name, tmp_path):
    bow_tie = [(100.0, 20.0), (100.01, 20.01), (100.01, 20.0), (100.0, 20.01), (100.0, 20.0)]
    assert not shapely.Polygon(bow_tie).is_valid
    path = write_geojson(tmp_path / "bowtie.geojson", [feature("990000000000003", bow_tie)])

    result = shuxin("boundaries", "import", path, "--level", "grid", "--set", set_name, "--commit")

    assert result.returncode == 0, output(result)
    text_out = output(result)
    assert "Repairs:" in result.stdout
    assert "990000000000003" in text_out
    assert "repaired" in text_out
    assert "Imported 1 grid areas" in text_out
    row = set_row(engine, set_name)
    assert row is not None and row.is_active is False
    with engine.connect() as connection:
        stored = connection.execute(
            text(
                "SELECT code, ST_IsValid(geom) AS valid, ST_GeometryType(geom) AS kind, "
                "ST_Area(geom::geography) AS m2 FROM area WHERE set_id = :id"
            ),
            {"id": row.id},
        ).all()
    assert len(stored) == 1
    assert stored[0].code == "990000000000003"
    assert stored[0].valid is True
    assert stored[0].kind == "ST_MultiPolygon"
    assert stored[0].m2 > 0


def test_empty_feature_collection_is_refused(shuxin, engine, set_name, tmp_path):
    path = write_geojson(tmp_path / "empty.geojson", [])

    result = shuxin("boundaries", "import", path, "--level", "grid", "--set", set_name, "--commit")

    assert result.returncode != 0, output(result)
    assert "no features" in output(result)
    assert set_row(engine, set_name) is None


def test_dry_run_writes_nothing(shuxin, engine, set_name, tmp_path):
    path = write_geojson(
        tmp_path / "ok.geojson",
        [
            feature("990000000000004", square(100.0, 20.0, 0.01)),
            feature("990000000000005", square(100.01, 20.0, 0.01)),
        ],
    )
    areas_before = area_total(engine)

    result = shuxin("boundaries", "import", path, "--level", "grid", "--set", set_name)

    assert result.returncode == 0, output(result)
    assert "Dry run" in output(result)
    assert "ready to import 2 areas" in output(result)
    assert set_row(engine, set_name) is None
    assert area_total(engine) == areas_before


def test_unknown_level_is_a_usage_error(shuxin, set_name, tmp_path):
    path = write_geojson(tmp_path / "ok.geojson", [feature("9", square(100, 20, 0.01))])

    result = shuxin("boundaries", "import", path, "--level", "province", "--set", set_name)

    assert result.returncode != 0
    assert "province" in output(result)


# --- boundaries sets / activate -----------------------------------------------------------------


def test_sets_lists_an_imported_set(shuxin, engine, set_name, tmp_path):
    path = write_geojson(
        tmp_path / "ok.geojson",
        [
            feature("990000000000006", square(100.0, 20.0, 0.01)),
        ],
    )
    imported = shuxin(
        "boundaries", "import", path, "--level", "grid", "--set", set_name, "--commit"
    )
    assert imported.returncode == 0, output(imported)

    result = shuxin("boundaries", "sets")

    assert result.returncode == 0, output(result)
    line = next(line for line in result.stdout.splitlines() if set_name in line)
    assert "*" not in line  # imported sets are inactive
    assert "grid" in result.stdout


def test_activate_unknown_set_fails_with_a_message(shuxin, engine):
    with engine.connect() as connection:
        active_before = connection.scalar(text("SELECT name FROM boundary_set WHERE is_active"))

    result = shuxin("boundaries", "activate", "no-such-set-anywhere")

    assert result.returncode != 0
    assert "no boundary set named 'no-such-set-anywhere'" in output(result)
    with engine.connect() as connection:
        assert (
            connection.scalar(text("SELECT name FROM boundary_set WHERE is_active"))
            == active_before
        )


def test_activate_routes_with_the_new_set(shuxin, engine, set_name, restore_active_set, tmp_path):
    """A set where lon and lat are both in [-90, 90], so the router can spot a swap."""
    path = write_geojson(
        tmp_path / "europe.geojson",
        [
            feature("999999999999001", square(10.0, 50.0, 0.01), name="Europa 1"),
        ],
    )
    imported = shuxin(
        "boundaries", "import", path, "--level", "grid", "--set", set_name, "--commit"
    )
    assert imported.returncode == 0, output(imported)

    result = shuxin("boundaries", "activate", set_name)

    assert result.returncode == 0, output(result)
    assert "now active" in output(result)
    assert set_row(engine, set_name).is_active is True

    routed = shuxin("route", "10.005", "50.005", "--json")
    assert routed.returncode == 0, output(routed)
    answer = json.loads(routed.stdout)
    assert answer["method"] == "inside"
    assert answer["grid"] == {"code": "999999999999001", "name": "Europa 1"}
    assert answer["boundary_set"] == set_name

    swapped = shuxin("route", "50.005", "10.005")
    assert swapped.returncode != 0
    assert "swapped" in output(swapped)


# --- route --------------------------------------------------------------------------------------


def test_route_latitude_119_is_refused_with_a_hint(shuxin, demo_loaded):
    result = shuxin("route", "29", "119")

    assert result.returncode not in (0, 2), output(result)
    assert "lat must be in [-90, 90], got 119" in output(result)
    assert "swapped" in output(result)


def test_route_swapped_demo_point_is_refused(shuxin, demo_loaded):
    result = shuxin("route", "29.031", "119.172")

    assert result.returncode not in (0, 2), output(result)
    assert "swapped" in output(result)


def test_route_longitude_out_of_range_is_refused(shuxin, demo_loaded):
    result = shuxin("route", "200", "29")

    assert result.returncode not in (0, 2), output(result)
    assert "lon must be in [-180, 180], got 200" in output(result)


def test_route_negative_longitude_needs_no_double_dash(shuxin, demo_loaded):
    result = shuxin("route", "-71.06", "42.36")

    assert result.returncode == 0, output(result)
    assert "No such option" not in output(result)
    assert "unrouted" in result.stdout

    as_json = shuxin("route", "-71.06", "42.36", "--json")
    assert as_json.returncode == 0, output(as_json)
    answer = json.loads(as_json.stdout)
    assert (answer["lon"], answer["lat"]) == (-71.06, 42.36)
    assert answer["method"] == "unrouted"


def test_route_a_demo_point(shuxin, engine, demo_loaded):
    lon, lat, code = _inner_point_of_an_active_grid(engine)

    result = shuxin("route", lon, lat, "--json")

    assert result.returncode == 0, output(result)
    answer = json.loads(result.stdout)
    assert answer["method"] in ("inside", "border")
    assert code in answer["candidates"]
    assert answer["village"] is not None and answer["township"] is not None


# --- route-file ---------------------------------------------------------------------------------


def _inner_point_of_an_active_grid(engine) -> tuple[float, float, str]:
    with engine.connect() as connection:
        row = connection.execute(
            text(
                "SELECT ST_X(p), ST_Y(p), code FROM (SELECT ST_PointOnSurface(a.geom) AS p, a.code "
                "FROM area a JOIN boundary_set s ON s.id = a.set_id "
                "WHERE s.is_active AND a.level = 'grid' ORDER BY a.code LIMIT 1) t"
            )
        ).first()
    assert row is not None, "no active set with grids"
    return row[0], row[1], row[2]


def test_route_file_appends_the_routing_columns(shuxin, engine, demo_loaded, tmp_path):
    lon, lat, code = _inner_point_of_an_active_grid(engine)
    source = tmp_path / "points.csv"
    rows = [
        ("good", repr(lon), repr(lat)),
        ("empty", "", ""),
        ("text", "east", "29.0"),
        ("out_of_range", "200", "29"),
        ("lat_out_of_range", "119.1", "95"),
        ("swapped", repr(lat), repr(lon)),
        ("far", "-71.06", "42.36"),
    ]
    with source.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "经度", "纬度"])
        writer.writerows(rows)
    target = tmp_path / "routed.csv"

    result = shuxin("route-file", source, "--lon", "经度", "--lat", "纬度", "-o", target)

    assert result.returncode == 0, output(result)
    with target.open(encoding="utf-8") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == ["id", "经度", "纬度", *ROUTING_COLUMNS]
        routed = {r["id"]: r for r in reader}
    assert list(routed) == [r[0] for r in rows]
    assert routed["good"]["routing_method"] in ("inside", "border")
    assert routed["good"]["grid_code"] == code
    assert routed["good"]["village_code"] and routed["good"]["township_code"]
    assert float(routed["good"]["distance_m"]) == 0
    assert (routed["good"]["经度"], routed["good"]["纬度"]) == (repr(lon), repr(lat))
    for bad in ("empty", "text", "out_of_range", "lat_out_of_range", "swapped"):
        assert routed[bad]["routing_method"] == "invalid", routed[bad]
        assert routed[bad]["grid_code"] == ""
    assert routed["far"]["routing_method"] == "unrouted"
    assert "invalid" in output(result)


def test_route_file_with_a_missing_column_names_the_columns(shuxin, demo_loaded, tmp_path):
    source = tmp_path / "points.csv"
    source.write_text("id,x,y\n1,119.17,29.03\n", encoding="utf-8")
    target = tmp_path / "routed.csv"

    result = shuxin("route-file", source, "--lon", "lng", "--lat", "y", "-o", target)

    assert result.returncode != 0
    assert "'lng'" in output(result)
    assert "id, x, y" in output(result)
    assert not target.exists()


def test_help_lists_every_command_with_its_own_first_line(shuxin):
    """`shuxin --help` lists the commands from a table, without importing them: each line there
    is the command's own (so the listing cannot drift from the commands)."""
    import inspect

    from api.cli.main import COMMANDS, load_command

    listing = shuxin("--help")
    assert listing.returncode == 0, listing.stderr
    for name, (_, short_help, _settings) in COMMANDS.items():
        command = load_command(name)
        own = inspect.cleandoc(command.help or "").splitlines()[0]
        assert own == short_help, name
        assert name in listing.stdout


def test_the_help_and_deadline_commands_import_nothing_of_the_web_app():
    """They must start at once: no FastAPI, SQLAlchemy, pandas or geopandas is imported."""
    code = (
        "import sys\n"
        "from api.cli.main import app\n"
        "try:\n"
        "    app(['deadline', '--from', '2026-11-20 16:00', '--working-hours', '8'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in ('fastapi', 'sqlalchemy', 'pandas', 'geopandas')\n"
        "         if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert "2026-11-23 16:30" in run.stdout, run.stderr
    assert "HEAVY []" in run.stdout, run.stdout
