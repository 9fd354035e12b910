"""Tests of gis.importer: small hand-made boundary files, no database."""

from __future__ import annotations

import time
import warnings
import zipfile
from pathlib import Path

import geopandas
import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, box

from gis.importer import (
    Finding,
    ImportReport,
    PreparedAreas,
    Severity,
    prepare_import,
)
from gis.levels import AreaLevel

# Squares are drawn in metres in UTM zone 51N near Cixi, Zhejiang (about 121.4E, 30.2N), the
# zone estimate_utm_crs() picks there too, so the areas the importer reports are exact.
UTM51 = "EPSG:32651"
X0, Y0 = 350_000.0, 3_340_000.0
WARDS = Path("/work/shared/datasets/boston311/wards.geojson")


def square(x: float, y: float, w: float, h: float | None = None) -> Polygon:
    """A w x h metre box whose lower-left corner is (x, y) metres from the origin."""
    return box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + (w if h is None else h))


def frame(geoms: list, crs: str | None = UTM51, **columns: list) -> geopandas.GeoDataFrame:
    """A GeoDataFrame in WGS84 from metre geometries (or as-is when crs is not UTM51)."""
    gdf = geopandas.GeoDataFrame(columns, geometry=geoms, crs=crs)
    return gdf.to_crs(4326) if crs == UTM51 else gdf


def write(gdf: geopandas.GeoDataFrame, path: Path, **kwargs) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "crs was not provided"
        gdf.to_file(path, **kwargs)
    return path


def write_geojson(tmp_path: Path, geoms: list, filename: str = "areas.geojson", **columns) -> Path:
    return write(frame(geoms, **columns), tmp_path / filename, driver="GeoJSON")


def codes_of(report: ImportReport, code: str) -> list[Finding]:
    return [f for f in report.findings if f.code == code]


def only(report: ImportReport, code: str) -> Finding:
    found = codes_of(report, code)
    assert len(found) == 1, report.render()
    return found[0]


def grid_codes(n: int) -> list[str]:
    return [f"330282001001{k:03d}" for k in range(1, n + 1)]


def parents_frame(codes: list[str], geoms: list) -> geopandas.GeoDataFrame:
    return frame(geoms, code=codes)


VILLAGE = "330282001001"


# --------------------------------------------------------------------------- reading


def test_geojson_with_good_grids_is_ok(tmp_path: Path) -> None:
    path = write_geojson(
        tmp_path,
        [square(0, 0, 100), square(100, 0, 100)],
        code=grid_codes(2),
        name=["一网格", "二网格"],
    )
    result = prepare_import(path, level=AreaLevel.grid)
    assert isinstance(result, PreparedAreas)
    report = result.report
    assert report.ok, report.render()
    assert report.feature_count == 2
    assert report.declared_crs == "wgs84" and report.crs_used == "wgs84"
    areas = result.areas
    assert list(areas.columns) == ["code", "name", "parent_code", "geometry"]
    assert areas.crs.to_epsg() == 4326
    assert list(areas["code"]) == grid_codes(2)
    assert list(areas["name"]) == ["一网格", "二网格"]
    assert set(areas.geom_type) == {"MultiPolygon"}
    # two squares sharing an edge do not overlap
    assert codes_of(report, "overlap") == []
    assert report.render().endswith("ready to import 2 areas")


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    report = prepare_import(tmp_path / "nope.geojson", level=AreaLevel.grid).report
    assert not report.ok
    assert "does not exist" in only(report, "file_not_found").message


def test_unreadable_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "garbage.geojson"
    path.write_text("this is not GeoJSON")
    result = prepare_import(path, level=AreaLevel.grid)
    assert "could not be read" in only(result.report, "unreadable_file").message
    assert len(result.areas) == 0


def test_empty_feature_collection_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.geojson"
    path.write_text('{"type": "FeatureCollection", "features": []}')
    report = prepare_import(path, level=AreaLevel.grid).report
    assert not report.ok
    assert "the file has no features" in only(report, "empty_file").message
    assert report.render().endswith("1 error: nothing was written")


