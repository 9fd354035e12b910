"""Read a boundary file and validate it into areas ready for storage.

`prepare_import` reads a GeoJSON, Shapefile (plain or zipped), GeoPackage or KML file, brings
it to WGS84, checks codes, names, geometries, parents, overlaps and gaps, and returns the areas
together with a report of findings.  Bad data never raises: every problem becomes a Finding
(error, warning or repair), and the caller stores the areas only when `report.ok`.  Only
programming errors (bad argument types or values) raise.  Nothing here touches the database.

The areas hold every feature that has a code and a usable polygon, so a file with errors can
still be previewed; when the report has errors they must not be stored.

Metric computations (areas in m², buffers, overlaps, gaps) are done in the UTM zone that
geopandas' `estimate_utm_crs()` picks for the file's extent: a township or county fits well
inside one zone, where UTM distorts lengths and areas by less than 0.1 %.
"""

from __future__ import annotations

import math
import numbers
import os
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import geopandas
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyogrio
import pyproj
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from gis.crs import parse_crs, transform_geometries_to_wgs84
from gis.levels import LEVEL_ORDER, AreaLevel, code_follows_convention

__all__ = [
    "Finding",
    "ImportReport",
    "PreparedAreas",
    "Severity",
    "prepare_import",
]

ProgressCallback = Callable[[str, int, int], None]
"""progress(stage, done, total) for the stages that run: reading, geometries, parents, overlaps,
gaps (parents and gaps only when parents are given)."""

_LIST_LIMIT = 10  # items listed one by one before a finding is summarised
_CHUNK = 1000  # features or pairs per progress step of the vectorised stages
_WGS84_EPSG = 4326

_CONVENTIONS: dict[AreaLevel, str] = {
    AreaLevel.county: "6-digit county code",
    AreaLevel.township: "9-digit township code (county code + 3 digits)",
    AreaLevel.village: "12-digit village code (township code + 3 digits)",
    AreaLevel.grid: "15-digit grid code (village code + 3 digits)",
    AreaLevel.microgrid: "17-18-digit micro-grid code (grid code + 2-3 digits)",
}


class Severity(StrEnum):
    """How serious a finding is: errors block the import, repairs were made automatically."""

    error = "error"
    warning = "warning"
    repair = "repair"


@dataclass(frozen=True)
class Finding:
    """One problem found in the file, with a message an administrator can act on."""

    severity: Severity
    code: str
    message: str
    feature: str | None = None
    lon: float | None = None
    lat: float | None = None
    area_m2: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The finding as plain JSON-ready values."""
        data = asdict(self)
        data["severity"] = self.severity.value
        return data


_SEVERITY_TITLES: dict[Severity, str] = {
    Severity.error: "Errors",
    Severity.warning: "Warnings",
    Severity.repair: "Repairs",
}


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


@dataclass
class ImportReport:
    """What prepare_import found in one file; the areas may be stored only when `ok`."""

    path: str
    level: AreaLevel
    declared_crs: str | None
    crs_used: str
    feature_count: int
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        """The findings that block the import."""
        return [f for f in self.findings if f.severity is Severity.error]

    @property
    def warnings(self) -> list[Finding]:
        """The findings to check that do not block the import."""
        return [f for f in self.findings if f.severity is Severity.warning]

    @property
    def repairs(self) -> list[Finding]:
        """The geometries that were repaired automatically."""
        return [f for f in self.findings if f.severity is Severity.repair]

    @property
    def ok(self) -> bool:
        """True when there are no errors, so the areas may be stored."""
        return not self.errors

    def render(self) -> str:
        """A plain-text report: a summary line, the findings by severity, and the verdict."""
        declared = self.declared_crs or "none"
        lines = [
            f"{self.path}: {self.level.value} level, {_plural(self.feature_count, 'feature')}, "
            f"CRS {self.crs_used} (declared: {declared}); "
            f"{_plural(len(self.errors), 'error')}, {_plural(len(self.warnings), 'warning')}, "
            f"{_plural(len(self.repairs), 'repair')}"
        ]
        for severity in Severity:
            group = [f for f in self.findings if f.severity is severity]
            if not group:
                continue
            lines.append(f"{_SEVERITY_TITLES[severity]}:")
            lines.extend(f"  [{f.code}] {_one_line(f.message)}" for f in group)
        if self.ok:
            lines.append(f"ready to import {_plural(self.feature_count, 'area')}")
        else:
            lines.append(f"{_plural(len(self.errors), 'error')}: nothing was written")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready values."""
        return {
            "path": self.path,
            "level": self.level.value,
            "declared_crs": self.declared_crs,
            "crs_used": self.crs_used,
            "feature_count": self.feature_count,
            "ok": self.ok,
            "counts": {
                "errors": len(self.errors),
                "warnings": len(self.warnings),
                "repairs": len(self.repairs),
            },
            "findings": [f.to_dict() for f in self.findings],
        }


@dataclass
class PreparedAreas:
    """The areas read from a file (code, name, parent_code, MultiPolygon in EPSG:4326)."""

    areas: geopandas.GeoDataFrame
    report: ImportReport


# --------------------------------------------------------------------------- formatting


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _fmt_area(area_m2: float) -> str:
    return f"{area_m2:,.0f} m²" if area_m2 >= 10 else f"{area_m2:.1f} m²"


def _fmt_point(lon: float, lat: float) -> str:
    return f"({lon:.6f}, {lat:.6f})"


