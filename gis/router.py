"""Route points to the grid responsible for them, from an in-memory index of one boundary set.

PostGIS holds the boundaries; this module holds a read-only copy of one set's grids in a shapely
STRtree and answers single points in microseconds and millions of points vectorised.

How a point is routed (`RoutingMethod`):
- inside: covered by exactly one grid;
- border: covered by several grids (on a shared edge, or where grids overlap): the lowest grid
  code wins, and the result lists every candidate;
- nearest: in no grid, but within `tolerance_m` metres of one: the closest grid (lowest code on
  ties), with the distance;
- unrouted: none of these; invalid (bulk only): coordinates that are not a usable lon/lat.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pyproj
import shapely
from shapely import STRtree

from gis.crs import parse_crs, to_wgs84
from gis.levels import code_sort_key


class RoutingMethod(StrEnum):
    inside = "inside"
    border = "border"
    nearest = "nearest"
    unrouted = "unrouted"
    invalid = "invalid"


_METHODS = tuple(RoutingMethod)
_INSIDE, _BORDER, _NEAREST, _UNROUTED, _INVALID = range(5)


class InvalidCoordinates(ValueError):
    """A point that cannot be routed as given: out of range, not finite, or swapped."""

    def __init__(self, message: str, field: str = "lat") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class GridRecord:
    """What the router knows of one grid besides its shape."""

    code: str
    name: str
    village_code: str | None = None
    township_code: str | None = None
    village_name: str | None = None
    township_name: str | None = None


@dataclass(frozen=True)
class RouteResult:
    """The grid a point belongs to, and how that was decided."""

    method: RoutingMethod
    grid_code: str | None
    grid_name: str | None
    village_code: str | None
    village_name: str | None
    township_code: str | None
    township_name: str | None
    distance_m: float | None
    candidates: tuple[str, ...]
    set_id: int | None
    set_name: str | None
    lon: float
    lat: float


@dataclass(frozen=True)
class RouteBatch:
    """Vectorised routing of many points: one entry per input point."""

    grid_index: np.ndarray  # int64; -1 where no grid
    method: np.ndarray  # int8 index into RoutingMethod order
    distance_m: np.ndarray  # float64; 0 for inside/border, NaN for unrouted/invalid
    candidate_count: np.ndarray  # int32; grids covering the point

    def methods(self) -> np.ndarray:
        """The routing method of each point as strings."""
        return np.asarray(_METHODS, dtype=object)[self.method]


def check_lon_lat(lon: float, lat: float) -> None:
    """Raise InvalidCoordinates with an exact message if (lon, lat) is not a usable WGS84 point."""
    for name, value in (("lon", lon), ("lat", lat)):
        if not math.isfinite(value):
            raise InvalidCoordinates(f"{name} must be a finite number, got {value}", name)
    if not -90.0 <= lat <= 90.0:
        hint = "; are lon and lat swapped?" if -90.0 <= lon <= 90.0 else ""
        raise InvalidCoordinates(f"lat must be in [-90, 90], got {lat:g}{hint}", "lat")
    if not -180.0 <= lon <= 180.0:
        raise InvalidCoordinates(f"lon must be in [-180, 180], got {lon:g}", "lon")


def check_ok(lon: float, lat: float) -> bool:
    """True if (lon, lat) is a finite WGS84 point in range."""
    return math.isfinite(lon) and math.isfinite(lat) and abs(lon) <= 180 and abs(lat) <= 90


class GridRouter:
    """An immutable STRtree index of one boundary set's grids, in WGS84 lon/lat degrees."""

    def __init__(
        self,
        *,
        grids: Sequence[GridRecord],
        geometries: Sequence[shapely.Geometry] | np.ndarray,
        tolerance_m: float = 50.0,
        set_id: int | None = None,
        set_name: str | None = None,
    ) -> None:
        if len(grids) != len(geometries):
            raise ValueError(
                f"grids and geometries must have the same length, got {len(grids)} "
                f"and {len(geometries)}"
            )
        if tolerance_m < 0:
            raise ValueError(f"tolerance_m must be >= 0, got {tolerance_m}")
        # Sort by code so that "lowest code wins" is "lowest tree index wins".
        order = sorted(range(len(grids)), key=lambda i: code_sort_key(grids[i].code))
        self.grids: tuple[GridRecord, ...] = tuple(grids[i] for i in order)
        self.geometries = (
            np.asarray(geometries, dtype=object)[order]
            if len(order)
            else (np.empty(0, dtype=object))
        )
        self.codes = np.array([g.code for g in self.grids], dtype=object)
        self.tolerance_m = float(tolerance_m)
        self.set_id = set_id
        self.set_name = set_name
        shapely.prepare(self.geometries)
        self.tree = STRtree(self.geometries)
        self._metric: tuple[pyproj.Transformer, STRtree, np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.grids)

    # -- single points ---------------------------------------------------------------------------

    def route(self, lon: float, lat: float, crs: str = "wgs84") -> RouteResult:
        """Route one point given in `crs` (default WGS84 lon/lat degrees).

        Raises InvalidCoordinates when the point is out of range, not finite, or when it lies
        in no grid while its swap (lat, lon) does: such input is refused, not guessed.
        """
        lon, lat = float(lon), float(lat)
        try:
            crs_key = parse_crs(crs)
        except ValueError as exc:
            raise InvalidCoordinates(str(exc), "crs") from None
        for name, value in (("lon", lon), ("lat", lat)):
            if not math.isfinite(value):
                raise InvalidCoordinates(f"{name} must be a finite number, got {value}", name)
        if crs_key in ("wgs84", "cgcs2000", "gcj02", "bd09"):
            check_lon_lat(lon, lat)
        x, y = to_wgs84(lon, lat, crs_key)
        x, y = float(x), float(y)
        check_lon_lat(x, y)
        result = self._route_one(x, y)
        if (
            result.method is RoutingMethod.unrouted
            and len(self)
            and not crs_key.startswith("EPSG:")
        ):
            swapped = self._route_one(y, x) if check_ok(y, x) else None
            if swapped is not None and swapped.method is not RoutingMethod.unrouted:
                raise InvalidCoordinates(
                    f"the point lon={lon:g}, lat={lat:g} is in no grid, but lon={lat:g}, "
                    f"lat={lon:g} is: lon and lat look swapped",
                    "lon",
                )
        return result

    def _route_one(self, lon: float, lat: float) -> RouteResult:
        """One valid WGS84 point: a direct tree query, the batch path only when it is in no grid
        (the nearest-grid search)."""
        hits = (
            self.tree.query(shapely.Point(lon, lat), predicate="intersects")
            if len(self)
            else np.empty(0, dtype="int64")
        )
        if not len(hits):
            return self._result(self.route_many(np.array([lon]), np.array([lat])), 0, lon, lat)
        grid = self.grids[int(hits.min())]
        candidates = tuple(sorted(self.codes[hits], key=code_sort_key))
        return self._make(
            RoutingMethod.border if len(hits) > 1 else RoutingMethod.inside,
            grid,
            0.0,
            candidates,
            lon,
            lat,
        )

    def _make(
        self,
        method: RoutingMethod,
        grid: GridRecord | None,
        distance: float | None,
        candidates: tuple[str, ...],
        lon: float,
        lat: float,
    ) -> RouteResult:
        return RouteResult(
            method=method,
            grid_code=grid.code if grid else None,
            grid_name=grid.name if grid else None,
            village_code=grid.village_code if grid else None,
            village_name=grid.village_name if grid else None,
            township_code=grid.township_code if grid else None,
            township_name=grid.township_name if grid else None,
            distance_m=distance,
            candidates=candidates,
            set_id=self.set_id,
            set_name=self.set_name,
            lon=lon,
            lat=lat,
        )

    def _result(self, batch: RouteBatch, i: int, lon: float, lat: float) -> RouteResult:
        method = _METHODS[batch.method[i]]
        index = int(batch.grid_index[i])
        grid = self.grids[index] if index >= 0 else None
        candidates: tuple[str, ...] = ()
        if method is RoutingMethod.border:
            hits = self.tree.query(shapely.points(lon, lat), predicate="intersects")
            candidates = tuple(sorted(self.codes[hits], key=code_sort_key))
        elif grid is not None:
            candidates = (grid.code,)
        distance = float(batch.distance_m[i])
        return self._make(
            method, grid, None if math.isnan(distance) else round(distance, 2), candidates, lon, lat
        )

    # -- many points -----------------------------------------------------------------------------

    def route_many(self, lon: np.ndarray, lat: np.ndarray) -> RouteBatch:
        """Route WGS84 lon/lat arrays; points that are not finite or out of range are invalid."""
        lon = np.asarray(lon, dtype="float64")
        lat = np.asarray(lat, dtype="float64")
        n = len(lon)
        grid_index = np.full(n, -1, dtype="int64")
        method = np.full(n, _UNROUTED, dtype="int8")
        distance = np.full(n, np.nan)
        counts = np.zeros(n, dtype="int32")

        valid = np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90)
        method[~valid] = _INVALID
        if not len(self) or not valid.any():
            return RouteBatch(grid_index, method, distance, counts)

        valid_idx = np.flatnonzero(valid)
        points = shapely.points(lon[valid_idx], lat[valid_idx])
        # "intersects" counts a point on a grid's edge as covered by that grid (ST_Covers).
        hit_point, hit_grid = self.tree.query(points, predicate="intersects")
        if len(hit_point):
            # Pairs come back grouped by point; the lowest tree index is the lowest code.
            starts = np.flatnonzero(np.r_[True, hit_point[1:] != hit_point[:-1]])
            hit_rows = valid_idx[hit_point[starts]]
            grid_index[hit_rows] = np.minimum.reduceat(hit_grid, starts)
            counts[hit_rows] = np.diff(np.r_[starts, len(hit_point)])
            method[hit_rows] = np.where(counts[hit_rows] > 1, _BORDER, _INSIDE)
            distance[hit_rows] = 0.0

        missed = valid_idx[method[valid_idx] == _UNROUTED]
        if len(missed) and self.tolerance_m > 0:
            self._route_nearest(lon, lat, missed, grid_index, method, distance)
        return RouteBatch(grid_index, method, distance, counts)

    def _route_nearest(self, lon, lat, rows, grid_index, method, distance) -> None:
        """Give points near a grid (within the tolerance, in metres) to the closest grid."""
        transformer, metric_tree, _ = self._metric_index()
        x, y = transformer.transform(lon[rows], lat[rows])
        points = shapely.points(x, y)
        hit_point, hit_grid = metric_tree.query(
            points, predicate="dwithin", distance=self.tolerance_m
        )
        if not len(hit_point):
            return
        gaps = shapely.distance(points[hit_point], metric_tree.geometries[hit_grid])
        # For each point: the smallest distance, then the lowest code (tree index) among ties.
        # Distances equal to the centimetre (the precision reported) are ties: projection
        # noise of micrometres must not decide between two grids.
        order = np.lexsort((hit_grid, np.round(gaps, 2), hit_point))
        hit_point, hit_grid, gaps = hit_point[order], hit_grid[order], gaps[order]
        first = np.flatnonzero(np.r_[True, hit_point[1:] != hit_point[:-1]])
        chosen = rows[hit_point[first]]
        grid_index[chosen] = hit_grid[first]
        method[chosen] = _NEAREST
        distance[chosen] = gaps[first]

    def _metric_index(self) -> tuple[pyproj.Transformer, STRtree, np.ndarray]:
        """The grids in the UTM zone of the set's centre (metres), built on first need."""
        if self._metric is None:
            centre = shapely.union_all(shapely.envelope(self.geometries)).centroid
            zone = int((centre.x + 180) // 6) + 1
            epsg = (32600 if centre.y >= 0 else 32700) + zone
            transformer = pyproj.Transformer.from_crs(4326, epsg, always_xy=True)
            projected = shapely.transform(
                self.geometries,
                lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])),
            )
            shapely.prepare(projected)
            self._metric = (transformer, STRtree(projected), projected)
        return self._metric