def test_zipped_shapefile_reads(tmp_path: Path) -> None:
    shp = write(
        frame([square(0, 0, 100), square(200, 0, 100)], code=grid_codes(2), name=["a", "b"]),
        tmp_path / "grids.shp",
    )
    archive = tmp_path / "grids.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in shp.parent.glob("grids.*"):
            if part.suffix != ".zip":
                zf.write(part, part.name)
    result = prepare_import(archive, level=AreaLevel.grid)
    assert result.report.ok, result.report.render()
    assert list(result.areas["code"]) == grid_codes(2)
    assert result.report.declared_crs == "wgs84"


def test_geopackage_reads(tmp_path: Path) -> None:
    path = write(
        frame([square(0, 0, 100)], code=grid_codes(1), name=["a"]),
        tmp_path / "grids.gpkg",
        layer="grids",
    )
    result = prepare_import(path, level=AreaLevel.grid)
    assert result.report.ok, result.report.render()
    assert list(result.areas["code"]) == grid_codes(1)


def test_geopackage_with_several_layers_lists_them(tmp_path: Path) -> None:
    path = tmp_path / "many.gpkg"
    write(frame([square(0, 0, 100)], code=grid_codes(1)), path, layer="grids")
    write(frame([square(0, 0, 100)], code=grid_codes(1)), path, layer="roads")
    report = prepare_import(path, level=AreaLevel.grid).report
    message = only(report, "several_layers").message
    assert "'grids'" in message and "'roads'" in message
    chosen = prepare_import(path, level=AreaLevel.grid, layer="roads", name_field="code")
    assert chosen.report.ok, chosen.report.render()


def test_kml_reads_with_name_field(tmp_path: Path) -> None:
    gdf = frame([square(0, 0, 100), square(100, 0, 100)], code=grid_codes(2), Name=["甲", "乙"])
    path = write(gdf, tmp_path / "grids.kml", driver="KML")
    result = prepare_import(path, level=AreaLevel.grid, name_field="Name")
    assert result.report.ok, result.report.render()
    assert list(result.areas["name"]) == ["甲", "乙"]
    assert set(result.areas.geom_type) == {"MultiPolygon"}


def test_boston_wards() -> None:
    assert WARDS.exists(), f"{WARDS} is missing: the shared datasets must sit beside the checkout"
    result = prepare_import(WARDS, level=AreaLevel.grid, code_field="ward")
    report = result.report
    assert report.ok, report.render()
    assert report.feature_count == 22
    assert sorted(result.areas["code"], key=int) == [str(k) for k in range(1, 23)]
    convention = only(report, "code_convention")
    assert convention.severity is Severity.warning
    assert "22 of 22 codes" in convention.message and "'1'" in convention.message
    assert set(result.areas.geom_type) == {"MultiPolygon"}


# --------------------------------------------------------------------------- CRS


def test_projected_file_without_crs_is_refused(tmp_path: Path) -> None:
    # CGCS2000 3-degree GK CM 120E coordinates (EPSG:4549), written without a .prj
    geoms = [box(500_000, 3_340_000, 501_000, 3_341_000)]
    path = write(frame(geoms, crs=None, code=grid_codes(1), name=["a"]), tmp_path / "survey.shp")
    result = prepare_import(path, level=AreaLevel.grid)
    report = result.report
    assert not report.ok
    error = only(report, "crs_missing")
    assert error.severity is Severity.error
    assert "--crs" in error.message and "EPSG:4549" in error.message
    assert "projected metres" in error.message and "500000" in error.message
    assert len(result.areas) == 0
    assert report.declared_crs is None

    fixed = prepare_import(path, level=AreaLevel.grid, crs="EPSG:4549")
    assert fixed.report.ok, fixed.report.render()
    lon, lat = fixed.areas.geometry.iloc[0].centroid.coords[0]
    assert lon == pytest.approx(120.005, abs=0.01) and lat == pytest.approx(30.18, abs=0.05)