def _fmt_bounds(bounds: Sequence[float], digits: int) -> str:
    minx, miny, maxx, maxy = bounds
    return f"x {minx:.{digits}f} to {maxx:.{digits}f}, y {miny:.{digits}f} to {maxy:.{digits}f}"


def _fmt_list(items: Sequence[str], limit: int = _LIST_LIMIT) -> str:
    shown = ", ".join(items[:limit])
    return shown if len(items) <= limit else f"{shown} and {len(items) - limit} more"


def _fmt_rows(rows: Sequence[int]) -> str:
    return ("row " if len(rows) == 1 else "rows ") + _fmt_list([str(r + 1) for r in rows])


def _quoted(values: Iterable[str]) -> list[str]:
    return [f"'{v}'" for v in values]


def _normalise_code(value: Any) -> str | None:
    """A code or name as a stripped string; integer-like numbers lose their '.0'; blank → None."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return str(value)
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        number = float(value)
        if math.isnan(number):
            return None
        if number.is_integer():
            return str(int(number))
        return repr(number)
    text = str(value).strip()
    return text or None


def _ancestors_phrase(level: AreaLevel) -> str:
    """'village/township' for a grid: the levels above whose routing these areas feed."""
    above = list(reversed(LEVEL_ORDER[: LEVEL_ORDER.index(level)]))
    if len(above) > 1:
        above = [lvl for lvl in above if lvl is not AreaLevel.county]
    return "/".join(lvl.value for lvl in above)


# --------------------------------------------------------------------------- arguments


def _check_arguments(
    path: Any,
    level: Any,
    code_field: Any,
    name_field: Any,
    parent_field: Any,
    crs: Any,
    parents: Any,
    parent_tolerance_m: Any,
    min_report_area_m2: Any,
    progress: Any,
    layer: Any,
) -> None:
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path must be a str or pathlib.Path; got {type(path).__name__}")
    if not isinstance(level, AreaLevel):
        raise TypeError(f"level must be an AreaLevel; got {type(level).__name__}")
    for name, value in (("code_field", code_field), ("name_field", name_field)):
        if not isinstance(value, str):
            raise TypeError(f"{name} must be a str; got {type(value).__name__}")
        if not value:
            raise ValueError(f"{name} must not be empty")
    for name, value in (("parent_field", parent_field), ("crs", crs), ("layer", layer)):
        if value is not None and not isinstance(value, str):
            raise TypeError(f"{name} must be a str or None; got {type(value).__name__}")
    if parents is not None:
        if not isinstance(parents, geopandas.GeoDataFrame):
            raise TypeError(
                f"parents must be a geopandas.GeoDataFrame or None; got {type(parents).__name__}"
            )
        if len(parents) and "code" not in parents.columns:
            raise ValueError("parents must have a 'code' column")
    for name, value in (
        ("parent_tolerance_m", parent_tolerance_m),
        ("min_report_area_m2", min_report_area_m2),
    ):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"{name} must be a number; got {type(value).__name__}")
        if not math.isfinite(float(value)) or value < 0:
            raise ValueError(f"{name} must be a finite number >= 0; got {value!r}")
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be callable or None; got {type(progress).__name__}")
    if level.parent is None and (
        parent_field is not None or (parents is not None and len(parents))
    ):
        raise ValueError(
            f"{level.value} areas have no parent level: pass neither parents nor parent_field"
        )


# --------------------------------------------------------------------------- the run


class _Run:
    """The state of one prepare_import call: the data being checked and the findings."""

    def __init__(
        self,
        *,
        path: Path,
        level: AreaLevel,
        code_field: str,
        name_field: str,
        parent_field: str | None,
        crs: str | None,
        parents: geopandas.GeoDataFrame | None,
        parent_tolerance_m: float,
        min_report_area_m2: float,
        progress: ProgressCallback | None,
        layer: str | None,
    ) -> None:
        self.path = path
        self.level = level
        self.parent_level = level.parent
        self.code_field = code_field
        self.name_field = name_field
        self.parent_field = parent_field
        self.crs = crs
        self.parents = parents
        self.tolerance = float(parent_tolerance_m)
        self.min_area = float(min_report_area_m2)
        self.progress = progress
        self.layer = layer
        self.report = ImportReport(
            path=str(path), level=level, declared_crs=None, crs_used="unknown", feature_count=0
        )
        # Filled in as the run goes.
        self.n = 0
        self.codes: list[str | None] = []
        self.names: list[str] = []
        self.labels: list[str] = []
        self.parent_codes: list[str | None] = []
        self.parent_field_values: list[str | None] | None = None
        self.geoms: npt.NDArray[np.object_] = np.empty(0, dtype=object)  # WGS84 MultiPolygons
        self.usable: npt.NDArray[np.bool_] = np.zeros(0, dtype=bool)
        self.metric: pyproj.CRS | None = None
        self.geoms_m: npt.NDArray[np.object_] = np.empty(0, dtype=object)
        self.to_lonlat: pyproj.Transformer | None = None

    # ------------------------------------------------------------------ helpers

    def add(
        self,
        severity: Severity,
        code: str,
        message: str,
        *,
        feature: str | None = None,
        point: tuple[float, float] | None = None,
        area_m2: float | None = None,
    ) -> None:
        lon, lat = point if point is not None else (None, None)
        self.report.findings.append(
            Finding(
                severity=severity,
                code=code,
                message=_one_line(message),
                feature=feature,
                lon=None if lon is None else round(float(lon), 7),
                lat=None if lat is None else round(float(lat), 7),
                area_m2=None if area_m2 is None else round(float(area_m2), 1),
            )
        )

    def tick(self, stage: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(stage, done, total)

    def lonlat(self, points_m: npt.NDArray[np.object_]) -> list[tuple[float, float]]:
        """Lon/lat of metric points (in self.metric)."""
        if len(points_m) == 0:
            return []
        assert self.to_lonlat is not None
        xy = shapely.get_coordinates(points_m)
        lon, lat = self.to_lonlat.transform(xy[:, 0], xy[:, 1])
        return list(zip(np.atleast_1d(lon).tolist(), np.atleast_1d(lat).tolist(), strict=True))

    def _key(self, i: int) -> str:
        """The feature's code, or 'row N' when it has none."""
        return self.codes[i] or f"row {i + 1}"

    def columns_phrase(self, frame: pd.DataFrame) -> str:
        names = [str(c) for c in frame.columns if c != frame.geometry.name]
        return ", ".join(_quoted(names)) if names else "none"

    # ------------------------------------------------------------------ stages

    def execute(self) -> PreparedAreas:
        frame = self.read()
        if frame is not None:
            self.read_attributes(frame)
            crs_key = self.choose_crs(frame)
            self.check_geometries(frame, crs_key)
            if self.usable.any():
                self.to_metric()
                self.check_parents()
                self.check_overlaps()
        return PreparedAreas(areas=self.build_areas(), report=self.report)

    def read(self) -> geopandas.GeoDataFrame | None:
        """Open the file; every failure is an error finding and returns None."""
        self.tick("reading", 0, 1)
        name = self.path.name
        if not self.path.exists():
            self.add(
                Severity.error,
                "file_not_found",
                f"The file {self.path} does not exist; check the path and try again.",
            )
            return None
        formats = "GeoJSON, Shapefile (.shp or a zipped .zip), GeoPackage or KML"
        try:
            layers = [str(row[0]) for row in pyogrio.list_layers(self.path)]
        except Exception as exc:  # any reading failure is bad data
            self.add(
                Severity.error,
                "unreadable_file",
                f"The file {name} could not be read ({_one_line(str(exc))}); "
                f"export it as {formats} and try again.",
            )
            return None
        if not layers:
            self.add(Severity.error, "empty_file", f"{name}: the file has no features (no layers).")
            return None
        layer = layers[0]
        if self.layer is not None:
            if self.layer not in layers:
                self.add(
                    Severity.error,
                    "layer_not_found",
                    f"The file {name} has no layer '{self.layer}'; its layers are "
                    f"{_fmt_list(_quoted(layers), 50)}.",
                )
                return None
            layer = self.layer
        elif len(layers) > 1:
            self.add(
                Severity.error,
                "several_layers",
                f"The file {name} has {len(layers)} layers "
                f"({_fmt_list(_quoted(layers), 50)}); choose one with the layer option "
                f"or export the one to import to a file of its own.",
            )
            return None
        try:
            frame = pyogrio.read_dataframe(self.path, layer=layer)
        except Exception as exc:  # any reading failure is bad data
            self.add(
                Severity.error,
                "unreadable_file",
                f"The file {name} could not be read ({_one_line(str(exc))}); "
                f"export it as {formats} and try again.",
            )
            return None
        self.tick("reading", 1, 1)
        if not isinstance(frame, geopandas.GeoDataFrame):
            columns = ", ".join(_quoted(str(c) for c in frame.columns)) or "none"
            self.add(
                Severity.error,
                "no_geometry",
                f"The file {name} has no geometry, only attribute columns ({columns}); "
                f"export the layer with its polygons.",
            )
            return None
        self.n = self.report.feature_count = len(frame)
        if self.n == 0:
            self.add(
                Severity.error,
                "empty_file",
                f"{name}: the file has no features; check that the right layer was exported.",
            )
            return None
        return frame

    def read_attributes(self, frame: geopandas.GeoDataFrame) -> None:
        """Codes, names and (if parent_field is given) parent codes of every feature."""
        n, level = self.n, self.level
        if self.code_field in frame.columns and self.code_field != frame.geometry.name:
            self.codes = [_normalise_code(v) for v in frame[self.code_field].tolist()]
        else:
            self.codes = [None] * n
            self.add(
                Severity.error,
                "code_field_missing",
                f"The file has no column '{self.code_field}' for the area codes; available "
                f"columns: {self.columns_phrase(frame)}. Pass the right one with --code-field.",
            )
        self.labels = [
            f"{level.value} {code}" if code is not None else f"row {i + 1}"
            for i, code in enumerate(self.codes)
        ]
        if self.code_field in frame.columns:
            for i, code in enumerate(self.codes):
                if code is None:
                    self.add(
                        Severity.error,
                        "code_missing",
                        f"Row {i + 1} has no code in column '{self.code_field}'; fill in its "
                        f"{_CONVENTIONS[level]} and import again.",
                        feature=f"row {i + 1}",
                    )
        rows_by_code: dict[str, list[int]] = defaultdict(list)
        for i, code in enumerate(self.codes):
            if code is not None:
                rows_by_code[code].append(i)
        for code, rows in rows_by_code.items():
            if len(rows) > 1:
                self.add(
                    Severity.error,
                    "duplicate_code",
                    f"Code '{code}' is used by {len(rows)} features ({_fmt_rows(rows)}); each "
                    f"{level.value} needs its own code: fix the duplicates and import again.",
                    feature=code,
                )
        present = [c for c in self.codes if c is not None]
        odd = [c for c in present if not code_follows_convention(level, c)]
        if odd:
            self.add(
                Severity.warning,
                "code_convention",
                f"{len(odd)} of {len(present)} codes do not follow the {_CONVENTIONS[level]} "
                f"convention, e.g. '{odd[0]}'; they are imported as they are, so check that "
                f"they are the codes you mean.",
            )
        self.read_names(frame)
        self.read_parent_values(frame)

    def read_names(self, frame: geopandas.GeoDataFrame) -> None:
        fallback = [
            code if code is not None else label
            for code, label in zip(self.codes, self.labels, strict=True)
        ]
        if self.name_field not in frame.columns or self.name_field == frame.geometry.name:
            self.names = fallback
            self.add(
                Severity.warning,
                "name_field_missing",
                f"The file has no column '{self.name_field}' for the area names (available "
                f"columns: {self.columns_phrase(frame)}); the codes are used as names. "
                f"Pass --name-field to use another column.",
            )
            return
        values = [_normalise_code(v) for v in frame[self.name_field].tolist()]
        self.names = [v if v is not None else fb for v, fb in zip(values, fallback, strict=True)]
        missing = [i for i, v in enumerate(values) if v is None]
        if len(missing) <= _LIST_LIMIT:
            for i in missing:
                self.add(
                    Severity.warning,
                    "name_missing",
                    f"{_cap(self.labels[i])} has no name in column '{self.name_field}'; "
                    f"its code is used as its name. Fill in the name to show it on the map.",
                    feature=self._key(i),
                )
        else:
            self.add(
                Severity.warning,
                "name_missing",
                f"{len(missing)} of {self.n} features have no name in column "
                f"'{self.name_field}' (e.g. {_fmt_list([self.labels[i] for i in missing])}); "
                f"their codes are used as names. Fill in the names to show them on the map.",
            )

    def read_parent_values(self, frame: geopandas.GeoDataFrame) -> None:
        self.parent_codes = [None] * self.n
        if self.parent_field is None:
            return
        if self.parent_field not in frame.columns or self.parent_field == frame.geometry.name:
            self.add(
                Severity.error,
                "parent_field_missing",
                f"The file has no column '{self.parent_field}' for the parent codes; available "
                f"columns: {self.columns_phrase(frame)}. Pass the right one with --parent-field.",
            )
            return
        self.parent_field_values = [_normalise_code(v) for v in frame[self.parent_field].tolist()]

    def choose_crs(self, frame: geopandas.GeoDataFrame) -> str | pyproj.CRS | None:
        """The CRS to read the coordinates in: a parse_crs key, a pyproj CRS, or None (refuse)."""
        declared = frame.crs
        declared_key: str | pyproj.CRS | None = None
        if declared is not None:
            epsg = declared.to_epsg()
            if epsg is not None:
                try:
                    declared_key = parse_crs(f"EPSG:{epsg}")
                except ValueError:
                    declared_key = declared
            else:
                declared_key = declared
            self.report.declared_crs = (
                declared_key if isinstance(declared_key, str) else declared.name
            )
        if self.crs is not None:
            try:
                chosen = parse_crs(self.crs)
            except ValueError as exc:
                self.add(
                    Severity.error,
                    "bad_crs",
                    f"--crs {self.crs!r} is not understood: {exc}.",
                )
                return None
            self.report.crs_used = chosen
            if self.report.declared_crs is not None and self.report.declared_crs != chosen:
                self.add(
                    Severity.warning,
                    "crs_override",
                    f"The file declares {self.report.declared_crs} but --crs {chosen} was given, "
                    f"so its coordinates are read as {chosen}. This is allowed because "
                    f"Amap-based exports often declare WGS84 but hold GCJ-02 coordinates; check "
                    f"that the areas line up with the base map.",
                )
            return chosen
        if declared_key is not None:
            self.report.crs_used = self.report.declared_crs or "unknown"
            return declared_key
        raw = np.asarray(frame.geometry.values, dtype=object)
        present = raw[~(shapely.is_missing(raw) | shapely.is_empty(raw))]
        if len(present) == 0:  # nothing to place: the geometry errors will say so
            self.report.crs_used = "wgs84"
            return "wgs84"
        bounds = shapely.total_bounds(present)
        minx, miny, maxx, maxy = bounds
        if minx >= -180 and maxx <= 180 and miny >= -90 and maxy <= 90:
            self.report.crs_used = "wgs84"
            self.add(
                Severity.warning,
                "crs_assumed",
                f"The file declares no coordinate system; its coordinates are within the "
                f"lon/lat range ({_fmt_bounds(bounds, 5)}), so WGS84 is assumed. If it came "
                f"from Amap/Tencent or Baidu, pass --crs gcj02 or --crs bd09.",
            )
            return "wgs84"
        self.add(
            Severity.error,
            "crs_missing",
            f"The file declares no coordinate system and its coordinates look like projected "
            f"metres ({_fmt_bounds(bounds, 0)}), not lon/lat; pass its coordinate system with "
            f"--crs, e.g. --crs EPSG:4549 (CGCS2000 3-degree Gauss-Kruger CM 120E, common for "
            f"Zhejiang survey data).",
        )
        return None

    def check_geometries(
        self, frame: geopandas.GeoDataFrame, crs_key: str | pyproj.CRS | None
    ) -> None:
        """Refuse empty and non-polygon features; bring the rest to WGS84 and repair them."""
        raw = np.array(frame.geometry.values, dtype=object)
        n = self.n
        self.geoms = np.full(n, None, dtype=object)
        self.usable = np.zeros(n, dtype=bool)
        self.tick("geometries", 0, n)
        missing = shapely.is_missing(raw) | shapely.is_empty(raw)
        types = shapely.get_type_id(raw)
        for i in np.flatnonzero((types == 7) & ~missing):  # e.g. a KML MultiGeometry
            parts = shapely.get_parts(raw[i])
            if np.isin(shapely.get_type_id(parts), (3, 6)).all():
                raw[i] = MultiPolygon(_polygons_of(raw[i]))  # overlaps are repaired below
                types[i] = 6
        polygonal = np.isin(types, (3, 6)) & ~missing  # Polygon, MultiPolygon
        for i in np.flatnonzero(missing):
            self.add(
                Severity.error,
                "empty_geometry",
                f"{_cap(self.labels[i])} has an empty geometry; draw its boundary or "
                f"remove the feature.",
                feature=self._key(i),
            )
        for i in np.flatnonzero(~missing & ~polygonal):
            self.add(
                Severity.error,
                "not_polygon",
                f"{_cap(self.labels[i])} is a {raw[i].geom_type}, not a polygon; areas "
                f"must be polygons: replace it with the area's boundary or remove it.",
                feature=self._key(i),
            )
        if crs_key is None:  # the CRS was refused: nothing can be placed
            self.tick("geometries", n, n)
            return
        index = np.flatnonzero(polygonal)
        geoms = shapely.force_2d(raw[index])
        if isinstance(crs_key, pyproj.CRS):
            geoms = geopandas.GeoSeries(geoms, crs=crs_key).to_crs(_WGS84_EPSG).values
            geoms = np.asarray(geoms, dtype=object)
        else:
            geoms = transform_geometries_to_wgs84(geoms, crs_key)
        bounds = shapely.bounds(geoms)
        in_range = (
            np.isfinite(bounds).all(axis=1)
            & (bounds[:, 0] >= -180)
            & (bounds[:, 2] <= 180)
            & (bounds[:, 1] >= -90)
            & (bounds[:, 3] <= 90)
        )
        self.report_out_of_range(index[~in_range], bounds[~in_range])
        index, geoms = index[in_range], geoms[in_range]
        valid = shapely.is_valid(geoms)
        for start in range(0, len(index), _CHUNK):
            stop = min(start + _CHUNK, len(index))
            for k in range(start, stop):
                i = int(index[k])
                if valid[k]:
                    self.geoms[i] = _as_multipolygon(geoms[k])
                    self.usable[i] = True
                else:
                    self.repair(i, geoms[k])
            self.tick("geometries", n - len(index) + stop, n)
        if len(index) == 0:
            self.tick("geometries", n, n)

    def report_out_of_range(self, rows: npt.NDArray[np.intp], bounds: npt.NDArray[Any]) -> None:
        if len(rows) == 0:
            return
        advice = (
            f"the coordinate system is probably not {self.report.crs_used}: pass the right one "
            f"with --crs (e.g. --crs EPSG:4549 for CGCS2000 3-degree Gauss-Kruger CM 120E)"
        )
        if len(rows) <= _LIST_LIMIT:
            for i, b in zip(rows, bounds, strict=True):
                self.add(
                    Severity.error,
                    "out_of_range",
                    f"{_cap(self.labels[i])} has coordinates outside the lon/lat range "
                    f"after conversion to WGS84 ({_fmt_bounds(b, 2)}); {advice}.",
                    feature=self._key(i),
                )
            return
        total = (
            np.nanmin(bounds[:, 0]),
            np.nanmin(bounds[:, 1]),
            np.nanmax(bounds[:, 2]),
            np.nanmax(bounds[:, 3]),
        )
        self.add(
            Severity.error,
            "out_of_range",
            f"{len(rows)} features have coordinates outside the lon/lat range after conversion "
            f"to WGS84 (e.g. {_fmt_list([self.labels[i] for i in rows])}; "
            f"{_fmt_bounds(total, 2)}); {advice}.",
        )

    def repair(self, i: int, geom: BaseGeometry) -> None:
        reason = str(shapely.is_valid_reason(geom))
        point = _reason_point(reason)
        if point is None:
            surface = shapely.point_on_surface(geom)
            point = (surface.x, surface.y) if not surface.is_empty else None
        where = f" near {_fmt_point(*point)}" if point is not None else ""
        label = _cap(self.labels[i])
        fixed = _polygonal_part(shapely.make_valid(geom))
        if fixed is None:
            self.add(
                Severity.error,
                "repair_failed",
                f"{label} is not a valid polygon ({reason}){where} and nothing polygonal "
                f"remains after repairing it; redraw its boundary.",
                feature=self._key(i),
                point=point,
            )
            return
        self.geoms[i] = fixed
        self.usable[i] = True
        self.add(
            Severity.repair,
            "invalid_geometry_repaired",
            f"{label} was not a valid polygon ({reason}){where}; it was repaired with "
            f"make_valid into {_plural(len(fixed.geoms), 'polygon')}: check its shape on the "
            f"map and fix the source file if it looks wrong.",
            feature=self._key(i),
            point=point,
        )

    def to_metric(self) -> None:
        """Project the usable geometries to the UTM zone of the file (see module docstring)."""
        series = geopandas.GeoSeries(self.geoms[self.usable], crs=_WGS84_EPSG)
        self.metric = series.estimate_utm_crs()
        self.to_lonlat = pyproj.Transformer.from_crs(self.metric, _WGS84_EPSG, always_xy=True)
        self.geoms_m = np.full(self.n, None, dtype=object)
        self.geoms_m[self.usable] = np.asarray(series.to_crs(self.metric).values, dtype=object)
        rows = np.flatnonzero(self.usable)
        areas = shapely.area(self.geoms_m[rows])
        tiny = np.flatnonzero(areas <= self.min_area)
        if 0 < len(tiny) <= _LIST_LIMIT:
            for k in tiny:
                i = int(rows[k])
                self.add(
                    Severity.warning,
                    "tiny_area",
                    f"{_cap(self.labels[i])} covers only {_fmt_area(areas[k])}, which is "
                    f"almost certainly a drawing error; redraw it or remove the feature.",
                    feature=self._key(i),
                    area_m2=float(areas[k]),
                )
        elif len(tiny) > _LIST_LIMIT:
            self.add(
                Severity.warning,
                "tiny_area",
                f"{len(tiny)} features cover {_fmt_area(self.min_area)} or less (e.g. "
                f"{_fmt_list([self.labels[int(rows[k])] for k in tiny])}), which is almost "
                f"certainly a drawing error; redraw or remove them.",
            )

    # ------------------------------------------------------------------ parents

    def load_parents(self) -> tuple[list[str | None], npt.NDArray[np.object_]]:
        """Codes and metric geometries (None when missing) of the parent areas."""
        parents = self.parents
        assert parents is not None and self.metric is not None
        codes = [_normalise_code(v) for v in parents["code"].tolist()]
        series = parents.geometry
        if series.crs is None:
            series = series.set_crs(_WGS84_EPSG)
        geoms = np.asarray(series.to_crs(self.metric).values, dtype=object)
        geoms = np.where(shapely.is_missing(geoms) | shapely.is_empty(geoms), None, geoms)
        invalid = ~shapely.is_valid(geoms) & ~shapely.is_missing(geoms)
        if invalid.any():
            geoms[invalid] = shapely.make_valid(geoms[invalid])
        return codes, geoms

    def check_parents(self) -> None:
        parent_level = self.parent_level
        if parent_level is None:
            return
        have_parents = self.parents is not None and len(self.parents) > 0
        if self.parent_field is not None:
            if self.parent_field_values is None:
                return  # column missing: already an error
            if not have_parents:
                self.add(
                    Severity.error,
                    "no_parents",
                    f"The file gives parent codes in column '{self.parent_field}' but the level "
                    f"above ({parent_level.value}) has no areas in the target set; import the "
                    f"{parent_level.value} areas first.",
                )
                return
            self.tick("parents", 0, self.n)
            parent_codes, parent_geoms = self.load_parents()
            self.assign_parents_by_field(parent_codes)
        elif have_parents:
            self.tick("parents", 0, self.n)
            parent_codes, parent_geoms = self.load_parents()
            self.assign_parents_by_containment(parent_codes, parent_geoms)
        else:
            self.add(
                Severity.warning,
                "no_parent_level",
                f"The level above ({parent_level.value}) is empty in the target set, so these "
                f"{self.level.value} areas will have no parent: routing will return no "
                f"{_ancestors_phrase(self.level)} for them until the {parent_level.value} areas "
                f"are imported and this file is imported again.",
            )
            return
        self.check_outside_parents(parent_codes, parent_geoms)
        self.tick("parents", self.n, self.n)
        self.check_gaps(parent_codes, parent_geoms)

    def assign_parents_by_field(self, parent_codes: list[str | None]) -> None:
        assert self.parent_level is not None and self.parent_field is not None
        known = {c for c in parent_codes if c is not None}
        parent_name = self.parent_level.value
        unknown: dict[str, list[int]] = defaultdict(list)
        for i, value in enumerate(self.parent_field_values or []):
            if value is None:
                self.add(
                    Severity.error,
                    "parent_missing",
                    f"{_cap(self.labels[i])} has no parent code in column "
                    f"'{self.parent_field}'; fill in the code of its {parent_name}.",
                    feature=self._key(i),
                )
            elif value in known:
                self.parent_codes[i] = value
            else:
                unknown[value].append(i)
        if len(unknown) <= _LIST_LIMIT:
            for value, rows in unknown.items():
                self.add(
                    Severity.error,
                    "unknown_parent",
                    f"Parent code '{value}' in column '{self.parent_field}' "
                    f"({_fmt_list([self.labels[i] for i in rows])}) is not a {parent_name} of "
                    f"the target set; fix the code or import that {parent_name} first.",
                    feature=self._key(rows[0]),
                )
        else:
            rows_total = sum(len(rows) for rows in unknown.values())
            self.add(
                Severity.error,
                "unknown_parent",
                f"{len(unknown)} parent codes in column '{self.parent_field}' (used by "
                f"{rows_total} features) are not {parent_name} codes of the target set, e.g. "
                f"{_fmt_list(_quoted(unknown))}; fix the codes or import those "
                f"{parent_name} areas first.",
            )

    def assign_parents_by_containment(
        self, parent_codes: list[str | None], parent_geoms: npt.NDArray[np.object_]
    ) -> None:
        """Each area's parent is the one containing its point_on_surface (as MapIt does)."""
        assert self.parent_level is not None
        rows = np.flatnonzero(self.usable)
        points = shapely.point_on_surface(self.geoms_m[rows])
        tree = shapely.STRtree(parent_geoms)
        child_pos, parent_idx = tree.query(points, predicate="within")
        matches: dict[int, list[int]] = defaultdict(list)
        for c, p in zip(child_pos.tolist(), parent_idx.tolist(), strict=True):
            if parent_codes[p] is not None:
                matches[c].append(p)
        outside = [k for k in range(len(rows)) if k not in matches]
        for k, (lon, lat) in zip(outside, self.lonlat(points[outside]), strict=True):
            i = int(rows[k])
            self.add(
                Severity.error,
                "outside_parents",
                f"{_cap(self.labels[i])} lies outside every {self.parent_level.value} of "
                f"the set (its inner point is at {_fmt_point(lon, lat)}); check its position "
                f"and coordinate system (--crs), or import the missing {self.parent_level.value} "
                f"first.",
                feature=self._key(i),
                point=(lon, lat),
            )
        for k, candidates in matches.items():
            i = int(rows[k])
            if len(candidates) == 1:
                best = candidates[0]
            else:  # overlapping parents: the one holding most of the area
                shares = shapely.area(
                    shapely.intersection(self.geoms_m[i], parent_geoms[candidates])
                )
                best = candidates[int(np.argmax(shares))]
            self.parent_codes[i] = parent_codes[best]

    def check_outside_parents(
        self, parent_codes: list[str | None], parent_geoms: npt.NDArray[np.object_]
    ) -> None:
        """Warn when a child sticks out of its parent by more than the tolerance."""
        assert self.parent_level is not None
        position = {c: k for k, c in enumerate(parent_codes) if c is not None}
        rows = [
            i
            for i in range(self.n)
            if self.usable[i]
            and self.parent_codes[i] is not None
            and parent_geoms[position[self.parent_codes[i]]] is not None
        ]
        if not rows:
            return
        parent_of = np.array([position[self.parent_codes[i]] for i in rows])
        used = np.unique(parent_of)
        buffered = np.full(len(parent_geoms), None, dtype=object)
        buffered[used] = shapely.buffer(parent_geoms[used], self.tolerance)
        children = self.geoms_m[rows]
        covered = shapely.covered_by(children, buffered[parent_of])
        loose = np.flatnonzero(~covered)
        if len(loose) == 0:
            return
        outside = shapely.difference(children[loose], parent_geoms[parent_of[loose]])
        areas = shapely.area(outside)
        beyond = shapely.difference(children[loose], buffered[parent_of[loose]])
        points = self.lonlat(shapely.point_on_surface(beyond))
        for k, area, point in zip(loose, areas, points, strict=True):
            if area <= self.min_area:
                continue
            i = rows[k]
            parent = self.parent_codes[i]
            self.add(
                Severity.warning,
                "outside_parent",
                f"{_cap(self.labels[i])} extends {_fmt_area(area)} outside its "
                f"{self.parent_level.value} {parent} (beyond the {self.tolerance:g} m tolerance "
                f"near {_fmt_point(*point)}); redraw its boundary inside the "
                f"{self.parent_level.value} or check its parent.",
                feature=self._key(i),
                point=point,
                area_m2=area,
            )

    def check_gaps(
        self, parent_codes: list[str | None], parent_geoms: npt.NDArray[np.object_]
    ) -> None:
        """Warn about the part of each parent that none of its children in the file covers."""
        assert self.parent_level is not None
        children: dict[str, list[int]] = defaultdict(list)
        for i in range(self.n):
            if self.usable[i] and self.parent_codes[i] is not None:
                children[self.parent_codes[i]].append(i)
        parents = [
            k for k, c in enumerate(parent_codes) if c is not None and parent_geoms[k] is not None
        ]
        total = len(parents)
        self.tick("gaps", 0, total)
        childless: list[str] = []
        for done, k in enumerate(parents, start=1):
            code = parent_codes[k]
            assert code is not None
            if code not in children:
                childless.append(code)
            else:
                self.report_gap(code, parent_geoms[k], children[code])
            if done % _CHUNK == 0:
                self.tick("gaps", done, total)
        self.tick("gaps", total, total)
        if childless:
            parent_name = self.parent_level.value
            self.add(
                Severity.warning,
                "parent_without_children",
                f"{len(childless)} {parent_name} areas of the set have no {self.level.value} "
                f"in this file ({_fmt_list(_quoted(childless))}); they stay uncovered at the "
                f"{self.level.value} level unless another file covers them.",
            )

    def report_gap(self, code: str, parent: BaseGeometry, rows: list[int]) -> None:
        assert self.parent_level is not None
        try:
            gap = shapely.difference(parent, shapely.union_all(self.geoms_m[rows]))
        except shapely.errors.GEOSException as exc:
            self.add(
                Severity.warning,
                "gap_not_checked",
                f"The coverage of {self.parent_level.value} {code} could not be checked "
                f"({exc}); look at it on the map.",
                feature=code,
            )
            return
        area = float(shapely.area(gap))
        if area <= self.min_area:
            return
        pieces = [g for g in shapely.get_parts(gap) if g.geom_type == "Polygon"]
        largest = max(pieces, key=lambda g: g.area) if pieces else gap
        (point,) = self.lonlat(np.array([shapely.point_on_surface(largest)], dtype=object))
        self.add(
            Severity.warning,
            "gap",
            f"{_fmt_area(area)} of {self.parent_level.value} {code} is covered by none of its "
            f"{self.level.value} areas ({_plural(len(pieces), 'piece')}, the largest near "
            f"{_fmt_point(*point)}); draw the missing {self.level.value} or extend a neighbour.",
            feature=code,
            point=point,
            area_m2=area,
        )

    # ------------------------------------------------------------------ siblings

    def check_overlaps(self) -> None:
        """Warn about every pair of areas in the file whose interiors overlap."""
        rows = np.flatnonzero(self.usable)
        geoms = self.geoms_m[rows]
        shapely.prepare(geoms)
        tree = shapely.STRtree(geoms)
        left, right = tree.query(geoms, predicate="intersects")
        keep = left < right
        left, right = left[keep], right[keep]
        total = len(left)
        self.tick("overlaps", 0, total)
        for start in range(0, total, _CHUNK):
            a = geoms[left[start : start + _CHUNK]]
            b = geoms[right[start : start + _CHUNK]]
            pair_rows = list(
                zip(
                    rows[left[start : start + _CHUNK]].tolist(),
                    rows[right[start : start + _CHUNK]].tolist(),
                    strict=True,
                )
            )
            inner = np.flatnonzero(~shapely.touches(a, b))
            try:
                overlap = shapely.intersection(a[inner], b[inner])
            except shapely.errors.GEOSException:
                overlap = np.array(
                    [_safe_intersection(x, y) for x, y in zip(a[inner], b[inner], strict=True)],
                    dtype=object,
                )
            areas = shapely.area(overlap)
            big = np.flatnonzero(areas > self.min_area)
            points = self.lonlat(shapely.point_on_surface(overlap[big]))
            for k, point in zip(big, points, strict=True):
                i, j = pair_rows[inner[k]]
                self.add(
                    Severity.warning,
                    "overlap",
                    f"{_cap(self.labels[i])} and {self.labels[j]} overlap by "
                    f"{_fmt_area(areas[k])} near {_fmt_point(*point)}; fix their shared "
                    f"boundary so that each place belongs to one {self.level.value}.",
                    feature=f"{self._key(i)} / {self._key(j)}",
                    point=point,
                    area_m2=float(areas[k]),
                )
            self.tick("overlaps", min(start + _CHUNK, total), total)

    # ------------------------------------------------------------------ result

    def build_areas(self) -> geopandas.GeoDataFrame:
        """One row per feature with a code and a usable geometry, sorted by code."""
        keep = (
            [i for i in range(self.n) if self.codes[i] is not None and bool(self.usable[i])]
            if len(self.usable)
            else []
        )
        areas = geopandas.GeoDataFrame(
            {
                "code": pd.Series([self.codes[i] for i in keep], dtype=object),
                "name": pd.Series([self.names[i] for i in keep], dtype=object),
                "parent_code": pd.Series([self.parent_codes[i] for i in keep], dtype=object),
            },
            geometry=geopandas.GeoSeries(list(self.geoms[keep]), crs=_WGS84_EPSG),
            crs=_WGS84_EPSG,
        )
        return areas.sort_values("code", kind="stable").reset_index(drop=True)


