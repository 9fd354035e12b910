"""Cluster many points for a map view, the way a slippy map sees them (Web Mercator pixels).

A view of a million points is answered by binning them into cells of `cell_px` screen pixels at
the view's zoom: per cell a count, the mean position, and counts per category of a small integer
label (an event's status, say). O(n) with numpy bincount; no sorting.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

EARTH_HALF_CIRCUMFERENCE = 20037508.342789244  # metres, EPSG:3857
MAX_LAT = 85.05112878


def unit_mercator(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Web Mercator coordinates of WGS84 lon/lat scaled to [0, 1) (north-west origin): multiply
    by 256 * 2**zoom for pixels. Worth computing once for points that are clustered often."""
    x = (np.asarray(lon, dtype="float64") + 180.0) / 360.0
    phi = np.radians(np.clip(np.asarray(lat, dtype="float64"), -MAX_LAT, MAX_LAT))
    y = (1.0 - np.log(np.tan(phi) + 1.0 / np.cos(phi)) / math.pi) / 2.0
    return x, y


@dataclass(frozen=True)
class Clusters:
    """Cells with points in them; arrays of equal length, one entry per non-empty cell."""

    key: np.ndarray  # int64 cell key (stable for a zoom and cell size: cx * 2**32 + cy)
    count: np.ndarray  # int64
    lon: np.ndarray  # mean lon of the cell's points
    lat: np.ndarray  # mean lat
    by_label: np.ndarray  # int64 (cells, n_labels): points per label in each cell

    def __len__(self) -> int:
        return len(self.key)


def cluster(
    lon: np.ndarray,
    lat: np.ndarray,
    *,
    zoom: float,
    cell_px: float = 64.0,
    labels: np.ndarray | None = None,
    n_labels: int = 1,
    mercator: tuple[np.ndarray, np.ndarray] | None = None,
) -> Clusters:
    """Bin points (WGS84 degrees) into square cells of `cell_px` pixels at `zoom`.

    `labels` (ints in [0, n_labels)) are counted per cell; `mercator` may pass the points'
    `unit_mercator` coordinates when they are known. Points must be finite.
    """
    if cell_px <= 0:
        raise ValueError(f"cell_px must be > 0, got {cell_px}")
    n = len(lon)
    labels = np.zeros(n, dtype="int64") if labels is None else np.asarray(labels, dtype="int64")
    if n == 0:
        empty = np.empty(0)
        return Clusters(
            np.empty(0, "int64"),
            np.empty(0, "int64"),
            empty,
            empty,
            np.empty((0, n_labels), "int64"),
        )
    ux, uy = mercator if mercator is not None else unit_mercator(lon, lat)
    scale = 256.0 * 2.0**zoom / cell_px
    cx = (ux * scale).astype("int64")
    cy = (uy * scale).astype("int64")
    x0, y0 = cx.min(), cy.min()
    width, height = int(cx.max() - x0 + 1), int(cy.max() - y0 + 1)
    flat = (cx - x0) * height + (cy - y0)
    cells = width * height
    if cells > 4 * n + 1024:  # a sparse spread (far-apart points): compact the cell numbers
        used, flat = np.unique(flat, return_inverse=True)
    else:
        used = None
    size = int(flat.max()) + 1
    count = np.bincount(flat, minlength=size)
    occupied = np.flatnonzero(count)
    sum_lon = np.bincount(flat, weights=lon, minlength=size)
    sum_lat = np.bincount(flat, weights=lat, minlength=size)
    by_label = np.bincount(flat * n_labels + labels, minlength=size * n_labels).reshape(
        size, n_labels
    )
    cell_ids = used[occupied] if used is not None else occupied
    keys = ((cell_ids // height + x0) << 32) + (cell_ids % height + y0)
    c = count[occupied]
    return Clusters(
        key=keys,
        count=c,
        lon=sum_lon[occupied] / c,
        lat=sum_lat[occupied] / c,
        by_label=by_label[occupied],
    )