def test_lonlat_file_without_crs_is_assumed_wgs84_with_warning(tmp_path: Path) -> None:
    path = write(
        frame([box(121.4, 30.2, 121.41, 30.21)], crs=None, code=grid_codes(1), name=["a"]),
        tmp_path / "nocrs.shp",
    )
    report = prepare_import(path, level=AreaLevel.grid).report
    assert report.ok, report.render()
    warning = only(report, "crs_assumed")
    assert warning.severity is Severity.warning and "WGS84 is assumed" in warning.message
    assert report.crs_used == "wgs84"


def test_gcj02_override_warns_and_moves_geometry(tmp_path: Path) -> None:
    path = write_geojson(tmp_path, [square(0, 0, 200)], code=grid_codes(1), name=["a"])
    plain = prepare_import(path, level=AreaLevel.grid)
    moved = prepare_import(path, level=AreaLevel.grid, crs="gcj02")
    assert moved.report.ok, moved.report.render()
    warning = only(moved.report, "crs_override")
    assert warning.severity is Severity.warning
    assert "wgs84" in warning.message and "gcj02" in warning.message
    assert "Amap" in warning.message
    assert moved.report.crs_used == "gcj02" and moved.report.declared_crs == "wgs84"
    before = geopandas.GeoSeries([plain.areas.geometry.iloc[0].centroid], crs=4326)
    after = geopandas.GeoSeries([moved.areas.geometry.iloc[0].centroid], crs=4326)
    shift = before.to_crs(UTM51).distance(after.to_crs(UTM51)).iloc[0]
    assert 100 < shift < 1000


def test_declared_crs_without_epsg_code_is_used(tmp_path: Path) -> None:
    local = "+proj=tmerc +lat_0=0 +lon_0=121 +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m"
    geoms = [box(540_000, 3_340_000, 541_000, 3_341_000)]
    gdf = frame(geoms, crs=local, code=grid_codes(1), name=["a"])
    path = write(gdf, tmp_path / "local.gpkg")
    result = prepare_import(path, level=AreaLevel.grid)
    assert result.report.ok, result.report.render()
    assert result.report.declared_crs is not None
    assert codes_of(result.report, "crs_assumed") == []
    lon, _ = result.areas.geometry.iloc[0].centroid.coords[0]
    assert lon == pytest.approx(121.42, abs=0.01)


def test_unknown_crs_value_is_an_error(tmp_path: Path) -> None:
    path = write_geojson(tmp_path, [square(0, 0, 200)], code=grid_codes(1), name=["a"])
    report = prepare_import(path, level=AreaLevel.grid, crs="mars").report
    assert "--crs 'mars' is not understood" in only(report, "bad_crs").message


def test_coordinates_out_of_range_after_transform(tmp_path: Path) -> None:
    # GeoJSON is always read as WGS84, so projected metres in it come out of range
    geoms = [box(500_000, 3_340_000, 501_000, 3_341_000)]
    path = write(frame(geoms, crs=None, code=grid_codes(1), name=["a"]), tmp_path / "m.geojson")
    report = prepare_import(path, level=AreaLevel.grid).report
    error = only(report, "out_of_range")
    assert error.severity is Severity.error and "--crs" in error.message
    assert error.feature == grid_codes(1)[0]


# --------------------------------------------------------------------------- geometry


def test_bowtie_is_repaired_into_a_valid_multipolygon(tmp_path: Path) -> None:
    bowtie = Polygon([(X0, Y0), (X0 + 100, Y0 + 100), (X0 + 100, Y0), (X0, Y0 + 100)])
    path = write_geojson(tmp_path, [bowtie], code=grid_codes(1), name=["a"])
    result = prepare_import(path, level=AreaLevel.grid)
    assert result.report.ok, result.report.render()
    repair = only(result.report, "invalid_geometry_repaired")
    assert repair.severity is Severity.repair
    assert "Self-intersection" in repair.message and repair.feature == grid_codes(1)[0]
    assert repair.lon == pytest.approx(121.4, abs=0.1)
    assert repair.lat == pytest.approx(30.2, abs=0.1)
    geom = result.areas.geometry.iloc[0]
    assert isinstance(geom, MultiPolygon) and geom.is_valid and len(geom.geoms) == 2
    assert "Repairs:" in result.report.render()