def _safe_intersection(a: BaseGeometry, b: BaseGeometry) -> BaseGeometry:
    try:
        return shapely.intersection(a, b)
    except shapely.errors.GEOSException:
        return shapely.intersection(shapely.make_valid(a), shapely.make_valid(b), grid_size=0.01)


_REASON_POINT = re.compile(r"\[\s*(-?[\d.eE+-]+)\s+(-?[\d.eE+-]+)")


def _reason_point(reason: str) -> tuple[float, float] | None:
    """The location GEOS gives in an is_valid_reason text, e.g. 'Self-intersection[x y]'."""
    match = _REASON_POINT.search(reason)
    if not match:
        return None
    try:
        return float(match.group(1)), float(match.group(2))
    except ValueError:
        return None


def _as_multipolygon(geom: BaseGeometry) -> MultiPolygon:
    return MultiPolygon([geom]) if isinstance(geom, Polygon) else geom


def _polygons_of(geom: BaseGeometry) -> list[Polygon]:
    """The non-empty polygons in a geometry, looking inside collections and multi-parts."""
    if isinstance(geom, Polygon):
        return [] if geom.is_empty else [geom]
    if hasattr(geom, "geoms"):
        return [polygon for part in geom.geoms for polygon in _polygons_of(part)]
    return []


