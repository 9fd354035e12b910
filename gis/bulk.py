"""Route a table of points at once: vectorised, chunked, with progress."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from gis.crs import parse_crs, to_wgs84
from gis.router import GridRouter, RoutingMethod

ROUTING_COLUMNS = ("grid_code", "village_code", "township_code", "routing_method", "distance_m")
_GEOGRAPHIC = ("wgs84", "cgcs2000", "gcj02", "bd09")


def route_frame(
    frame: pd.DataFrame,
    *,
    router: GridRouter,
    lon_column: str,
    lat_column: str,
    crs: str = "wgs84",
    chunk_size: int = 200_000,
    progress: Callable[[str, int, int], None] | None = None,
) -> pd.DataFrame:
    """A copy of `frame` with the ROUTING_COLUMNS appended, one routing per row.

    Rows whose coordinates are missing, not numbers, out of range, or swapped (in no grid,
    while the swapped point is in one) get routing_method 'invalid'; the others inside,
    border, nearest or unrouted. Distances in metres.
    """
    for column in (lon_column, lat_column):
        if column not in frame.columns:
            raise KeyError(
                f"column {column!r} is not in the file; columns: "
                f"{', '.join(map(str, frame.columns))}"
            )
    crs_key = parse_crs(crs)
    lon_in = pd.to_numeric(frame[lon_column], errors="coerce").to_numpy(dtype="float64")
    lat_in = pd.to_numeric(frame[lat_column], errors="coerce").to_numpy(dtype="float64")
    n = len(frame)
    grid_index = np.full(n, -1, dtype="int64")
    method = np.full(n, list(RoutingMethod).index(RoutingMethod.invalid), dtype="int8")
    distance = np.full(n, np.nan)
    for start in range(0, n, chunk_size):
        stop = min(start + chunk_size, n)
        x, y = lon_in[start:stop], lat_in[start:stop]
        if crs_key in _GEOGRAPHIC:
            usable = np.isfinite(x) & np.isfinite(y) & (np.abs(x) <= 180) & (np.abs(y) <= 90)
            x, y = np.where(usable, x, np.nan), np.where(usable, y, np.nan)
        x, y = to_wgs84(x, y, crs_key)
        batch = router.route_many(np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64"))
        chunk_method = batch.method.copy()
        if crs_key in _GEOGRAPHIC:
            _mark_swapped(router, x, y, batch.method, chunk_method)
        grid_index[start:stop] = np.where(chunk_method == _INVALID, -1, batch.grid_index)
        method[start:stop] = chunk_method
        distance[start:stop] = np.where(chunk_method == _INVALID, np.nan, batch.distance_m)
        if progress:
            progress("routing", stop, n)
    out = frame.copy()
    codes = np.array([g.code for g in router.grids] + [None], dtype=object)
    villages = np.array([g.village_code for g in router.grids] + [None], dtype=object)
    townships = np.array([g.township_code for g in router.grids] + [None], dtype=object)
    out["grid_code"] = codes[grid_index]
    out["village_code"] = villages[grid_index]
    out["township_code"] = townships[grid_index]
    out["routing_method"] = np.asarray([m.value for m in RoutingMethod], dtype=object)[method]
    out["distance_m"] = np.round(distance, 2)
    return out


_INVALID = list(RoutingMethod).index(RoutingMethod.invalid)
_UNROUTED = list(RoutingMethod).index(RoutingMethod.unrouted)


def _mark_swapped(router: GridRouter, x, y, method, out_method) -> None:
    """Unrouted points whose swap (lat, lon) routes: mark them invalid."""
    unrouted = np.flatnonzero(method == _UNROUTED)
    if not len(unrouted):
        return
    swapped = router.route_many(np.asarray(y)[unrouted], np.asarray(x)[unrouted])
    routed = np.isin(swapped.method, [0, 1, 2])  # inside, border, nearest
    out_method[unrouted[routed]] = _INVALID