def test_point_and_empty_geometries_are_errors(tmp_path: Path) -> None:
    geoms = [square(0, 0, 100), Point(X0, Y0), None]
    path = write_geojson(tmp_path, geoms, code=grid_codes(3), name=["a", "b", "c"])
    result = prepare_import(path, level=AreaLevel.grid)
    report = result.report
    assert not report.ok
    point = only(report, "not_polygon")
    assert point.feature == grid_codes(3)[1] and "Point" in point.message
    assert only(report, "empty_geometry").feature == grid_codes(3)[2]
    assert list(result.areas["code"]) == grid_codes(1)  # only the usable feature


def test_polygon_that_repairs_to_a_line_is_an_error(tmp_path: Path) -> None:
    flat = Polygon([(121.40, 30.2), (121.41, 30.2), (121.42, 30.2), (121.40, 30.2)])
    gdf = frame([flat], crs="EPSG:4326", code=grid_codes(1), name=["a"])
    path = write(gdf, tmp_path / "flat.geojson", driver="GeoJSON")
    report = prepare_import(path, level=AreaLevel.grid).report
    assert "nothing polygonal remains" in only(report, "repair_failed").message


def test_sliver_polygon_warns_about_its_tiny_area(tmp_path: Path) -> None:
    sliver = Polygon([(X0, Y0), (X0 + 100, Y0), (X0 + 200, Y0 + 0.001), (X0, Y0)])
    path = write_geojson(tmp_path, [sliver], code=grid_codes(1), name=["a"])
    report = prepare_import(path, level=AreaLevel.grid).report
    warning = only(report, "tiny_area")
    assert warning.feature == grid_codes(1)[0] and warning.area_m2 < 1


def test_z_coordinates_are_dropped(tmp_path: Path) -> None:
    poly = shapely.force_3d(square(0, 0, 100), z=12.5)
    path = write_geojson(tmp_path, [poly], code=grid_codes(1), name=["a"])
    result = prepare_import(path, level=AreaLevel.grid)
    assert result.report.ok, result.report.render()
    assert not shapely.has_z(result.areas.geometry.iloc[0])


# --------------------------------------------------------------------------- codes and names


def test_duplicate_codes_are_errors_listing_the_code(tmp_path: Path) -> None:
    code = grid_codes(1)[0]
    geoms = [square(0, 0, 100), square(100, 0, 100), square(200, 0, 100)]
    path = write_geojson(tmp_path, geoms, code=[code, grid_codes(2)[1], code], name=["a"] * 3)
    report = prepare_import(path, level=AreaLevel.grid).report
    error = only(report, "duplicate_code")
    assert error.severity is Severity.error and error.feature == code
    assert f"'{code}'" in error.message and "rows 1, 3" in error.message
    assert error.message in report.render()


def test_missing_code_column_names_available_columns(tmp_path: Path) -> None:
    path = write_geojson(tmp_path, [square(0, 0, 100)], bianma=grid_codes(1), name=["a"])
    report = prepare_import(path, level=AreaLevel.grid).report
    error = only(report, "code_field_missing")
    assert "'bianma'" in error.message and "'name'" in error.message
    assert "--code-field" in error.message


def test_blank_codes_are_errors_per_row(tmp_path: Path) -> None:
    geoms = [square(0, 0, 100), square(100, 0, 100), square(200, 0, 100)]
    path = write_geojson(tmp_path, geoms, code=[grid_codes(1)[0], " ", None], name=["a"] * 3)
    report = prepare_import(path, level=AreaLevel.grid).report
    assert [f.feature for f in codes_of(report, "code_missing")] == ["row 2", "row 3"]


def test_numeric_codes_become_plain_strings(tmp_path: Path) -> None:
    geoms = [square(0, 0, 100), square(100, 0, 100), square(200, 0, 100)]
    ints = write_geojson(tmp_path, geoms, "ints.geojson", code=[1, 2, 3], name=["a"] * 3)
    floats = write_geojson(
        tmp_path, geoms, "floats.geojson", code=[1.0, 3.0, np.nan], name=["a"] * 3
    )
    assert list(prepare_import(ints, level=AreaLevel.grid).areas["code"]) == ["1", "2", "3"]
    result = prepare_import(floats, level=AreaLevel.grid)
    assert list(result.areas["code"]) == ["1", "3"]
    assert only(result.report, "code_missing").feature == "row 3"