def _polygonal_part(geom: BaseGeometry) -> MultiPolygon | None:
    """The polygons of a make_valid result as one valid MultiPolygon, or None if there are none."""
    polygons = _polygons_of(geom)
    if not polygons:
        return None
    result = MultiPolygon(polygons)
    if not result.is_valid:  # parts of a collection may overlap or share an edge
        merged = shapely.union_all(polygons)
        result = MultiPolygon(_polygons_of(merged))
    return result


def _cap(text: str) -> str:
    """Upper-case the first letter only ('grid abc' -> 'Grid abc')."""
    return text[:1].upper() + text[1:]


# --------------------------------------------------------------------------- public entry


def prepare_import(
    path: str | Path,
    *,
    level: AreaLevel,
    code_field: str = "code",
    name_field: str = "name",
    parent_field: str | None = None,
    crs: str | None = None,
    parents: geopandas.GeoDataFrame | None = None,
    parent_tolerance_m: float = 50.0,
    min_report_area_m2: float = 1.0,
    progress: ProgressCallback | None = None,
    layer: str | None = None,
) -> PreparedAreas:
    """Read and validate a boundary file into areas of `level`; problems become findings."""
    _check_arguments(
        path,
        level,
        code_field,
        name_field,
        parent_field,
        crs,
        parents,
        parent_tolerance_m,
        min_report_area_m2,
        progress,
        layer,
    )
    run = _Run(
        path=Path(path),
        level=level,
        code_field=code_field,
        name_field=name_field,
        parent_field=parent_field,
        crs=crs,
        parents=parents,
        parent_tolerance_m=parent_tolerance_m,
        min_report_area_m2=min_report_area_m2,
        progress=progress,
        layer=layer,
    )
    return run.execute()