def test_codes_off_convention_give_one_summarised_warning(tmp_path: Path) -> None:
    geoms = [square(0, 0, 100), square(100, 0, 100), square(200, 0, 100)]
    path = write_geojson(tmp_path, geoms, code=["A1", "A2", grid_codes(1)[0]], name=["a"] * 3)
    report = prepare_import(path, level=AreaLevel.grid).report
    assert report.ok
    warning = only(report, "code_convention")
    assert "2 of 3 codes do not follow the 15-digit grid code" in warning.message
    assert "'A1'" in warning.message


def test_missing_names_fall_back_to_codes_with_a_warning(tmp_path: Path) -> None:
    geoms = [square(0, 0, 100), square(100, 0, 100)]
    path = write_geojson(tmp_path, geoms, code=grid_codes(2), name=["东村网格", ""])
    result = prepare_import(path, level=AreaLevel.grid)
    assert result.report.ok
    assert list(result.areas["name"]) == ["东村网格", grid_codes(2)[1]]
    warning = only(result.report, "name_missing")
    assert warning.severity is Severity.warning and warning.feature == grid_codes(2)[1]


def test_many_missing_names_are_summarised(tmp_path: Path) -> None:
    geoms = [square(100 * k, 0, 100) for k in range(12)]
    path = write_geojson(tmp_path, geoms, code=grid_codes(12), name=[None] * 12)
    warning = only(prepare_import(path, level=AreaLevel.grid).report, "name_missing")
    assert "12 of 12 features have no name" in warning.message


def test_missing_name_column_falls_back_to_codes(tmp_path: Path) -> None:
    path = write_geojson(tmp_path, [square(0, 0, 100)], code=grid_codes(1))
    result = prepare_import(path, level=AreaLevel.grid)
    assert result.report.ok
    assert list(result.areas["name"]) == grid_codes(1)
    assert "--name-field" in only(result.report, "name_field_missing").message


# --------------------------------------------------------------------------- parents


def two_villages() -> geopandas.GeoDataFrame:
    return parents_frame(
        ["330282001001", "330282001002"], [square(0, 0, 1000), square(1000, 0, 1000)]
    )


def test_parent_by_containment(tmp_path: Path) -> None:
    geoms = [square(0, 0, 1000, 500), square(0, 500, 1000, 500), square(1000, 0, 1000)]
    path = write_geojson(tmp_path, geoms, code=grid_codes(3), name=["a", "b", "c"])
    result = prepare_import(path, level=AreaLevel.grid, parents=two_villages())
    assert result.report.ok, result.report.render()
    assert list(result.areas["parent_code"]) == ["330282001001", "330282001001", "330282001002"]
    assert codes_of(result.report, "gap") == []
    assert codes_of(result.report, "outside_parent") == []


def test_area_outside_every_parent_is_an_error(tmp_path: Path) -> None:
    geoms = [square(0, 0, 1000), square(5000, 5000, 100)]
    path = write_geojson(tmp_path, geoms, code=grid_codes(2), name=["a", "b"])
    report = prepare_import(path, level=AreaLevel.grid, parents=two_villages()).report
    error = only(report, "outside_parents")
    assert error.feature == grid_codes(2)[1]
    assert "outside every village of the set" in error.message
    assert error.lon is not None and error.lat is not None


def test_parent_field_with_known_and_unknown_codes(tmp_path: Path) -> None:
    geoms = [square(0, 0, 1000), square(1000, 0, 1000), square(0, 1000, 100)]
    path = write_geojson(
        tmp_path,
        geoms,
        code=grid_codes(3),
        name=["a", "b", "c"],
        village=[330282001001, "330282001002", "330282009999"],
    )
    result = prepare_import(
        path, level=AreaLevel.grid, parent_field="village", parents=two_villages()
    )
    report = result.report
    error = only(report, "unknown_parent")
    assert error.severity is Severity.error and "'330282009999'" in error.message
    assert list(result.areas["parent_code"]) == ["330282001001", "330282001002", None]


def test_many_unknown_parents_are_summarised(tmp_path: Path) -> None:
    geoms = [square(100 * k, 0, 100) for k in range(12)]
    bad = [f"9999{k:02d}" for k in range(12)]
    path = write_geojson(tmp_path, geoms, code=grid_codes(12), name=["a"] * 12, village=bad)
    report = prepare_import(
        path, level=AreaLevel.grid, parent_field="village", parents=two_villages()
    ).report
    error = only(report, "unknown_parent")
    assert "12 parent codes" in error.message and "'999900'" in error.message
    assert "and 2 more" in error.message


def test_parent_field_without_parents_is_an_error(tmp_path: Path) -> None:
    path = write_geojson(
        tmp_path, [square(0, 0, 100)], code=grid_codes(1), name=["a"], village=[VILLAGE]
    )
    report = prepare_import(path, level=AreaLevel.grid, parent_field="village").report
    assert "import the village areas first" in only(report, "no_parents").message


def test_no_parents_gives_one_warning_and_no_parent_codes(tmp_path: Path) -> None:
    path = write_geojson(tmp_path, [square(0, 0, 100)], code=grid_codes(1), name=["a"])
    empty = geopandas.GeoDataFrame({"code": []}, geometry=[], crs=4326)
    for parents in (None, empty):
        result = prepare_import(path, level=AreaLevel.grid, parents=parents)
        assert result.report.ok
        warning = only(result.report, "no_parent_level")
        assert "village/township" in warning.message
        assert list(result.areas["parent_code"]) == [None]


def test_child_sticking_500_m_out_of_its_parent_warns_with_area(tmp_path: Path) -> None:
    village = parents_frame([VILLAGE], [square(0, 0, 1000)])
    path = write_geojson(tmp_path, [square(0, 0, 1500, 1000)], code=grid_codes(1), name=["a"])
    result = prepare_import(path, level=AreaLevel.grid, parents=village)
    assert result.report.ok, result.report.render()
    assert list(result.areas["parent_code"]) == [VILLAGE]
    warning = only(result.report, "outside_parent")
    assert warning.feature == grid_codes(1)[0] and VILLAGE in warning.message
    assert warning.area_m2 == pytest.approx(500_000, rel=0.05)
    assert "m²" in warning.message
    assert warning.lon is not None and warning.lat is not None


def test_child_within_tolerance_of_its_parent_does_not_warn(tmp_path: Path) -> None:
    village = parents_frame([VILLAGE], [square(0, 0, 1000)])
    path = write_geojson(tmp_path, [square(0, 0, 1020, 1000)], code=grid_codes(1), name=["a"])
    result = prepare_import(path, level=AreaLevel.grid, parents=village)
    assert codes_of(result.report, "outside_parent") == []


def test_gap_in_parent_coverage_warns_with_area(tmp_path: Path) -> None:
    village = parents_frame([VILLAGE], [square(0, 0, 1000)])
    geoms = [square(0, 0, 1000, 400), square(0, 600, 1000, 400)]  # 1000 x 200 m gap between
    path = write_geojson(tmp_path, geoms, code=grid_codes(2), name=["a", "b"])
    report = prepare_import(path, level=AreaLevel.grid, parents=village).report
    assert report.ok, report.render()
    gap = only(report, "gap")
    assert gap.feature == VILLAGE and gap.area_m2 == pytest.approx(200_000, rel=0.05)
    assert gap.lat is not None


def test_parent_without_children_is_summarised(tmp_path: Path) -> None:
    path = write_geojson(tmp_path, [square(0, 0, 1000)], code=grid_codes(1), name=["a"])
    report = prepare_import(path, level=AreaLevel.grid, parents=two_villages()).report
    assert "'330282001002'" in only(report, "parent_without_children").message


# --------------------------------------------------------------------------- siblings


def test_overlapping_siblings_warn_with_area(tmp_path: Path) -> None:
    geoms = [square(0, 0, 1000), square(700, 0, 1000), square(1700, 0, 1000)]  # 300 x 1000 m
    path = write_geojson(tmp_path, geoms, code=grid_codes(3), name=["a", "b", "c"])
    report = prepare_import(path, level=AreaLevel.grid).report
    assert report.ok, report.render()
    overlap = only(report, "overlap")  # the edge shared by b and c is not an overlap
    assert overlap.area_m2 == pytest.approx(300_000, rel=0.05)
    assert grid_codes(3)[0] in overlap.message and grid_codes(3)[1] in overlap.message
    assert overlap.lon == pytest.approx(121.45, abs=0.1)


def test_tiny_overlaps_are_ignored(tmp_path: Path) -> None:
    geoms = [square(0, 0, 100), square(99.995, 0, 100)]  # 0.5 m² sliver
    path = write_geojson(tmp_path, geoms, code=grid_codes(2), name=["a", "b"])
    assert codes_of(prepare_import(path, level=AreaLevel.grid).report, "overlap") == []


# --------------------------------------------------------------------------- report and API


def test_render_and_to_dict(tmp_path: Path) -> None:
    code = grid_codes(1)[0]
    geoms = [square(0, 0, 100), square(50, 0, 100)]
    path = write_geojson(tmp_path, geoms, code=[code, code], name=["a", "b"])
    report = prepare_import(path, level=AreaLevel.grid).report
    text = report.render()
    lines = text.splitlines()
    assert "2 features" in lines[0] and "1 error," in lines[0]
    assert f"{len(report.warnings)} warnings" in lines[0]
    assert "Errors:" in text and "Warnings:" in text
    for finding in report.findings:
        assert f"[{finding.code}] {finding.message}" in text
    assert lines[-1] == "1 error: nothing was written"
    data = report.to_dict()
    assert data["ok"] is False and data["level"] == "grid"
    assert data["counts"] == {"errors": 1, "warnings": len(report.warnings), "repairs": 0}
    assert {f["severity"] for f in data["findings"]} == {"error", "warning"}


def test_progress_reports_every_stage(tmp_path: Path) -> None:
    village = parents_frame([VILLAGE], [square(0, 0, 1000)])
    path = write_geojson(tmp_path, [square(0, 0, 1000)], code=grid_codes(1), name=["a"])
    calls: list[tuple[str, int, int]] = []
    prepare_import(path, level=AreaLevel.grid, parents=village, progress=lambda *a: calls.append(a))
    stages = {stage for stage, _, _ in calls}
    assert stages == {"reading", "geometries", "parents", "overlaps", "gaps"}
    for stage in stages:
        last = [c for c in calls if c[0] == stage][-1]
        assert last[1] == last[2]


def test_bad_arguments_raise() -> None:
    with pytest.raises(TypeError, match="^level must be an AreaLevel; got str$"):
        prepare_import("x.geojson", level="grid")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^path must be a str or pathlib.Path; got int$"):
        prepare_import(3, level=AreaLevel.grid)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="^parents must be a geopandas.GeoDataFrame or None"):
        prepare_import("x.geojson", level=AreaLevel.grid, parents=[])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^parent_tolerance_m must be a finite number >= 0"):
        prepare_import("x.geojson", level=AreaLevel.grid, parent_tolerance_m=-1)
    with pytest.raises(ValueError, match="^county areas have no parent level"):
        prepare_import("x.geojson", level=AreaLevel.county, parent_field="x")


def test_five_thousand_polygons_are_fast(tmp_path: Path) -> None:
    side = 100.0
    n = 5_000
    cols = 100
    geoms = [square((k % cols) * side, (k // cols) * side, side + 1) for k in range(n)]
    codes = [f"330282{k:09d}" for k in range(n)]
    path = write_geojson(tmp_path, geoms, code=codes, name=codes)
    village = parents_frame([VILLAGE], [square(0, 0, cols * side, n / cols * side)])
    start = time.perf_counter()
    result = prepare_import(path, level=AreaLevel.grid, parents=village)
    elapsed = time.perf_counter() - start
    assert len(result.areas) == n
    # each square overlaps its right, upper and diagonal neighbours by a 1 m strip or corner
    overlaps = codes_of(result.report, "overlap")
    assert len(overlaps) > 9_000
    assert elapsed < 60, elapsed
